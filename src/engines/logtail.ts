/**
 * Follows one engine's log for the engines screen, windowed: a capped buffer of the newest lines, and a count of
 * the lines that arrived faster than the view could keep them ("N lines dropped").
 *
 * Process engines log to a file (EngineStatus.logFile, the source of truth, on this machine: the daemon is reached
 * over a local unix socket): it is read from the last offset, at most `maxReadBytes` per poll, rotation detected by
 * inode or a shrinking size. Units and containers have no file: `engines.logs` through the daemon, new lines found
 * by overlap with what was seen before.
 */
import { open, stat } from 'node:fs/promises';
import type { DaemonLink } from '../daemon/client.js';
import type { EngineStatus } from '../daemon/types.js';
import { sanitize } from '../../widgets/primitives/text.js';

export interface LogSnapshot {
  engine: string;
  /** newest last, sanitized, at most the buffer's capacity */
  lines: string[];
  /** lines seen since the view was opened */
  total: number;
  /** lines that never made it into the buffer: the output outran the view */
  dropped: number;
  /** the daemon path cannot count what it missed: some lines were dropped, how many is unknown */
  droppedUnknown?: boolean;
  file?: string;
  via: 'file' | 'daemon';
  error?: string;
}

export interface LogTailOptions {
  /** lines kept (default 2000) */
  capacity?: number;
  /** bytes read from the file per poll at most (default 8 MiB); more is skipped and counted as dropped */
  maxReadBytes?: number;
  /** on open, how much of the existing file to show (default 64 KiB) */
  backlogBytes?: number;
  /** lines asked of the daemon per poll (default 300) */
  daemonLines?: number;
}

const MAX_LINE_CHARS = 4000;

function countNewlines(b: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = b.indexOf(10, from); i >= 0 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}

export class LogTail {
  readonly capacity: number;
  private buf: string[] = [];
  private total = 0;
  private dropped = 0;
  private droppedUnknown = false;
  private offset = -1;
  private ino = -1;
  private partial = '';
  /** the last bytes read before `offset`: the daemon rotates by copy + truncate in place (same inode), so a file
   * truncated and refilled past our offset between two polls is seen by these bytes no longer being there */
  private guard: Buffer | undefined;
  private file: string | undefined;
  private lastDaemonLines: string[] = [];
  private error: string | undefined;
  private via: 'file' | 'daemon' = 'file';

  constructor(readonly engine: string, private readonly o: LogTailOptions = {}) {
    this.capacity = o.capacity ?? 2000;
  }

  private push(lines: string[]): void {
    this.total += lines.length;
    const keep = lines.length > this.capacity ? lines.slice(-this.capacity) : lines;
    this.dropped += lines.length - keep.length;
    for (const l of keep) this.buf.push(sanitize(l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l));
    if (this.buf.length > this.capacity) this.buf.splice(0, this.buf.length - this.capacity);
  }

  snapshot(): LogSnapshot {
    const s: LogSnapshot = { engine: this.engine, lines: this.buf.slice(), total: this.total, dropped: this.dropped, via: this.via };
    if (this.droppedUnknown) s.droppedUnknown = true;
    if (this.file) s.file = this.file;
    if (this.error) s.error = this.error;
    return s;
  }

  /** Reads what is new. Never throws: a failure becomes `error` in the snapshot. */
  async poll(status: EngineStatus | undefined, link?: DaemonLink): Promise<LogSnapshot> {
    try {
      if (status?.logFile) await this.pollFile(status.logFile);
      else if (link && status) await this.pollDaemon(link);
      else this.error = status ? 'no log for this engine' : 'this engine is no longer listed';
    } catch (e) {
      this.error = sanitize(String((e as Error)?.message ?? e)).slice(0, 200);
    }
    return this.snapshot();
  }

