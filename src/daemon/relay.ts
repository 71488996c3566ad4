/**
 * The log relay of a `process` engine (daemontools' multilog / s6-log, in Node): one small process per engine, in
 * its own session, spawned with the engine. The engine's stdout+stderr are one descriptor on a FIFO
 * (`<logDir>/.<engine>.fifo`, opened read-write, so a dead relay never SIGPIPEs the engine) that the relay reads;
 * the relay writes what it reads to `<logDir>/<engine>.log` and rotates by rename at an
 * EXACT size (a chunk that would cross maxBytes is split: the live file never exceeds it), keeping `.1 … .keep`.
 * So the log directory never holds more than maxBytes × (keep + 1) plus the supervisor's marker lines, whatever the
 * output rate: a relay slower than the engine makes the engine's write(2) block (back-pressure), nothing piles up.
 *
 * Neither the relay nor the engine depends on the daemon: the daemon can restart or be killed -9, and a new daemon
 * re-adopts both (pid + start time in the state file, else the SOV_LOG_RELAY marker in the relay's environment).
 * The relay ends when every writer has closed the FIFO (the engine and all its descendants ended): end of input.
 *
 * Free-space floor (journald's SystemKeepFree): before writing, the relay checks the log filesystem's free space
 * (statfs, at most every 100 ms or every MiB); below the floor it drops the chunk and counts it, and when it can
 * write again it first writes "--- sov: N bytes dropped: disk nearly full … ---". ENOSPC counts the same way.
 *
 * Counters (bytes written, dropped) go to a small stats file `<logDir>/.<engine>.relay`, rewritten in place at a
 * fixed size (no new blocks needed when the disk is full); the supervisor reads it into EngineStatus.
 */
import {
  closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, statfsSync, writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const RELAY_STATS_BYTES = 512;
/** the default floor: 5 % of the log filesystem, at most 256 MiB (journald keeps 15 %, at most 4 GiB) */
export const DEFAULT_FLOOR_MAX_BYTES = 256 * 1024 * 1024;

export interface RelayOptions {
  file: string;
  maxBytes: number;
  keep: number;
  /** bytes of free space to leave on the log filesystem; undefined: the default (see above) */
  keepFreeBytes?: number;
  statsFile: string;
  /** the engine's FIFO (read by name); absent: stdin */
  input?: string;
}

export interface RelayStats {
  pid: number;
  writtenBytes: number;
  /** bytes dropped because the disk was (nearly) full or refused the write */
  droppedBytes: number;
  rotations: number;
  floorBytes: number;
  lastError?: string;
  at: number;
}

/** `--file=… --max-bytes=… --keep=… [--keep-free=…] --stats=…` → options; undefined when one is missing or odd. */
export function parseRelayArgs(argv: string[]): RelayOptions | undefined {
  const m = new Map<string, string>();
  for (const a of argv) {
    const r = /^--([a-z-]+)=(.*)$/s.exec(a);
    if (r) m.set(r[1]!, r[2]!);
  }
  const file = m.get('file');
  const statsFile = m.get('stats');
  const maxBytes = Number(m.get('max-bytes'));
  const keep = Number(m.get('keep'));
  const kf = m.get('keep-free');
  const keepFreeBytes = kf === undefined || kf === 'auto' ? undefined : Number(kf);
  if (!file || !statsFile || !Number.isInteger(maxBytes) || maxBytes < 1 || !Number.isInteger(keep) || keep < 1) return undefined;
  if (keepFreeBytes !== undefined && (!Number.isInteger(keepFreeBytes) || keepFreeBytes < 0)) return undefined;
  const input = m.get('input');
  return { file, statsFile, maxBytes, keep, ...(keepFreeBytes !== undefined ? { keepFreeBytes } : {}), ...(input ? { input } : {}) };
}

export function relayArgs(o: RelayOptions): string[] {
  return [`--file=${o.file}`, `--max-bytes=${o.maxBytes}`, `--keep=${o.keep}`, `--keep-free=${o.keepFreeBytes ?? 'auto'}`, `--stats=${o.statsFile}`, ...(o.input ? [`--input=${o.input}`] : [])];
}

/** Parse a stats file's text (padded JSON); undefined when torn or odd. */
export function parseRelayStats(text: string): RelayStats | undefined {
  try {
    const v = JSON.parse(text.trim()) as Partial<RelayStats>;
    if (typeof v !== 'object' || v === null) return undefined;
    for (const k of ['pid', 'writtenBytes', 'droppedBytes', 'rotations', 'floorBytes', 'at'] as const) {
      if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) return undefined;
    }
    return v as RelayStats;
  } catch {
    return undefined;
  }
}

