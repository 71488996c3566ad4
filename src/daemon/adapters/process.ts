/**
 * `process` engines: spawned by the supervisor in their own session and process group (detached), stdout+stderr
 * on a FIFO read by the engine's log relay (src/daemon/relay.ts, its own session too: no pipe runs through the
 * daemon), env + CUDA_VISIBLE_DEVICES + the SOV_ENGINE/SOV_BOX marker, cwd, an optional numactl prefix. Stopping
 * signals the whole group, then SIGKILLs the group after the timeout, then whatever carries the marker but left the
 * group (setsid).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessEngineConfig } from '../../config/schema.js';
import { openLogFd } from '../logs.js';
import { findByEnv, groupMembers, sameStart, threadStates, type ProcStat } from '../procfs.js';
import { spawnInCgroup } from '../cgroup.js';
import { relayArgs, type RelayOptions } from '../relay.js';

/** the environment markers every engine process (and each descendant) carries; the relay carries SOV_LOG_RELAY */
export const ENGINE_MARK = 'SOV_ENGINE';
export const BOX_MARK = 'SOV_BOX';
export const RELAY_MARK = 'SOV_LOG_RELAY';

type Numa = NonNullable<ProcessEngineConfig['numa']>;

/** numactl arguments for a placement (empty when none). */
export function numaPrefix(numa: Numa | undefined): string[] {
  if (!numa) return [];
  if ('interleave' in numa) return ['numactl', `--interleave=${numa.interleave === 'all' ? 'all' : numa.interleave.join(',')}`];
  if ('bind' in numa) return ['numactl', `--membind=${numa.bind}`, `--cpunodebind=${numa.bind}`];
  return ['numactl', `--cpunodebind=${numa.cpunodebind}`, `--membind=${numa.membind}`];
}

/** The argv actually executed: numactl prefix + the configured argv. */
export function buildArgv(cfg: Pick<ProcessEngineConfig, 'argv' | 'numa'>): string[] {
  return [...numaPrefix(cfg.numa), ...cfg.argv];
}

export function buildEnv(cfg: Pick<ProcessEngineConfig, 'env' | 'gpus'>, base: NodeJS.ProcessEnv = process.env, mark?: { name: string; box: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...cfg.env };
  delete env[RELAY_MARK];
  if (cfg.gpus) env.CUDA_VISIBLE_DEVICES = cfg.gpus.join(',');
  if (mark) { env[ENGINE_MARK] = mark.name; env[BOX_MARK] = mark.box; }
  return env;
}

/** How to run the relay: the bundled dist/log-relay.js beside dist/sov.js, or the TypeScript entry under tsx. */
export function relayCommand(): { argv: string[]; cwd: string } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const root = join(dirname(here), '../../..');
    return { argv: [process.execPath, '--import', 'tsx', join(root, 'src/daemon/relay-main.ts')], cwd: root };
  }
  return { argv: [process.execPath, '--max-semi-space-size=1', '--max-old-space-size=8', '--lite-mode', join(dirname(here), 'log-relay.js')], cwd: '/' };
}

export interface Relayed {
  relay: ChildProcess;
  relayPid: number;
}

/**
 * The engine's output channel: a FIFO `<logDir>/.<engine>.fifo` (mkfifo). The daemon opens it O_RDWR (never blocks,
 * an ordinary blocking descriptor: the engine's writes wait for the relay instead of failing with EAGAIN) and hands
 * that to the engine; the relay opens it for reading by name. Because the engine holds it read-write, a relay that
 * dies does not kill the engine (no SIGPIPE): its writes wait, and a new relay can be started on the same FIFO.
 */
