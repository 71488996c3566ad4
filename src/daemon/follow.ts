/**
 * The one rotation-aware log follower (`tail -F`), used by `sov engines logs -f` (follow, below) and by the
 * cockpit's log view (src/engines/logtail.ts, a thin wrapper adding a capacity and drop counts).
 *
 * The relay (src/daemon/relay.ts) rotates by rename at an exact size, possibly several times between two reads:
 * when the live file's inode is no longer ours, our file is looked for among `<file>.1 … .N` (opened newest
 * first, so a rotation during the look can only show a file twice, never hide one) and it, then every newer file,
 * then the live one are drained in order. A line the relay split across a rename is joined. When our file is gone
 * (rotated past `.keep`) the loss is reported (`lost`, and the fragment that starts the oldest file left is
 * discarded and counted as a dropped line): never a silent gap, never a half line shown as a whole one.
 * Our file is known by inode, creation time and the bytes just before our position (an inode number is reused
 * once the oldest file is deleted). A live file that shrank or whose bytes before our position changed
 * (copytruncate) is read from 0.
 *
 * A line is capped at MAX_LINE_BYTES (a longer one is delivered in pieces). `maxReadBytes` bounds one read: the
 * older bytes beyond it are skipped, their lines counted as dropped.
 */
import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export const MAX_LINE_BYTES = 8 * 1024;
const CHUNK = 64 * 1024;
/** rotated files looked at when the caller does not know `keep` (the look stops at two missing names in a row) */
const PROBE_MAX = 64;

/** One line's bytes → text: capped at maxLine, a trailing CR removed. */
export function decodeLine(pieces: Buffer[], maxLine: number): string {
  let b = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  if (b.length > maxLine) b = b.subarray(0, maxLine);
  else if (b.length > 0 && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
  return b.toString('utf8');
}

export interface FollowerOptions {
  /** where the first read starts: the current end (default), the beginning, or this many bytes before the end */
  start?: 'end' | 'start' | { backlogBytes: number };
  /** bytes one read looks at, at most (default: no bound); older ones are skipped and their lines counted */
  maxReadBytes?: number;
  /** rotated files the writer keeps (`.1 … .keep`); unknown: probed */
  keep?: number;
}

export interface FollowRead {
  /** whole lines, oldest first, not sanitised */
  lines: string[];
  /** lines known lost: skipped over maxReadBytes, or the fragment discarded after a loss */
  droppedLines: number;
  /** our file was rotated away before we finished it: an unknown number of lines is lost */
  lost: boolean;
  /** the file does not exist (yet) */
  missing?: boolean;
}

interface Seg { fh: FileHandle; from: number }

export class LogFollower {
  private pos = -1;
  private ino = -1;
  private birthMs = 0;
  private fresh = false;
  private partial: Buffer[] = [];
  private partialLen = 0;
  private guard: Buffer | undefined;
  private discardLead = false;

  constructor(readonly file: string, private readonly o: FollowerOptions = {}) {}

  /** What is new since the last read. A missing file is `missing`; other errors throw. */
  async read(): Promise<FollowRead> {
    const res: FollowRead = { lines: [], droppedLines: 0, lost: false };
    let live: FileHandle;
    try {
      live = await open(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // once it appears, all of it is new
      if (this.pos < 0) this.fresh = true;
      return { ...res, missing: true };
    }
    const handles: FileHandle[] = [live];
    try {
      const st = await live.stat();
      const segs = await this.segments(live, st, handles, res);
      this.ino = st.ino;
      this.birthMs = st.birthtimeMs;
      let skip = 0;
      const maxRead = this.o.maxReadBytes;
      if (maxRead !== undefined) {
        let avail = 0;
        for (const s of segs) avail += Math.max(0, (await s.fh.stat()).size - s.from);
        skip = Math.max(0, avail - maxRead);
      }
      for (const s of segs) skip = await this.drain(s, skip, res);
      const g = Math.min(16, this.pos);
      this.guard = Buffer.alloc(g);
      if (g > 0) await live.read(this.guard, 0, g, this.pos - g);
      return res;
    } finally {
      for (const h of handles) await h.close().catch(() => undefined);
    }
  }

  /** the files to read this time, oldest first, each from its offset */
  private async segments(live: FileHandle, st: Stats, handles: FileHandle[], res: FollowRead): Promise<Seg[]> {
    const { ino, size } = st;
    if (this.pos < 0) {
      const s = this.o.start ?? 'end';
      let from = size;
      if (this.fresh || s === 'start') from = 0;
      else if (typeof s === 'object') from = Math.max(0, size - s.backlogBytes);
      this.discardLead = from > 0 && from < size;
      return [{ fh: live, from }];
    }
    if (ino === this.ino && sameBirth(st.birthtimeMs, this.birthMs)) {
      // same file; shrunk or rewritten before our position (copytruncate, which moved the rest to `.1`): from 0
      const reset = !(await this.guardHolds(live, st.size));
      if (reset) this.resetLine();
      return [{ fh: live, from: reset ? 0 : this.pos }];
    }
    // rotated (once or more): the chain newest first, deduplicated by inode; ours is the one holding our bytes
    // (an inode number alone can be reused by the next file once ours is deleted)
    const chain: { fh: FileHandle; ours: boolean }[] = [{ fh: live, ours: false }];
    const seen = new Set([ino]);
    const max = this.o.keep ?? PROBE_MAX;
    let misses = 0;
    for (let i = 1; i <= max && (this.o.keep !== undefined || misses < 2); i++) {
      const fh = await open(`${this.file}.${i}`, 'r').catch(() => undefined);
      if (!fh) { misses++; continue; }
      misses = 0;
      handles.push(fh);
      const fst = await fh.stat();
      if (seen.has(fst.ino)) continue;
      seen.add(fst.ino);
      const ours = fst.ino === this.ino && sameBirth(fst.birthtimeMs, this.birthMs) && (await this.guardHolds(fh, fst.size));
      chain.push({ fh, ours });
      if (fst.ino === this.ino) break;
    }
    const at = chain.findIndex((c) => c.ours);
    if (at >= 0) return chain.slice(0, at + 1).reverse().map((c, i) => ({ fh: c.fh, from: i === 0 ? this.pos : 0 }));
    // ours is gone: what it still held is lost, and the oldest file left starts with a fragment
    res.lost = true;
    this.resetLine();
    this.discardLead = true;
    res.droppedLines++;
    return chain.reverse().map((c) => ({ fh: c.fh, from: 0 }));
  }

  /** the bytes just before our position are still those we read there */
  private async guardHolds(fh: FileHandle, size: number): Promise<boolean> {
    if (size < this.pos) return false;
    const g = this.guard;
    if (!g || g.length === 0 || this.pos < g.length) return true;
    const b = Buffer.alloc(g.length);
    await fh.read(b, 0, b.length, this.pos - g.length);
    return b.equals(g);
  }

  private resetLine(): void {
    this.partial = [];
    this.partialLen = 0;
  }

  /** read one file from its offset to its end; the first `skip` bytes are counted, not delivered; returns skip left */
  private async drain(s: Seg, skip: number, res: FollowRead): Promise<number> {
    const buf = Buffer.alloc(CHUNK);
    let pos = s.from;
    for (;;) {
      const { bytesRead } = await s.fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      let data = Buffer.from(buf.subarray(0, bytesRead));
      if (skip > 0) {
        const n = Math.min(skip, data.length);
        const nl = countNewlines(data, n);
        res.droppedLines += nl;
        if (nl > 0 || n > 0) this.resetLine();
        skip -= n;
        if (skip === 0 && data[n - 1] !== 0x0a) { this.discardLead = true; res.droppedLines++; }
        data = data.subarray(n);
      }
      if (this.discardLead && data.length > 0) {
        const nl = data.indexOf(0x0a);
        if (nl < 0) continue;
        this.discardLead = false;
        data = data.subarray(nl + 1);
      }
      this.split(data, res.lines);
    }
    this.pos = pos;
    return skip;
  }

  private split(data: Buffer, out: string[]): void {
    let start = 0;
    for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, i + 1)) {
      out.push(decodeLine([...this.partial, data.subarray(start, i)], MAX_LINE_BYTES));
      this.resetLine();
      start = i + 1;
    }
    if (start < data.length) {
      this.partial.push(data.subarray(start));
      this.partialLen += data.length - start;
      if (this.partialLen >= MAX_LINE_BYTES) {
        out.push(decodeLine(this.partial, MAX_LINE_BYTES));
        this.resetLine();
      }
    }
  }
}

