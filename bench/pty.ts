// Run a command in a pseudo-terminal for a while, reading (and so draining) everything it writes.
import * as pty from 'node-pty';

export interface PtyRunOptions {
  cols?: number;
  rows?: number;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How long to let it run before ending it (SIGTERM, then SIGKILL 2 s later). */
  seconds: number;
  /** Every chunk of output, with ms since spawn. */
  onData?: (chunk: string, elapsedMs: number) => void;
  /** Right after spawn (to start samplers; `term.pid` is the command's pid; startedAt is performance.now() at spawn). */
  onSpawn?: (term: pty.IPty, startedAt: number) => void;
}

export interface PtyRunResult {
  pid: number;
  /** Bytes the command wrote to the terminal (UTF-8). */
  bytes: number;
  /** ms from spawn to exit. */
  durationMs: number;
  exitCode: number;
  signal?: number;
  /** It exited by itself before `seconds` were up. */
  exitedEarly: boolean;
}

export function runInPty(cmd: string, args: string[], opts: PtyRunOptions): Promise<PtyRunResult> {
  return new Promise((resolve, reject) => {
    let term: pty.IPty;
    const started = performance.now();
    try {
      term = pty.spawn(cmd, args, {
        name: opts.env?.TERM ?? 'xterm-256color',
        cols: opts.cols ?? 120,
        rows: opts.rows ?? 40,
        cwd: opts.cwd ?? process.cwd(),
        env: (opts.env ?? process.env) as Record<string, string>,
      });
    } catch (err) {
      reject(err);
      return;
    }
    let bytes = 0;
    let stopping = false;
    let killTimer: NodeJS.Timeout | undefined;
    const dataSub = term.onData((chunk) => {
      bytes += Buffer.byteLength(chunk);
      opts.onData?.(chunk, performance.now() - started);
    });
    const stopTimer = setTimeout(() => {
      stopping = true;
      try {
        term.kill('SIGTERM');
      } catch {}
      killTimer = setTimeout(() => {
        try {
          term.kill('SIGKILL');
        } catch {}
      }, 2000);
    }, opts.seconds * 1000);
    term.onExit(({ exitCode, signal }) => {
      clearTimeout(stopTimer);
      clearTimeout(killTimer);
      // let the last output arrive before detaching
      setTimeout(() => {
        dataSub.dispose();
        resolve({
          pid: term.pid,
          bytes,
          durationMs: performance.now() - started,
          exitCode,
          signal: signal || undefined,
          exitedEarly: !stopping,
        });
      }, 50);
    });
    opts.onSpawn?.(term, started);
  });
}
