import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatTable, lastRun } from '../../src/cli/engines.js';
import type { EngineConfig } from '../../src/config/schema.js';
import { connectDaemon, createDaemonLink, DaemonDownError, DaemonRpcError, probeSocket, type DaemonLink } from '../../src/daemon/client.js';
import { resolvePaths, UnsafeDirError, type SovPaths } from '../../src/daemon/paths.js';
import { DaemonAlreadyRunning, startDaemon, type DaemonServer } from '../../src/daemon/server.js';
import { RPC_ERRORS, type EngineStatus, type Supervisor, type SupervisorOptions } from '../../src/daemon/types.js';

/** An in-memory supervisor: engines from the config, start/stop flip states, some names misbehave. */
class FakeSupervisor implements Supervisor {
  engines = new Map<string, EngineStatus>();
  detached = 0;
  setCalls: string[][] = [];
  constructor(cfg: EngineConfig[]) { this.set(cfg); }
  private set(cfg: EngineConfig[]) {
    this.engines = new Map(cfg.map((c) => [c.name, { name: c.name, kind: c.kind, state: 'stopped', pids: [], restarts: 0, warnings: [] }]));
  }
  private get(name: string): EngineStatus {
    const e = this.engines.get(name);
    if (!e) throw Object.assign(new Error(`no engine named "${name}"`), { code: 'notFound' });
    return e;
  }
  list() { return [...this.engines.values()].map((e) => ({ ...e })); }
  async start(name: string) {
    const e = this.get(name);
    if (name === 'loopy') throw Object.assign(new Error('crashloop: 5 failures within 10 min; last exit 3'), { code: 'crashloop' });
    if (name === 'broken') throw Object.assign(new Error('failed to start: cannot run /nonexistent: ENOENT'), { code: 'failedToStart' });
    e.state = 'starting';
    e.pid = 4242;
    return { ...e };
  }
  async stop(name: string) { const e = this.get(name); e.state = 'stopped'; delete e.pid; return { ...e }; }
  async restart(name: string) { await this.stop(name); return this.start(name); }
  async logs(name: string, o: { lines?: number; search?: string } = {}) {
    this.get(name);
    if (name === 'slow') return new Promise<never>(() => {});
    return { name, file: `/logs/${name}.log`, lines: Array.from({ length: o.lines ?? 3 }, (_, i) => `line ${i}`) };
  }
  async setEngines(cfg: EngineConfig[]) { this.setCalls.push(cfg.map((c) => c.name)); this.set(cfg); }
  async detach() { this.detached++; }
}

const engineYaml = (names: string[]) => `engines:\n${names.map((n) => `  - name: ${n}\n    kind: process\n    argv: [/bin/true]\n`).join('')}`;

let dir: string;
let paths: SovPaths;
let sups: FakeSupervisor[];
const servers: DaemonServer[] = [];
const links: DaemonLink[] = [];
const children: number[] = [];

async function serve(): Promise<DaemonServer> {
  const d = await startDaemon({
    paths,
    createSupervisor: async (o: SupervisorOptions) => { const s = new FakeSupervisor(o.engines); sups.push(s); return s; },
  });
  servers.push(d);
  return d;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sovd-'));
  const env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  mkdirSync(join(env.XDG_CONFIG_HOME, 'sov'), { recursive: true });
  paths = resolvePaths({ env });
  writeFileSync(paths.configPath, engineYaml(['alpha', 'loopy', 'broken', 'slow']));
  sups = [];
});