export function makeFifo(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  const r = spawnSync('mkfifo', ['-m', '600', path], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
  if (r.status !== 0) throw new Error(`cannot make the log FIFO ${path}: ${r.error?.message ?? (String(r.stderr ?? '').trim() || `mkfifo exited ${r.status}`)}`);
}

export function openFifoForEngine(path: string): number {
  return openSync(path, constants.O_RDWR);
}

/** Wait until the relay holds the FIFO open (its /proc/<pid>/fd), up to timeoutMs; whether it does. */
export async function relayOpened(relayPid: number, fifo: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      for (const fd of readdirSync(`/proc/${relayPid}/fd`)) {
        try { if (readlinkSync(`/proc/${relayPid}/fd/${fd}`) === fifo) return true; } catch {}
      }
    } catch {
      return false; // it is gone
    }
    if (Date.now() >= until) return false;
    await sleep(10);
  }
}

/** Spawn an engine's log relay (own session; it reads o.input, the engine's FIFO); unref'd. */
export function spawnRelay(o: RelayOptions, mark: { name: string; box: string }, base: NodeJS.ProcessEnv = process.env): Relayed {
  const cmd = relayCommand();
  const env: NodeJS.ProcessEnv = { ...base, [RELAY_MARK]: mark.name, [BOX_MARK]: mark.box };
  delete env[ENGINE_MARK];
  delete env.NODE_OPTIONS;
  const relay = spawn(cmd.argv[0]!, [...cmd.argv.slice(1), ...relayArgs(o)], { detached: true, stdio: 'ignore', env, cwd: cmd.cwd });
  if (relay.pid === undefined) throw new Error(`cannot start the log relay (${cmd.argv[0]})`);
  relay.on('error', () => undefined);
  relay.unref();
  return { relay, relayPid: relay.pid };
}

/** Processes that carry an engine's marker (the engine, its descendants, those that left its group), oldest first. */
export function markedProcesses(name: string, box: string): ProcStat[] {
  return findByEnv({ [ENGINE_MARK]: name, [BOX_MARK]: box });
}

/** The relay of an engine, found by its marker (oldest first). */
export function markedRelays(name: string, box: string): ProcStat[] {
  return findByEnv({ [RELAY_MARK]: name, [BOX_MARK]: box });
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  argv: string[];
  /** the cgroup it was born in, when it was */
  cgroup?: string;
}

/**
 * Spawn detached (setsid: own session and group, pgid = pid), stdout+stderr on the relay's FIFO (`fd`, the caller
 * closes it) or, without a relay, an O_APPEND descriptor on `logFile`. The child is unref'd: it never keeps the daemon alive, and outlives
 * it. `onExit` is attached before anything else can run. Rejects when the program cannot be executed.
 */
export async function spawnEngine(
  cfg: ProcessEngineConfig,
  out: { logFile: string } | { fd: number },
  baseEnv: NodeJS.ProcessEnv | undefined,
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void,
  mark?: { name: string; box: string },
  /** a cgroup v2 directory the engine is born in (src/daemon/cgroup.ts) */
  cgroup?: string,
): Promise<Spawned> {
  const argv = buildArgv(cfg);
  const fd = 'logFile' in out ? openLogFd(out.logFile) : undefined;
  const sink = 'fd' in out ? out.fd : fd!;
  let child: ChildProcess;
  let inCgroup = false;
  try {
    const r = spawnInCgroup(cgroup, () => spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', sink, sink],
      env: buildEnv(cfg, baseEnv, mark),
      cwd: cfg.cwd,
    }));
    child = r.value;
    inCgroup = r.entered;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => {
      child.once('error', resolve);
      setTimeout(() => resolve(new Error('no pid')), 1000).unref();
    });
    throw new Error(`cannot run ${argv[0]}: ${err.message}`);
  }
  child.on('error', () => undefined);
  child.once('exit', onExit);
  child.unref();
  return { child, pid, argv, ...(inCgroup && cgroup ? { cgroup } : {}) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {}
}

/**
 * Send `signal` to the group, wait up to timeoutMs for every member to be gone, then SIGKILL the group and wait
 * for it. `gone` says whether the main process has ended (a child's exit event; /proc for an adopted one).
 * Returns whether SIGKILL was needed.
 */
