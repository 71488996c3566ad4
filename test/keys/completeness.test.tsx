/**
 * The key map is complete (issue 11): every key the cockpit reacts to is declared for where it works, and every
 * declared key does something there. The real root handler (src/app/input.ts handleKey, with a real store) is
 * driven with every key the input layer can produce — found by typing each terminal sequence (printable ASCII,
 * ctrl+a…z, arrows, page/home/end, tab, shift+tab, esc, backspace, delete, alt+enter) into Ink and naming what it
 * reports with keyName — in every screen and every layer; a key that changed the store, called the controller,
 * started an action or drove the chat session must be declared there in src/keys/keymap.ts.
 * Actions are not run (startAction is a spy): their keys are the actions' own declarations.
 */
import { useInput } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SCREEN_ORDER } from '../../screens/index.js';
import { setChatSession } from '../../screens/chat.js';
import { handleKey, type Controller } from '../../src/app/input.js';
import { cancelRunning, startAction } from '../../src/app/recovery.js';
import type { ChatSession } from '../../src/chat/session.js';
import { bindingFor, keyIn, KEYMAP, LAYERS, layersOf, type KeyBinding, type Layer } from '../../src/keys/keymap.js';
import { keyName } from '../../src/keys/names.js';
import { createAppStore, type Store } from '../../src/store/store.js';
import type { ConfirmUi, ScreenId } from '../../src/store/types.js';

vi.mock('../../src/app/recovery.js', async (original) => ({
  ...(await original<typeof import('../../src/app/recovery.js')>()),
  startAction: vi.fn(), cancelRunning: vi.fn(() => false),
}));

type Key = { name: string; input: string };

/** every (name, input) the input layer hands handleKey: each terminal sequence typed into Ink, named by keyName */
async function inkKeys(): Promise<Key[]> {
  const got: Key[] = [];
  function Probe() { useInput((input, key) => { got.push({ name: keyName(input, key), input }); }); return null; }
  const ink = render(<Probe />);
  const seqs: string[] = [];
  for (let i = 0x20; i < 0x7f; i++) seqs.push(String.fromCharCode(i));
  for (let i = 1; i <= 26; i++) seqs.push(String.fromCharCode(i)); // ctrl+a … ctrl+z (tab, enter, ctrl+j among them)
  seqs.push('\u001b', '\u007f', '\u001b[A', '\u001b[B', '\u001b[C', '\u001b[D', '\u001b[H', '\u001b[F', '\u001b[1~', '\u001b[4~',
    '\u001b[5~', '\u001b[6~', '\u001b[3~', '\u001b[Z', '\u001b\r');
  for (const s of seqs) {
    const n = got.length;
    ink.stdin.write(s);
    await vi.waitFor(() => expect(got.length, JSON.stringify(s)).toBeGreaterThan(n), { timeout: 2000, interval: 2 });
  }
  ink.unmount();
  const seen = new Set<string>();
  return got.filter((k) => !seen.has(k.name + '\u0000' + k.input) && seen.add(k.name + '\u0000' + k.input));
}

const CONFIRM: ConfirmUi = { action: 'x.act', title: 'Act', tier: 'T1', args: {}, pending: false, text: 'act', checks: [], kind: 'yes', input: '' };

/** where keys are pressed: a screen, or a layer open over one (some layers twice, in two states) */
interface Scope {
  label: string;
  screen: ScreenId;
  layer?: Layer;
  setup?(store: Store): void;
  chat?: boolean;
  running?: boolean;
}

const SCOPES: Scope[] = [
  ...SCREEN_ORDER.map((screen): Scope => ({ label: screen, screen })),
  { label: 'pending', screen: 'recovery', layer: 'pending', setup: (st) => st.getState().setConfirm({ ...CONFIRM, pending: true }) },
  { label: 'refused', screen: 'recovery', layer: 'refused', setup: (st) => st.getState().setConfirm({ ...CONFIRM, refused: 'no pool' }) },
  { label: 'confirm', screen: 'recovery', layer: 'confirm', setup: (st) => st.getState().setConfirm(CONFIRM) },
  { label: 'typed', screen: 'recovery', layer: 'typed', setup: (st) => st.getState().setConfirm({ ...CONFIRM, tier: 'T2', kind: 'typed', target: 'tank', input: 'ta' }) },
  { label: 'ask', screen: 'recovery', layer: 'ask', setup: (st) => st.getState().setConfirm({ ...CONFIRM, kind: 'none', input: 'x', ask: { arg: 'pool', description: 'a pool', choices: ['a', 'b'], index: 0 } }) },
  { label: 'ask, nothing typed or offered', screen: 'recovery', layer: 'ask', setup: (st) => st.getState().setConfirm({ ...CONFIRM, kind: 'none', ask: { arg: 'pool', description: 'a pool', choices: [], index: 0 } }) },
  { label: 'tripcode', screen: 'recovery', layer: 'tripcode', setup: (st) => st.getState().setTripcode({ input: 'ab' }) },
  { label: 'running', screen: 'overview', layer: 'running', running: true },
  { label: 'palette', screen: 'overview', layer: 'palette', setup: (st) => st.getState().setPalette({ query: '', index: 0 }) },
  { label: 'palette, nothing matches', screen: 'gpu', layer: 'palette', setup: (st) => st.getState().setPalette({ query: 'zzz', index: 0 }) },
  { label: 'fleet', screen: 'overview', layer: 'fleet', setup: (st) => { st.getState().setHost('h2'); st.getState().setFleet(true); } },
  { label: 'chat', screen: 'chat', layer: 'chat', chat: true },
  { label: 'filter', screen: 'storage', layer: 'filter', setup: (st) => st.getState().setFilter('ab', true) },
];

