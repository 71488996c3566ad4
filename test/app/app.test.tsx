/**
 * The App's wiring under Ink (ink-testing-library): keys typed on Ink's stdin reach the root handler through the
 * key map (screens switch, the palette opens and runs an entry, an action's overlay asks and y answers), and every
 * store change hands one composed frame to present() — the frame the terminal writer would draw.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { actionContext } from '../../src/actions/context.js';
import { App } from '../../src/app/App.js';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import { demoStore } from '../helpers/demo-state.js';
import { memoryRecovery } from '../helpers/recovery.js';

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const ESC = '\u001b';

async function mount() {
  const { store, now } = await demoStore(120, 40);
  const link = createDemoEnginesLink({ now: () => now });
  const recovery = memoryRecovery();
  // the demo engines as the engines source would read them
  store.getState().ingest(store.getState().current, { engines: { state: 'ok', data: { engines: await link.call('engines.list', {}) } } }, now);
  const frames: string[] = [];
  const controller = {
    refresh: vi.fn(), quit: vi.fn(), now: () => now,
    actionCtx: (engine?: string) => actionContext(store, { link, recovery, config: [] }, engine),
  };
  const ink = render(<App store={store} controller={controller} intervalMs={1000} present={(f) => frames.push(f)} />);
  await tick();
  const type = async (s: string) => { ink.stdin.write(s); await tick(); };
  return { store, ink, frames, type, controller, recovery, last: () => frames.at(-1) ?? '' };
}

describe('App wiring (ink-testing-library)', () => {
  it('presents the composed frame; a digit key switches the screen and presents the new one', async () => {
    const { frames, type, store, last, ink } = await mount();
    expect(frames.length).toBeGreaterThan(0);
    expect(last()).toContain('GPU0');
    const before = frames.length;
    await type('6');
    expect(store.getState().ui.screen).toBe('engines');
    expect(frames.length).toBeGreaterThan(before);
    expect(last()).toMatch(/llama\s+✓ healthy/);
    await type('8');
    expect(last()).toContain('Audit log');
    ink.unmount();
  });

  it('the palette opens on :, filters what is typed, and enter runs the entry', async () => {
    const { type, store, last, ink } = await mount();
    await type(':');
    expect(last()).toContain('Palette');
    await type('doct');
    expect(store.getState().ui.palette?.query).toBe('doct');
    await type('\r');
    expect(store.getState().ui.palette).toBeUndefined();
    expect(store.getState().ui.screen).toBe('doctor');
    ink.unmount();
  });

  it('an engine action asks through the overlay; esc cancels; y runs it and the authority records it', async () => {
    const { type, store, last, recovery, ink } = await mount();
    await type('6');
    await type('S');
    await tick(50);
    expect(last()).toMatch(/Confirm: Stop/);
    expect(last()).toMatch(/T1 · easy to undo/);
    await type(ESC);
    await tick(80);
    expect(store.getState().ui.confirm).toBeUndefined();
    expect(recovery.begun).toHaveLength(0);
    await type('S');
    await tick(50);
    await type('y');
    await tick(50);
    expect(recovery.ended).toMatchObject([{ outcome: 'ok', message: expect.stringMatching(/^llama: stop → stopped/) }]);
    expect(store.getState().ui.message?.text).toMatch(/llama: stop → stopped/);
    ink.unmount();
  });

  it('q quits through the controller', async () => {
    const { type, controller, ink } = await mount();
    await type('q');
    expect(controller.quit).toHaveBeenCalledTimes(1);
    ink.unmount();
  });
});
