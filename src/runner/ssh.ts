/**
 * Runs programs on another box over SSH, agentless: the same backends that sample this machine sample it unchanged.
 *
 * - ONE multiplexed connection per host: `ControlMaster=auto`, its socket (`ControlPath`) in sov's 0700 runtime
 *   dir, `ControlPersist=60`, so a tick costs no new handshake; the first command opens the master (ssh daemonises
 *   it in its own session), later ones reuse it, and a lost master is reopened by the next command.
 * - `BatchMode=yes`: never a prompt. Host keys: whatever the user's ssh config says (never StrictHostKeyChecking=no).
 * - ssh takes ONE command string that the remote login shell parses: every argv element is single-quoted
 *   (`remoteCommand`), so no value can become shell code; `env LC_ALL=C LANG=C` runs it in the C locale.
 * - The local `ssh` is spawned through the local runner: its own process group, a deadline per command, the group
 *   killed on timeout; readFile is `cat --`, listDir is `ls -1A --`, stream() is a long-lived `ssh … -- argv`.
 * - Reads asked for in the same turn (a sampler's Promise.all over /proc and /sys files) go as ONE remote command
 *   (`sh -c CAT_SCRIPT TOKEN path…`): each remote command costs a session and a login-shell start there.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { Runner, RunOptions, RunResult, StreamHandle, StreamOptions } from '../../backends/types.js';
import { sshArgv, type SshTarget } from '../config/vms.js';
import { ensurePrivateDir } from '../daemon/paths.js';
import { createLocalRunner } from './local.js';

/** ssh's own exit status when it could not connect or the connection failed */
export const SSH_FAILED = 255;

/** POSIX shell single-quoting: 'it'\''s' — nothing inside is expanded, substituted or split. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command string the remote shell runs: `env -- LC_ALL=C LANG=C [PATH=<prefix>:"$PATH"] 'argv0' 'argv1' …`.
 * `pathPrefix` (tests only, from SOV_SSH_REMOTE_PATH_PREFIX) puts a directory of recorded-output shims first.
 */
export function remoteCommand(argv: string[], pathPrefix?: string): string {
  if (!argv.length || !argv[0]) throw new Error('empty argv');
  // env would take a program named NAME=VALUE for one more variable
  if (argv[0].includes('=')) throw new Error(`a program name cannot hold "=": ${argv[0]}`);
  const env = ['env', '--', 'LC_ALL=C', 'LANG=C'];
  if (pathPrefix) env.push(`PATH=${shellQuote(pathPrefix)}:"$PATH"`);
  // `env --` ends env's options: an argv[0] starting with `-` is still a program name
  return [...env, ...argv.map(shellQuote)].join(' ');
}

export interface SshRunnerOptions {
  /** what the store and the cockpit call this host */
  name: string;
  target: SshTarget;
  /** sov's private runtime dir (src/daemon/paths.ts): the ControlPath socket lives here */
  runtimeDir: string;
  /** one command's deadline (default 10 s) */
  defaultTimeoutMs?: number;
  /** how long the master outlives its last command, seconds (default 60) */
  persistSec?: number;
  env?: NodeJS.ProcessEnv;
}