afterEach(async () => {
  for (const l of links.splice(0)) l.close();
  for (const s of servers.splice(0)) await s.stop('test done');
  for (const pid of children.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  rmSync(dir, { recursive: true, force: true });
});

describe('daemon paths', () => {
  it('uses $XDG_RUNTIME_DIR/sov for the socket, XDG state and config dirs otherwise', () => {
    expect(paths.socket).toBe(join(dir, 'run', 'sov', 'sovd.sock'));
    expect(paths.stateDir).toBe(join(dir, 'state', 'sov'));
    expect(paths.logDir).toBe(join(dir, 'state', 'sov', 'logs'));
    expect(paths.configPath).toBe(join(dir, 'config', 'sov', 'config.yaml'));
    // no runtime dir: the socket lives in the state dir
    const p = resolvePaths({ env: { HOME: dir } });
    expect(p.socket).toBe(join(dir, '.local', 'state', 'sov', 'sovd.sock'));
    expect(p.configPath).toBe(join(dir, '.config', 'sov', 'config.yaml'));
    expect(resolvePaths({ env: { HOME: dir }, config: 'x.yaml' }).configPath).toBe(join(process.cwd(), 'x.yaml'));
  });
});

describe('daemon server and client over a real socket (fake supervisor)', () => {
  it('serves JSON-RPC on a 0600 socket in a 0700 directory', async () => {
    const d = await serve();
    expect(statSync(paths.runtimeDir).mode & 0o777).toBe(0o700);
    expect(statSync(paths.stateDir).mode & 0o777).toBe(0o700);
    const st = statSync(paths.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    const c = await connectDaemon({ paths });
    const info = await c.call('daemon.info', {});
    expect(info).toMatchObject({ pid: process.pid, socket: paths.socket, stateDir: paths.stateDir, configPath: paths.configPath, engines: 4 });
    expect(info.configError).toBeUndefined();
    expect((await c.call('engines.list', {})).map((e) => e.name)).toEqual(['alpha', 'loopy', 'broken', 'slow']);
    expect(await c.call('engines.start', { name: 'alpha' })).toMatchObject({ name: 'alpha', state: 'starting', pid: 4242 });
    expect(await c.call('engines.logs', { name: 'alpha', lines: 2 })).toEqual({ name: 'alpha', file: '/logs/alpha.log', lines: ['line 0', 'line 1'] });
    c.close();
    expect(d.info().engines).toBe(4);
  });

  it('maps errors to RPC_ERRORS codes', async () => {
    await serve();
    const c = await connectDaemon({ paths });
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof DaemonRpcError ? e.code : String(e)));
    expect(await code(c.call('engines.start', { name: 'nope' }))).toBe(RPC_ERRORS.notFound);
    expect(await code(c.call('engines.stop', { name: 'nope' }))).toBe(RPC_ERRORS.notFound);
    expect(await code(c.call('engines.start', { name: 'loopy' }))).toBe(RPC_ERRORS.crashloop);
    expect(await code(c.call('engines.start', { name: 'broken' }))).toBe(RPC_ERRORS.failedToStart);
    expect(await code(c.call('engines.start', {} as { name: string }))).toBe(-32602);
    expect(await code(c.call('engines.logs', { name: 'alpha', lines: -1 }))).toBe(-32602);
    expect(await code(c.call('bogus.method' as 'daemon.info', {}))).toBe(-32601);
    // the failing engine's status comes along
    const e = (await c.call('engines.start', { name: 'broken' }).catch((x: unknown) => x)) as DaemonRpcError;
    expect(e.message).toContain('cannot run /nonexistent');
    expect(e.data).toMatchObject({ name: 'broken', state: 'stopped' });
    c.close();
  });

  it('times out a call that gets no answer', async () => {
    await serve();
    const c = await connectDaemon({ paths });
    const e = await c.call('engines.logs', { name: 'slow' }, { timeoutMs: 200 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DaemonDownError);
    expect(String(e)).toContain('no answer from the daemon within 200 ms');
    // the connection is still usable
    expect((await c.call('daemon.info', {})).pid).toBe(process.pid);
    c.close();
  });

  it('a bad config is reported, starts nothing, and the daemon still serves; reload picks up the fix', async () => {
    writeFileSync(paths.configPath, 'engines:\n  - name: a\n    kind: process\n    argv: "llama-server -m x"\n');
    await serve();
    const c = await connectDaemon({ paths });
    const info = await c.call('daemon.info', {});
    expect(info.configError).toMatch(/config\.yaml:4:\d+: engines\[0\]\.argv: expected array, got string/);
    expect(info.engines).toBe(0);
    expect(sups[0]!.engines.size).toBe(0);
    const e = (await c.call('engines.start', { name: 'a' }).catch((x: unknown) => x)) as DaemonRpcError;
    expect(e.code).toBe(RPC_ERRORS.badConfig);
    writeFileSync(paths.configPath, engineYaml(['a', 'b']));
    const after = await c.call('config.reload', {});
    expect(after.configError).toBeUndefined();
    expect(after.engines).toBe(2);
    expect(sups[0]!.setCalls).toEqual([['a', 'b']]);
    // broken again: refused, engines left as they are
    writeFileSync(paths.configPath, 'engines: [\n');
    const again = await c.call('config.reload', {});
    expect(again.configError).toMatch(/config\.yaml:\d+/);
    expect(again.engines).toBe(2);
    c.close();
  });

  it('a second daemon is refused while the first runs', async () => {
    await serve();
    const e = await serve().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DaemonAlreadyRunning);
    expect(String(e)).toMatch(/already running \(pid \d+\)/);
    // the first one is untouched
    const c = await connectDaemon({ paths });
    expect((await c.call('daemon.info', {})).pid).toBe(process.pid);
    c.close();
  });

  it('cleans up the socket and pid lock of a daemon that was killed -9', async () => {
    mkdirSync(paths.runtimeDir, { recursive: true, mode: 0o700 });
    // a "daemon" that binds the socket and writes the lock, then dies without cleaning up
    const script = `const net=require('net');const fs=require('fs');net.createServer().listen(${JSON.stringify(paths.socket)},()=>{fs.writeFileSync(${JSON.stringify(paths.pidFile)},JSON.stringify({pid:process.pid,startTime:'1'}));console.log('up')});`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child.pid!);
    await new Promise<void>((r) => child.stdout!.once('data', () => r()));
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    children.splice(children.indexOf(child.pid!), 1);
    expect(existsSync(paths.socket)).toBe(true);
    expect(existsSync(paths.pidFile)).toBe(true);
    expect(await probeSocket(paths.socket, 500)).toBe(false);
    await serve();
    const c = await connectDaemon({ paths });
    expect((await c.call('daemon.info', {})).pid).toBe(process.pid);
    c.close();
  });

  it('daemon.stop detaches the supervisor (engines keep running), closes the socket and releases the lock', async () => {
    const d = await serve();
    const c = await connectDaemon({ paths });
    const closed = new Promise<void>((r) => c.onClose(r));
    expect(await c.call('daemon.stop', {})).toEqual({ stopping: true });
    await d.stopped;
    await closed;
    expect(sups[0]!.detached).toBe(1);
    expect(existsSync(paths.socket)).toBe(false);
    expect(existsSync(paths.pidFile)).toBe(false);
    await expect(connectDaemon({ paths })).rejects.toBeInstanceOf(DaemonDownError);
    // and a new one can start in its place
    await serve();
  });

  it('refuses a runtime directory that others can write to', async () => {
    mkdirSync(paths.runtimeDir, { recursive: true });
    chmodSync(paths.runtimeDir, 0o777);
    await expect(serve()).rejects.toBeInstanceOf(UnsafeDirError);
    // a private one with loose read bits is tightened
    chmodSync(paths.runtimeDir, 0o755);
    await serve();
    expect(statSync(paths.runtimeDir).mode & 0o777).toBe(0o700);
  });

  it('without autostart, a missing daemon is a DaemonDownError that says so', async () => {
    const e = await connectDaemon({ paths }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DaemonDownError);
    expect(String(e)).toMatch(/not running/);
  });

  it('the long-lived link goes down when the daemon stops and comes back up by itself', async () => {
    const d1 = await serve();
    const states: string[] = [];
    const link = createDaemonLink({ paths, initialBackoffMs: 50, maxBackoffMs: 200 });
    links.push(link);
    link.onChange((l) => { if (states[states.length - 1] !== l.state) states.push(l.state); });
    await until(() => link.state === 'up');
    expect((await link.call('daemon.info', {})).pid).toBe(process.pid);

    await d1.stop('restart test');
    servers.splice(servers.indexOf(d1), 1);
    await until(() => link.state === 'down');
    expect(link.lastError).toBeTruthy();
    const e = await link.call('engines.list', {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DaemonDownError);
    expect(String(e)).toContain('daemon down, reconnecting');
    // it keeps trying while nothing listens
    await new Promise((r) => setTimeout(r, 300));
    expect(link.state).toBe('down');

    await serve();
    await until(() => link.state === 'up');
    expect((await link.call('engines.list', {})).length).toBe(4);
    expect(states).toEqual(['up', 'down', 'up']);
  });
});

