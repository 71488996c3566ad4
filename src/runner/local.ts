/**
 * Runs programs on this machine: argv arrays only, never a shell, LC_ALL=C, a hard deadline on everything.
 *
 * Every command runs in its own process group (and session: `detached`), and the whole group is killed
 * - when its deadline passes (run), or when it is stopped (stream);
 * - as soon as its leader exits (a tool's background children must not outlive it: `sh -c 'sleep 1000 & echo x'`
 *   would otherwise hold stdout open for ever and leave an orphan under init);
 * - when sov exits, whatever the way: `process.on('exit')`, and a signal guard (SIGINT, SIGTERM, SIGHUP) installed with
 *   the first group: a signal nothing else in sov handles kills the groups, then exits with 128 + n (a default signal
 *   death skips the 'exit' hook and left a sleeping tool under init). Where a command handles the signal itself
 *   (the TUI's guards, the daemon, `sov do`'s cancel, the exporter's stop) the guard leaves it to that handler.
 * A child that escaped its group (setsid) and still holds the pipe cannot delay an answer past the deadline:
 * after a short grace the pipes are closed and the result is returned with what arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { constants as osConstants, hostname } from 'node:os';
import type { Runner, RunOptions, RunResult, StreamHandle, StreamOptions } from '../../backends/types.js';

const ENV = { LC_ALL: 'C', LANG: 'C' };
const STDERR_KEEP_BYTES = 4096;
/** a run's stderr keeps its first and last this many characters (tools put the cause first, or last) */
const STDERR_RUN_KEEP = 32 * 1024;
/** a single run's stdout is bounded (a `zfs get` of a very large box stays far below) */
export const MAX_STDOUT_BYTES = 64 * 1024 * 1024;
/** a streamed line that never ends is dropped past this */
const MAX_LINE_BYTES = 1 << 20;
/** after the group is killed, how long the pipes may take to close before they are cut */
export const CLOSE_GRACE_MS = 500;

/** Process groups started here and not yet known to be gone (pgid = the leader's pid). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
export const GUARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killGroup(pgid: number): void {
  try { process.kill(-pgid, 'SIGKILL'); } catch {}
}

/**
 * Kills every process group this runner started that may still hold a process. Synchronous, so it is safe in
 * `process.on('exit')`. Returns how many groups it signalled.
 */
export function killAllChildren(): number {
  const n = liveGroups.size;
  for (const pgid of liveGroups) killGroup(pgid);
  liveGroups.clear();
  return n;
}

/** The process groups still tracked (for tests and diagnostics). */
export function liveChildGroups(): number[] {
  return [...liveGroups];
}

/** A signal that only this guard listens for: the groups go first, then sov, with 128 + the signal's number. */
function signalGuard(sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) > 1) return; // the command handles it (and ends in exit, which kills the groups)
  killAllChildren();
  process.exit(128 + (osConstants.signals[sig] ?? 0));
}

function track(child: ChildProcess): number | undefined {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killAllChildren);
    for (const sig of GUARDED_SIGNALS) process.on(sig, signalGuard);
  }
  if (child.pid === undefined) return undefined;
  liveGroups.add(child.pid);
  return child.pid;
}

/** Ends a group: kills what is left in it and forgets it. */
function endGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  killGroup(pgid);
  liveGroups.delete(pgid);
}

function startChild(argv: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty argv');
  return spawn(file, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
}

function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
}

