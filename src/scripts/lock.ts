/**
 * One run of a script at a time across sov processes (the cockpit in one tmux pane, `sov do` in another): a lock
 * file per script in the runtime directory (tmpfs: gone after a reboot), created with O_EXCL, holding the sov
 * process's pid and start time. A lock whose holder is gone (crash, kill -9) is stale and taken over; a vanished
 * lock file only loses the cross-process guard (the in-process one stays). Tiny JSON files, one per script.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, resolvePaths } from '../daemon/paths.js';
import { readStat, sameStart } from '../daemon/procfs.js';

export interface ScriptLock {
  /** the directory of the lock files (private, 0700) */
  dir: string;
  /** what makes two runs the same script (its declared argv); default: the key */
  id?: string;
}

export interface LockHolder { pid: number; startTime: string; since: number }

/** where sov keeps its script locks: <runtime dir>/scripts */
export function scriptLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(resolvePaths({ env }).runtimeDir, 'scripts');
}

/** a file name from the key (readable) and a hash of the id (distinct) */
export function lockFileName(key: string, id = key): string {
  return `${key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}-${createHash('sha256').update(id).digest('hex').slice(0, 12)}.lock`;
}

/** a lock file just created and not yet written is being taken, not stale */
const FRESH_MS = 2000;

function readHolder(file: string): LockHolder | 'unreadable' | 'gone' {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable'; }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.startTime === 'string' && typeof h.since === 'number') return { pid: h.pid, startTime: h.startTime, since: h.since };
  } catch {}
  return 'unreadable';
}

function youngerThan(file: string, ms: number): boolean {
  try { return Date.now() - statSync(file).mtimeMs < ms; } catch { return false; }
}

/** The live holder of another process, or undefined (none, stale, ours). */
export function lockHolder(lock: ScriptLock, key: string): LockHolder | undefined {
  const h = readHolder(join(lock.dir, lockFileName(key, lock.id)));
  if (typeof h === 'string' || h.pid === process.pid) return undefined;
  return sameStart(h.pid, h.startTime) ? h : undefined;
}

export type Acquired =
  | { ok: true; release(): void; note?: string }
  | { ok: false; holder?: LockHolder; reason: string };

/** Takes the lock, or says who holds it. A directory that cannot be used does not stop the run: `note` says so. */
export function acquireLock(lock: ScriptLock, key: string): Acquired {
  const none = (why: string): Acquired => ({ ok: true, release() {}, note: `no guard against a run from another sov: ${why}` });
  try { ensurePrivateDir(lock.dir); } catch (e) { return none((e as Error).message); }
  const file = join(lock.dir, lockFileName(key, lock.id));
  const me: LockHolder = { pid: process.pid, startTime: readStat(process.pid)?.startTime ?? '', since: Date.now() };
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try { writeSync(fd, text); } finally { closeSync(fd); }
      return { ok: true, release: () => { if (readFileSafe(file) === text) try { unlinkSync(file); } catch {} } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return none((e as Error).message);
    }
    const h = readHolder(file);
    if (h === 'gone') continue;
    if (h === 'unreadable' && youngerThan(file, FRESH_MS)) return { ok: false, reason: `${key} is being started by another sov` };
    if (typeof h !== 'string' && h.pid !== process.pid && sameStart(h.pid, h.startTime)) return { ok: false, holder: h, reason: holderReason(key, h) };
    try { unlinkSync(file); } catch {} // stale: its sov is gone
  }
  return { ok: false, reason: `${key}: could not take its lock ${file}` };
}

function readFileSafe(file: string): string | undefined {
  try { return readFileSync(file, 'utf8'); } catch { return undefined; }
}

export function holderReason(key: string, h: LockHolder): string {
  return `${key} is already running since ${new Date(h.since).toTimeString().slice(0, 8)} (from another sov, pid ${h.pid})`;
}