describe('engines CLI formatting', () => {
  it('the ls table has one row per engine, — for unknowns, and messages below', () => {
    const now = 1_000_000_000;
    const t = formatTable([
      { name: 'llama', kind: 'process', state: 'healthy', pid: 123, pids: [123], startedAt: now - 65_000, restarts: 2, lastExit: { code: 1, at: 0 },
        health: { state: 'ready', at: now }, models: ['/models/qwen3-30b.gguf'], tokPerSec: 41.25, rssBytes: 3 * 1024 ** 3, port: 8080, warnings: ['listens on 0.0.0.0:8080'] },
      { name: 'vllm', kind: 'process', state: 'crashloop', message: '5 failures within 10 min; last exit 1', pids: [], restarts: 5, lastExit: { code: null, signal: 'SIGKILL', at: 0 }, warnings: [] },
    ], now).split('\n');
    expect(t[0]!.split(/\s+/)).toEqual(['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'EXIT', 'HEALTH', 'MODEL', 'TOK/S', 'RSS', 'PORT']);
    expect(t[1]!.split(/\s+/)).toEqual(['llama', 'healthy', '123', '1m05s', '2', '1', 'ready', 'qwen3-30b.gguf', '41.3', '3.0G', '8080']);
    expect(t[2]!.split(/\s+/)).toEqual(['vllm', 'crashloop', '—', '—', '5', 'SIGKILL', '—', '—', '—', '—', '—']);
    expect(t.slice(3)).toEqual(['  llama: warning: listens on 0.0.0.0:8080', '  vllm: 5 failures within 10 min; last exit 1']);
  });

  it('the failure tail is the last run that ended', () => {
    const lines = ['--- sov: starting x ---', 'a', '--- sov: x exited (exit 3) ---', '--- sov: starting x (restart 1) ---', 'b', 'c', '--- sov: x exited (exit 3) ---', '--- sov: starting x (restart 2) ---'];
    expect(lastRun(lines, 20)).toEqual(['--- sov: starting x (restart 1) ---', 'b', 'c', '--- sov: x exited (exit 3) ---']);
    expect(lastRun(lines, 2)).toEqual(['c', '--- sov: x exited (exit 3) ---']);
    expect(lastRun(['p', 'q', 'r'], 2)).toEqual(['q', 'r']);
  });
});