/**
 * How a chunk of `n` bytes lands in a live file holding `size` bytes: the byte counts written before each rotation
 * and after the last one. Pure. `[a, b, c]` = write a, rotate, write b, rotate, write c.
 */
export function splitForCap(size: number, n: number, maxBytes: number): number[] {
  const out: number[] = [];
  let room = Math.max(0, maxBytes - size);
  let left = n;
  while (left > room) {
    out.push(room);
    left -= room;
    room = maxBytes;
  }
  out.push(left);
  return out;
}

export class Relay {
  private fd = -1;
  private size = 0;
  private lastByte = 0x0a;
  private pendingDropped = 0;
  private pendingReason = '';
  private freeCheckedAt = 0;
  private writtenSinceCheck = 0;
  private freeOk = true;
  private freeBytes = Number.POSITIVE_INFINITY;
  private statsFd = -1;
  private statsDirty = true;
  private inoCheckedAt = 0;
  readonly stats: RelayStats;

  constructor(private readonly o: RelayOptions, private readonly now: () => number = Date.now) {
    this.stats = { pid: process.pid, writtenBytes: 0, droppedBytes: 0, rotations: 0, floorBytes: 0, at: now() };
    mkdirSync(dirname(o.file), { recursive: true, mode: 0o700 });
    this.stats.floorBytes = this.floor();
    this.open();
  }

  private floor(): number {
    if (this.o.keepFreeBytes !== undefined) return this.o.keepFreeBytes;
    try {
      const s = statfsSync(dirname(this.o.file));
      return Math.min(DEFAULT_FLOOR_MAX_BYTES, Math.floor(s.blocks * s.bsize * 0.05));
    } catch {
      return 0;
    }
  }