export async function stopGroup(pgid: number, signal: NodeJS.Signals, timeoutMs: number, gone: () => boolean): Promise<{ killed: boolean }> {
  const allGone = () => gone() && groupMembers(pgid).length === 0;
  if (allGone()) return { killed: false };
  signalGroup(pgid, signal);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (allGone()) return { killed: false };
    await sleep(50);
  }
  signalGroup(pgid, 'SIGKILL');
  const hard = Date.now() + 10_000;
  while (!allGone() && Date.now() < hard) await sleep(25);
  return { killed: true };
}

/** SIGKILL what is left of a group whose main process died (helpers holding the port, the GPU). */
export function killGroup(pgid: number): void {
  if (groupMembers(pgid).length > 0) signalGroup(pgid, 'SIGKILL');
}

/**
 * Freeze a process group for a log rotation's last instant: SIGSTOP, then wait (≤ maxWaitMs) until every thread of
 * every member is stopped, so no write(2) is in flight. Returns the resume (SIGCONT). A thread stuck in the kernel
 * (D state) past maxWaitMs is not waited for any longer: rotation goes on with the plain copytruncate window.
 */
export async function pauseGroup(pgid: number, maxWaitMs = 1000): Promise<(() => void) | undefined> {
  if (groupMembers(pgid).length === 0) return undefined;
  signalGroup(pgid, 'SIGSTOP');
  const resume = () => signalGroup(pgid, 'SIGCONT');
  const until = Date.now() + maxWaitMs;
  for (;;) {
    const stopped = groupMembers(pgid).every((p) => threadStates(p).every((s) => s === 'T' || s === 't' || s === 'Z' || s === 'X'));
    if (stopped || Date.now() >= until) return resume;
    await new Promise<void>((r) => setTimeout(r, 1));
  }
}

/** Resume a group a previous daemon may have left frozen (it died inside a rotation's pause). */
export function resumeGroup(pgid: number): void {
  signalGroup(pgid, 'SIGCONT');
}

/**
 * After a stop: what carries the engine's marker yet is still alive (it left the process group with setsid, or
 * outlived it) is signalled, then SIGKILLed after graceMs. Returns a line naming what escaped, if anything did.
 */
export async function reapEscaped(name: string, box: string, signal: NodeJS.Signals, graceMs: number): Promise<string | undefined> {
  const found = markedProcesses(name, box);
  if (found.length === 0) return undefined;
  const ids = found.map((p) => ({ pid: p.pid, startTime: p.startTime, comm: p.comm }));
  const alive = () => ids.filter((p) => sameStart(p.pid, p.startTime));
  for (const p of ids) { try { process.kill(p.pid, signal); } catch {} }
  const until = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < until) await sleep(25);
  const left = alive();
  for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch {} }
  const hard = Date.now() + 2000;
  while (alive().length > 0 && Date.now() < hard) await sleep(25);
  const names = ids.slice(0, 5).map((p) => `${p.pid} (${p.comm})`).join(', ') + (ids.length > 5 ? ` and ${ids.length - 5} more` : '');
  const still = alive();
  return `${ids.length} process${ids.length === 1 ? '' : 'es'} had left the engine's process group: ${names}; ${still.length ? `${still.length} could not be killed` : left.length ? 'killed (SIGKILL)' : `ended on ${signal}`}`;
}

/** End a relay we recorded (pid + start time) whose engine is gone but which still runs (an escapee held its input). */
export async function endRelay(pid: number, startTime: string, graceMs: number): Promise<void> {
  const same = () => sameStart(pid, startTime);
  const until = Date.now() + graceMs;
  while (same() && Date.now() < until) await sleep(25);
  if (!same()) return;
  try { process.kill(pid, 'SIGTERM'); } catch {}
  const hard = Date.now() + 1000;
  while (same() && Date.now() < hard) await sleep(25);
  if (same()) { try { process.kill(pid, 'SIGKILL'); } catch {} }
}