function isMissing(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** One command to completion (or its deadline). Never rejects. */
function runOnce(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number, signal?: AbortSignal): Promise<RunResult> {
  return new Promise((resolve) => {
    if (signal?.aborted) { resolve({ argv, exitCode: null, stdout: '', stderr: '', timedOut: false, notFound: false, cancelled: true }); return; }
    let child: ChildProcess;
    try { child = startChild(argv, env); } catch (e) {
      resolve({ argv, exitCode: null, stdout: '', stderr: '', timedOut: false, notFound: isMissing(e), ...(isMissing(e) ? {} : { spawnError: (e as Error).message }) });
      return;
    }
    const pgid = track(child);
    const out: Buffer[] = [];
    let outBytes = 0;
    let errHead = '';
    let errTail = '';
    let errCut = false;
    let timedOut = false;
    let cancelled = false;
    let tooLarge = false;
    let exitCode: number | null = null;
    let spawnErr: NodeJS.ErrnoException | undefined;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(grace);
      signal?.removeEventListener('abort', onAbort);
      endGroup(pgid);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const notFound = errCode(spawnErr) === 'ENOENT';
      const r: RunResult = { argv, exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: errHead + (errCut ? '\n…\n' : '') + errTail, timedOut, notFound };
      if (spawnErr && !notFound) r.spawnError = `${argv[0]}: ${spawnErr.code ?? spawnErr.message}`;
      if (tooLarge) r.spawnError = `${argv[0]}: output larger than ${MAX_STDOUT_BYTES / 1024 / 1024} MiB; stopped`;
      if (cancelled) r.cancelled = true;
      resolve(r);
    };
    /** the group is dead or dying: give the pipes a moment to drain, then cut them */
    const killAndWait = () => {
      endGroup(pgid);
      grace ??= setTimeout(finish, CLOSE_GRACE_MS);
    };
    const deadline = setTimeout(() => { timedOut = true; killAndWait(); }, timeoutMs);
    const onAbort = () => { cancelled = true; killAndWait(); };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', (c: Buffer) => {
      if (outBytes + c.length > MAX_STDOUT_BYTES) { tooLarge = true; killAndWait(); return; }
      outBytes += c.length;
      out.push(c);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      if (errHead.length < STDERR_RUN_KEEP) { const take = c.slice(0, STDERR_RUN_KEEP - errHead.length); errHead += take; c = c.slice(take.length); }
      if (c) { errTail = (errTail + c).slice(-STDERR_RUN_KEEP); errCut = errCut || errTail.length === STDERR_RUN_KEEP; }
    });
    child.on('error', (e: NodeJS.ErrnoException) => { spawnErr = e; if (child.pid === undefined) finish(); else killAndWait(); });
    // the leader is gone: what it left behind in its group goes too, so its pipes close
    child.on('exit', (code) => { exitCode = typeof code === 'number' ? code : null; killAndWait(); });
    child.on('close', finish);
  });
}

function streamOnce(argv: string[], env: NodeJS.ProcessEnv, o: StreamOptions): StreamHandle {
  const child = startChild(argv, env);
  const pgid = track(child);
  let buf = '';
  let errTail = '';
  let stopped = false;
  let ended = false;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnErr: NodeJS.ErrnoException | undefined;
  let grace: NodeJS.Timeout | undefined;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (!stopped) o.onLine(line);
    }
    if (buf.length > MAX_LINE_BYTES) buf = ''; // a line that never ends: drop it rather than grow forever
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => { errTail = (errTail + chunk).slice(-STDERR_KEEP_BYTES); });
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(grace);
    endGroup(pgid);
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (buf && !stopped) o.onLine(buf);
    buf = '';
    if (stopped) return;
    const code = errCode(spawnErr);
    o.onExit({
      exitCode: exit?.code ?? null,
      ...(exit?.signal ? { signal: exit.signal } : {}),
      stderr: errTail.trim(),
      notFound: code === 'ENOENT',
      ...(spawnErr && code !== 'ENOENT' ? { spawnError: `${argv[0]}: ${code ?? spawnErr.message}` } : {}),
    });
  };
  const killAndWait = () => { endGroup(pgid); grace ??= setTimeout(end, CLOSE_GRACE_MS); };
  child.on('error', (e: NodeJS.ErrnoException) => { spawnErr = e; if (child.pid === undefined) end(); else killAndWait(); });
  child.on('exit', (code, signal) => { exit = { code, signal }; killAndWait(); });
  child.on('close', end);
  return { stop() { stopped = true; killAndWait(); } };
}

export function createLocalRunner(opts: { defaultTimeoutMs?: number; env?: Record<string, string> } = {}): Runner {
  const defaultTimeoutMs = opts.defaultTimeoutMs ?? 10_000;
  const env: NodeJS.ProcessEnv = { ...process.env, ...ENV, ...opts.env };
  return {
    host: hostname(),
    run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
      if (!argv[0]) throw new Error('empty argv');
      return runOnce(argv, env, Math.max(1, o.timeoutMs ?? defaultTimeoutMs), o.signal);
    },
    stream(argv: string[], o: StreamOptions): StreamHandle {
      return streamOnce(argv, env, o);
    },
    async readFile(path: string) {
      try { return await readFile(path, 'utf8'); } catch (e) { if (isMissing(e)) return undefined; throw e; }
    },
    async listDir(path: string) {
      try { return await readdir(path); } catch (e) { if (isMissing(e)) return undefined; throw e; }
    },
    now: () => Date.now(),
  };
}
