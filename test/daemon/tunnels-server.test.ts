/**
 * The daemon's tunnels over a real socket with a recording fake supervisor: a second supervisor with its own state
 * and log dirs gets the tunnels as process engines; tunnels.* answer with forwards; reload and stop reach it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectDaemon, DaemonRpcError } from '../../src/daemon/client.js';
import { resolvePaths, type SovPaths } from '../../src/daemon/paths.js';
import { startDaemon, type DaemonServer } from '../../src/daemon/server.js';
import { RPC_ERRORS, type EngineStatus, type Supervisor, type SupervisorOptions } from '../../src/daemon/types.js';
import type { EngineConfig } from '../../src/config/schema.js';

class Fake implements Supervisor {
  st = new Map<string, EngineStatus>();
  detached = 0;
  constructor(readonly opts: SupervisorOptions) { this.set(opts.engines); }
  cfg: EngineConfig[] = [];
  private set(cfg: EngineConfig[]) { this.cfg = cfg; this.st = new Map(cfg.map((c) => [c.name, { name: c.name, kind: c.kind, state: 'stopped', pids: [], restarts: 0, warnings: [] }])); }
  list() { return [...this.st.values()].map((e) => ({ ...e })); }
  async start(n: string) { const e = this.st.get(n)!; e.state = 'starting'; e.pid = 77; return { ...e }; }
  async stop(n: string) { const e = this.st.get(n)!; e.state = 'stopped'; delete e.pid; return { ...e }; }
  async restart(n: string) { return this.start(n); }
  async logs(name: string) { return { name, lines: [] }; }
  async setEngines(cfg: EngineConfig[]) { this.set(cfg); }
  async detach() { this.detached++; return { stateSaved: true }; }
}

const TUNNELS = `hosts:
  - name: omni
    ssh: { host: 127.0.0.1, port: 2222 }
engines:
  - name: omni-bridge
    kind: process
    argv: [/bin/true]
tunnels:
  - name: omni-bridge
    via: omni
    local: [{ port: 18000, to: 127.0.0.1:8000 }]
`;

let dir: string;
let paths: SovPaths;
let sups: Fake[];
let daemon: DaemonServer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sovd-tun-'));
  const env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  mkdirSync(join(env.XDG_CONFIG_HOME, 'sov'), { recursive: true });
  paths = resolvePaths({ env });
  writeFileSync(paths.configPath, TUNNELS);
  sups = [];
});
afterEach(async () => {
  await daemon?.stop('test');
  daemon = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('the daemon runs tunnels with a second supervisor', () => {
  it('own dirs, tunnels as ssh process engines, tunnels.* with forwards, reload and stop reach both', async () => {
    daemon = await startDaemon({ paths, createSupervisor: async (o) => { const s = new Fake(o); sups.push(s); return s; } });
    expect(sups).toHaveLength(2);
    const [eng, tun] = sups as [Fake, Fake];
    expect(eng.opts.stateDir).toBe(paths.stateDir);
    expect(tun.opts.stateDir).toBe(join(paths.stateDir, 'tunnels'));
    expect(tun.opts.logDir).toBe(join(paths.logDir, 'tunnels'));
    expect(tun.cfg[0]).toMatchObject({ name: 'omni-bridge', kind: 'process', health: { kind: 'tcp', url: 'tcp://127.0.0.1:18000' } });
    expect((tun.cfg[0] as { argv: string[] }).argv.slice(-3)).toEqual(['-p', '2222', '127.0.0.1']);

    const c = await connectDaemon({ paths, autostart: false });
    try {
      const list = await c.call('tunnels.list', {});
      expect(list).toEqual([expect.objectContaining({ name: 'omni-bridge', state: 'stopped', forwards: ['18000→127.0.0.1:8000'], via: 'omni', probe: 'tcp 127.0.0.1:18000' })]);
      // the same name as an engine: each supervisor its own
      expect(await c.call('tunnels.start', { name: 'omni-bridge' })).toMatchObject({ state: 'starting', pid: 77, forwards: ['18000→127.0.0.1:8000'] });
      expect(eng.st.get('omni-bridge')!.state).toBe('stopped');
      expect(await c.call('tunnels.stop', { name: 'omni-bridge' })).toMatchObject({ state: 'stopped' });
      const e = await c.call('tunnels.start', { name: 'nope' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DaemonRpcError);
      expect((e as DaemonRpcError).code).toBe(RPC_ERRORS.notFound);
      expect((e as Error).message).toMatch(/no tunnel named "nope" \(known: omni-bridge/);
      const bad = await c.call('tunnels.stop', {} as never).catch((x: unknown) => x);
      expect((bad as DaemonRpcError).code).toBe(-32602);
      expect((await c.call('daemon.info', {})).tunnels).toBe(1);

      writeFileSync(paths.configPath, TUNNELS.replace('18000', '18001'));
      await c.call('config.reload', {});
      expect(tun.cfg[0]).toMatchObject({ port: 18001 });
      expect((await c.call('tunnels.list', {}))[0]!.forwards).toEqual(['18001→127.0.0.1:8000']);
    } finally {
      c.close();
    }
    await daemon.stop('test');
    daemon = undefined;
    expect(eng.detached).toBe(1);
    expect(tun.detached).toBe(1);
  });
});
