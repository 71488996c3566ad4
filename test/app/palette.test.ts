import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { actionContext } from '../../src/actions/context.js';
import { composeFrame } from '../../src/app/frame.js';
import { handleKey, type Controller } from '../../src/app/input.js';
import { filterPalette, paletteEntries, paletteView } from '../../src/app/palette.js';
import { bindingFor } from '../../src/keys/keymap.js';
import { createAppStore } from '../../src/store/store.js';
import { demoStore } from '../helpers/demo-state.js';
import { engine, fakeLink, T0 } from '../helpers/engines.js';
import { realRecovery, type TestAuthority } from '../helpers/recovery.js';
import { recoveryActions } from '../../src/actions/index.js';

const flush = () => new Promise((r) => setTimeout(r, 0));

const authorities: TestAuthority[] = [];
afterEach(() => { for (const a of authorities.splice(0)) a.close(); });

function setup(readOnly = false) {
  const store = createAppStore({ host: 'h', readOnly });
  const link = fakeLink({
    'engines.start': ({ name }) => engine(name, 'starting', { pid: 777 }),
    'engines.stop': ({ name }) => engine(name, 'stopped'),
    'engines.restart': ({ name }) => engine(name, 'starting', { pid: 778 }),
  });
  const recovery = realRecovery();
  authorities.push(recovery);
  store.getState().ingest('h', { engines: { state: 'ok', data: { engines: [engine('llama', 'healthy'), engine('vllm', 'stopped')] } } }, T0);
  const c: Controller = {
    refresh: vi.fn(), quit: vi.fn(), now: () => T0, pageSize: () => 10,
    panels: () => [{ id: 'eng.table' }, { id: 'eng.detail' }],
    actionCtx: (name) => actionContext(store, { link, config: [], recovery: recovery.auth }, name),
  };
  const press = (name: string, input = name) => handleKey(store, c, name, input);
  const type = (text: string) => { for (const ch of text) press(ch === ' ' ? 'space' : ch, ch); };
  const titles = () => paletteView(store.getState())?.entries.map((e) => e.title);
  return { store, c, link, recovery, press, type, titles, ui: () => store.getState().ui, msg: () => store.getState().ui.message?.text };
}

