// The screen writer: the app hands whole frames to `present()` (and whatever Ink renders in debug mode lands in
// `inkStdout`, an in-memory stand-in for the terminal, the same way); we keep the latest frame and, at most once per event-loop turn and no more often than
// `minIntervalMs`, send the real terminal only the cells that changed since what it last showed.
import { EventEmitter } from 'node:events';
import { parseFrameRows, type Grid, type ParsedFrame } from './cells.js';
import { diffGrids } from './diff.js';

/** What the writer needs of the real terminal (process.stdout fits). */
export interface TerminalOut {
  write(data: string): boolean | void;
  columns?: number;
  rows?: number;
  on?(event: 'resize' | 'drain', listener: () => void): unknown;
  off?(event: 'resize' | 'drain', listener: () => void): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface ScreenWriterOptions {
  /** Minimum time between two writes to the terminal (default 16 ms, ~60 fps). */
  minIntervalMs?: number;
  /** Size to assume when `out` has none (not a TTY). Default 80×24. */
  fallbackCols?: number;
  fallbackRows?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface ScreenWriterStats {
  /** Frames Ink wrote into inkStdout. */
  renders: number;
  /** Writes to the real terminal (each one diff, possibly a full repaint). */
  frames: number;
  fullRepaints: number;
  bytesWritten: number;
}

/** A Writable-like stream Ink can render into. */
export class InkStdout extends EventEmitter {
  readonly isTTY = true;
  readonly writable = true;
  constructor(
    public columns: number,
    public rows: number,
    private readonly onFrame: (frame: string) => void,
  ) {
    super();
  }

  write(chunk: string | Uint8Array, encodingOrCb?: BufferEncoding | (() => void), cb?: () => void): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text !== '') this.onFrame(text);
    const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    if (done) queueMicrotask(done);
    return true;
  }

  // Ink probes these on stdout; an in-memory terminal never ends.
  end(): void {}
}

export interface ScreenWriter {
  inkStdout: InkStdout;
  /** Spread into Ink's render options: debug mode (whole frames, unthrottled) into inkStdout, console unpatched. */
  inkOptions: { debug: true; stdout: NodeJS.WriteStream; patchConsole: false };
  /** A whole frame composed by the app itself (lines joined by \n, SGR styling): the same path as Ink's writes,
   * without Ink's output stage, which tokenises and rebuilds every character of every frame. */
  present(frame: string): void;
  /** Writes the pending frame now (if any changed). */
  flush(): void;
  /** The terminal is now cols×rows: tell Ink (a 'resize' on inkStdout) and repaint fully on the next frame. */
  resize(cols: number, rows: number): void;
  /** Forget what the terminal shows: the next flush repaints fully (after a hand-off to ssh/a shell, or Ctrl+L). */
  repaint(): void;
  /** Stop writing (the terminal is handed to another program); frames keep being recorded. */
  pause(): void;
  /** Start writing again, with a full repaint. */
  resume(): void;
  /** Stops timers and listeners; writes nothing more. */
  close(): void;
  readonly stats: Readonly<ScreenWriterStats>;
}

export function createScreenWriter(out: TerminalOut, opts: ScreenWriterOptions = {}): ScreenWriter {
  const minIntervalMs = opts.minIntervalMs ?? 16;
  const now = opts.now ?? (() => performance.now());
  const stats: ScreenWriterStats = { renders: 0, frames: 0, fullRepaints: 0, bytesWritten: 0 };

  let latest: string | undefined;
  let dirty = false;
  let shown: { parsed: ParsedFrame; frame: string } | undefined; // what the terminal shows now
  let spare: Grid | undefined; // the grid shown before that: the next frame is parsed into it
  let lastFlushAt = -Infinity;
  let cancelTimer: (() => void) | undefined;
  let blocked = false; // the terminal did not take the last write yet (slow SSH): skip frames until 'drain'
  let paused = false;
  let closed = false;

  const onFrame = (frame: string) => {
    stats.renders++;
    latest = frame;
    dirty = true;
    schedule();
  };
  const inkStdout = new InkStdout(out.columns || opts.fallbackCols || 80, out.rows || opts.fallbackRows || 24, onFrame);

  function schedule(): void {
    if (cancelTimer || closed || paused || blocked || !dirty) return;
    const wait = lastFlushAt + minIntervalMs - now();
    if (wait <= 0) {
      const t = setImmediate(tick);
      cancelTimer = () => clearImmediate(t);
    } else {
      const t = setTimeout(tick, Math.ceil(wait));
      cancelTimer = () => clearTimeout(t);
    }
  }

  function tick(): void {
    cancelTimer = undefined;
    flush();
  }

  function onDrain(): void {
    blocked = false;
    schedule();
  }

  function flush(): void {
    cancelTimer?.();
    cancelTimer = undefined;
    if (closed || paused || blocked || !dirty || latest === undefined) return;
    dirty = false;
    const { columns: cols, rows } = inkStdout;
    if (shown && shown.frame === latest && shown.parsed.grid.cols === cols && shown.parsed.grid.rows === rows) return;
    // rows whose text and starting style did not change are the previous frame's cells, not parsed or compared again
    const parsed = parseFrameRows(latest, cols, rows, shown?.parsed, spare);
    const { bytes, full } = diffGrids(shown?.parsed.grid, parsed.grid, parsed.same);
    spare = shown?.parsed.grid;
    shown = { parsed, frame: latest };
    lastFlushAt = now();
    if (bytes === '') return;
    stats.frames++;
    if (full) stats.fullRepaints++;
    stats.bytesWritten += Buffer.byteLength(bytes);
    const accepted = out.write(bytes);
    if (accepted === false && out.once) {
      blocked = true;
      out.once('drain', onDrain);
    }
  }

  function repaint(): void {
    shown = undefined;
    dirty = latest !== undefined;
    schedule();
  }

  function resize(cols: number, rows: number): void {
    if (closed || cols <= 0 || rows <= 0) return;
    if (cols === inkStdout.columns && rows === inkStdout.rows) return;
    inkStdout.columns = cols;
    inkStdout.rows = rows;
    shown = undefined;
    dirty = latest !== undefined; // redraw the last frame at the new size even if Ink does not re-render
    inkStdout.emit('resize');
    schedule();
  }

  const onResize = () => resize(out.columns ?? inkStdout.columns, out.rows ?? inkStdout.rows);
  out.on?.('resize', onResize);

  return {
    inkStdout,
    inkOptions: { debug: true, stdout: inkStdout as unknown as NodeJS.WriteStream, patchConsole: false },
    present: onFrame,
    flush,
    resize,
    repaint,
    pause() {
      paused = true;
      cancelTimer?.();
      cancelTimer = undefined;
    },
    resume() {
      paused = false;
      repaint();
    },
    close() {
      closed = true;
      cancelTimer?.();
      cancelTimer = undefined;
      out.off?.('resize', onResize);
      out.off?.('drain', onDrain);
    },
    stats,
  };
}