/** the layers whose undeclared keys go on to the screen's and the global keys; the others swallow them */
const PASS_THROUGH: ReadonlySet<Layer> = new Set(['running', 'fleet', 'chat']);

/** The binding the key map declares for this key in this scope (the handler's own view, from the key map only). */
function declared(scope: Scope, k: Key): KeyBinding | undefined {
  if (!scope.layer) return bindingFor(k.name, scope.screen);
  const own = keyIn(scope.layer, k.name, k.input, scope.layer === 'chat' ? { screen: 'chat' } : {});
  return own ?? (PASS_THROUGH.has(scope.layer) ? bindingFor(k.name, scope.screen) : undefined);
}

/** a chat session whose every method is a spy */
function fakeSession(calls: string[]): ChatSession {
  return new Proxy({} as Record<string, unknown>, {
    get: (target, p: string) => (p === 'getState' ? () => ({ draft: 'hi' }) : (target[p] ??= (..._: unknown[]) => { calls.push(p); return true; })),
  }) as unknown as ChatSession;
}

interface Effect { state: boolean; message: boolean; calls: string[] }

/** presses one key in a fresh store set up for the scope: what changed, what was called */
function press(scope: Scope, k: Key): Effect {
  const store = createAppStore({ host: 'h' });
  for (const h of ['h2', 'h3']) store.getState().ingest(h, {}, 0);
  store.getState().setScreen(scope.screen);
  scope.setup?.(store);
  const calls: string[] = [];
  setChatSession(scope.chat ? fakeSession(calls) : undefined);
  vi.mocked(startAction).mockReset().mockImplementation(() => { calls.push('startAction'); });
  vi.mocked(cancelRunning).mockReset().mockImplementation(() => { if (scope.running) calls.push('cancelRunning'); return !!scope.running; });
  const c: Controller = {
    refresh: () => calls.push('refresh'), quit: () => calls.push('quit'), now: () => 1000, pageSize: () => 10,
    panels: () => [{ id: 'p.one', drillTo: 'gpu' }, { id: 'p.two' }, { id: 'p.three' }],
  };
  const snap = () => { const s = store.getState(); return JSON.stringify({ ui: { ...s.ui, message: undefined }, current: s.current, run: s.run }); };
  const msg = () => store.getState().ui.message?.text;
  const before = snap();
  const said = msg();
  handleKey(store, c, k.name, k.input);
  return { state: snap() !== before, message: msg() !== said, calls };
}

let KEYS: Key[] = [];
beforeAll(async () => { KEYS = await inkKeys(); }, 60_000);
afterEach(() => setChatSession(undefined));

describe('the key map is complete', () => {
  it('the input layer produces the keys the map is written in (a sanity check of the probe)', () => {
    const names = new Set(KEYS.map((k) => k.name));
    for (const n of ['a', 'q', ':', '?', 'space', 'ctrl+a', 'ctrl+z', 'ctrl+j', 'enter', 'alt+enter', 'escape', 'tab', 'shift+tab', 'backspace',
      'up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end']) expect(names.has(n), n).toBe(true);
  });

  it('every declared key is one the input layer can produce', () => {
    const names = new Set(KEYS.map((k) => k.name));
    const never = KEYMAP.flatMap((b) => b.keys.filter((k) => k !== 'typing' && k !== 'other' && !names.has(k)).map((k) => `${b.id}: ${k}`));
    expect(never).toEqual([]);
  });

  it('a key handled in a screen or a layer is declared there (a key only "other" declares only says so in the status line)', () => {
    const undeclared: string[] = [];
    for (const scope of SCOPES) {
      for (const k of KEYS) {
        const e = press(scope, k);
        if (!e.state && !e.message && !e.calls.length) continue;
        const b = declared(scope, k);
        const what = `${scope.label}: ${k.name} (${[e.state && 'store', e.message && 'message', ...e.calls].filter(Boolean).join(', ')})`;
        if (!b) undeclared.push(what);
        else if (b.keys.includes('other') && !b.keys.includes(k.name) && (e.state || e.calls.length)) undeclared.push(`${what}: more than the hint 'other' declares`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('every declared key does something where it is declared (in one of its scopes, at least)', () => {
    const idle: string[] = [];
    for (const b of KEYMAP) {
      const layers = layersOf(b);
      const scopes = SCOPES.filter((s) => (layers.length ? s.layer !== undefined && layers.includes(s.layer) : !s.layer && (b.screen === undefined || s.screen === b.screen))
        || (b.screen === 'chat' && !b.layer && s.layer === 'chat'));
      if (!scopes.length) { idle.push(`${b.id}: no scope opens it here`); continue; }
      for (const key of b.keys) {
        const acts = scopes.some((s) => {
          // 'typing' and 'other': a key the scope resolves to this binding through them (a letter, a chord)
          const k = key === 'typing' || key === 'other'
            ? KEYS.find((x) => !b.keys.includes(x.name) && declared(s, x) === b)
            : KEYS.find((x) => x.name === key);
          if (!k) return false;
          const e = press(s, k);
          return e.state || e.message || e.calls.length > 0;
        });
        if (!acts) idle.push(`${b.id}: ${key}`);
      }
    }
    expect(idle).toEqual([]);
  });

  it('every layer is opened by a scope above (so its keys are driven)', () => {
    for (const l of LAYERS) expect(SCOPES.some((s) => s.layer === l), l).toBe(true);
  });
});
