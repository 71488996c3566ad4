/**
 * The audit log on disk (issue 8): `<stateDir>/audit.jsonl`, append-only JSON lines, one writer (a pid lock,
 * audit.lock), fsync per entry, hash-chained (src/recovery/chain.ts), its head HMAC-signed with the box key into
 * audit.head (written atomically after each append). Rotated by size into audit.jsonl.1 … .N (the chain goes on
 * across files; the oldest is dropped and the head says which entry is now the first). A writer that finds a torn
 * last line (a crash mid-append) moves the fragment to audit.torn (bounded) and continues the chain.
 */
import {
  closeSync, existsSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync,
  ftruncateSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { readStat } from '../daemon/procfs.js';
import { GENESIS, hashLine, parseHead, signHead, verifyChain, type AuditHead, type ChainFile, type ChainResult, type Visited } from './chain.js';

export const AUDIT_FILE = 'audit.jsonl';
export const HEAD_FILE = 'audit.head';
export const TORN_FILE = 'audit.torn';
export const LOCK_FILE = 'audit.lock';
/** rotate the live file past this size */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
/** rotated files kept (audit.jsonl.1 … .N): at most (N + 1) × the size above on disk */
export const DEFAULT_KEEP_FILES = 8;
/** the largest entry line the writer takes */
export const MAX_ENTRY_BYTES = 64 * 1024;
const MAX_TORN_BYTES = 64 * 1024;

export type EntryKind = 'begin' | 'end' | 'refused' | 'tripcode' | 'lockdown' | 'unlock';

/** One line of the log. `prev` is the SHA-256 of the previous line's exact bytes (64 zeros before the first). */
export interface AuditEntry {
  seq: number;
  /** ISO time */
  at: string;
  prev: string;
  kind: EntryKind;
  [field: string]: unknown;
}

export type EntryFields = { kind: EntryKind } & Record<string, unknown>;

/** The log's files, oldest first: audit.jsonl.N … audit.jsonl.1, audit.jsonl (gaps in the numbering are skipped). */
export function auditFiles(stateDir: string, keep = DEFAULT_KEEP_FILES): string[] {
  const out: string[] = [];
  for (let i = Math.max(keep, 64); i >= 1; i--) {
    const p = join(stateDir, `${AUDIT_FILE}.${i}`);
    if (existsSync(p)) out.push(p);
  }
  const live = join(stateDir, AUDIT_FILE);
  if (existsSync(live)) out.push(live);
  return out;
}

export interface AuditRead extends ChainResult {
  files: string[];
  head?: AuditHead;
  /** read errors (a file that cannot be read): the chain is not checked */
  readError?: string;
}

/** Reads and checks the whole log (every file, the head); never throws. */
export function readAudit(stateDir: string, o: { key?: Buffer; visit?: (e: Visited) => void; keep?: number } = {}): AuditRead {
  const paths = auditFiles(stateDir, o.keep);
  const base = { files: paths, entries: 0, lastSeq: 0, lastHash: GENESIS, warnings: [] as string[] };
  let head: AuditHead | undefined;
  const headPath = join(stateDir, HEAD_FILE);
  if (existsSync(headPath)) {
    let text: string;
    try { text = readFileSync(headPath, 'utf8'); } catch (e) { return { ...base, ok: false, readError: `cannot read ${headPath}: ${(e as Error).message}` }; }
    const h = parseHead(text);
    if (typeof h === 'string') return { ...base, ok: false, problem: { kind: 'head', file: HEAD_FILE, message: `${h} (edited)` } };
    head = h;
  }
  const files: ChainFile[] = [];
  for (const p of paths) {
    try { files.push({ name: p.slice(stateDir.length + 1), text: readFileSync(p, 'utf8') }); } catch (e) { return { ...base, ok: false, readError: `cannot read ${p}: ${(e as Error).message}` }; }
  }
  const r = verifyChain(files, { ...(head ? { head } : {}), ...(o.key ? { key: o.key } : {}), ...(o.visit ? { visit: o.visit } : {}) });
  return { ...r, files: paths, ...(head ? { head } : {}) };
}

// ---------------------------------------------------------------------------------------------------- the one writer's lock

/** Takes `<stateDir>/audit.lock` (pid + start time, created whole with link(2)); a dead holder's lock is taken over. */
export function lockAudit(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, LOCK_FILE);
  const mine = { pid: process.pid, startTime: readStat(process.pid)?.startTime };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(mine) + '\n', { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try { linkSync(tmp, file); return () => { try { if (JSON.parse(readFileSync(file, 'utf8')).pid === process.pid) unlinkSync(file); } catch {} }; } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let holder: { pid?: unknown; startTime?: unknown } = {};
      try { holder = JSON.parse(readFileSync(file, 'utf8')) as typeof holder; } catch {}
      if (typeof holder.pid === 'number') {
        const st = readStat(holder.pid);
        const alive = st !== undefined && st.state !== 'Z' && st.state !== 'X' && (holder.startTime === undefined || st.startTime === holder.startTime);
        if (alive) throw new Error(`the audit log ${join(stateDir, AUDIT_FILE)} has a writer already (pid ${holder.pid}${holder.pid === process.pid ? ', this process' : ''}): one writer only — ask it (the daemon, or the demo cockpit)`);
      }
      try { unlinkSync(file); } catch {}
    }
    throw new Error(`could not take ${file}`);
  } finally {
    try { unlinkSync(tmp); } catch {}
  }
}

// ---------------------------------------------------------------------------------------------------- writing

/** A file replaced whole (temp, fsync, rename, fsync of the directory); synchronous so entries and heads stay in order. */
export function writeAtomicSync(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    try { writeSync(fd, data); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch {}
    throw e;
  }
  try { const d = openSync(join(path, '..'), 'r'); try { fsyncSync(d); } finally { closeSync(d); } } catch {}
}

