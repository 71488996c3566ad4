/**
 * The built `sov` (dist/sov.js) with the real daemon and supervisor, a simulated llama.cpp engine, in a private
 * XDG tree under /tmp. Ends only the processes it started (by pid), talks only to loopback.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonInfo, EngineStatus } from '../../src/daemon/types.js';
import { EXIT } from '../../src/daemon/types.js';
import { repoRoot } from '../helpers/samples.js';
import { freePort, SIM, simEngineYaml, runSov as sov } from '../helpers/proc.js';

const SOV = join(repoRoot, 'dist', 'sov.js');




function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}

const alive = (pid: number) => { try { process.kill(pid, 0); return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** pids whose command line holds every one of `parts` */
function pidsWithCmdline(parts: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let cmd: string[];
    try { cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (parts.every((p) => cmd.includes(p))) out.push(Number(d));
  }
  return out;
}

function simEngine(name: string, port: number, extra: string[], more = ''): string {
  return simEngineYaml(name, port, extra, { intervalSec: 0.2, more: `    backoff: { initialSec: 0.2, factor: 2, maxSec: 1 }\n${more}` });
}

function xdgEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  delete env.SOV_RUNTIME_DIR;
  delete env.SOV_STATE_DIR;
  delete env.NODE_OPTIONS;
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
  return env;
}

if (!existsSync(SOV)) throw new Error(`${SOV} is missing: run npm run build`);

