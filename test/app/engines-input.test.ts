import { afterEach, describe, expect, it, vi } from 'vitest';
import { actionContext } from '../../src/actions/context.js';
import { handleKey, type Controller } from '../../src/app/input.js';
import { createAppStore } from '../../src/store/store.js';
import { engine, fakeLink, T0 } from '../helpers/engines.js';
import { realRecovery, type TestAuthority } from '../helpers/recovery.js';

const flush = () => new Promise((r) => setTimeout(r, 0));

let recovery: TestAuthority | undefined;
afterEach(() => { recovery?.close(); recovery = undefined; });

function setup(readOnly = false, linkState: 'up' | 'down' = 'up') {
  const store = createAppStore({ host: 'h', readOnly });
  const link = fakeLink({
    'engines.start': ({ name }) => engine(name, 'starting', { pid: 777 }),
    'engines.stop': ({ name }) => engine(name, 'stopped'),
    'engines.restart': ({ name }) => engine(name, 'starting', { pid: 778 }),
  }, linkState);
  recovery = realRecovery();
  const auth = recovery.auth;
  store.getState().ingest('h', { engines: { state: 'ok', data: { engines: [engine('llama', 'healthy'), engine('vllm', 'stopped')] } } }, T0);
  const c: Controller = {
    refresh: vi.fn(), quit: vi.fn(), now: () => T0, pageSize: () => 10,
    panels: () => store.getState().ui.screen === 'engines'
      ? [{ id: 'eng.table' }, ...(store.getState().ui.logs ? [{ id: 'eng.logs' }] : []), { id: 'eng.detail' }]
      : [{ id: 'ov.gpu', drillTo: 'gpu' }],
    actionCtx: (name) => actionContext(store, { link, config: [], recovery: auth }, name),
  };
  const press = (name: string) => handleKey(store, c, name, name);
  return { store, c, link, recovery: recovery as TestAuthority, press, ui: () => store.getState().ui, msg: () => store.getState().ui.message?.text };
}

describe('keys on the engines screen', () => {
  it('6 opens it; r restarts there and refreshes elsewhere', async () => {
    const { press, ui, c } = setup();
    press('r');
    expect(c.refresh).toHaveBeenCalledTimes(1);
    press('6');
    expect(ui().screen).toBe('engines');
    press('r');
    expect(c.refresh).toHaveBeenCalledTimes(1);
    await flush();
    expect(ui().confirm).toMatchObject({ action: 'engine.restart', engine: 'llama', tier: 'T1', kind: 'yes', pending: false, text: 'restart llama: SIGTERM pid 4242, then start its configured command' });
  });

  it('stop asks first (T1, y/N): esc cancels, nothing runs; y runs it through the daemon and the audit records it', async () => {
    const { press, ui, link, msg, recovery } = setup();
    press('6');
    press('S');
    await flush();
    expect(ui().confirm?.text).toMatch(/^stop llama: SIGTERM pid 4242/);
    press('j'); // keys other than y/enter/n/esc do nothing while asking
    expect(ui().confirm).toBeDefined();
    press('escape');
    expect(ui().confirm).toBeUndefined();
    expect(msg()).toMatch(/^cancelled: Stop/);
    expect(link.calls).toHaveLength(0);
    expect(recovery.audit()).toHaveLength(0);
    press('S');
    await flush();
    press('y');
    expect(ui().confirm).toBeUndefined();
    await flush(); await flush();
    expect(link.calls).toEqual([{ method: 'engines.stop', params: { name: 'llama' } }]);
    expect(msg()).toBe('llama: stop → stopped');
    const [begin, end] = recovery.audit();
    expect(begin).toMatchObject({ kind: 'begin', action: 'engine.stop', tier: 'T1', args: { name: 'llama' }, confirmation: { kind: 'yes' } });
    expect(end).toMatchObject({ kind: 'end', begin: String(begin!.seq), outcome: 'ok', message: 'llama: stop → stopped' });
    expect(recovery.audit()).toHaveLength(2);
  });

  it('in lockdown the authority refuses: nothing reaches the daemon, and the refusal is said', async () => {
    const { press, link, msg, recovery } = setup();
    await recovery.lock();
    press('6');
    press('S');
    await flush();
    press('y');
    await flush(); await flush();
    expect(link.calls).toHaveLength(0);
    expect(msg()).toMatch(/the box is in lockdown since \d{4}-\d\d-\d\dT[\d:.]+Z: every T1\+ request is refused/);
    expect(recovery.audit().at(-1)).toMatchObject({ kind: 'refused', code: 'lockdown', action: 'engine.stop' });
  });

  it('j/k select engines; s starts the selected one after y', async () => {
    const { press, ui, link, msg } = setup();
    press('6');
    press('j');
    expect(ui().engine).toBe('vllm');
    press('s');
    await flush();
    expect(ui().confirm).toMatchObject({ action: 'engine.start', kind: 'yes' });
    press('enter');
    await flush(); await flush();
    expect(link.calls).toEqual([{ method: 'engines.start', params: { name: 'vllm' } }]);
    expect(msg()).toBe('vllm: start → starting (pid 777)');
    press('k');
    expect(ui().engine).toBe('llama');
    press('s');
    expect(msg()).toMatch(/llama is already running/);
  });

  it('--read-only: s says it is disabled and nothing is sent', () => {
    const { press, link, msg, ui } = setup(true);
    press('6');
    press('j');
    press('s');
    expect(msg()).toBe('Start is disabled: sov runs --read-only');
    press('S');
    expect(ui().confirm).toBeUndefined();
    expect(msg()).toBe('Stop is disabled: sov runs --read-only');
    expect(link.calls).toHaveLength(0);
  });

  it('daemon down: actions say so', () => {
    const { press, msg } = setup(false, 'down');
    press('6');
    press('j');
    press('s');
    expect(msg()).toMatch(/daemon down, reconnecting/);
  });

  it('l opens the log (kept across screens); F holds and follows; k on the log holds it', async () => {
    const { press, ui, store } = setup();
    press('6');
    press('l');
    await flush();
    expect(ui().logs).toEqual({ engine: 'llama', follow: true });
    press('1');
    press('6');
    expect(ui().logs).toEqual({ engine: 'llama', follow: true });
    press('F');
    expect(ui().logs?.follow).toBe(false);
    press('F');
    expect(ui().logs?.follow).toBe(true);
    press('tab'); // focus the log
    press('k'); press('k');
    expect(ui().logs?.follow).toBe(false);
    expect(store.getState().ui.scroll['eng.logs']).toBe(2);
    press('j'); press('j');
    expect(ui().logs?.follow).toBe(true);
    press('l');
    await flush();
    expect(ui().logs).toBeUndefined();
  });
});