export function writeHead(stateDir: string, key: Buffer, h: Omit<AuditHead, 'mac' | 'v'>): AuditHead {
  const head = signHead(key, h);
  writeAtomicSync(join(stateDir, HEAD_FILE), JSON.stringify(head) + '\n');
  return head;
}

/** Sets a torn fragment aside in audit.torn (bounded) and cuts the live file back to its last whole line. */
function setTornAside(stateDir: string, file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(bytes, MAX_TORN_BYTES);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const torn = join(stateDir, TORN_FILE);
    try { if (statSync(torn).size + n > MAX_TORN_BYTES) renameSync(torn, `${torn}.1`); } catch {}
    const t = openSync(torn, 'a', 0o600);
    try { writeSync(t, `${new Date().toISOString()} ${bytes} byte(s) torn from ${file}: ${buf.toString('base64')}\n`); fsyncSync(t); } finally { closeSync(t); }
    ftruncateSync(fd, size - bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function firstSeqOf(path: string): number | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(MAX_ENTRY_BYTES + 1);
      const n = readSync(fd, buf, 0, buf.length, 0);
      const line = buf.subarray(0, n).toString('utf8').split('\n')[0]!;
      const v = JSON.parse(line) as { seq?: unknown };
      return typeof v.seq === 'number' ? v.seq : undefined;
    } finally { closeSync(fd); }
  } catch { return undefined; }
}

export interface AuditWriter {
  readonly lastSeq: number;
  /** appends one entry (seq, at, prev filled in), fsyncs it, re-signs the head; throws when it cannot */
  append(fields: EntryFields): AuditEntry;
  close(): void;
}

export interface OpenOptions {
  stateDir: string;
  key: Buffer;
  now?: () => number;
  maxFileBytes?: number;
  keepFiles?: number;
  /** every entry of the existing log, oldest first (the authority replays its state from them) */
  visit?: (e: Visited) => void;
}

export type Opened = { ok: true; writer: AuditWriter; read: AuditRead } | { ok: false; reason: string; read?: AuditRead };

/**
 * Opens the log for appending: takes the lock, checks the whole chain (replaying it through `visit`), sets a torn
 * tail aside, adopts one entry a crash left unsigned. A log that does not verify is not written to (fail closed).
 */
export function openAuditWriter(o: OpenOptions): Opened {
  const { stateDir, key } = o;
  const now = o.now ?? Date.now;
  const maxFileBytes = o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const keep = o.keepFiles ?? DEFAULT_KEEP_FILES;
  let release: () => void;
  try { release = lockAudit(stateDir); } catch (e) { return { ok: false, reason: (e as Error).message }; }
  const read = readAudit(stateDir, { key, keep, ...(o.visit ? { visit: o.visit } : {}) });
  const fail = (reason: string): Opened => { release(); return { ok: false, reason, read }; };
  if (read.readError) return fail(read.readError);
  if (!read.ok) return fail(`the audit log does not verify: ${read.problem!.message}`);
  const live = join(stateDir, AUDIT_FILE);
  let seq = read.lastSeq;
  let hash = read.lastHash;
  let firstSeq = read.head?.firstSeq ?? read.firstSeq ?? 1;
  const adopted = [...(read.head?.adopted ?? [])];
  try {
    if (read.torn) setTornAside(stateDir, join(stateDir, read.torn.file), read.torn.bytes);
    if (read.unsignedTail) { adopted.push(seq); adopted.splice(0, Math.max(0, adopted.length - 16)); }
    if (!read.head || read.unsignedTail) writeHead(stateDir, key, { seq, hash, firstSeq, adopted });
  } catch (e) {
    return fail(`cannot repair the audit log: ${(e as Error).message}`);
  }
  let fd: number | undefined;
  let size = 0;
  const openLive = () => { fd = openSync(live, 'a', 0o600); size = fstatSync(fd).size; };
  try { openLive(); } catch (e) { return fail(`cannot open ${live}: ${(e as Error).message}`); }

  const rotate = () => {
    closeSync(fd!);
    fd = undefined;
    try { unlinkSync(`${live}.${keep}`); } catch {}
    for (let i = keep - 1; i >= 1; i--) { try { renameSync(`${live}.${i}`, `${live}.${i + 1}`); } catch {} }
    renameSync(live, `${live}.1`);
    const oldest = auditFiles(stateDir, keep)[0];
    firstSeq = (oldest !== undefined ? firstSeqOf(oldest) : undefined) ?? firstSeq;
    writeHead(stateDir, key, { seq, hash, firstSeq, adopted });
    openLive();
  };

  const writer: AuditWriter = {
    get lastSeq() { return seq; },
    append(fields) {
      if (fd === undefined) openLive();
      const { seq: _s, at: _a, prev: _p, ...rest } = fields as Record<string, unknown>;
      const entry = { seq: seq + 1, at: new Date(now()).toISOString(), prev: hash, ...rest } as AuditEntry;
      const line = JSON.stringify(entry);
      const bytes = Buffer.byteLength(line) + 1;
      if (bytes > MAX_ENTRY_BYTES) throw new Error(`audit entry too large (${bytes} bytes; at most ${MAX_ENTRY_BYTES})`);
      if (size > 0 && size + bytes > maxFileBytes) rotate();
      writeSync(fd!, line + '\n');
      fsyncSync(fd!);
      size += bytes;
      seq = entry.seq;
      hash = hashLine(line);
      writeHead(stateDir, key, { seq, hash, firstSeq, adopted });
      return entry;
    },
    close() {
      if (fd !== undefined) { try { closeSync(fd); } catch {} fd = undefined; }
      release();
    },
  };
  return { ok: true, writer, read };
}