  private async pollFile(path: string): Promise<void> {
    this.via = 'file';
    if (this.file !== path) { this.file = path; this.offset = -1; this.partial = ''; }
    let st;
    try { st = await stat(path); } catch (e) {
      this.error = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `no log file yet: ${path}` : String((e as Error).message);
      return;
    }
    this.error = undefined;
    const size = st.size;
    let first = false;
    let refilled = false;
    if (this.offset > 0 && this.guard && size >= this.offset && st.ino === this.ino) {
      const fh = await open(path, 'r');
      try {
        const b = Buffer.alloc(this.guard.length);
        await fh.read(b, 0, b.length, this.offset - this.guard.length);
        refilled = !b.equals(this.guard);
      } finally { await fh.close(); }
    }
    // the relay rotates by rename: what was written to the old file after our last read is now in `<path>.1`
    const renamed = this.offset >= 0 && st.ino !== this.ino;
    if (renamed) await this.finishRotated(`${path}.1`);
    if (this.offset < 0 || st.ino !== this.ino || size < this.offset || refilled) {
      // first look, or the file was rotated/truncated: start over (showing a little of what is there on first look)
      first = this.offset < 0;
      this.offset = first ? Math.max(0, size - (this.o.backlogBytes ?? 64 * 1024)) : 0;
      this.ino = st.ino;
      if (!renamed) this.partial = ''; // a line the relay split across the rename goes on in the new file
    }
    if (size <= this.offset) return;
    const maxRead = this.o.maxReadBytes ?? 8 * 1024 * 1024;
    const fh = await open(path, 'r');
    try {
      let from = this.offset;
      if (size - from > maxRead) {
        // the output outran us: count the lines we skip (cheap: newlines only), read the newest part
        const skipTo = size - maxRead;
        const chunk = Buffer.allocUnsafe(1024 * 1024);
        let skipped = this.partial ? 1 : 0;
        this.partial = '';
        for (let pos = from; pos < skipTo;) {
          const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, skipTo - pos), pos);
          if (!bytesRead) break;
          skipped += countNewlines(chunk, 0, bytesRead);
          pos += bytesRead;
        }
        this.total += skipped;
        this.dropped += skipped;
        from = skipTo;
      }
      const len = size - from;
      const data = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(data, 0, len, from);
      this.offset = from + bytesRead;
      const g = Math.min(16, bytesRead);
      this.guard = g > 0 ? Buffer.from(data.subarray(bytesRead - g, bytesRead)) : this.guard;
      let text = data.subarray(0, bytesRead).toString('utf8');
      if (first && from > 0) {
        const nl = text.indexOf('\n');
        text = nl >= 0 ? text.slice(nl + 1) : '';
      }
      text = this.partial + text;
      const lastNl = text.lastIndexOf('\n');
      this.partial = lastNl >= 0 ? text.slice(lastNl + 1) : text;
      if (this.partial.length > MAX_LINE_CHARS * 4) this.partial = this.partial.slice(-MAX_LINE_CHARS);
      if (lastNl < 0) return;
      this.push(text.slice(0, lastNl).split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
    } finally {
      await fh.close();
    }
  }

  /** The rest of the file we were reading, now renamed to `rotated` (only if it is the same inode; bounded). */
  private async finishRotated(rotated: string): Promise<void> {
    let fh;
    try { fh = await open(rotated, 'r'); } catch { return; }
    try {
      const st = await fh.stat();
      if (st.ino !== this.ino || st.size <= this.offset) return;
      const len = Math.min(st.size - this.offset, this.o.maxReadBytes ?? 8 * 1024 * 1024);
      const data = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(data, 0, len, st.size - len);
      if (st.size - len > this.offset) { const skipped = 1; this.total += skipped; this.dropped += skipped; this.droppedUnknown = true; this.partial = ''; }
      const text = this.partial + data.subarray(0, bytesRead).toString('utf8');
      const lastNl = text.lastIndexOf('\n');
      this.partial = lastNl >= 0 ? text.slice(lastNl + 1) : text;
      if (lastNl >= 0) this.push(text.slice(0, lastNl).split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
    } finally {
      await fh.close();
    }
  }

  private async pollDaemon(link: DaemonLink): Promise<void> {
    this.via = 'daemon';
    this.file = undefined;
    const r = await link.call('engines.logs', { name: this.engine, lines: this.o.daemonLines ?? 300 }, { timeoutMs: 5000 });
    this.error = undefined;
    const lines = r.lines;
    const prev = this.lastDaemonLines;
    let fresh: string[];
    if (!prev.length) fresh = lines;
    else {
      // the newest line we had: everything after its last occurrence is new
      const last = prev[prev.length - 1]!;
      const at = lines.lastIndexOf(last);
      if (at >= 0) fresh = lines.slice(at + 1);
      else { fresh = lines; if (lines.length >= (this.o.daemonLines ?? 300)) this.droppedUnknown = true; }
    }
    this.lastDaemonLines = lines.slice(-50);
    this.push(fresh);
  }
}