describe('sov daemon + engines (built binary, real supervisor, simulated engine)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let crashPort: number;
  const enginePids = new Set<number>();
  const daemonPids = new Set<number>();

  const ls = async (): Promise<EngineStatus[]> => {
    const r = await sov(['engines', 'ls', '--json'], env);
    if (r.code !== 0) throw new Error(`engines ls exited ${r.code}: ${r.stderr}`);
    const list = JSON.parse(r.stdout) as EngineStatus[];
    for (const e of list) if (e.pid !== undefined) enginePids.add(e.pid);
    return list;
  };
  const engine = async (name: string) => (await ls()).find((e) => e.name === name)!;
  const daemonInfo = async (): Promise<DaemonInfo> => {
    const r = await sov(['daemon', 'status', '--json'], env);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as DaemonInfo & { running: boolean };
    expect(info.running).toBe(true);
    daemonPids.add(info.pid);
    return info;
  };

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/sove-');
    env = xdgEnv(dir);
    port = await freePort();
    crashPort = await freePort();
    writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), `engines:
${simEngine('sim', port, ['--load-ms', '300'])}
${simEngine('crashy', crashPort, ['--exit-on-start', '3'], '    crashloop: { failures: 3, withinMin: 1 }\n')}`);
  });

  afterAll(async () => {
    if (env) {
      const r = await sov(['daemon', 'stop'], env).catch(() => undefined);
      if (r && r.code !== 0) process.stderr.write(`daemon stop: ${r.stderr}\n`);
    }
    // only what this test started: the pid must still run our daemon or our simulated engine (pids get reused)
    const ours = (pid: number, marker: string) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker); } catch { return false; } };
    for (const pid of daemonPids) if (alive(pid) && ours(pid, SOV)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    for (const pid of enginePids) if (alive(pid) && ours(pid, SIM)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('`engines start` starts the daemon and exits 0 once the engine is healthy', async () => {
    const r = await sov(['engines', 'start', 'sim', '--timeout-sec', '60'], env);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/sim: healthy \(pid \d+\)/);
    const s = await engine('sim');
    expect(s).toMatchObject({ state: 'healthy', restarts: 0, port, health: { state: 'ready' } });
    expect(s.pid).toBeGreaterThan(1);
    expect(await httpStatus(`http://127.0.0.1:${port}/health`)).toBe(200);
    // the state files and the socket where they belong, private
    expect(existsSync(join(dir, 'run', 'sov', 'sovd.sock'))).toBe(true);
    expect(existsSync(join(dir, 'state', 'sov', 'engines.json'))).toBe(true);
    expect(existsSync(join(dir, 'state', 'sov', 'daemon.log'))).toBe(true);
  });

  it('`engines ls` prints the table', async () => {
    const r = await sov(['engines', 'ls'], env);
    expect(r.code).toBe(0);
    const [head, ...rows] = r.stdout.trim().split('\n');
    expect(head!.split(/\s+/)).toEqual(['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'EXIT', 'HEALTH', 'MODEL', 'TOK/S', 'RSS', 'PORT']);
    expect(rows.find((l) => l.startsWith('sim '))).toMatch(new RegExp(`^sim\\s+healthy\\s+\\d+\\s+\\S+\\s+0\\s+—\\s+ready\\s+.*${port}$`));
    expect(rows.find((l) => l.startsWith('crashy '))).toMatch(/^crashy\s+stopped\s+—/);
  });

  it('a second daemon refuses to start and exits non-zero', async () => {
    const info = await daemonInfo();
    const r = await sov(['daemon', '--foreground'], env, 15_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`already running \\(pid ${info.pid}\\)`));
    expect((await daemonInfo()).pid).toBe(info.pid);
  });

  it('unknown engines exit EXIT.notFound; logs print the tail', async () => {
    const r = await sov(['engines', 'start', 'nope'], env);
    expect(r.code).toBe(EXIT.notFound);
    expect(r.stderr).toContain('no engine named "nope"');
    expect((await sov(['engines', 'stop', 'nope'], env)).code).toBe(EXIT.notFound);
    const logs = await sov(['engines', 'logs', 'sim', '-n', '200'], env);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('load_model');
    const found = await sov(['engines', 'logs', 'sim', '--search', 'LOAD_MODEL', '--json'], env);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ name: 'sim', matched: expect.any(Number) });
  });

  it('`engines logs -f` follows the log file', async () => {
    const s = await engine('sim');
    const child = spawn(process.execPath, [SOV, 'engines', 'logs', 'sim', '-n', '1', '-f'], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    try {
      // generous: a loaded 2-core machine (this is about following, not speed)
      await until('the first tail', async () => (out.length > 0 ? true : undefined), 40_000);
      appendFileSync(s.logFile!, 'e2e-marker-line\n');
      await until('the followed line', async () => (out.includes('e2e-marker-line') ? true : undefined), 40_000);
    } finally {
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(child.pid!, 'SIGINT');
      await gone;
    }
    expect(child.exitCode).toBe(0);
  });

  it('an engine killed -9 is restarted and healthy again soon after its probe passes', async () => {
    const before = await engine('sim');
    process.kill(before.pid!, 'SIGKILL');
    // the new process answers /health with 200 …
    await until('the old engine to be gone', async () => (alive(before.pid!) ? undefined : true), 10_000, 50);
    await until('the restarted engine to be ready', async () => ((await httpStatus(`http://127.0.0.1:${port}/health`)) === 200 ? true : undefined), 30_000, 50);
    const readyAt = Date.now();
    // … and the daemon says so within 2 s
    const after = await until('healthy in ls', async () => { const s = await engine('sim'); return s.state === 'healthy' ? s : undefined; }, 10_000, 50);
    expect(Date.now() - readyAt).toBeLessThan(2000);
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('a daemon killed -9 is replaced by the next command, which re-adopts the engine: same pid, no restart, no duplicate', async () => {
    const before = await engine('sim');
    expect(before.state).toBe('healthy');
    const old = await daemonInfo();
    process.kill(old.pid, 'SIGKILL');
    await until('the daemon to die', async () => (alive(old.pid) ? undefined : true), 10_000, 50);
    expect(alive(before.pid!)).toBe(true);

    const after = await engine('sim');  // autostarts a new daemon
    const info = await daemonInfo();
    expect(info.pid).not.toBe(old.pid);
    expect(after.pid).toBe(before.pid);
    expect(after.restarts).toBe(before.restarts);
    const healthy = await until('the adopted engine to be healthy', async () => { const s = await engine('sim'); return s.state === 'healthy' ? s : undefined; }, 15_000);
    expect(healthy.pid).toBe(before.pid);
    expect(healthy.restarts).toBe(before.restarts);
    expect(pidsWithCmdline([SIM, '--port', String(port)])).toEqual([before.pid]);
  });

  it('an engine that exits at start fails `engines start` with its exit code and a log tail', async () => {
    const r = await sov(['engines', 'start', 'crashy', '--timeout-sec', '30'], env);
    expect([EXIT.failedToStart, EXIT.crashloop]).toContain(r.code);
    expect(r.stderr).toMatch(/crashy failed to start: .*(exit(ed with code)? 3)/);
    expect(r.stderr).toMatch(/--- last \d+ log lines/);
    expect(r.stderr).toContain('exiting due to model loading error');
    // it keeps failing until the daemon calls it a crash loop, and `start` says so with EXIT.crashloop
    await until('crashloop', async () => ((await engine('crashy')).state === 'crashloop' ? true : undefined), 30_000, 200);
    const s = await engine('crashy');
    expect(s.lastExit?.code).toBe(3);
  });

  it('`engines stop` stops the engine and its process', async () => {
    const s = await engine('sim');
    const r = await sov(['engines', 'stop', 'sim'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sim: stopped/);
    await until('the engine process to be gone', async () => (alive(s.pid!) ? undefined : true), 10_000, 50);
    expect((await engine('sim')).state).toBe('stopped');
  });

  it('a bad config: `engines ls` exits EXIT.badConfig naming the line; the daemon runs and says why', async () => {
    const bad = mkdtempSync('/tmp/sovb-');
    const benv = xdgEnv(bad);
    const cfg = join(bad, 'cfg.yaml');
    writeFileSync(cfg, `engines:\n  - name: a\n    kind: process\n    argv: [x]\n  - name: b\n    kind: process\n    argv: "llama-server -m x"\n`);
    try {
      const r = await sov(['engines', 'ls', '--config', cfg], benv);
      expect(r.code).toBe(EXIT.badConfig);
      expect(r.stderr).toContain(`${cfg}:7:11: engines[1].argv: expected array, got string`);
      const st = await sov(['daemon', 'status', '--json', '--config', cfg], benv);
      expect(st.code).toBe(EXIT.badConfig);
      const info = JSON.parse(st.stdout) as DaemonInfo;
      daemonPids.add(info.pid);
      expect(info.configError).toContain('cfg.yaml:7:11');
      expect(info.engines).toBe(0);
      const start = await sov(['engines', 'start', 'a', '--config', cfg], benv);
      expect(start.code).toBe(EXIT.badConfig);
    } finally {
      await sov(['daemon', 'stop'], benv);
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('`daemon stop` leaves engines running; `daemon status` then says the daemon is down', async () => {
    const r = await sov(['engines', 'start', 'sim'], env);
    expect(r.code).toBe(0);
    const s = await engine('sim');
    const info = await daemonInfo();
    const stop = await sov(['daemon', 'stop'], env);
    expect(stop.code).toBe(0);
    await until('the daemon to exit', async () => (alive(info.pid) ? undefined : true), 10_000, 50);
    expect(alive(s.pid!)).toBe(true);
    const st = await sov(['daemon', 'status', '--json'], env);
    expect(st.code).toBe(EXIT.daemonDown);
    expect(JSON.parse(st.stdout)).toMatchObject({ running: false });
    // and it is adopted again by the next daemon
    expect((await engine('sim')).pid).toBe(s.pid);
    await daemonInfo();
    const stopped = await sov(['engines', 'stop', 'sim'], env);
    expect(stopped.code).toBe(0);
  });
});
