/**
 * Contracts shared by every backend. Backends never import react/ink/zustand/widgets,
 * and never import each other: joins (GPU process → engine) happen in selectors.
 */

/**
 * Host sources (nvidia, numa, system, zfs) are sampled through a Runner and listed in BACKENDS; `services` (probes
 * from the config) and `engines` (the daemon's engine list) are created by the app from the config and the daemon
 * link, and go through the same scheduler and store (docs/decisions.md, "Sources that need more than a Runner").
 */
export type SourceId = 'nvidia' | 'numa' | 'system' | 'zfs' | 'services' | 'engines' | 'vms';

/** One reading of one source. Absent values are `undefined`, never 0. */
export type Sample<T> =
  | { state: 'pending' }
  | { state: 'ok'; data: T; at: number; tookMs: number }
  | { state: 'unavailable'; reason: string; hint?: string; at: number }
  | { state: 'error'; message: string; at: number; failures: number; lastGood?: { data: T; at: number } };

/** What a source returns from one attempt; the scheduler adds `failures` and `lastGood`. */
export type Attempt<T> =
  | { state: 'ok'; data: T }
  | { state: 'unavailable'; reason: string; hint?: string }
  | { state: 'error'; message: string };

export interface RunOptions {
  /** Kill the process after this long (default: runner's default, 10 s). */
  timeoutMs?: number;
  /** ctrl+c on a running action: the process group is killed at once (the result says cancelled) */
  signal?: AbortSignal;
}

export interface RunResult {
  argv: string[];
  /** null when killed by a signal or never started */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** the program is not on PATH (ENOENT) */
  notFound: boolean;
  /** ended by RunOptions.signal before it finished */
  cancelled?: boolean;
  /** spawn failed for another reason (EACCES…) */
  spawnError?: string;
}

export interface StreamExit {
  exitCode: number | null;
  signal?: string;
  /** last stderr output, trimmed to a few KB */
  stderr: string;
  notFound: boolean;
  spawnError?: string;
}

export interface StreamOptions {
  onLine(line: string): void;
  onExit(exit: StreamExit): void;
}

export interface StreamHandle {
  stop(): void;
}

/**
 * How a backend reaches a host: local (execa), demo (recorded outputs), later SSH.
 * argv arrays only, never a shell; LC_ALL=C is forced by implementations.
 */
export interface Runner {
  readonly host: string;
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** A long-lived process whose stdout is delivered line by line (e.g. `nvidia-smi … -lms 1000`). */
  stream(argv: string[], opts: StreamOptions): StreamHandle;
  /** File contents, or undefined when the file does not exist. Throws on other errors (EACCES…). */
  readFile(path: string): Promise<string | undefined>;
  /** Directory entries, or undefined when the directory does not exist. */
  listDir(path: string): Promise<string[] | undefined>;
  /** The runner's clock (the demo box has its own). */
  now(): number;
}

/** A live source of samples for one host. */
export interface Source<T> {
  readonly id: SourceId;
  /** One attempt. Must never throw (the scheduler still guards it) and must honour its own timeouts. */
  sample(): Promise<Attempt<T>>;
  /** Stop long-lived processes. */
  dispose(): void;
}

export interface BackendDef<T> {
  id: SourceId;
  title: string;
  /** cadence while shown on screen */
  intervalMs: number;
  create(runner: Runner): Source<T>;
}

/** A finding to show beside the data: a lint, a misconfiguration, a degraded state. */
export interface Finding {
  severity: 'info' | 'warn' | 'crit';
  /** what it is about: a pool, a dataset, a GPU index… */
  target: string;
  message: string;
}
