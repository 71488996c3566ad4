/**
 * Adapters drive an engine that something else runs: a container (docker/podman) or a systemd unit. The
 * supervisor polls `state()` to see it live or die; `process` engines are spawned by the supervisor itself
 * (adapters/process.ts holds the spawn and stop helpers).
 */
import { createLocalRunner } from '../../runner/local.js';

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

/**
 * Run `file args…` (argv array, no shell) with `env` through the project's local runner: its own process group,
 * killed whole at the deadline (a grandchild holding stdout cannot delay the answer), LC_ALL=C, bounded output.
 * Non-zero exits come back; a program not found, a spawn failure, a timeout or a signal throw AdapterError.
 * `all` is stdout then stderr (the runner keeps them apart; the order between the two is not kept).
 */
export async function runCmd(file: string, args: string[], env: NodeJS.ProcessEnv | undefined, timeoutMs: number): Promise<CmdResult> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) if (v !== undefined) vars[k] = v;
  Object.assign(vars, { LC_ALL: 'C', LANG: 'C' });
  const r = await createLocalRunner({ env: vars }).run([file, ...args], { timeoutMs });
  const cmd = `${file} ${args.join(' ')}`;
  if (r.notFound) throw new AdapterError(`${cmd}: ${file} not found on PATH`);
  if (r.spawnError) throw new AdapterError(`${cmd}: ${firstLine(r.spawnError)}`);
  if (r.timedOut) throw new AdapterError(`${cmd}: timed out after ${Math.round(timeoutMs / 1000)} s`);
  if (r.exitCode === null) throw new AdapterError(`${cmd}: killed by a signal`);
  const stdout = r.stdout.replace(/\n$/, '');
  const stderr = r.stderr.replace(/\n$/, '');
  return { stdout, stderr, all: [stdout, stderr].filter((x) => x !== '').join('\n'), exitCode: r.exitCode };
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