/** creation times match, or the filesystem does not keep them (0) */
function sameBirth(a: number, b: number): boolean {
  return !a || !b || a === b;
}

function countNewlines(b: Buffer, to: number): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0 && i < to; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

export interface Follower {
  close(): void;
  /** read what is new now (after a read already under way); resolves once the lines are delivered */
  tickNow(): Promise<void>;
}

export interface FollowOptions {
  /** poll cadence (default 250 ms) */
  intervalMs?: number;
  /** start at the beginning instead of the current end */
  fromStart?: boolean;
  /** let the process exit while following (default: keeps it alive, as `logs -f` wants) */
  unref?: boolean;
  /** rotated files kept by the writer, when known */
  keep?: number;
}

/** A line telling the reader that lines were lost (the relay's own markers look the same). */
export function lossMarker(r: FollowRead): string {
  return r.lost
    ? '--- sov: the log rotated away before it was read: some lines are missing here ---'
    : `--- sov: ${r.droppedLines} line${r.droppedLines === 1 ? '' : 's'} skipped ---`;
}

/** `tail -F` on a timer over LogFollower; losses are shown as a marker line (see lossMarker). */
export function follow(file: string, onLines: (lines: string[]) => void, opts: FollowOptions = {}): Follower {
  const f = new LogFollower(file, { start: opts.fromStart ? 'start' : 'end', ...(opts.keep !== undefined ? { keep: opts.keep } : {}) });
  let closed = false;
  const tick = async () => {
    if (closed) return;
    try {
      const r = await f.read();
      const out = r.lost || r.droppedLines > 0 ? [lossMarker(r), ...r.lines] : r.lines;
      if (out.length > 0 && !closed) onLines(out);
    } catch {
      // unreadable for now: the next tick tries again
    }
  };
  let running: Promise<void> = Promise.resolve();
  const run = () => { running = running.then(tick); return running; };
  const timer = setInterval(() => void run(), opts.intervalMs ?? 250);
  if (opts.unref) timer.unref();
  void run();
  return {
    close() {
      closed = true;
      clearInterval(timer);
    },
    tickNow: run,
  };
}
