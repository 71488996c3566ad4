import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/index.js';
import { bindingFor, keyIn, KEYMAP, keysMarkdown, LAYERS, layersOf, ownId } from '../../src/keys/keymap.js';
import { fixturePath } from '../helpers/samples.js';

describe('key map', () => {
  it('docs/keys.md is generated from the key map and fresh (npm run docs:keys)', () => {
    const doc = readFileSync(fixturePath('..', 'docs', 'keys.md'), 'utf8');
    expect(doc).toBe(keysMarkdown());
  });
  it('no key is bound twice within a scope (global, one screen, or one modal layer)', () => {
    for (const scope of [undefined, ...new Set(KEYMAP.map((b) => b.screen).filter(Boolean))]) {
      const keys = KEYMAP.filter((b) => !b.layer && b.screen === scope).flatMap((b) => b.keys);
      expect(new Set(keys).size, String(scope)).toBe(keys.length);
    }
    for (const layer of LAYERS) {
      const keys = KEYMAP.filter((b) => layersOf(b).includes(layer)).flatMap((b) => b.keys);
      expect(keys.length, `${layer} declares its keys`).toBeGreaterThan(0);
      expect(new Set(keys).size, String(layer)).toBe(keys.length);
    }
  });
  it('a modal layer\'s keys are never looked up outside it: y and p do nothing on the overview', () => {
    expect(bindingFor('y', 'overview')).toBeUndefined();
    expect(bindingFor('p', 'overview')).toBeUndefined();
    expect(bindingFor('p', 'recovery')?.id).toBe('recovery.tripcode');
    expect(bindingFor('enter', 'recovery')?.id).toBe('recovery.run');
  });
  it('a layer looks a key up by name, then as typing, then as any other key', () => {
    expect(keyIn('confirm', 'y', 'y')?.id).toBe('confirm.yes');
    expect(keyIn('typed', 'y', 'y')?.id).toBe('confirm.type');
    expect(keyIn('confirm', 'x', 'x')?.id).toBe('overlay.hint');
    expect(keyIn('palette', 'ctrl+x', 'x')).toBeUndefined();
    expect(keyIn('palette', 'up')?.id).toBe('palette.prev');
    expect(keyIn('filter', 'escape')?.id).toBe('filter.clear');
    expect(keyIn('filter', 'tab', '\t')).toBeUndefined();
    // the chat prompt: its layer, and the chat screen's own keys
    expect(keyIn('chat', 'enter', '', { screen: 'chat' })?.id).toBe('chat.send');
    expect(keyIn('chat', 'q', 'q', { screen: 'chat' })?.id).toBe('chat.type');
    expect(keyIn('chat', 'tab', '', { screen: 'chat' })).toBeUndefined();
  });
  it('screen-scoped keys win on their screen only: r restarts on the engines screen, refreshes elsewhere', () => {
    expect(bindingFor('r', 'engines')?.id).toBe('engine.restart');
    expect(bindingFor('r', 'overview')?.id).toBe('refresh');
    expect(bindingFor('r')?.id).toBe('refresh');
    expect(bindingFor('s', 'gpu')).toBeUndefined();
    expect(bindingFor('s', 'engines')?.id).toBe('engine.start');
    expect(bindingFor('6', 'engines')?.id).toBe('screen.engines');
    expect(bindingFor('q', 'engines')?.id).toBe('quit');
  });
  it('each action is reached by its key on its screen, and no other binding takes that key there', () => {
    for (const a of ACTIONS) for (const k of a.keys) expect(bindingFor(k, a.scope === 'global' ? undefined : a.scope)?.id, `${k} on ${a.scope}`).toBe(a.id);
  });
  it('every binding named in the issue exists', () => {
    const all = new Set(KEYMAP.flatMap((b) => b.keys));
    for (const k of ['1', '2', '3', '4', '5', '6', '?', 'tab', 'j', 'k', 'up', 'down', 'enter', '/', 'f', 'r', 't', 'q', 's', 'S', 'l', 'b']) expect(all.has(k), k).toBe(true);
  });
});

describe('ownId', () => {
  it("names the cockpit's own bindings (typed, for the dispatchers) and not the actions'", () => {
    expect(ownId(bindingFor('q'))).toBe('quit');
    expect(ownId(keyIn('palette', 'enter'))).toBe('palette.run');
    const action = KEYMAP.find((b) => ACTIONS.some((a) => a.id === b.id))!;
    expect(action).toBeDefined();
    expect(ownId(action)).toBeUndefined();
    expect(ownId(undefined)).toBeUndefined();
    // every binding is one or the other, and ids are unique
    expect(new Set(KEYMAP.map((b) => b.id)).size).toBe(KEYMAP.length);
  });
});
