/**
 * Adapters drive an engine that something else runs: a container (docker/podman) or a systemd unit. The
 * supervisor polls `state()` to see it live or die; `process` engines are spawned by the supervisor itself
 * (adapters/process.ts holds the spawn and stop helpers).
 */
import { execa } from 'execa';

export interface AdapterState {
  running: boolean;
  /** the main pid on this host, when known (container init pid, unit MainPID) */
  pid?: number;
  /** exit status of the last run, when it ended */
  exitCode?: number;
  /** epoch ms the current run started, when known */
  startedAt?: number;
  /** the runtime's own word ("running", "exited", "active/running", "failed/failed") */
  status: string;
  /** restarts done by the runtime itself (systemd NRestarts) */
  runtimeRestarts?: number;
  /** the runtime could not be asked (not installed, no such container/unit): one line */
  error?: string;
}

export interface EngineAdapter {
  start(): Promise<void>;
  stop(timeoutSec: number): Promise<void>;
  restart(timeoutSec: number): Promise<void>;
  state(): Promise<AdapterState>;
  logs(lines: number): Promise<string[]>;
}

/** A command the adapter ran failed: the command line and what it said. */
export class AdapterError extends Error {
  constructor(message: string, readonly exitCode?: number) {
    super(message);
    this.name = 'AdapterError';
  }
}

export interface CmdResult { stdout: string; stderr: string; all: string; exitCode: number }

/** Run `file args…` (argv array, no shell) with `env`; non-zero exits come back, spawn failures throw AdapterError. */
export async function runCmd(file: string, args: string[], env: NodeJS.ProcessEnv | undefined, timeoutMs: number): Promise<CmdResult> {
  const r = await execa(file, args, { env, reject: false, timeout: timeoutMs, all: true, stdin: 'ignore', stripFinalNewline: true });
  if (r.failed && r.exitCode === undefined) {
    throw new AdapterError(`${file} ${args.join(' ')}: ${r.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : firstLine(r.shortMessage)}`);
  }
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: String(r.all ?? ''), exitCode: r.exitCode ?? 0 };
}

export function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** Throws AdapterError with the command's own words when it exited non-zero. */
export function check(file: string, args: string[], r: CmdResult): CmdResult {
  if (r.exitCode !== 0) {
    throw new AdapterError(`${file} ${args.join(' ')} exited ${r.exitCode}: ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}`, r.exitCode);
  }
  return r;
}

export function splitLines(s: string): string[] {
  if (s === '') return [];
  const l = s.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}
