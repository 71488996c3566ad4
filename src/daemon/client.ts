/**
 * Clients of `sov daemon`: JSON-RPC 2.0 (json-rpc-2.0's JSONRPCClient) over the unix socket, one JSON message per
 * line, a timeout on every call.
 *
 *   connectDaemon({ autostart: true })  one connection for a headless command; starts the daemon detached
 *                                       (own session) when nothing answers, and waits for its socket (≤ 5 s)
 *   createDaemonLink({ … })             a long-lived link for the TUI: reconnects by itself with backoff and
 *                                       says `state: 'up' | 'down'`, the last error, and calls onChange
 */
import { spawn } from 'node:child_process';
import { onJsonLines } from './framing.js';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createConnection, type Socket } from 'node:net';
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCResponse } from 'json-rpc-2.0';
import { ensureDaemonDirs, resolvePaths, type SovPaths } from './paths.js';
import type { RpcMethods } from './types.js';

/** The daemon answered with a JSON-RPC error: `code` is one of RPC_ERRORS (or a JSON-RPC code), `data` may hold an EngineStatus. */
export class DaemonRpcError extends Error {
  constructor(message: string, readonly code: number, readonly data?: unknown) { super(message); }
}

/** No daemon answers (and none could be started), the connection dropped, or a call timed out. */
export class DaemonDownError extends Error {
  constructor(message: string, readonly socket: string) { super(message); }
}

export interface CallOptions { timeoutMs?: number }

export interface DaemonClient {
  readonly paths: SovPaths;
  /** true when this connect started the daemon */
  readonly started: boolean;
  call<M extends keyof RpcMethods>(method: M, params: RpcMethods[M][0], opts?: CallOptions): Promise<RpcMethods[M][1]>;
  close(): void;
  /** called once when the connection drops (daemon stopped or died) */
  onClose(cb: () => void): void;
}

export interface ConnectOptions {
  paths?: SovPaths;
  /** --config: resolves paths when `paths` is not given; also handed to a daemon this client starts */
  config?: string;
  env?: NodeJS.ProcessEnv;
  /** start the daemon detached when nothing answers (default false) */
  autostart?: boolean;
  /** how long to wait for a started daemon's socket (default 5000) */
  startTimeoutMs?: number;
  /** default timeout of each call (default 10000) */
  timeoutMs?: number;
  /** timeout of the connect itself (default 2000) */
  connectTimeoutMs?: number;
  /** the command that runs the daemon (default: this program: [execPath, ...execArgv, argv[1], 'daemon', '--foreground']) */
  daemonCommand?: string[];
}

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

function openSocket(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ path });
    const t = setTimeout(() => { s.destroy(); reject(new Error(`connect timed out after ${timeoutMs} ms`)); }, timeoutMs);
    s.once('connect', () => { clearTimeout(t); s.removeAllListeners('error'); resolve(s); });
    s.once('error', (e) => { clearTimeout(t); s.destroy(); reject(e); });
  });
}

/** Wraps a connected socket in a typed JSON-RPC client. */
function wrap(sock: Socket, paths: SovPaths, started: boolean, defaultTimeoutMs: number): DaemonClient {
  let closed = false;
  const closeCbs: (() => void)[] = [];
  const rpc = new JSONRPCClient((payload: unknown) => {
    if (closed || !sock.writable) throw new DaemonDownError(`the daemon connection is closed (${paths.socket})`, paths.socket);
    sock.write(JSON.stringify(payload) + '\n');
  });
  onJsonLines(sock, (line) => {
    try { rpc.receive(JSON.parse(line) as JSONRPCResponse | JSONRPCResponse[]); } catch {}
  });
  const onGone = () => {
    if (closed) return;
    closed = true;
    rpc.rejectAllPendingRequests(`the daemon closed the connection (${paths.socket})`);
    for (const cb of closeCbs.splice(0)) cb();
  };
  sock.on('error', () => {});
  sock.on('close', onGone);
  return {
    paths,
    started,
    async call(method, params, opts) {
      const timeoutMs = opts?.timeoutMs ?? defaultTimeoutMs;
      if (closed) throw new DaemonDownError(`the daemon connection is closed (${paths.socket})`, paths.socket);
      try {
        return await rpc.timeout(timeoutMs, (id) => ({ jsonrpc: '2.0', id, error: { code: -32000, message: `${method}: no answer from the daemon within ${timeoutMs} ms`, data: { timeout: true } } }))
          .request(method, params);
      } catch (e) {
        if (e instanceof JSONRPCErrorException) {
          if (e.code === -32000 && (e.data as { timeout?: boolean } | undefined)?.timeout) throw new DaemonDownError(e.message, paths.socket);
          throw new DaemonRpcError(e.message, e.code, e.data);
        }
        if (e instanceof DaemonDownError) throw e;
        throw new DaemonDownError((e as Error)?.message ?? String(e), paths.socket);
      }
    },
    close() {
      if (closed) return;
      sock.end();
      sock.destroy();
      onGone();
    },
    onClose(cb) { if (closed) cb(); else closeCbs.push(cb); },
  };
}

