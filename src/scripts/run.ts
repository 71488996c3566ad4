/**
 * Runs one host script (issue 8): its own session and process group (detached), stdin ignored, LC_ALL=C, stdout
 * and stderr a line at a time through the sanitiser to a callback, a bounded tail kept. A hard deadline and an
 * AbortSignal end it the same way: SIGTERM to the whole group, SIGKILL after a grace period. Processes it leaves
 * in its group when it exits are ended the same way (no orphans; a script that means to leave a service running
 * starts it with setsid or through systemd). One run per key at a time. On sov's exit every group still running
 * is killed (killAll, installed on process 'exit').
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { stopGroup } from '../daemon/adapters/process.js';
import { groupMembers } from '../daemon/procfs.js';
import { acquireLock, holderReason, lockHolder, type ScriptLock } from './lock.js';
import { LineSplitter, Tail } from './output.js';

export const DEFAULT_GRACE_MS = 2000;
export const DEFAULT_TAIL = { lines: 2000, bytes: 1024 * 1024 };
export const DEFAULT_MAX_LINE_CHARS = 4096;
/** after the group is gone, how long its output pipes may stay open (held by a process that left the group) */
const PIPE_CLOSE_WAIT_MS = 1000;

export interface ScriptRun {
  /** one run per key at a time (the script's name) */
  key: string;
  argv: string[];
  cwd?: string;
  /** added to sov's environment, after LC_ALL=C */
  env?: Record<string, string>;
  timeoutMs: number;
  /** SIGTERM → SIGKILL */
  graceMs?: number;
  signal?: AbortSignal;
  /** each line of stdout and stderr, sanitised, as it arrives */
  onLine?: (line: string) => void;
  tail?: { lines: number; bytes: number };
  maxLineChars?: number;
  /** one run at a time across sov processes too (src/scripts/lock.ts); without it, within this process only */
  lock?: ScriptLock;
}

export interface ScriptOutcome {
  argv: string[];
  pid?: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** lines seen in all */
  lines: number;
  /** the last lines (bounded) */
  tail: string[];
  /** lines that fell off the tail */
  droppedLines: number;
  /** its group had to be SIGKILLed (SIGTERM was not enough within the grace period) */
  killed: boolean;
  /** processes it left in its group when it exited (ended by sov) */
  leftovers: number;
  /** it never ran: already running, not found, not executable, no such cwd, cancelled before it started */
  error?: string;
  /** it did not run because a run of the same key is under way */
  busy?: boolean;
  /** something that the operator should know (a pipe held open by a process outside the group) */
  note?: string;
}

interface Slot { since: number; pid?: number }

const RUNNING = new Map<string, Slot>();
const GROUPS = new Set<number>();
let exitHook = false;

/** The run under way for this key: since when (epoch ms) and its pid. */
export function runningSince(key: string): Slot | undefined {
  const s = RUNNING.get(key);
  return s ? { ...s } : undefined;
}

/** "already running since 07:12:03 (pid 4242)", here or (with `lock`) in another sov */
export function busyReason(key: string, lock?: ScriptLock): string | undefined {
  const s = RUNNING.get(key);
  if (!s) {
    const h = lock ? lockHolder(lock, key) : undefined;
    return h ? holderReason(key, h) : undefined;
  }
  return `${key} is already running since ${new Date(s.since).toTimeString().slice(0, 8)}${s.pid !== undefined ? ` (pid ${s.pid})` : ''}`;
}

/** SIGKILL every script group still running (sov is exiting: there is no time for a grace period). Returns how many. */
export function killAll(): number {
  let n = 0;
  for (const pgid of GROUPS) {
    try { process.kill(-pgid, 'SIGKILL'); n++; } catch {}
  }
  GROUPS.clear();
  return n;
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => { killAll(); });
}

function spawnError(argv0: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') return `${argv0}: not found${argv0.includes('/') ? '' : ' on PATH'}`;
  if (e.code === 'EACCES') return `${argv0}: permission denied (not executable?)`;
  return `cannot run ${argv0}: ${e.message}`;
}

async function cwdProblem(cwd: string | undefined): Promise<string | undefined> {
  if (cwd === undefined) return undefined;
  try {
    return (await stat(cwd)).isDirectory() ? undefined : `cwd ${cwd}: not a directory`;
  } catch (e) {
    return `cwd ${cwd}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message}`;
  }
}

/** Runs it (or refuses: already running); never rejects. */
export async function runScript(r: ScriptRun): Promise<ScriptOutcome> {
  const none = { argv: r.argv, exitCode: null, signal: null, timedOut: false, cancelled: false, durationMs: 0, lines: 0, tail: [], droppedLines: 0, killed: false, leftovers: 0 };
  const busy = busyReason(r.key);
  if (busy) return { ...none, error: busy, busy: true };
  const slot: Slot = { since: Date.now() };
  RUNNING.set(r.key, slot);
  const held = r.lock ? acquireLock(r.lock, r.key) : undefined;
  try {
    if (held && !held.ok) return { ...none, error: held.reason, busy: true };
    const o = await execute(r, slot, none);
    const note = [o.note, held?.ok ? held.note : undefined].filter(Boolean).join('; ');
    return note ? { ...o, note } : o;
  } finally {
    if (held?.ok) held.release();
    RUNNING.delete(r.key);
  }
}

