/**
 * `process` engines: spawned by the supervisor in their own session and process group (detached), stdout+stderr
 * on one O_APPEND log descriptor (no pipe through the daemon), env + CUDA_VISIBLE_DEVICES, cwd, an optional
 * numactl prefix. Stopping signals the whole group, then SIGKILLs the group after the timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { ProcessEngineConfig } from '../../config/schema.js';
import { openLogFd } from '../logs.js';
import { groupMembers, threadStates } from '../procfs.js';

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

export function buildEnv(cfg: Pick<ProcessEngineConfig, 'env' | 'gpus'>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...cfg.env };
  if (cfg.gpus) env.CUDA_VISIBLE_DEVICES = cfg.gpus.join(',');
  return env;
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  argv: string[];
}

/**
 * Spawn detached (setsid: own session and group, pgid = pid), stdio ['ignore', log, log]. The child is unref'd:
 * it never keeps the daemon alive, and outlives it. `onExit` is attached before anything else can run. Rejects
 * when the program cannot be executed.
 */
export async function spawnEngine(
  cfg: ProcessEngineConfig,
  logFile: string,
  baseEnv: NodeJS.ProcessEnv | undefined,
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void,
): Promise<Spawned> {
  const argv = buildArgv(cfg);
  const fd = openLogFd(logFile);
  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: buildEnv(cfg, baseEnv),
      cwd: cfg.cwd,
    });
  } finally {
    closeSync(fd);
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
  return { child, pid, argv };
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
