import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/index.js';
import { bindingFor, KEYMAP, keysMarkdown } from '../../src/keys/keymap.js';
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
    for (const layer of new Set(KEYMAP.map((b) => b.layer).filter(Boolean))) {
      const keys = KEYMAP.filter((b) => b.layer === layer).flatMap((b) => b.keys);
      expect(new Set(keys).size, String(layer)).toBe(keys.length);
    }
  });
  it('a modal layer\'s keys are never looked up outside it: y and p do nothing on the overview', () => {
    expect(bindingFor('y', 'overview')).toBeUndefined();
    expect(bindingFor('p', 'overview')).toBeUndefined();
    expect(bindingFor('p', 'recovery')?.id).toBe('recovery.tripcode');
    expect(bindingFor('enter', 'recovery')?.id).toBe('recovery.run');
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