describe('the command palette', () => {
  it(': and ctrl+p open it (bound in the key map); esc closes it and nothing runs', () => {
    const { press, ui, c, link } = setup();
    expect(bindingFor(':', 'overview')?.id).toBe('palette');
    expect(bindingFor('ctrl+p', 'engines')?.id).toBe('palette');
    expect(bindingFor('ctrl+p', 'chat')?.id).toBe('chat.provider');
    press(':');
    expect(ui().palette).toEqual({ query: '', index: 0 });
    // every key goes to the palette: q is text, not quit
    press('q');
    expect(c.quit).not.toHaveBeenCalled();
    expect(ui().palette?.query).toBe('q');
    press('escape');
    expect(ui().palette).toBeUndefined();
    expect(ui().screen).toBe('overview');
    press('ctrl+p');
    expect(ui().palette).toBeDefined();
    press('escape');
    expect(link.calls).toHaveLength(0);
  });

  it('lists the screens, the actions of the current screen, and the recovery actions (from anywhere)', () => {
    const screens = ['screen.overview', 'screen.gpu', 'screen.storage', 'screen.numa', 'screen.help', 'screen.engines', 'screen.chat', 'screen.recovery', 'screen.doctor', 'screen.vms'];
    const recovery = recoveryActions().map((a) => a.id);
    expect(paletteEntries('overview').map((e) => e.id)).toEqual([...screens, ...recovery]);
    expect(paletteEntries('overview').map((e) => e.id)).not.toContain('engine.start');
    const eng = paletteEntries('engines').map((e) => e.id);
    expect(eng).toEqual(expect.arrayContaining(['screen.overview', 'engine.start', 'engine.stop', 'engine.restart', 'engine.logs', 'engine.bench']));
  });

  it('filters as you type (substring, then letters in order), j and k are text', () => {
    const { press, type, titles, ui } = setup();
    press('6');
    press(':');
    type('rest');
    expect(titles()?.[0]).toBe('Restart');
    expect(titles()).not.toContain('Logs');
    press('backspace'); press('backspace'); press('backspace'); press('backspace');
    type('stp');
    expect(titles()?.[0]).toBe('Stop');
    expect(filterPalette(paletteEntries('engines'), 'zzzz')).toEqual([]);
    press('escape');
    press(':');
    type('jk');
    expect(ui().palette?.query).toBe('jk');
  });

  it('up/down move the highlight (wrapping); enter on a screen goes there and closes', () => {
    const { press, type, ui, store } = setup();
    press(':');
    press('down'); press('down');
    expect(ui().palette?.index).toBe(2);
    press('up');
    expect(ui().palette?.index).toBe(1);
    press('enter');
    expect(ui().screen).toBe('gpu');
    expect(ui().palette).toBeUndefined();
    press(':');
    press('up');
    expect(paletteView(store.getState())?.index).toBe(paletteEntries('gpu').length - 1);
    press('escape');
    press(':');
    type('engi');
    press('enter');
    expect(ui().screen).toBe('engines');
  });

  it('an action that asks first goes through the confirm overlay; enter there runs it', async () => {
    const { press, type, ui, link, msg, recovery } = setup();
    press('6');
    press(':');
    type('stop');
    press('enter');
    expect(ui().palette).toBeUndefined();
    await flush();
    expect(ui().confirm?.text).toMatch(/^stop llama: SIGTERM pid 4242/);
    expect(link.calls).toHaveLength(0);
    press('enter');
    await flush(); await flush();
    expect(link.calls).toEqual([{ method: 'engines.stop', params: { name: 'llama' } }]);
    expect(msg()).toBe('llama: stop → stopped');
    expect(recovery.audit()).toMatchObject([{ kind: 'begin', action: 'engine.stop' }, { kind: 'end', action: 'engine.stop', outcome: 'ok' }]);
  });

  it('a T1 action asks y/N, and when() refusals say why', async () => {
    const { press, type, link, msg, ui } = setup();
    press('6');
    press(':');
    type('start');
    press('enter');
    expect(msg()).toMatch(/llama is already running/);
    press('j');
    press(':');
    type('start');
    press('enter');
    await flush();
    expect(ui().confirm).toMatchObject({ action: 'engine.start', kind: 'yes' });
    press('y');
    await flush(); await flush();
    expect(link.calls).toEqual([{ method: 'engines.start', params: { name: 'vllm' } }]);
  });

  it('--read-only: actions above T0 are refused with the same reason as their key', () => {
    const { press, type, link, msg, ui } = setup(true);
    press('6');
    press(':');
    type('restart');
    press('enter');
    expect(ui().confirm).toBeUndefined();
    expect(msg()).toBe('Restart is disabled: sov runs --read-only');
    expect(link.calls).toHaveLength(0);
  });

  it('nothing matching: enter says so and keeps the palette open', () => {
    const { press, type, ui, msg } = setup();
    press(':');
    type('zzzz');
    press('enter');
    expect(ui().palette?.query).toBe('zzzz');
    expect(msg()).toMatch(/nothing matches "zzzz"/);
  });

  it('on the chat screen (no prompt here) : does not open it, and says how', () => {
    const { press, ui, msg } = setup();
    press('7');
    press(':');
    expect(ui().palette).toBeUndefined();
    expect(msg()).toMatch(/esc leaves the chat/);
  });
});

function check(lines: string[], cols: number, rows: number): string {
  expect(lines).toHaveLength(rows);
  for (const l of lines) expect(stringWidth(l), stripAnsi(l)).toBe(cols);
  return lines.map((l) => stripAnsi(l)).join('\n');
}

describe('the palette drawn', () => {
  for (const [cols, rows] of [[80, 24], [120, 40], [60, 16]] as [number, number][]) {
    it(`fits ${cols}×${rows} exactly, on the overview and on the engines screen`, async () => {
      const { store, now } = await demoStore(cols, rows);
      store.getState().setPalette({ query: '', index: 0 });
      let text = check(composeFrame(store.getState(), now, 1000).lines, cols, rows);
      expect(text).toContain('Palette');
      expect(text).toMatch(/› Overview\s+1/);
      expect(text).toContain('palette:');
      store.getState().setScreen('engines');
      store.getState().setPalette({ query: '', index: 14 });
      text = check(composeFrame(store.getState(), now, 1000).lines, cols, rows);
      // the highlighted entry is kept in view
      expect(text).toMatch(/› Benchmark/);
      store.getState().setPalette({ query: 'nothing-like-this', index: 0 });
      text = check(composeFrame(store.getState(), now, 1000).lines, cols, rows);
      expect(text).toContain('nothing matches');
      expect(text).toContain(' 0/0 ');
    });
  }
});

describe('hosts in the palette', () => {
  it('with several hosts, "Host: NAME" entries show that host; with one there are none', () => {
    const { store, press, type, titles } = setup();
    expect(titles()).toBeUndefined();
    press(':');
    type('host');
    expect(titles()?.some((t) => t.startsWith('Host:'))).toBe(false);
    press('escape');
    store.setState({ hosts: { ...store.getState().hosts, vault: { ...store.getState().hosts.h!, host: 'vault' } } });
    press(':');
    type('host vault');
    expect(titles()?.[0]).toBe('Host: vault');
    press('enter');
    expect(store.getState().current).toBe('vault');
  });
});