/** true when something accepts connections on the socket */
export function probeSocket(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ path });
    const done = (v: boolean) => { clearTimeout(t); s.destroy(); resolve(v); };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The daemon's own stdout/stderr (a detached start), last lines: why it did not come up. */
function tailOf(file: string, n = 10): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts `sov daemon --foreground` detached: its own session (setsid), stdio to <state>/daemon.out, cwd the home
 * directory (as a systemd user unit), not waited for.
 */
export function spawnDaemon(paths: SovPaths, opts: { config?: string; env?: NodeJS.ProcessEnv; daemonCommand?: string[] } = {}): { pid?: number; exited: () => { code: number | null } | undefined } {
  ensureDaemonDirs(paths);
  const cmd = opts.daemonCommand ?? [process.execPath, ...process.execArgv, process.argv[1] ?? '', 'daemon', '--foreground'];
  const args = [...cmd.slice(1), ...(opts.config !== undefined ? ['--config', paths.configPath] : [])];
  const out = openSync(paths.daemonOut, 'a', 0o600);
  try {
    const child = spawn(cmd[0]!, args, {
      detached: true,
      stdio: ['ignore', out, out],
      cwd: homedir(),
      env: opts.env ?? process.env,
    });
    let exit: { code: number | null } | undefined;
    child.on('exit', (code) => { exit = { code }; });
    child.on('error', () => { exit = { code: null }; });
    child.unref();
    return { pid: child.pid, exited: () => exit };
  } finally {
    closeSync(out);
  }
}

