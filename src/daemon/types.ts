/**
 * The contract between the supervision daemon (`sov daemon`), its supervisor, and its clients (TUI, headless CLI).
 * Transport: JSON-RPC 2.0 (json-rpc-2.0) over a unix socket, one JSON message per line.
 */

export type EngineState = 'stopped' | 'starting' | 'healthy' | 'degraded' | 'crashed' | 'backoff' | 'crashloop';

export interface EngineExit {
  /** null when ended by a signal */
  code: number | null;
  signal?: string;
  at: number;
}

export interface EngineHealth {
  state: 'ready' | 'loading' | 'error' | 'down';
  message?: string;
  at: number;
}

export interface ListenSocket {
  address: string;
  port: number;
  loopback: boolean;
}

export interface EngineStatus {
  name: string;
  kind: 'process' | 'container' | 'systemd';
  state: EngineState;
  /** a line saying why (crashloop: "5 failures within 10 min; last exit 1"; backoff: "restart in 4 s") */
  message?: string;
  /** the main pid (process kind; MainPID of a unit; the container's init pid when known) */
  pid?: number;
  /** every pid of the engine's process tree: the TUI maps GPU processes to engines with it */
  pids: number[];
  /** epoch ms the current run started */
  startedAt?: number;
  restarts: number;
  lastExit?: EngineExit;
  /** when state is backoff: epoch ms of the next attempt */
  nextRestartAt?: number;
  health?: EngineHealth;
  /** from /v1/models */
  models?: string[];
  /** generated tokens per second from /metrics, over the last probe interval */
  tokPerSec?: number;
  requestsRunning?: number;
  requestsWaiting?: number;
  kvCachePct?: number;
  /** RSS of the whole process tree */
  rssBytes?: number;
  /** resident pages per NUMA node (from /proc/<pid>/numa_maps), bytes */
  numaBytes?: Record<string, number>;
  /** listening sockets of the process tree; a non-loopback inference API is a finding */
  listen?: ListenSocket[];
  /** findings: "listens on 0.0.0.0:8080: inference APIs should bind 127.0.0.1" */
  warnings: string[];
  /** process kind: the current log file (the source of truth for logs) */
  logFile?: string;
  /** process kind: bytes of output the log relay dropped (disk nearly full, write errors) since it started */
  logDroppedBytes?: number;
  port?: number;
  host?: string;
  openai?: string;
}

/** A tunnel (`tunnels:` in the config) as the daemon runs it: a process engine's status plus what it forwards. */
export interface TunnelStatus extends EngineStatus {
  /** "8000→127.0.0.1:8000", "R 9100→127.0.0.1:9100" */
  forwards: string[];
  /** the hosts: entry or ssh target it goes through */
  via: string;
  /** how it is probed: "tcp 127.0.0.1:8000", "http URL", or none and why */
  probe: string;
}

export interface DaemonInfo {
  pid: number;
  startedAt: number;
  version: string;
  socket: string;
  stateDir: string;
  configPath: string;
  /** the config could not be used: the daemon keeps running, starts nothing new, and says why */
  configError?: string;
  /** the last write of the engine state file failed (disk full, a directory in its place): what the OS said */
  stateError?: string;
  engines: number;
  /** tunnels configured (absent from a daemon older than tunnels) */
  tunnels?: number;
}

export interface LogsResult {
  name: string;
  file?: string;
  lines: string[];
  /** lines that matched `search` out of how many looked at */
  matched?: number;
  /** bytes of output the log relay dropped (disk nearly full) */
  droppedBytes?: number;
  /** the answer was cut to the response bound: why */
  truncated?: string;
}

