import { buildArgv } from '../../src/daemon/adapters/process.js';
import { confirmFor } from '../../src/recovery/perform.js';
import { describe, expect, it, vi } from 'vitest';
import { engineBench, engineLogs, engineRestart, engineStart, engineStop, startCommand } from '../../src/actions/engines.js';
import { ACTIONS } from '../../src/actions/index.js';
import type { ActionCtx } from '../../src/actions/types.js';
import type { EngineConfig } from '../../src/config/schema.js';
import { configSchema } from '../../src/config/schema.js';
import { engine, fakeLink } from '../helpers/engines.js';

const cfg = configSchema.parse({ engines: [{ name: 'llama', kind: 'process', argv: ['llama-server', '-m', '/models/q 8.gguf', '--port', '8080'], numa: { interleave: 'all' }, gpus: [0, 1] }] }).engines[0] as EngineConfig;

function ctx(over: Partial<ActionCtx> = {}): ActionCtx {
  return {
    readOnly: false, engine: engine('llama', 'healthy'), engineConfig: cfg,
    link: fakeLink({ 'engines.start': ({ name }) => engine(name, 'starting', { pid: 5151 }), 'engines.stop': ({ name }) => engine(name, 'stopped'), 'engines.restart': ({ name }) => engine(name, 'starting', { pid: 6161 }) }),
    setLogs: vi.fn(), startBench: () => ({ kind: 'job', id: 'j', message: 'started' }),
    ...over,
  };
}

describe('engine actions', () => {
  it('T1 actions are disabled under --read-only with the reason; logs (T0) is not', () => {
    for (const a of [engineStart, engineStop, engineRestart, engineBench]) {
      expect(a.tier).toBe('T1');
      expect(a.when(ctx({ readOnly: true, engine: engine('llama', 'stopped') }))).toBe(`${a.title} is disabled: sov runs --read-only`);
    }
    expect(engineLogs.tier).toBe('T0');
    expect(engineLogs.when(ctx({ readOnly: true }))).toBe(true);
  });

  it('the tier decides who asks: start, stop, restart and bench (T1) ask y/N; logs (T0) runs at once', () => {
    const engines = ACTIONS.filter((a) => a.scope === 'engines');
    expect(engines.filter((a) => confirmFor(a.tier) === 'yes').map((a) => a.id).sort()).toEqual(['engine.bench', 'engine.restart', 'engine.start', 'engine.stop']);
    expect(engines.filter((a) => confirmFor(a.tier) === 'none').map((a) => a.id).sort()).toEqual(['engine.logs']);
  });

  it('describe() names exactly what runs', () => {
    expect(startCommand(cfg)).toBe("CUDA_VISIBLE_DEVICES=0,1 numactl --interleave=all llama-server -m '/models/q 8.gguf' --port 8080");
    // for every NUMA form it shows the argv the daemon spawns (src/daemon/adapters/process.ts buildArgv)
    const cases = [
      [{ bind: 1 }, 'numactl --membind=1 --cpunodebind=1'],
      [{ cpunodebind: 0, membind: 1 }, 'numactl --cpunodebind=0 --membind=1'],
      [{ interleave: [0, 2] }, 'numactl --interleave=0,2'],
    ] as const;
    for (const [numa, prefix] of cases) {
      const c = { ...cfg, gpus: undefined, numa } as EngineConfig;
      expect(startCommand(c)).toBe(`${prefix} llama-server -m '/models/q 8.gguf' --port 8080`);
      expect(buildArgv(c as Extract<EngineConfig, { kind: 'process' }>).join(' ')).toBe(`${prefix} llama-server -m /models/q 8.gguf --port 8080`);
    }
    expect(engineStart.describe(ctx({ engine: engine('llama', 'stopped') }))).toBe("start llama: `CUDA_VISIBLE_DEVICES=0,1 numactl --interleave=all llama-server -m '/models/q 8.gguf' --port 8080`");
    expect(engineStop.describe(ctx())).toBe('stop llama: SIGTERM pid 4242 (its process group), SIGKILL after 30 s');
    expect(engineRestart.describe(ctx())).toBe("restart llama: SIGTERM pid 4242, then start `CUDA_VISIBLE_DEVICES=0,1 numactl --interleave=all llama-server -m '/models/q 8.gguf' --port 8080`");
    expect(engineBench.describe(ctx())).toBe('benchmark llama: 5 prompts × 128 tokens through http://127.0.0.1:8080/v1/chat/completions');
    const unit = configSchema.parse({ engines: [{ name: 'v', kind: 'systemd', unit: 'vllm.service', user: true }] }).engines[0] as EngineConfig;
    expect(engineStop.describe(ctx({ engine: engine('v', 'healthy', { kind: 'systemd' }), engineConfig: unit }))).toBe('stop v: systemctl --user stop vllm.service');
    expect(engineStart.describe(ctx({ engineConfig: undefined }))).toBe('start llama (the daemon runs its configured command)');
  });

  it('when() says why an action cannot run now', () => {
    expect(engineStart.when(ctx())).toMatch(/llama is already running \(healthy, pid 4242\)/);
    expect(engineStop.when(ctx({ engine: engine('llama', 'stopped') }))).toBe('llama is not running');
    expect(engineRestart.when(ctx({ engine: engine('llama', 'stopped') }))).toMatch(/is stopped: s starts it/);
    expect(engineBench.when(ctx({ engine: engine('llama', 'crashed') }))).toBe('llama is crashed: start it first');
    expect(engineStart.when(ctx({ engine: undefined }))).toMatch(/no engine selected/);
    expect(engineStart.when(ctx({ engine: engine('llama', 'stopped'), link: fakeLink({}, 'down') }))).toMatch(/daemon down/);
    expect(engineStart.when(ctx({ engine: engine('llama', 'stopped'), link: undefined, noLink: 'the demo box has no daemon' }))).toBe('the demo box has no daemon');
    expect(engineBench.when(ctx({ benchRunning: () => true }))).toMatch(/already running/);
    expect(engineStart.when(ctx({ engine: engine('llama', 'crashloop') }))).toBe(true);
  });

  it('run() goes through the daemon and says what happened', async () => {
    const c = ctx({ engine: engine('llama', 'stopped') });
    expect(await engineStart.run(c)).toEqual({ kind: 'done', message: 'llama: start → starting (pid 5151)' });
    const link = c.link as ReturnType<typeof fakeLink>;
    expect(link.calls).toEqual([{ method: 'engines.start', params: { name: 'llama' } }]);
    expect(await engineStop.run(ctx())).toMatchObject({ kind: 'done', message: 'llama: stop → stopped' });
    const failing = ctx({ link: fakeLink({ 'engines.restart': () => { throw new Error('crash loop: 5 failures'); } }) });
    expect(await engineRestart.run(failing)).toEqual({ kind: 'error', message: 'llama: restart failed: crash loop: 5 failures' });
  });

  it('logs toggles the log view for the engine', async () => {
    const c = ctx();
    await engineLogs.run(c);
    expect(c.setLogs).toHaveBeenCalledWith({ engine: 'llama', follow: true });
    const open = ctx({ logs: { engine: 'llama', follow: false } });
    await engineLogs.run(open);
    expect(open.setLogs).toHaveBeenCalledWith(undefined);
  });
});