async function execute(r: ScriptRun, slot: Slot, none: ScriptOutcome): Promise<ScriptOutcome> {
  const t0 = performance.now();
  const argv0 = r.argv[0] ?? '';
  if (argv0 === '') return { ...none, error: 'empty argv' };
  if (r.signal?.aborted) return { ...none, cancelled: true, error: 'cancelled before it started' };
  const bad = await cwdProblem(r.cwd);
  if (bad) return { ...none, error: bad };
  let child: ChildProcess;
  try {
    child = spawn(argv0, r.argv.slice(1), {
      detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: r.cwd, env: { ...process.env, LC_ALL: 'C', ...r.env },
    });
  } catch (e) {
    return { ...none, error: spawnError(argv0, e as NodeJS.ErrnoException) };
  }
  const tail = new Tail(r.tail ?? DEFAULT_TAIL);
  let lines = 0;
  // a consumer that throws must not take sov down from inside a stream event
  const onLine = (line: string) => { lines++; tail.push(line); try { r.onLine?.(line); } catch {} };
  const maxLineChars = r.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const split = [new LineSplitter({ maxLineChars, onLine }), new LineSplitter({ maxLineChars, onLine })];
  const closed = [child.stdout!, child.stderr!].map((s, i) => {
    s.setEncoding('utf8');
    s.on('data', (c: string) => split[i]!.push(c));
    return new Promise<void>((res) => s.once('close', () => res()));
  });
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((res) => child.once('exit', (code, sig) => res({ code, sig })));
  const started = await new Promise<number | Error>((res) => { child.once('spawn', () => res(child.pid!)); child.once('error', res); });
  child.on('error', () => undefined);
  if (started instanceof Error) return { ...none, durationMs: performance.now() - t0, error: spawnError(argv0, started as NodeJS.ErrnoException) };
  const pid = started;
  slot.pid = pid;
  GROUPS.add(pid);
  installExitHook();
  const ended = await supervise(r, pid, exited);
  GROUPS.delete(pid);
  let note: string | undefined;
  let waitTimer: NodeJS.Timeout | undefined;
  const pipesClosed = await Promise.race([
    Promise.all(closed).then(() => true),
    new Promise<false>((res) => { waitTimer = setTimeout(() => res(false), PIPE_CLOSE_WAIT_MS); }),
  ]);
  clearTimeout(waitTimer); // sov do must not linger a second after the script is done
  if (!pipesClosed) {
    child.stdout?.destroy();
    child.stderr?.destroy();
    note = 'a process outside its process group still holds its output open: not waited for';
  }
  for (const s of split) s.flush();
  return {
    ...none, pid, exitCode: ended.code, signal: ended.sig, timedOut: ended.timedOut, cancelled: ended.cancelled, killed: ended.killed,
    leftovers: ended.leftovers, durationMs: performance.now() - t0, lines, tail: tail.lines(), droppedLines: tail.dropped, ...(note ? { note } : {}),
  };
}

/** Waits for the main process; the deadline or the signal ends the group; leftovers in the group are ended too. */
async function supervise(r: ScriptRun, pgid: number, exited: Promise<{ code: number | null; sig: NodeJS.Signals | null }>) {
  const graceMs = r.graceMs ?? DEFAULT_GRACE_MS;
  let mainGone = false;
  let timedOut = false;
  let cancelled = false;
  let stopping: Promise<{ killed: boolean }> | undefined;
  const stop = (why: 'timeout' | 'cancel') => {
    if (stopping) return;
    if (why === 'timeout') timedOut = true; else cancelled = true;
    stopping = stopGroup(pgid, 'SIGTERM', graceMs, () => mainGone);
  };
  const timer = setTimeout(() => stop('timeout'), r.timeoutMs);
  const onAbort = () => stop('cancel');
  r.signal?.addEventListener('abort', onAbort, { once: true });
  if (r.signal?.aborted) onAbort();
  const { code, sig } = await exited;
  mainGone = true;
  clearTimeout(timer);
  r.signal?.removeEventListener('abort', onAbort);
  let leftovers = 0;
  if (!stopping) {
    leftovers = groupMembers(pgid).length;
    if (leftovers > 0) stopping = stopGroup(pgid, 'SIGTERM', graceMs, () => true);
  }
  const killed = stopping ? (await stopping).killed : false;
  return { code, sig, timedOut, cancelled, killed, leftovers };
}

/** "exit 0 in 1.2 s, 14 lines" and the like: one line for a status bar or an audit entry. */
export function outcomeSummary(o: ScriptOutcome, timeoutMs?: number): string {
  const secs = `${(o.durationMs / 1000).toFixed(1)} s`;
  const lines = `${o.lines} line${o.lines === 1 ? '' : 's'}`;
  const extra = [o.leftovers ? `${o.leftovers} process${o.leftovers === 1 ? '' : 'es'} it left behind ended` : '', o.note ?? ''].filter(Boolean).join('; ');
  const tailNote = extra ? ` (${extra})` : '';
  if (o.error !== undefined && o.pid === undefined) return o.error;
  if (o.timedOut) return `timed out after ${timeoutMs !== undefined ? `${timeoutMs / 1000} s` : secs}: SIGTERM to its process group${o.killed ? ', then SIGKILL' : ''}, ${lines}${tailNote}`;
  if (o.cancelled) return `cancelled after ${secs}: SIGTERM to its process group${o.killed ? ', then SIGKILL' : ''}, ${lines}${tailNote}`;
  if (o.exitCode !== null) return `exit ${o.exitCode} in ${secs}, ${lines}${tailNote}`;
  return `killed by ${o.signal ?? 'a signal'} in ${secs}, ${lines}${tailNote}`;
}
