/**
 * The App's wiring under Ink (ink-testing-library): keys typed on Ink's stdin reach the root handler through the
 * key map (screens switch, the palette opens and runs an entry, an action's overlay asks and y answers), and every
 * store change hands one composed frame to present() — the frame the terminal writer would draw.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { actionContext } from '../../src/actions/context.js';
import { App } from '../../src/app/App.js';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import { demoStore } from '../helpers/demo-state.js';
import { realRecovery, type TestAuthority } from '../helpers/recovery.js';

const ESC = '\u001b';
/** polls until the assertion holds (Ink handles stdin and renders asynchronously): no fixed sleeps */
const until = (assert: () => void) => vi.waitFor(assert, { timeout: 3000, interval: 5 });

let recovery: TestAuthority | undefined;
afterEach(() => { recovery?.close(); recovery = undefined; });

async function mount() {
  const { store, now } = await demoStore(120, 40);
  const link = createDemoEnginesLink({ now: () => now });
  recovery = realRecovery();
  const auth = recovery.auth;
  // the demo engines as the engines source would read them
  store.getState().ingest(store.getState().current, { engines: { state: 'ok', data: { engines: await link.call('engines.list', {}) } } }, now);
  const frames: string[] = [];
  const controller = {
    refresh: vi.fn(), quit: vi.fn(), now: () => now,
    actionCtx: (engine?: string) => actionContext(store, { link, recovery: auth, config: [] }, engine),
  };
  const ink = render(<App store={store} controller={controller} intervalMs={1000} present={(f) => frames.push(f)} />);
  await until(() => expect(frames.length).toBeGreaterThan(0));
  const type = (s: string) => { ink.stdin.write(s); };
  return { store, ink, frames, type, controller, recovery: recovery as TestAuthority, last: () => frames.at(-1) ?? '' };
}

describe('App wiring (ink-testing-library)', () => {
  it('presents the composed frame; a digit key switches the screen and presents the new one', async () => {
    const { frames, type, store, last, ink } = await mount();
    expect(last()).toContain('GPU0');
    const before = frames.length;
    type('6');
    await until(() => expect(store.getState().ui.screen).toBe('engines'));
    await until(() => expect(last()).toMatch(/llama\s+✓ healthy/));
    expect(frames.length).toBeGreaterThan(before);
    type('8');
    await until(() => expect(last()).toContain('Audit log'));
    ink.unmount();
  });

  it('two arrow keys in one read (typed fast over a slow link) both act', async () => {
    const { type, store, ink } = await mount();
    type('6');
    await until(() => expect(store.getState().ui.screen).toBe('engines'));
    const names = ['llama', 'vllm', 'ktransformers', 'ramalama-worker'];
    await until(() => expect(store.getState().ui.engine ?? 'llama').toBe('llama'));
    type(`${ESC}[B${ESC}[B`);
    await until(() => expect(store.getState().ui.engine).toBe(names[2]));
    type(`${ESC}[A${ESC}[B${ESC}[B`);
    await until(() => expect(store.getState().ui.engine).toBe(names[3]));
    ink.unmount();
  });

  it('the palette opens on :, filters what is typed, and enter runs the entry', async () => {
    const { type, store, last, ink } = await mount();
    type(':');
    await until(() => expect(last()).toContain('Palette'));
    type('doct');
    await until(() => expect(store.getState().ui.palette?.query).toBe('doct'));
    type('\r');
    await until(() => expect(store.getState().ui.palette).toBeUndefined());
    expect(store.getState().ui.screen).toBe('doctor');
    ink.unmount();
  });

  it('an engine action asks through the overlay; esc cancels; y runs it and the authority records it', async () => {
    const { type, store, last, recovery, ink } = await mount();
    type('6');
    await until(() => expect(store.getState().ui.screen).toBe('engines'));
    type('S');
    await until(() => expect(last()).toMatch(/Confirm: Stop/));
    expect(last()).toMatch(/T1 · easy to undo/);
    type(ESC);
    await until(() => expect(store.getState().ui.confirm).toBeUndefined());
    expect(recovery.audit()).toHaveLength(0);
    type('S');
    await until(() => expect(store.getState().ui.confirm?.pending).toBe(false));
    type('y');
    await until(() => expect(store.getState().ui.message?.text).toMatch(/llama: stop → stopped/));
    await until(() => expect(recovery.audit().map((e) => e.kind)).toEqual(['begin', 'end']));
    expect(recovery.audit()).toMatchObject([
      { kind: 'begin', action: 'engine.stop', tier: 'T1', args: { name: 'llama' }, confirmation: { kind: 'yes' } },
      { kind: 'end', action: 'engine.stop', outcome: 'ok', message: expect.stringMatching(/^llama: stop → stopped/) },
    ]);
    ink.unmount();
  });

  it('the layers take their keys from the key map: in the filter prompt q is text, esc clears; in the palette ctrl+n moves, ctrl+p moves back', async () => {
    const { type, store, controller, ink } = await mount();
    type('3');
    await until(() => expect(store.getState().ui.screen).toBe('storage'));
    type('/');
    await until(() => expect(store.getState().ui.filterEditing).toBe(true));
    type('q');
    await until(() => expect(store.getState().ui.filter).toBe('q'));
    expect(controller.quit).not.toHaveBeenCalled();
    type(ESC);
    await until(() => expect(store.getState().ui.filterEditing).toBe(false));
    expect(store.getState().ui.filter).toBe('');
    type(':');
    await until(() => expect(store.getState().ui.palette).toEqual({ query: '', index: 0 }));
    type('\u000e'); // ctrl+n
    await until(() => expect(store.getState().ui.palette?.index).toBe(1));
    type('\u0010'); // ctrl+p
    await until(() => expect(store.getState().ui.palette?.index).toBe(0));
    type(ESC);
    await until(() => expect(store.getState().ui.palette).toBeUndefined());
    ink.unmount();
  });

  it('q quits through the controller', async () => {
    const { type, controller, ink } = await mount();
    type('q');
    await until(() => expect(controller.quit).toHaveBeenCalledTimes(1));
    ink.unmount();
  });
});
