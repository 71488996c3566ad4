/**
 * The engines screen of the built `sov` in tmux, with the real daemon (started by the TUI from the config), a
 * simulated llama.cpp engine and a real `redis-server` probed by the services panel. Private XDG dirs under /tmp;
 * ends only the processes it started, by pid; loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/daemon/types.js';
import { repoRoot } from '../helpers/samples.js';
import { freePort, SIM, simEngineYaml, runSov as sov } from '../helpers/proc.js';
import { SOV, Tmux } from './tmux.js';

const REDIS = '/usr/bin/redis-server';



const alive = (pid: number) => { try { process.kill(pid, 0); return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the `node dist/sov.js` process running in the tmux pane (a child of the pane's shell) */
function tuiPid(shellPid: number): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === shellPid && cmdline(Number(d)).includes(SOV)) return Number(d);
    } catch {}
  }
  return undefined;
}

function simEngine(name: string, port: number, extra: string[], yaml = ''): string {
  return simEngineYaml(name, port, extra, { intervalSec: 0.5, more: yaml });
}

const FLOOD_LOG = { maxBytes: 256 * 1024, keep: 2 };

if (!existsSync(SOV)) throw new Error(`${SOV} is missing: run npm run build`);

describe('the engines screen (built sov in tmux, real daemon, simulated engine, real redis-server)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let redis: ChildProcess | undefined;
  let redisPort = 0;
  let t: Tmux | undefined;
  const enginePids = new Set<number>();

  const ls = async (): Promise<EngineStatus[]> => {
    const r = await sov(['engines', 'ls', '--json'], env);
    if (r.code !== 0) throw new Error(`engines ls exited ${r.code}: ${r.stderr}`);
    const list = JSON.parse(r.stdout) as EngineStatus[];
    for (const e of list) for (const p of [e.pid, ...e.pids]) if (p !== undefined) enginePids.add(p);
    return list;
  };

  /** starts sov in a tmux pane with the private XDG dirs */
  const startTui = async (extra = '', cols = 120, rows = 40): Promise<Tmux> => {
    t = new Tmux().start(cols, rows, {
      HOME: env.HOME!, XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR!, XDG_STATE_HOME: env.XDG_STATE_HOME!, XDG_CONFIG_HOME: env.XDG_CONFIG_HOME!,
    });
    t.typeLine(`cd ${repoRoot} && ${process.execPath} ${SOV} --interval-ms 500 ${extra}`);
    await t.waitFor((s) => s.includes('1 Overview'), 15_000);
    return t;
  };

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/sovt-');
    env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
    delete env.SOV_RUNTIME_DIR; delete env.SOV_STATE_DIR; delete env.NODE_OPTIONS;
    mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
    const port = await freePort();
    const floodPort = await freePort();
    redisPort = await freePort();
    if (existsSync(REDIS)) {
      redis = spawn(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    }
    writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), `engines:
${simEngine('sim', port, ['--tokens-per-sec', '2000', '--reply-tokens', '24'])}
${simEngine('flood', floodPort, ['--log-flood', '10000'], `    logs: { maxBytes: ${FLOOD_LOG.maxBytes}, keep: ${FLOOD_LOG.keep} }\n`)}
services:
  - { name: redis, probe: { kind: redis, host: 127.0.0.1, port: ${redisPort} }, timeoutSec: 2 }
  - { name: nothing-here, probe: { kind: tcp, host: 127.0.0.1, port: ${await freePort()} }, timeoutSec: 1 }
`);
  });

  afterEach(() => { t?.kill(); t = undefined; });

  afterAll(async () => {
    if (env) {
      await ls().catch(() => []);
      for (const n of ['sim', 'flood']) await sov(['engines', 'stop', n], env).catch(() => undefined);
      let daemonPid: number | undefined;
      try { daemonPid = (JSON.parse((await sov(['daemon', 'status', '--json'], env)).stdout) as { pid?: number }).pid; } catch {}
      await sov(['daemon', 'stop'], env).catch(() => undefined);
      if (daemonPid && alive(daemonPid) && cmdline(daemonPid).includes(SOV)) { try { process.kill(daemonPid, 'SIGKILL'); } catch {} }
    }
    for (const pid of enginePids) if (alive(pid) && cmdline(pid).includes(SIM)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    if (redis?.pid && redis.exitCode === null) {
      const gone = new Promise((r) => redis!.once('exit', r));
      try { process.kill(redis.pid, 'SIGTERM'); } catch {}
      await Promise.race([gone, sleep(5000)]);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('6 shows the engines; s starts the engine (healthy), l shows its log; the services panel shows redis up', async () => {
    const tm = await startTui();
    tm.keys('6');
    await tm.waitFor((s) => s.includes('Engines') && s.includes('sim') && s.includes('stopped'), 30_000);
    tm.keys('s');
    // start is T1: it asks y/N first, showing exactly what it runs
    await tm.waitFor(/y\/enter run it/, 20_000);
    tm.keys('y');
    const healthy = await tm.waitFor(/sim\s+✓ healthy\s+\d+/, 60_000);
    expect(healthy).toMatch(/127\.0\.0\.1:\d+/);
    // the services panel probes a real redis-server
    expect(existsSync(REDIS)).toBe(true);
    const svc = await tm.waitFor(/✓ up\s+redis/, 20_000);
    expect(svc).toMatch(/✖ down nothing-here .*connection refused/);
    tm.keys('l');
    const log = await tm.waitFor((s) => s.includes('Log sim') && /listening on http:\/\/127\.0\.0\.1|model loaded|load_model/.test(s), 20_000);
    expect(log).toContain('following');
    // the engine runs under the daemon
    const sim = (await ls()).find((e) => e.name === 'sim')!;
    expect(sim.state).toBe('healthy');
    // r asks first, naming the signal, the pid and the command; esc cancels
    tm.keys('r');
    const ask = await tm.waitFor(/y\/enter run it/, 10_000);
    expect(ask).toContain(`restart sim: SIGTERM pid ${sim.pid}, then start`);
    tm.keys('Escape');
    await tm.waitFor('cancelled: Restart', 10_000);
    expect((await ls()).find((e) => e.name === 'sim')!.pid).toBe(sim.pid);
    // b benchmarks it as a job; the detail (full height once the log is closed) shows the result
    tm.keys('l');
    await tm.waitFor((x) => !x.includes('Log sim'), 10_000);
    tm.keys('b');
    // a benchmark loads the engine: T1, it asks first
    await tm.waitFor(/y\/enter run it/, 10_000);
    tm.keys('y');
    const bench = await tm.waitFor(/gen tok\/s\s+\d/, 60_000);
    expect(bench).toMatch(/TTFT p50\s+\d+ ms/);
    expect(readFileSync(join(dir, 'state', 'sov', 'bench.jsonl'), 'utf8')).toContain('"engine":"sim"');
  });

  it('killing the TUI (kill -9) leaves the engine running', async () => {
    const before = (await ls()).find((e) => e.name === 'sim')!;
    expect(before.pid).toBeGreaterThan(1);
    const tm = await startTui();
    tm.keys('6');
    await tm.waitFor(/sim\s+✓ healthy/, 30_000);
    const pid = tuiPid(tm.panePid());
    expect(pid).toBeGreaterThan(1);
    process.kill(pid!, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid!); i++) await sleep(100);
    expect(alive(pid!)).toBe(false);
    await sleep(1500);
    expect(alive(before.pid!)).toBe(true);
    const after = (await ls()).find((e) => e.name === 'sim')!;
    expect(after).toMatchObject({ state: 'healthy', pid: before.pid });
  });

  it('--read-only: s says it is disabled', async () => {
    const tm = await startTui('--read-only');
    tm.keys('6');
    await tm.waitFor(/flood\s+· stopped/, 30_000);
    tm.keys('j');
    // keys sent together can arrive as one chunk (read as a paste, never as actions): wait for each to land
    await tm.waitFor(/› flood/, 10_000);
    tm.keys('s');
    await tm.waitFor('Start is disabled: sov runs --read-only', 10_000);
    expect((await ls()).find((e) => e.name === 'flood')!.state).toBe('stopped');
  });

  it('a log flood of 10,000 lines/s: the TUI stays responsive and counts dropped lines', async () => {
    const tm = await startTui();
    tm.keys('6');
    await tm.waitFor(/flood\s+· stopped/, 30_000);
    tm.keys('j');
    // keys sent together can arrive as one chunk (read as a paste, never as actions): wait for each to land
    await tm.waitFor(/› flood/, 10_000);
    tm.keys('s');
    await tm.waitFor(/y\/enter run it/, 20_000);
    tm.keys('y');
    await tm.waitFor(/flood\s+✓ healthy/, 60_000);
    tm.keys('l');
    const flooded = await tm.waitFor((s) => s.includes('Log flood') && /[\d,]+\+? lines dropped/.test(s) && /task \d+/.test(s), 30_000);
    expect(flooded).toContain('following');
    // keys still switch screens (a generous bound: this is responsiveness, not speed)
    for (const [key, marker] of [['3', 'Pools'], ['6', 'Log flood'], ['?', 'Keys'], ['6', 'Log flood']] as const) {
      tm.keys(key);
      await tm.waitFor(marker, 15_000);
    }
    // the view keeps following: the task numbers move on
    const a = /task (\d+)/.exec(tm.screen())?.[1];
    await sleep(1500);
    const b = [...tm.screen().matchAll(/task (\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...b)).toBeGreaterThan(Number(a));
    // the log view was kept across the screen switches
    expect(tm.screen()).toContain('Log flood');
    // the log files stay within their cap: at most keep rotated files beside the live one, each at most the cap
    // plus what the flood writes between two rotation checks (~1 s at ~1 MB/s)
    const logDir = dirname((await ls()).find((e) => e.name === 'flood')!.logFile!);
    const files = readdirSync(logDir).filter((f) => f.startsWith('flood.log'));
    expect(files.length).toBeLessThanOrEqual(FLOOD_LOG.keep + 1);
    expect(files).toContain('flood.log.1'); // it did rotate
    for (const f of files) expect(statSync(join(logDir, f)).size, f).toBeLessThan(FLOOD_LOG.maxBytes + 3 * 1024 * 1024);
  });
});