/** The ssh options every command of this host gets (before the destination). */
export function sshOptions(runtimeDir: string, persistSec = 60, connectTimeoutSec = 5): string[] {
  return [
    '-o', 'BatchMode=yes',
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${runtimeDir}/ssh-%C`,
    '-o', `ControlPersist=${persistSec}`,
    '-o', `ConnectTimeout=${connectTimeoutSec}`,
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=2',
    // a stream's stdin is not ours to give; -T: no terminal on the remote side
    '-n', '-T',
  ];
}

/** The full local argv: `ssh <options> <destination> -- <remote command string>`. */
export function sshCommandArgv(o: { target: SshTarget; runtimeDir: string; persistSec?: number; pathPrefix?: string }, argv: string[]): string[] {
  const [ssh, ...dest] = sshArgv(o.target);
  return [ssh!, ...sshOptions(o.runtimeDir, o.persistSec), ...dest, '--', remoteCommand(argv, o.pathPrefix)];
}

const NO_SUCH = /No such file or directory|not found/i;
/** what cat/ls say of a path that is not there */
const MISSING_PATH = /No such file or directory|Not a directory/;

/** The remote program was not there: `env` says so and exits 127. */
function remoteNotFound(r: RunResult): boolean {
  return r.exitCode === 127 && NO_SUCH.test(r.stderr);
}

/** ssh itself failed (unreachable, refused, host key, auth): one line saying so, from ssh's own stderr. */
export function sshFailure(host: string, r: Pick<RunResult, 'exitCode' | 'stderr' | 'timedOut' | 'notFound' | 'spawnError'>): string | undefined {
  if (r.notFound) return 'ssh not found on PATH (install openssh-client)';
  if (r.spawnError) return r.spawnError;
  if (r.timedOut) return undefined;
  if (r.exitCode !== SSH_FAILED) return undefined;
  const why = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? 'the connection failed';
  return `ssh ${host}: ${why.slice(0, 300)}`;
}

/** Cats each path it is given ("$@"), each followed by a line `TOKEN STATUS`; the token comes as $0. */
export const CAT_SCRIPT = 'for p; do cat -- "$p" 2>&1; s=$?; printf \'\\n%s %d\\n\' "$0" "$s"; done';
/** at most this many paths in one batched read */
export const MAX_BATCH_PATHS = 64;

export type CatPart = { code: number; text: string } | undefined;

/** Splits CAT_SCRIPT's output into one part per path (undefined where the output ended before it). Never throws. */
export function parseCatBatch(out: string, token: string, n: number): CatPart[] {
  const parts: CatPart[] = [];
  let pos = 0;
  const mark = `\n${token} `;
  for (let i = 0; i < n; i++) {
    const at = out.indexOf(mark, pos);
    const nl = at < 0 ? -1 : out.indexOf('\n', at + mark.length);
    const code = nl < 0 ? NaN : Number(out.slice(at + mark.length, nl));
    if (at < 0 || nl < 0 || !Number.isInteger(code)) { parts.push(undefined); pos = out.length; continue; }
    parts.push({ code, text: out.slice(pos, at) });
    pos = nl + 1;
  }
  return parts;
}

/** sshd allows 10 sessions per connection (MaxSessions): runs wait for a slot beyond this; the streams (nvidia -lms) use the rest */
export const MAX_SESSIONS = 8;

/** A counting semaphore: at most `n` holders; the rest wait in order. */
export function slots(n: number): { take(): Promise<(() => void) | undefined>; busy(): number; waiting(): number; close(): void } {
  let used = 0;
  let closed = false;
  const waiting: ((release: (() => void) | undefined) => void)[] = [];
  const release = () => { used--; const next = waiting.shift(); if (next) { used++; next(once()); } };
  const once = () => { let done = false; return () => { if (!done) { done = true; release(); } }; };
  return {
    /** a release function, or undefined once closed (the caller must not start anything then) */
    take() {
      if (closed) return Promise.resolve(undefined);
      if (used < n) { used++; return Promise.resolve(once()); }
      return new Promise((r) => waiting.push(r));
    },
    busy: () => used,
    waiting: () => waiting.length,
    /** refuses new holders and answers every waiter with undefined */
    close() { closed = true; for (const w of waiting.splice(0)) w(undefined); },
  };
}

/**
 * ONE handshake per host: while no master is known up, one command goes alone (ControlMaster=auto makes it the
 * master); the others wait for it, and share its failure when it could not connect (a down host costs one try per
 * turn). A command that finds the connection gone (exit 255) marks it down, so the next one opens it again alone.
 */
export function masterGate(name: string): { through(argv: string[], go: () => Promise<RunResult>): Promise<RunResult>; isUp(): boolean; markDown(): void } {
  let up = false;
  let gate: Promise<RunResult | undefined> | undefined;
  return {
    async through(argv, go) {
      while (!up && gate) {
        const failed = await gate;
        if (failed) return { ...failed, argv };
      }
      if (up) {
        const r = await go();
        if (r.exitCode === SSH_FAILED) up = false;
        return r;
      }
      let open!: (failed: RunResult | undefined) => void;
      gate = new Promise((r) => { open = r; });
      let r: RunResult | undefined;
      try { r = await go(); } finally {
        up = r !== undefined && r.exitCode !== SSH_FAILED && !r.timedOut;
        gate = undefined;
        open(up ? undefined : r ?? { argv, exitCode: SSH_FAILED, stdout: '', stderr: `ssh ${name}: no connection`, timedOut: false, notFound: false });
      }
      return r;
    },
    isUp: () => up,
    markDown() { up = false; },
  };
}

/** readFile for a host: the reads asked for in one turn go as one `sh -c CAT_SCRIPT TOKEN path…` (at most 64 each). */
export function readBatcher(name: string, run: (argv: string[]) => Promise<RunResult>): (path: string) => Promise<string | undefined> {
  type Wait = { path: string; resolve(t: string | undefined): void; reject(e: Error): void };
  let batch: Wait[] = [];
  async function readMany(todo: Wait[]): Promise<void> {
    const token = `__sov_${randomBytes(8).toString('hex')}__`;
    const r = await run(['sh', '-c', CAT_SCRIPT, token, ...todo.map((t) => t.path)]);
    const parts = parseCatBatch(r.stdout, token, todo.length);
    const whole = r.spawnError ?? (r.exitCode === SSH_FAILED ? r.stderr : r.timedOut ? `no answer in time on ${name}` : undefined);
    todo.forEach((t, i) => {
      const p = parts[i];
      if (!p) { t.reject(new Error(whole ?? `cat ${t.path} on ${name}: no answer (${r.stderr.trim().split('\n').pop() || `exit ${r.exitCode ?? '?'}`})`)); return; }
      if (p.code === 0) { t.resolve(p.text); return; }
      if (MISSING_PATH.test(p.text)) { t.resolve(undefined); return; }
      t.reject(new Error(`cat ${t.path} on ${name}: ${p.text.trim().split('\n').pop()?.replace(/^cat: /, '') ?? `exit ${p.code}`}`));
    });
  }
  const flush = () => {
    const todo = batch;
    batch = [];
    for (let i = 0; i < todo.length; i += MAX_BATCH_PATHS) void readMany(todo.slice(i, i + MAX_BATCH_PATHS));
  };
  return (path) => new Promise<string | undefined>((resolve, reject) => {
    batch.push({ path, resolve, reject });
    if (batch.length === 1) setImmediate(flush);
  });
}

export function createSshRunner(o: SshRunnerOptions): Runner & { close(): Promise<void>; closeSync(): void } {
  const env = o.env ?? process.env;
  const local = createLocalRunner({ defaultTimeoutMs: o.defaultTimeoutMs ?? 10_000 });
  const pathPrefix = env.SOV_SSH_REMOTE_PATH_PREFIX || undefined;
  const spec = { target: o.target, runtimeDir: o.runtimeDir, ...(o.persistSec !== undefined ? { persistSec: o.persistSec } : {}), ...(pathPrefix ? { pathPrefix } : {}) };
  const sessions = slots(MAX_SESSIONS);
  const gate = masterGate(o.name);
  let dirReady = false;
  /**
   * The dir holding the ControlPath socket (which gives a shell on the host) must be ours alone: 0700, not a symlink,
   * owned by us (ensurePrivateDir). Why not, as one line, when it is not.
   */
  const ready = (): string | undefined => {
    if (dirReady) return undefined;
    try { ensurePrivateDir(o.runtimeDir); } catch (e) { return `ssh ${o.name}: ${(e as Error).message}`; }
    dirReady = true;
    return undefined;
  };

  async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (!argv[0]) throw new Error('empty argv');
    const unsafe = ready();
    if (unsafe) return { argv, exitCode: null, stdout: '', stderr: unsafe, timedOut: false, notFound: false, spawnError: unsafe };
    const release = await sessions.take();
    if (!release) return { argv, exitCode: null, stdout: '', stderr: `ssh ${o.name}: the runner is closed`, timedOut: false, notFound: false, spawnError: `ssh ${o.name}: the runner is closed` };
    let r: RunResult;
    try { r = await gate.through(argv, () => local.run(sshCommandArgv(spec, argv), opts)); } finally { release(); }
    const failed = sshFailure(o.name, r);
    // the backends see the remote command's argv and outcome, as locally; a connection that failed is an error of
    // this attempt (exit 255, ssh's reason as stderr), never "the program could not be started" (a stable state):
    // the scheduler keeps the last good data and backs off until the host answers again
    if (failed && r.exitCode === SSH_FAILED) return { ...r, argv, notFound: false, stderr: failed };
    const out: RunResult = { ...r, argv, notFound: remoteNotFound(r) };
    if (failed) out.spawnError = failed;
    return out;
  }

  async function lines(argv: string[], path: string): Promise<string | undefined> {
    const r = await run(argv);
    if (r.exitCode === 0) return r.stdout;
    if (r.spawnError) throw new Error(r.spawnError);
    if (r.exitCode === SSH_FAILED) throw new Error(r.stderr);
    if (r.timedOut) throw new Error(`${argv[0]} ${path} on ${o.name}: no answer in time`);
    if (MISSING_PATH.test(r.stderr)) return undefined;
    throw new Error(`${argv[0]} ${path} on ${o.name}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`}`);
  }

  const readFile = readBatcher(o.name, run);

  return {
    host: o.name,
    run,
    stream(argv: string[], so: StreamOptions): StreamHandle {
      const unsafe = ready();
      if (unsafe) {
        setImmediate(() => so.onExit({ exitCode: null, stderr: unsafe, notFound: false, spawnError: unsafe }));
        return { stop() {} };
      }
      // a stream never ends, so it never opens the master itself: a short command does first when none is up
      let stopped = false;
      let inner: StreamHandle | undefined;
      const start = () => { if (!stopped) inner = startStream(argv, so); };
      if (gate.isUp()) start();
      else {
        void run(['true']).then((r) => {
          if (stopped) return;
          if (r.exitCode === 0) start();
          else so.onExit({ exitCode: r.exitCode, stderr: r.stderr, notFound: false, ...(r.spawnError ? { spawnError: r.spawnError } : {}) });
        });
      }
      return { stop() { stopped = true; inner?.stop(); } };
    },
    readFile,
    async listDir(path) {
      const out = await lines(['ls', '-1A', '--', path], path);
      return out === undefined ? undefined : out.split('\n').filter(Boolean);
    },
    now: () => Date.now(),
    /**
     * The same, synchronously (at most 2 s): for the cockpit's quit, which exits right after (SIGHUP, q) and would
     * otherwise leave the master up for ControlPersist seconds.
     */
    closeSync() {
      sessions.close();
      const [ssh, ...dest] = sshArgv(o.target);
      spawnSync(ssh!, ['-o', `ControlPath=${o.runtimeDir}/ssh-%C`, '-O', 'exit', ...dest], { stdio: 'ignore', timeout: 2000, env: { ...process.env, LC_ALL: 'C' } });
    },
    /** ends the master connection now (`ssh -O exit`), rather than ControlPersist seconds after the last command */
    async close() {
      // synchronously: queued commands are refused; the master's exit is asked a turn later, so a caller may kill
      // the running commands' groups in between (killAllChildren) without killing this request too
      sessions.close();
      await new Promise((r) => setImmediate(r));
      const [ssh, ...dest] = sshArgv(o.target);
      await local.run([ssh!, '-o', `ControlPath=${o.runtimeDir}/ssh-%C`, '-O', 'exit', ...dest], { timeoutMs: 3000 });
    },
  };

  function startStream(argv: string[], so: StreamOptions): StreamHandle {
      return local.stream(sshCommandArgv(spec, argv), {
        onLine: so.onLine,
        onExit(e) {
          const notFound = e.exitCode === 127 && NO_SUCH.test(e.stderr);
          const failed = sshFailure(o.name, { ...e, timedOut: false });
          // the connection went: the next command opens a master again (one handshake)
          if (e.exitCode === SSH_FAILED) gate.markDown();
          so.onExit({ ...e, notFound, ...(failed ? { spawnError: failed } : {}) });
        },
      });
  }
}