  private open(): void {
    this.fd = openSync(this.o.file, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    const keep = this.o.keep;
    try { closeSync(this.fd); } catch {}
    rmSync(`${this.o.file}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try { renameSync(`${this.o.file}.${i}`, `${this.o.file}.${i + 1}`); } catch {}
    }
    try { renameSync(this.o.file, `${this.o.file}.1`); } catch {}
    this.stats.rotations++;
    this.open();
  }

  /** free space above the floor for `n` more bytes (statfs at most every 100 ms or every MiB) */
  private roomFor(n: number): boolean {
    const t = this.now();
    if (t - this.freeCheckedAt >= 100 || this.writtenSinceCheck >= 1024 * 1024 || !this.freeOk) {
      this.freeCheckedAt = t;
      this.writtenSinceCheck = 0;
      try {
        const s = statfsSync(dirname(this.o.file));
        this.freeBytes = s.bavail * s.bsize;
      } catch {
        this.freeBytes = Number.POSITIVE_INFINITY;
      }
    }
    this.freeOk = this.freeBytes - this.writtenSinceCheck - n >= this.stats.floorBytes;
    return this.freeOk;
  }

  private drop(n: number, reason: string): void {
    this.stats.droppedBytes += n;
    this.pendingDropped += n;
    this.pendingReason = reason;
    this.statsDirty = true;
  }

  /** write all of `b` into the live file, rotating at the exact cap; returns false when the disk refused it */
  private writeCapped(b: Buffer): boolean {
    // the live file may have grown by the supervisor's marker lines, or been replaced
    this.refreshLive();
    let off = 0;
    const parts = splitForCap(this.size, b.length, this.o.maxBytes);
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) this.rotate();
      const len = parts[i]!;
      let done = 0;
      while (done < len) {
        let w: number;
        try {
          w = writeSync(this.fd, b, off + done, len - done);
        } catch (e) {
          this.stats.lastError = (e as Error).message;
          this.drop(b.length - off - done, (e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk full' : 'write failed');
          return false;
        }
        done += w;
        this.size += w;
        this.writtenSinceCheck += w;
        this.stats.writtenBytes += w;
      }
      off += len;
    }
    if (b.length > 0) this.lastByte = b[b.length - 1]!;
    return true;
  }

  private refreshLive(): void {
    const t = this.now();
    try {
      const st = fstatSync(this.fd);
      this.size = st.size;
      if (t - this.inoCheckedAt >= 1000) {
        this.inoCheckedAt = t;
        let ino = -1;
        try { ino = statSync(this.o.file).ino; } catch {}
        if (ino !== st.ino) { closeSync(this.fd); this.open(); }
      }
    } catch {
      this.open();
    }
  }

  /** One chunk from the engine. */
  write(chunk: Buffer): void {
    if (!this.roomFor(chunk.length + (this.pendingDropped > 0 ? 200 : 0))) {
      this.drop(chunk.length, 'disk nearly full');
      return;
    }
    if (this.pendingDropped > 0) {
      const lead = this.lastByte === 0x0a ? '' : '\n';
      const marker = Buffer.from(`${lead}--- sov: ${this.pendingDropped} bytes dropped: ${this.pendingReason} (free ${this.freeBytes} bytes, floor ${this.stats.floorBytes}) ---\n`);
      if (!this.writeCapped(marker)) { this.drop(chunk.length, 'disk full'); return; }
      this.pendingDropped = 0;
    }
    this.writeCapped(chunk);
    this.statsDirty = true;
  }

  /** Rewrite the stats file in place (fixed size: no new blocks on a full disk). */
  flushStats(force: boolean): void {
    if (!this.statsDirty && !force) return;
    this.stats.at = this.now();
    const text = JSON.stringify(this.stats);
    const b = Buffer.alloc(RELAY_STATS_BYTES, 0x20);
    b.write(text.slice(0, RELAY_STATS_BYTES - 1));
    b[RELAY_STATS_BYTES - 1] = 0x0a;
    try {
      if (this.statsFd < 0) {
        this.statsFd = openSync(this.o.statsFile, 'w', 0o600);
        ftruncateSync(this.statsFd, RELAY_STATS_BYTES);
      }
      writeSync(this.statsFd, b, 0, b.length, 0);
      this.statsDirty = false;
    } catch {}
  }

  close(): void {
    this.flushStats(true);
    try { closeSync(this.fd); } catch {}
    try { if (this.statsFd >= 0) closeSync(this.statsFd); } catch {}
  }
}

/**
 * The relay process: stdin → Relay until end of input. A blocking read loop into one reused buffer (no allocation
 * per chunk: the relay stays at a bare Node's size whatever the rate). SIGTERM ends it (the default action: every
 * chunk is already written); SIGHUP, SIGINT and SIGPIPE are ignored. Exit 2 on bad arguments.
 */
export function runRelay(argv: string[]): void {
  const o = parseRelayArgs(argv);
  if (!o) {
    process.stderr.write(`sov log relay: bad arguments: ${argv.join(' ')}\n`);
    process.exit(2);
  }
  // listeners make libuv catch these; the blocking loop never runs them: ignored
  process.on('SIGHUP', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('SIGPIPE', () => undefined);
  // the FIFO: opening it waits for a writer (the engine holds it); end of input once every writer closed it
  let input = 0;
  try {
    if (o.input) input = openSync(o.input, 'r');
  } catch (e) {
    process.stderr.write(`sov log relay: cannot open ${o.input}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const relay = new Relay(o);
  relay.flushStats(true);
  const buf = Buffer.allocUnsafe(64 * 1024);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let flushedAt = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(input, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EINTR') { Atomics.wait(nap, 0, 0, 10); continue; }
      break;
    }
    if (n === 0) break;
    relay.write(buf.subarray(0, n));
    const t = Date.now();
    if (t - flushedAt >= 250) { flushedAt = t; relay.flushStats(false); }
  }
  relay.close();
  process.exit(0);
}