/** JSON-RPC methods: name → [params, result]. Errors use the codes below. */
export interface RpcMethods {
  'daemon.info': [Record<string, never>, DaemonInfo];
  /** stateSaved: false when the final write of the engine state failed (the answer then says why) */
  'daemon.stop': [Record<string, never>, { stopping: true; stateSaved?: false; stateError?: string }];
  'config.reload': [Record<string, never>, DaemonInfo];
  'engines.list': [Record<string, never>, EngineStatus[]];
  'engines.start': [{ name: string }, EngineStatus];
  'engines.stop': [{ name: string }, EngineStatus];
  'engines.restart': [{ name: string }, EngineStatus];
  'engines.logs': [{ name: string; lines?: number; search?: string }, LogsResult];
  /** SSH tunnels (`tunnels:`), supervised like engines by a second supervisor */
  'tunnels.list': [Record<string, never>, TunnelStatus[]];
  'tunnels.start': [{ name: string }, TunnelStatus];
  'tunnels.stop': [{ name: string }, TunnelStatus];
  'tunnels.restart': [{ name: string }, TunnelStatus];
  /** the operator clears a VM the watchdog put in `failed` */
  'vms.reset': [{ name: string }, { reset: true }];
  /** the recovery authority (src/recovery/authority.ts): lockdown, tripcodes, the audit log */
  'recovery.status': [Record<string, never>, import('../recovery/types.js').RecoveryStatus];
  'recovery.begin': [import('../recovery/types.js').BeginRequest, import('../recovery/types.js').BeginReply];
  'recovery.end': [import('../recovery/types.js').EndRequest, { recorded: true }];
  'recovery.tripcode': [{ payload: string; who: import('../recovery/types.js').Who }, import('../recovery/types.js').TripcodeApply];
  'recovery.recent': [{ n?: number }, unknown[]];
}

export const RPC_ERRORS = {
  notFound: 404,
  badConfig: 422,
  failedToStart: 500,
  crashloop: 409,
  /** the box is in lockdown (recovery): T1+ requests are refused until RECOVERY:UNLOCK */
  locked: 423,
  /** too many requests of one kind at once (log reads): retry */
  busy: 429,
} as const;

/** Exit codes of `sov engines …` and `sov daemon …` */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  failedToStart: 4,
  crashloop: 5,
  daemonDown: 6,
  badConfig: 7,
} as const;

/**
 * The supervisor (src/daemon/supervisor.ts): owns the engines of one config, inside the daemon process.
 * Engines run in their own process groups with stdout/stderr on a FIFO read by their log relay (which writes the
 * log file and rotates it by rename at an exact size), so they outlive the daemon; a new daemon re-adopts them
 * from the state file.
 */
export interface Supervisor {
  list(): EngineStatus[];
  /** spawns (or starts the unit/container); resolves once launched (state `starting`), not once healthy */
  start(name: string): Promise<EngineStatus>;
  /** stop signal, then SIGKILL to the whole process group after the timeout; resolves when gone */
  stop(name: string): Promise<EngineStatus>;
  restart(name: string): Promise<EngineStatus>;
  logs(name: string, opts?: { lines?: number; search?: string }): Promise<LogsResult>;
  /** reconcile with a new config: new engines appear stopped (or start when autostart), removed ones are stopped */
  setEngines(engines: import('../config/schema.js').EngineConfig[]): Promise<void>;
  /** stop timers and probes, leave every engine running (the daemon is exiting or being replaced); says whether
   * the final state write succeeded */
  detach(): Promise<void | { stateSaved: boolean; error?: string }>;
  /** the last state write failed: why (undefined once a write succeeds) */
  stateError?(): string | undefined;
}

export interface SupervisorOptions {
  engines: import('../config/schema.js').EngineConfig[];
  /** engines.json (pid, start time, cmdline per engine: adoption) lives here; written atomically */
  stateDir: string;
  /** <logDir>/<engine>.log, .log.1 … */
  logDir: string;
  now?: () => number;
  /** the clock durations are measured on (default performance.now, or `now` when a test injects one) */
  mono?: () => number;
  /** environment the adapters run docker/podman/systemctl/journalctl with (PATH shims in tests) */
  env?: NodeJS.ProcessEnv;
  /** probe cadence override (tests) */
  probeIntervalMs?: number;
  onChange?: (s: EngineStatus) => void;
  /** the daemon's event log (state write failures, escaped processes) */
  log?: (msg: string) => void;
}
