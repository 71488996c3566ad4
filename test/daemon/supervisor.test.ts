/**
 * The supervisor with REAL engines: src/demo/engine.ts as a separate process on 127.0.0.1.
 * Every process a test starts (through the supervisor or itself) is recorded by pid + start time and SIGKILLed
 * (its group) in afterEach when it is still that process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processEngineSchema, type ProcessEngineConfig } from '../../src/config/schema.js';
import { allStats, isAlive, readCmdline, readStat } from '../../src/daemon/procfs.js';
import { sweepEmptyCgroups } from '../../src/daemon/cgroup.js';
import { boxId, createSupervisor, STATE_FILE, SupervisorError, type StateFile } from '../../src/daemon/supervisor.js';
import type { EngineStatus, Supervisor } from '../../src/daemon/types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const simPath = join(repoRoot, 'src/demo/engine.ts');
const root = mkdtempSync(join(tmpdir(), 'sov-sup-'));

const started = new Map<number, string>(); // pid → start time
const sups: Supervisor[] = [];

function track(pid: number | undefined): void {
  if (pid === undefined || started.has(pid)) return;
  const s = readStat(pid);
  if (s) started.set(pid, s.startTime);
}

afterEach(async () => {
  for (const s of sups.splice(0)) await s.detach();
  for (const [pid, st] of started) {
    if (readStat(pid)?.startTime === st) {
      try { process.kill(-pid, 'SIGKILL'); } catch {}
      try { process.kill(pid, 'SIGKILL'); } catch {}
    }
  }
  started.clear();
});
const boxes = new Set<string>();
afterAll(() => {
  // the (empty) engine cgroups of this file's state dirs
  for (const b of boxes) sweepEmptyCgroups(b);
  rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function simEngine(name: string, port: number, args: string[] = [], over: Record<string, unknown> = {}): ProcessEngineConfig {
  const base = `http://127.0.0.1:${port}`;
  return processEngineSchema.parse({
    kind: 'process', name, port,
    argv: [process.execPath, '--import', 'tsx', simPath, '--port', String(port), ...args],
    cwd: repoRoot,
    health: { url: `${base}/health`, kind: 'llamacpp', intervalSec: 0.2, timeoutSec: 2 },
    metrics: `${base}/metrics`,
    openai: `${base}/v1`,
    backoff: { initialSec: 0.2, factor: 2, maxSec: 1 },
    stop: { timeoutSec: 5 },
    ...over,
  });
}

interface Harness { sup: Supervisor; seen: EngineStatus[]; stateDir: string; logDir: string }

async function harness(engines: ProcessEngineConfig[], dirs?: { stateDir: string; logDir: string }): Promise<Harness> {
  const stateDir = dirs?.stateDir ?? mkdtempSync(join(root, 'state-'));
  boxes.add(boxId(stateDir));
  const logDir = dirs?.logDir ?? join(stateDir, 'logs');
  const seen: EngineStatus[] = [];
  const sup = await createSupervisor({
    engines, stateDir, logDir, probeIntervalMs: 150,
    onChange: (s) => { seen.push(s); track(s.pid); },
  });
  sups.push(sup);
  for (const s of sup.list()) track(s.pid);
  return { sup, seen, stateDir, logDir };
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const one = (sup: Supervisor, name: string) => sup.list().find((s) => s.name === name)!;
const waitState = (sup: Supervisor, name: string, state: EngineStatus['state'], ms?: number) =>
  until(`${name} ${state}`, () => { const s = one(sup, name); return s.state === state ? s : undefined; }, ms);

function countProcesses(cmdline: string[]): number {
  return allStats().filter((s) => s.state !== 'Z' && s.state !== 'X').filter((s) => {
    const c = readCmdline(s.pid);
    return c !== undefined && c.length === cmdline.length && c.every((a, i) => a === cmdline[i]);
  }).length;
}

describe('supervisor with real sim engines', () => {
  it('start → starting (503 while loading) → healthy, with models, metrics, RSS, loopback listen socket, logs', async () => {
    const port = await freePort();
    const { sup, seen } = await harness([simEngine('llm', port, ['--load-ms', '1500', '--model', 'sim-model'])]);
    expect(one(sup, 'llm')).toMatchObject({ state: 'stopped', pids: [], restarts: 0 });
    const st = await sup.start('llm');
    expect(st.state).toBe('starting');
    expect(st.pid).toBeGreaterThan(0);
    track(st.pid);
    const h = await waitState(sup, 'llm', 'healthy');
    expect(h.pid).toBe(st.pid);
    expect(seen.some((s) => s.state === 'starting' && s.health?.state === 'loading')).toBe(true);
    const full = await until('models and sockets', () => {
      const s = one(sup, 'llm');
      return s.models && s.listen && s.listen.length > 0 && s.requestsRunning !== undefined ? s : undefined;
    });
    expect(full.models).toEqual(['sim-model']);
    expect(full.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(full.pids).toContain(st.pid);
    expect(full.listen).toContainEqual({ address: '127.0.0.1', port, loopback: true });
    expect(full.warnings).toEqual([]);
    expect(full.kvCachePct).toBe(0);
    const logs = await sup.logs('llm', { lines: 50 });
    expect(logs.file).toBe(full.logFile);
    expect(logs.lines.some((l) => l.includes(`listening on http://127.0.0.1:${port}`))).toBe(true);
    expect((await sup.logs('llm', { search: 'MODEL LOADED' })).matched).toBe(1);
    const stopped = await sup.stop('llm');
    expect(stopped).toMatchObject({ state: 'stopped', pids: [] });
    expect(stopped.pid).toBeUndefined();
    expect(isAlive(st.pid!)).toBe(false);
    await expect(sup.start('nope')).rejects.toBeInstanceOf(SupervisorError);
  }, 40_000);

  it('kill -9 → crashed → backoff → restarted (new pid, restarts 1) → healthy', async () => {
    const port = await freePort();
    const { sup, seen, stateDir } = await harness([simEngine('llm', port, [], { restart: 'on-failure' })]);
    const first = (await sup.start('llm')).pid!;
    await waitState(sup, 'llm', 'healthy');
    process.kill(first, 'SIGKILL');
    const again = await until('a new healthy pid', () => {
      const s = one(sup, 'llm');
      return s.state === 'healthy' && s.pid !== first ? s : undefined;
    });
    expect(again.restarts).toBe(1);
    expect(again.lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
    const states = seen.map((s) => s.state);
    const i = states.indexOf('crashed');
    expect(i).toBeGreaterThan(-1);
    expect(states.indexOf('backoff', i)).toBeGreaterThan(i);
    expect(seen.find((s) => s.state === 'backoff')!.nextRestartAt).toBeGreaterThan(0);
    expect(isAlive(first)).toBe(false);
    expect(countProcesses(readCmdline(again.pid!)!)).toBe(1);
    const file = JSON.parse(readFileSync(join(stateDir, STATE_FILE), 'utf8')) as StateFile;
    expect(file.llm).toMatchObject({ pid: again.pid, pgid: again.pid, restarts: 1 });
  }, 40_000);

  it('an engine that exits on start, again and again → crashloop with the last exit code and a log tail', async () => {
    const port = await freePort();
    const cfg = simEngine('bad', port, ['--exit-on-start', '3'], {
      restart: 'always', crashloop: { failures: 3, withinMin: 5 }, backoff: { initialSec: 0.05, factor: 1, maxSec: 1 },
    });
    const { sup } = await harness([cfg]);
    await sup.start('bad');
    const s = await waitState(sup, 'bad', 'crashloop', 30_000);
    expect(s.message).toBe('3 failures within 5 min; last exit 3');
    expect(s.lastExit?.code).toBe(3);
    expect(s.restarts).toBe(2);
    await sleep(500);
    expect(one(sup, 'bad').state).toBe('crashloop'); // no more retries
    const logs = await sup.logs('bad', { lines: 20 });
    expect(logs.lines.some((l) => l.includes('exiting due to model loading error'))).toBe(true);
    expect(logs.lines.some((l) => l.includes('--- sov: bad exited (exit 3)'))).toBe(true);
    // the operator acts: start clears the crashloop (and it fails again, counting from zero)
    const again = await sup.start('bad');
    expect(['starting', 'crashed', 'backoff']).toContain(again.state);
    await until('a retry', () => one(sup, 'bad').restarts >= 3 || undefined, 30_000);
  }, 60_000);

  it('stop: SIGTERM, then SIGKILL to the whole group for an engine that ignores SIGTERM', async () => {
    const marker = join(mkdtempSync(join(root, 'term-')), 'got-term');
    const code = `process.on('SIGTERM',()=>{require('fs').writeFileSync(${JSON.stringify(marker)},'x')});`
      + `require('child_process').spawn(process.execPath,['-e','process.on("SIGTERM",()=>{});setInterval(()=>{},1000)'],{stdio:'ignore'});`
      + 'setInterval(()=>{},1000)';
    const cfg = processEngineSchema.parse({ kind: 'process', name: 'stubborn', argv: [process.execPath, '-e', code], stop: { signal: 'SIGTERM', timeoutSec: 1 } });
    const { sup } = await harness([cfg]);
    const st = await sup.start('stubborn');
    const pid = st.pid!;
    const tree = await until('the helper child', () => { const s = one(sup, 'stubborn'); return s.pids.length >= 2 ? s.pids : undefined; });
    tree.forEach(track);
    expect((await waitState(sup, 'stubborn', 'healthy')).pid).toBe(pid); // no health URL: healthy after 1 s alive
    const t0 = Date.now();
    const stopped = await sup.stop('stubborn');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(stopped.state).toBe('stopped');
    expect(stopped.message).toMatch(/did not stop within 1 s of SIGTERM: killed/);
    expect(stopped.lastExit).toMatchObject({ signal: 'SIGKILL' });
    expect(existsSync(marker)).toBe(true);
    for (const p of tree) expect(isAlive(p)).toBe(false);
  }, 30_000);

  it('detach() leaves the engine running; a new supervisor adopts it: same pid, healthy, no second process', async () => {
    const port = await freePort();
    const cfg = simEngine('llm', port, [], { autostart: true });
    const a = await harness([cfg]);
    const pid = (await waitState(a.sup, 'llm', 'healthy')).pid!;
    const cmd = readCmdline(pid)!;
    await a.sup.detach();
    await sleep(300);
    expect(isAlive(pid)).toBe(true);
    const saved = JSON.parse(readFileSync(join(a.stateDir, STATE_FILE), 'utf8')) as StateFile;
    expect(saved.llm).toMatchObject({ pid, pgid: pid, startTime: readStat(pid)!.startTime, cmdline: cmd, restarts: 0 });

    const b = await harness([cfg], { stateDir: a.stateDir, logDir: a.logDir });
    const s = one(b.sup, 'llm');
    expect(s.state).toBe('healthy');
    expect(s.pid).toBe(pid);
    expect(s.restarts).toBe(0);
    await sleep(500);
    expect(countProcesses(cmd)).toBe(1);
    // not our child: its death is seen through /proc, and the policy restarts it
    process.kill(pid, 'SIGKILL');
    const next = await until('restart after the adopted engine died', () => {
      const x = one(b.sup, 'llm');
      return x.state === 'healthy' && x.pid !== pid ? x : undefined;
    });
    expect(next.restarts).toBe(1);
    expect(next.lastExit?.code).toBeNull();
    expect((await b.sup.stop('llm')).state).toBe('stopped');
    expect(isAlive(next.pid!)).toBe(false);
  }, 60_000);

  it('a recorded pid now used by another program (start time or cmdline differ) is not adopted and not signalled', async () => {
    const marker = join(mkdtempSync(join(root, 'reuse-')), 'signals');
    const code = `for(const s of ['SIGTERM','SIGINT','SIGHUP','SIGQUIT','SIGUSR1'])process.on(s,()=>require('fs').appendFileSync(${JSON.stringify(marker)},s+'\\n'));setInterval(()=>{},1000)`;
    const other = spawn(process.execPath, ['-e', code], { stdio: 'ignore', detached: true });
    const pid = other.pid!;
    track(pid);
    await until('the other program', () => readStat(pid));
    const real = readStat(pid)!;
    const cmd = readCmdline(pid)!;
    const port = await freePort();
    const cfgA = simEngine('a', port);
    const cfgB = simEngine('b', port + 1 > 65535 ? port - 1 : port + 1);
    const stateDir = mkdtempSync(join(root, 'state-'));
    const file: StateFile = {
      // same pid and cmdline, another start time: the pid was reused
      a: { pid, pgid: pid, startTime: String(Number(real.startTime) + 7), cmdline: cmd, startedAt: Date.now() - 1000, restarts: 4, logFile: join(stateDir, 'a.log') },
      // same pid and start time, another command line
      b: { pid, pgid: pid, startTime: real.startTime, cmdline: cfgB.argv, startedAt: Date.now() - 1000, restarts: 0, logFile: join(stateDir, 'b.log') },
    };
    writeFileSync(join(stateDir, STATE_FILE), JSON.stringify(file));
    const { sup } = await harness([cfgA, cfgB], { stateDir, logDir: stateDir });
    expect(one(sup, 'a')).toMatchObject({ state: 'stopped', restarts: 0 });
    expect(one(sup, 'a').pid).toBeUndefined();
    expect(one(sup, 'b').state).toBe('stopped');
    await sleep(800);
    expect(isAlive(pid)).toBe(true);
    expect(existsSync(marker)).toBe(false);
    const rewritten = JSON.parse(readFileSync(join(stateDir, STATE_FILE), 'utf8')) as StateFile;
    expect(rewritten).toEqual({});
    other.kill('SIGKILL');
  }, 30_000);

  it('an engine listening on 0.0.0.0 gets a warning', async () => {
    const port = await freePort();
    const { sup } = await harness([simEngine('open', port, ['--host', '0.0.0.0'])]);
    await sup.start('open');
    const s = await until('a listen warning', () => { const x = one(sup, 'open'); return x.warnings.length > 0 ? x : undefined; });
    expect(s.listen).toContainEqual({ address: '0.0.0.0', port, loopback: false });
    expect(s.warnings).toEqual([`listens on 0.0.0.0:${port}: inference APIs should bind 127.0.0.1`]);
  }, 30_000);

  it('setEngines: new engines appear (autostart ones start), removed ones are stopped', async () => {
    const sleeper = (name: string, autostart = false) => processEngineSchema.parse({ kind: 'process', name, argv: [process.execPath, '-e', `setInterval(()=>{},1000) // ${name}`], autostart, stop: { timeoutSec: 2 } });
    const { sup } = await harness([sleeper('one')]);
    const p1 = (await sup.start('one')).pid!;
    await sup.setEngines([sleeper('two', true), sleeper('three')]);
    expect(sup.list().map((s) => s.name).sort()).toEqual(['three', 'two']);
    expect(isAlive(p1)).toBe(false);
    const two = one(sup, 'two');
    track(two.pid);
    expect(two.state).toBe('starting');
    expect(one(sup, 'three').state).toBe('stopped');
    await waitState(sup, 'two', 'healthy');
    await sup.stop('two');
  }, 30_000);

  it('a program that cannot be run: start() refuses with failedToStart', async () => {
    const cfg = processEngineSchema.parse({ kind: 'process', name: 'ghost', argv: ['/nonexistent/sov-engine-binary'] });
    const { sup } = await harness([cfg]);
    const err = await sup.start('ghost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SupervisorError);
    expect((err as SupervisorError).code).toBe('failedToStart');
    expect(one(sup, 'ghost').state).toBe('crashed');
    expect(one(sup, 'ghost').message).toMatch(/ENOENT/);
  });
});