/** One connection to the daemon; with `autostart`, starts it when nothing answers. Throws DaemonDownError. */
export async function connectDaemon(opts: ConnectOptions = {}): Promise<DaemonClient> {
  const paths = opts.paths ?? resolvePaths({ ...(opts.config !== undefined ? { config: opts.config } : {}), env: opts.env ?? process.env });
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
  let firstError: Error;
  try {
    return wrap(await openSocket(paths.socket, connectTimeoutMs), paths, false, timeoutMs);
  } catch (e) {
    firstError = e as Error;
  }
  if (!opts.autostart) {
    throw new DaemonDownError(`the sov daemon is not running (${paths.socket}: ${(firstError as NodeJS.ErrnoException).code ?? firstError.message}); start it with \`sov daemon start\``, paths.socket);
  }
  let child: ReturnType<typeof spawnDaemon>;
  try {
    child = spawnDaemon(paths, { ...(opts.config !== undefined ? { config: opts.config } : {}), ...(opts.env ? { env: opts.env } : {}), ...(opts.daemonCommand ? { daemonCommand: opts.daemonCommand } : {}) });
  } catch (e) {
    throw new DaemonDownError(`cannot start the sov daemon: ${(e as Error).message}`, paths.socket);
  }
  const deadline = Date.now() + (opts.startTimeoutMs ?? 5000);
  let lastError: Error = firstError;
  for (;;) {
    try {
      return wrap(await openSocket(paths.socket, connectTimeoutMs), paths, true, timeoutMs);
    } catch (e) {
      lastError = e as Error;
    }
    const exited = child.exited();
    // a daemon that lost a start race to another exits non-zero; the winner's socket appears shortly
    if (Date.now() >= deadline) {
      const tail = tailOf(paths.daemonOut);
      const why = exited ? `it exited${exited.code !== null ? ` with code ${exited.code}` : ''}` : `its socket did not answer within ${opts.startTimeoutMs ?? 5000} ms`;
      throw new DaemonDownError(`the sov daemon could not be started: ${why} (${paths.socket}: ${(lastError as NodeJS.ErrnoException).code ?? lastError.message})${tail ? `\n${paths.daemonOut}:\n${tail}` : ''}`, paths.socket);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------------- the TUI's link

export type LinkState = 'up' | 'down';

export interface DaemonLink {
  readonly state: LinkState;
  /** why it is down (or the last failure), e.g. "connect ECONNREFUSED /run/user/1000/sov/sovd.sock" */
  readonly lastError?: string;
  /** epoch ms of the last state change */
  readonly since: number;
  /** the next reconnect attempt (epoch ms) while down */
  readonly nextAttemptAt?: number;
  readonly paths: SovPaths;
  /** rejects at once with DaemonDownError while down; DaemonRpcError for an error answer */
  call<M extends keyof RpcMethods>(method: M, params: RpcMethods[M][0], opts?: CallOptions): Promise<RpcMethods[M][1]>;
  /** called on every state change (and lastError change while down); returns an unsubscribe */
  onChange(cb: (l: DaemonLink) => void): () => void;
  /** try now instead of waiting for the backoff */
  reconnectNow(): void;
  close(): void;
}

export interface LinkOptions extends ConnectOptions {
  /** first retry delay; doubles up to maxBackoffMs (defaults 250 / 5000) */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A connection that keeps itself up: while the daemon is down (restarting, killed, upgraded) it retries with
 * backoff, and starts it again when `autostart` is set (at most once per backoff round). Never throws from
 * its own timers; nothing here keeps the process alive (timers are unref'd).
 */
export function createDaemonLink(opts: LinkOptions = {}): DaemonLink {
  const paths = opts.paths ?? resolvePaths({ ...(opts.config !== undefined ? { config: opts.config } : {}), env: opts.env ?? process.env });
  const initial = opts.initialBackoffMs ?? 250;
  const max = opts.maxBackoffMs ?? 5000;
  let client: DaemonClient | undefined;
  let state: LinkState = 'down';
  let lastError: string | undefined;
  let since = Date.now();
  let nextAttemptAt: number | undefined;
  let backoff = initial;
  let timer: NodeJS.Timeout | undefined;
  let connecting = false;
  let closed = false;
  const subs = new Set<(l: DaemonLink) => void>();

  const emit = () => { for (const cb of [...subs]) { try { cb(link); } catch {} } };
  const setState = (s: LinkState, err?: string) => {
    const changed = s !== state || err !== lastError;
    if (s !== state) since = Date.now();
    state = s;
    lastError = err ?? (s === 'up' ? undefined : lastError);
    if (changed) emit();
  };
  const schedule = (ms: number) => {
    if (closed) return;
    clearTimeout(timer);
    nextAttemptAt = Date.now() + ms;
    timer = setTimeout(() => { void attempt(); }, ms);
    timer.unref();
  };
  const attempt = async () => {
    if (closed || connecting || client) return;
    connecting = true;
    nextAttemptAt = undefined;
    try {
      const c = await connectDaemon({ ...opts, paths });
      if (closed) { c.close(); return; }
      client = c;
      backoff = initial;
      c.onClose(() => {
        if (client !== c) return;
        client = undefined;
        if (closed) return;
        setState('down', 'the daemon closed the connection');
        schedule(initial);
      });
      setState('up');
    } catch (e) {
      setState('down', (e as Error)?.message ?? String(e));
      schedule(backoff);
      backoff = Math.min(max, backoff * 2);
    } finally {
      connecting = false;
    }
  };

  const link: DaemonLink = {
    get state() { return state; },
    get lastError() { return lastError; },
    get since() { return since; },
    get nextAttemptAt() { return nextAttemptAt; },
    paths,
    async call(method, params, callOpts) {
      if (!client) throw new DaemonDownError(`daemon down, reconnecting${lastError ? ` (${lastError})` : ''}`, paths.socket);
      return client.call(method, params, callOpts);
    },
    onChange(cb) { subs.add(cb); return () => { subs.delete(cb); }; },
    reconnectNow() { if (!client && !connecting && !closed) { clearTimeout(timer); void attempt(); } },
    close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      c?.close();
      subs.clear();
    },
  };
  void attempt();
  return link;
}
