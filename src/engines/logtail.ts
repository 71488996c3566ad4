/**
 * Follows one engine's log for the engines screen, windowed: a capped buffer of the newest lines, and a count of
 * the lines that arrived faster than the view could keep them ("N lines dropped").
 *
 * Process engines log to a file (EngineStatus.logFile, the source of truth, on this machine: the daemon is reached
 * over a local unix socket): it is followed by the daemon's LogFollower (src/daemon/follow.ts: through any number of
 * rename rotations, at most `maxReadBytes` per poll, losses counted). Units and containers have no file:
 * `engines.logs` through the daemon, new lines found by overlap with what was seen before.
 */
import type { DaemonLink } from '../daemon/client.js';
import { LogFollower } from '../daemon/follow.js';
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
  /** some lines were lost and how many is unknown: the daemon path missed some, or the file rotated away unread */
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

export class LogTail {
  readonly capacity: number;
  private buf: string[] = [];
  private total = 0;
  private dropped = 0;
  private droppedUnknown = false;
  private follower: LogFollower | undefined;
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
    if (this.file !== path || !this.follower) {
      this.file = path;
      this.follower = new LogFollower(path, {
        start: { backlogBytes: this.o.backlogBytes ?? 64 * 1024 }, maxReadBytes: this.o.maxReadBytes ?? 8 * 1024 * 1024,
      });
    }
    const r = await this.follower.read();
    if (r.missing) { this.error = `no log file yet: ${path}`; return; }
    this.error = undefined;
    this.total += r.droppedLines;
    this.dropped += r.droppedLines;
    if (r.lost) this.droppedUnknown = true;
    this.push(r.lines);
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
