/**
 * The daemon's server side: a pid lock, the config, the supervisor, and JSON-RPC 2.0 (json-rpc-2.0) over a unix
 * socket with one JSON message per line. The process around it (signals, exit) is src/daemon/main.ts.
 *
 * Single instance: a live socket that answers, or a pid lock (`sovd.pid`, created atomically with link(2)) held by
 * a live process with the same start time, makes a second daemon refuse. A lock or socket left by a daemon that was
 * killed -9 is stale: it is removed and the new daemon takes over (and the supervisor re-adopts the engines).
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { readStat } from './procfs.js';
import { openEventLog } from './eventlog.js';
import { onJsonLines } from './framing.js';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { probeSocket } from './client.js';
import { JSONRPCErrorException, JSONRPCServer } from 'json-rpc-2.0';
import { answerBounded, checkParams, MAX_PENDING_WRITE_BYTES } from './rpc-limits.js';
import { loadConfig } from '../config/load.js';
import { ensureDaemonDirs, type SovPaths } from './paths.js';
import { createAuthority, daemonWho, type Authority } from '../recovery/authority.js';
import { startVmWatchdog, type WatchRuntime } from '../vms/watch-runtime.js';
import { daemonExporter } from '../exporter/run.js';
import { recoverThroughActions } from '../vms/watch-recover.js';
import { heartbeatFile } from '../../backends/vms/index.js';
import { createLocalRunner } from '../runner/local.js';
import type { Config } from '../config/schema.js';
import { checkBegin, checkEnd, checkWho } from '../recovery/wire.js';
import { detachBoth, startTunnels, type TunnelHost } from './tunnels.js';
import { RPC_ERRORS, type DaemonInfo, type EngineStatus, type RpcMethods, type Supervisor, type SupervisorOptions } from './types.js';

export const SOV_VERSION = '0.1.0';

/** the largest request line the server accepts (a request is a few hundred bytes) */
const MAX_LINE_BYTES = 1024 * 1024;
const MAX_DAEMON_LOG_BYTES = 5 * 1024 * 1024;

export class DaemonAlreadyRunning extends Error {
  constructor(message: string, readonly pid?: number) { super(message); }
}

export interface DaemonServerOptions {
  paths: SovPaths;
  /** the real one by default (./supervisor.js); tests pass a fake */
  createSupervisor?: (o: SupervisorOptions) => Promise<Supervisor>;
  env?: NodeJS.ProcessEnv;
  probeIntervalMs?: number;
  /** also write the event log to stderr (foreground under systemd: the journal) */
  logToStderr?: boolean;
  now?: () => number;
}

export interface DaemonServer {
  readonly paths: SovPaths;
  info(): DaemonInfo;
  /** resolves once the daemon has stopped serving (daemon.stop, stop()) */
  readonly stopped: Promise<void>;
  /** detach the supervisor (engines keep running), close the socket, release the lock */
  stop(reason: string): Promise<void>;
  reload(): Promise<DaemonInfo>;
  log(msg: string): void;
}

// ---------------------------------------------------------------------------------------------------- pid lock

interface LockInfo { pid: number; startTime?: string }

/** a pid plus its start time (field 22 of /proc/<pid>/stat) names one process */
const procStartTime = (pid: number): string | undefined => readStat(pid)?.startTime;
const procState = (pid: number): string | undefined => readStat(pid)?.state;

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof v.pid === 'number' ? { pid: v.pid, startTime: typeof v.startTime === 'string' ? v.startTime : undefined } : undefined;
  } catch {
    return undefined;
  }
}

function lockHolderAlive(l: LockInfo): boolean {
  try {
    process.kill(l.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (procState(l.pid) === 'Z') return false;
  // the pid was reused by another process since the lock was written
  const st = procStartTime(l.pid);
  if (l.startTime !== undefined && st !== undefined && st !== l.startTime) return false;
  return true;
}

function acquireLock(file: string): void {
  const mine: LockInfo = { pid: process.pid, startTime: procStartTime(process.pid) };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(mine) + '\n', { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // link(2) is atomic and fails if the name exists: the lock appears whole, with its content
        linkSync(tmp, file);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readLock(file);
      if (holder && holder.pid !== process.pid && lockHolderAlive(holder)) {
        throw new DaemonAlreadyRunning(`another sov daemon (pid ${holder.pid}) holds ${file}`, holder.pid);
      }
      if (holder && holder.pid === process.pid && holder.startTime === mine.startTime) {
        throw new DaemonAlreadyRunning(`this process already runs a sov daemon on ${file}`, holder.pid);
      }
      // stale: its daemon is gone (killed -9, crashed)
      try { unlinkSync(file); } catch {}
    }
    throw new Error(`could not take the lock ${file}`);
  } finally {
    try { unlinkSync(tmp); } catch {}
  }
}

function lockIsMine(file: string): boolean {
  return readLock(file)?.pid === process.pid;
}

// ---------------------------------------------------------------------------------------------------- errors

const RPC_BY_NAME: Record<string, number> = RPC_ERRORS;
const RPC_CODES = new Set<number>(Object.values(RPC_ERRORS));

/** maps whatever the supervisor threw onto RPC_ERRORS (typed codes first, then the words it used) */
export function toRpcError(e: unknown, method: string): JSONRPCErrorException {
  if (e instanceof JSONRPCErrorException) return e;
  const err = e as { message?: unknown; code?: unknown; status?: unknown; data?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  let code: number | undefined;
  for (const c of [err?.code, err?.status]) {
    if (typeof c === 'number' && RPC_CODES.has(c)) code = c;
    else if (typeof c === 'string' && RPC_BY_NAME[c] !== undefined) code = RPC_BY_NAME[c];
    if (code !== undefined) break;
  }
  if (code === undefined) {
    if (/crash ?loop/i.test(message)) code = RPC_ERRORS.crashloop;
    else if (/not found|unknown engine|no (such )?engine/i.test(message)) code = RPC_ERRORS.notFound;
    else if (/invalid config|bad config|config(uration)? (is )?invalid/i.test(message)) code = RPC_ERRORS.badConfig;
    else if (/^(engines|tunnels)\.(start|restart)$/.test(method)) code = RPC_ERRORS.failedToStart;
    else code = -32603;
  }
  return new JSONRPCErrorException(message, code, err?.data);
}

// ---------------------------------------------------------------------------------------------------- server

export async function startDaemon(opts: DaemonServerOptions): Promise<DaemonServer> {
  const { paths } = opts;
  const now = opts.now ?? Date.now;
  ensureDaemonDirs(paths);

  if (await probeSocket(paths.socket, 1000)) {
    const holder = readLock(paths.pidFile);
    throw new DaemonAlreadyRunning(`a sov daemon is already running${holder ? ` (pid ${holder.pid})` : ''} on ${paths.socket}`, holder?.pid);
  }
  acquireLock(paths.pidFile);

  // ---- event log
  const eventLog = openEventLog(paths.daemonLog, MAX_DAEMON_LOG_BYTES);
  const log = (msg: string) => {
    const line = `${new Date(now()).toISOString()} [${process.pid}] ${msg}\n`;
    eventLog.write(line);
    if (opts.logToStderr) { try { process.stderr.write(line); } catch {} }
  };

  let supervisor: Supervisor | undefined;
  let tunnels: TunnelHost | undefined;
  let authority: Authority | undefined;
  let server: Server | undefined;
  try {
    log(`sov daemon ${SOV_VERSION} starting: socket ${paths.socket}, state ${paths.stateDir}, config ${paths.configPath}`);
    // ---- config: a bad file is reported and starts nothing; the daemon still serves status
    let configError: string | undefined;
    const cfg = await loadConfig(paths.configPath);
    if (cfg.ok) {
      log(cfg.missing ? (cfg.note ?? `no config at ${paths.configPath}`) : `config ${paths.configPath}: ${cfg.config.engines.length} engine(s)`);
    } else {
      configError = cfg.text;
      log(`config refused: ${cfg.text}`);
    }

    // ---- supervisor
    const lastState = new Map<string, string>();
    const onChange = (s: EngineStatus) => {
      if (lastState.get(s.name) === s.state) return;
      log(`engine ${s.name}: ${lastState.get(s.name) ?? 'new'} → ${s.state}${s.pid !== undefined ? ` (pid ${s.pid})` : ''}${s.message ? `: ${s.message}` : ''}`);
      lastState.set(s.name, s.state);
    };
    /** set once the authority exists (below): the reload and the stop reach the watchdog through it */
    const vmWatch: { stop?: () => void; restart?: (c: Config) => void } = {};
    const create = opts.createSupervisor ?? (async (o: SupervisorOptions) => (await import('./supervisor.js')).createSupervisor(o));
    supervisor = await create({
      log: (m: string) => log(m),
      engines: cfg.ok ? cfg.config.engines : [],
      stateDir: paths.stateDir,
      logDir: paths.logDir,
      env: opts.env,
      probeIntervalMs: opts.probeIntervalMs,
      onChange,
      ...(opts.now ? { now: opts.now } : {}),
    });
    const sup = supervisor;
    // tunnels: a second supervisor, its own state and log dirs (src/daemon/tunnels.ts)
    const tun = tunnels = await startTunnels({
      create, paths, config: cfg.ok ? cfg.config : undefined, log,
      ...(opts.env ? { env: opts.env } : {}), ...(opts.probeIntervalMs !== undefined ? { probeIntervalMs: opts.probeIntervalMs } : {}), ...(opts.now ? { now: opts.now } : {}),
    });
    // the Prometheus endpoint (issue 10) when the config has `exporter:`; started once the socket serves
    const exporter = daemonExporter({ env: opts.env ?? process.env, engines: () => sup.list(), tunnels: () => tun.list(), log });
    const startedAt = now();

    const info = (): DaemonInfo => {
      const tunnelError = tun.sup.stateError?.();
      const stateError = sup.stateError?.() ?? (tunnelError !== undefined ? `tunnels: ${tunnelError}` : undefined);
      return {
        pid: process.pid,
        startedAt,
        version: SOV_VERSION,
        socket: paths.socket,
        stateDir: paths.stateDir,
        configPath: paths.configPath,
        ...(configError !== undefined ? { configError } : {}),
        ...(stateError !== undefined ? { stateError } : {}),
        engines: sup.list().length,
        tunnels: tun.sup.list().length,
      };
    };

    const reload = async (): Promise<DaemonInfo> => {
      const r = await loadConfig(paths.configPath);
      if (r.ok) {
        await sup.setEngines(r.config.engines);
        await tun.apply(r.config);
        vmWatch.restart?.(r.config);
        await exporter.apply(r.config.exporter, r.config.hosts);
        configError = undefined;
        log(`config reloaded: ${r.config.engines.length} engine(s), ${r.config.tunnels.length} tunnel(s)`);
      } else {
        configError = r.text;
        log(`config reload refused (engines and tunnels left as they are): ${r.text}`);
      }
      return info();
    };

    // ---- JSON-RPC
    const rpc = new JSONRPCServer({ errorListener: () => {} });
    const method = <M extends keyof RpcMethods>(name: M, fn: (p: RpcMethods[M][0]) => Promise<RpcMethods[M][1]> | RpcMethods[M][1]) => {
      rpc.addMethod(name, async (params: unknown) => {
        try {
          return await fn(checkParams(name, params) as RpcMethods[M][0]);
        } catch (e) {
          const x = toRpcError(e, name);
          if (x.code === -32603) log(`${name} failed: ${(e as Error)?.stack ?? String(e)}`);
          throw x;
        }
      });
    };
    /** params.name (checked by rpc-limits' PARAMS) names a configured engine */
    const engineName = (p: { name: string }): string => {
      if (!sup.list().some((e) => e.name === p.name)) {
        const known = sup.list().map((e) => e.name);
        throw new JSONRPCErrorException(`no engine named "${p.name}" (known: ${known.length ? known.join(', ') : 'none'}; config ${paths.configPath})`, RPC_ERRORS.notFound);
      }
      return p.name;
    };
    const refuseIfBadConfig = () => {
      if (configError !== undefined) throw new JSONRPCErrorException(`refusing to start engines: ${configError}`, RPC_ERRORS.badConfig);
    };
    const status = (name: string) => sup.list().find((e) => e.name === name);
    let detaching: ReturnType<Supervisor['detach']> | undefined;
    const detachOnce = () => (detaching ??= detachBoth(sup, tun.sup));

    // ---- the recovery authority: lockdown, tripcodes, the audit log (fail closed when it cannot write)
    const auth = authority = createAuthority({ stateDir: paths.stateDir, ...(opts.now ? { now: opts.now } : {}), ...(cfg.ok ? { config: cfg.config.recovery.tripcode } : {}) });
    const st0 = await auth.status();
    log(`recovery: ${st0.auditEntries} audit entries${st0.lockdown ? '; IN LOCKDOWN' : ''}${st0.auditError ? `; ${st0.auditError}` : ''}`);
    const bad = (why: string) => new JSONRPCErrorException(`invalid params: ${why}`, -32602);
    const refuseIfLocked = (action: string, p: { name?: unknown }) => {
      const g = auth.guard(action, { name: String(p?.name ?? '').slice(0, 256) }, daemonWho());
      if (!g.ok) throw new JSONRPCErrorException(`${action} refused: ${g.reason}`, RPC_ERRORS.locked, { code: g.code });
    };
    // ---- the VM heartbeat watchdog (issue 9): run here, not in the TUI; its recoveries go through the authority
    let watchdog: WatchRuntime | undefined;
    const startWatchdog = (config: Config | undefined) => {
      watchdog?.stop();
      watchdog = undefined;
      if (!config?.vms.some((v) => v.heartbeat)) return;
      const runner = createLocalRunner();
      watchdog = startVmWatchdog({
        vms: config.vms, runner, stateFile: heartbeatFile({ stateDir: paths.stateDir }),
        recover: recoverThroughActions({ config, runner, recovery: auth, who: daemonWho(), output: (vm, line) => log(`vm ${vm}: ${line}`) }),
        alert: (vm, message) => log(`vm ${vm}: ${message}`),
      });
      log(`watchdog: ${config.vms.filter((v) => v.heartbeat).length} VM heartbeat(s)`);
    };
    startWatchdog(cfg.ok ? cfg.config : undefined);
    vmWatch.stop = () => { watchdog?.stop(); watchdog = undefined; };
    vmWatch.restart = startWatchdog;
    method('vms.reset', (p) => {
      if (!watchdog?.states()[p.name]) throw new JSONRPCErrorException(`no watched VM named "${p.name}" (the watchdog watches VMs with a heartbeat in the config)`, RPC_ERRORS.notFound);
      watchdog.reset(p.name);
      log(`vm ${p.name}: watchdog reset by an operator`);
      return { reset: true as const };
    });
    method('recovery.status', () => auth.status());
    method('recovery.begin', (p) => { const r = checkBegin(p); if (typeof r === 'string') throw bad(r); return auth.begin(r); });
    method('recovery.end', async (p) => { const r = checkEnd(p); if (typeof r === 'string') throw bad(r); await auth.end(r); return { recorded: true as const }; });
    method('recovery.tripcode', async (p) => {
      const who = checkWho(p?.who);
      if (typeof who === 'string') throw bad(who);
      const r = await auth.applyTripcode(p.payload, who);
      log(r.ok ? `tripcode ${r.code}: ${r.effect}` : `tripcode refused (${r.code}): ${r.reason}`);
      return r;
    });
    method('recovery.recent', (p) => auth.recent(p.n ?? 50));

    method('daemon.info', () => info());
    method('daemon.stop', async () => {
      // detach first (the final state write), so the answer can say whether the engines will be found again; then stop
      const d = await detachOnce().catch((e: unknown) => ({ stateSaved: false, error: (e as Error)?.message ?? String(e) }));
      setTimeout(() => { void stop('daemon.stop'); }, 20);
      return d && !d.stateSaved ? { stopping: true as const, stateSaved: false, ...(d.error ? { stateError: d.error } : {}) } : { stopping: true as const };
    });
    // a reload can start engines (autostart): a T1 change, refused while locked like engines.start
    method('config.reload', () => { refuseIfLocked('config.reload', {}); return reload(); });
    method('engines.list', () => sup.list());
    method('engines.start', async (p) => {
      refuseIfLocked('engine.start', p);
      refuseIfBadConfig();
      const name = engineName(p);
      log(`engines.start ${name}`);
      try { return await sup.start(name); } catch (e) { const x = toRpcError(e, 'engines.start'); x.data ??= status(name); throw x; }
    });
    method('engines.stop', async (p) => {
      refuseIfLocked('engine.stop', p);
      const name = engineName(p);
      log(`engines.stop ${name}`);
      return sup.stop(name);
    });
    method('engines.restart', async (p) => {
      refuseIfLocked('engine.restart', p);
      refuseIfBadConfig();
      const name = engineName(p);
      log(`engines.restart ${name}`);
      try { return await sup.restart(name); } catch (e) { const x = toRpcError(e, 'engines.restart'); x.data ??= status(name); throw x; }
    });
    // ---- tunnels: the same verbs, the same guards (lockdown, a refused config), their own names
    const tunnelName = (p: { name: string }): string => {
      if (!tun.status(p.name)) {
        const known = tun.list().map((t) => t.name);
        throw new JSONRPCErrorException(`no tunnel named "${p.name}" (known: ${known.length ? known.join(', ') : 'none'}; config ${paths.configPath})`, RPC_ERRORS.notFound);
      }
      return p.name;
    };
    const tunnelVerb = (verb: 'start' | 'stop' | 'restart') => async (p: { name: string }) => {
      refuseIfLocked(`tunnel.${verb}`, p);
      if (verb !== 'stop') refuseIfBadConfig();
      const name = tunnelName(p);
      log(`tunnels.${verb} ${name}`);
      try { await tun.sup[verb](name); } catch (e) { const x = toRpcError(e, `tunnels.${verb}`); x.data ??= tun.status(name); throw x; }
      return tun.status(name)!;
    };
    method('tunnels.list', () => tun.list());
    method('tunnels.start', tunnelVerb('start'));
    method('tunnels.stop', tunnelVerb('stop'));
    method('tunnels.restart', tunnelVerb('restart'));
    method('engines.logs', async (p) => {
      const name = engineName(p);
      return sup.logs(name, { ...(p.lines !== undefined ? { lines: p.lines } : {}), ...(p.search !== undefined ? { search: p.search } : {}) });
    });

    // ---- socket
    const conns = new Set<Socket>();
    const srv = createServer((sock) => {
      conns.add(sock);
      onJsonLines(sock, (line) => {
        void answerBounded(rpc, line).then((text) => {
          if (text === null || sock.destroyed || !sock.writable) return;
          // a client that sends and never reads would make its answers pile up here: cut it off
          if (sock.writableLength > MAX_PENDING_WRITE_BYTES) { log('a client does not read its answers; closing it'); sock.destroy(); return; }
          sock.write(text + '\n');
        }, () => {});
      }, { maxLineBytes: MAX_LINE_BYTES, onOverflow: () => { log('a client sent an over-long line; closing it'); sock.destroy(); } });
      sock.on('error', () => {});
      sock.on('close', () => conns.delete(sock));
    });
    server = srv;
    // bind under a private name, then rename(2) over the public one: a stale socket is replaced atomically, and
    // closing the server later unlinks only that private name (libuv unlinks the bound path on close), never
    // the socket of a daemon that might have taken over
    const bindPath = join(paths.runtimeDir, `.s${process.pid}`);
    try { unlinkSync(bindPath); } catch {}
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ path: bindPath }, () => { srv.off('error', reject); resolve(); });
    });
    chmodSync(bindPath, 0o600);
    srv.on('error', (e) => log(`socket error: ${e.message}`));
    if (!lockIsMine(paths.pidFile)) {
      // another daemon took the lock at the same moment and won; leave the field to it
      await new Promise<void>((r) => srv.close(() => r()));
      throw new DaemonAlreadyRunning(`another sov daemon took ${paths.pidFile} while this one started`, readLock(paths.pidFile)?.pid);
    }
    renameSync(bindPath, paths.socket);
    log(`serving on ${paths.socket} (pid ${process.pid}); ${sup.list().length} engine(s), ${tun.sup.list().length} tunnel(s)${configError ? '; config refused' : ''}`);
    await exporter.apply(cfg.ok ? cfg.config.exporter : undefined, cfg.ok ? cfg.config.hosts : []);

    // ---- stop
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => { resolveStopped = r; });
    let stopping: Promise<void> | undefined;
    const stop = (reason: string): Promise<void> => {
      stopping ??= (async () => {
        log(`stopping (${reason}); engines keep running`);
        const closed = new Promise<void>((r) => srv.close(() => r()));
        try { await detachOnce(); } catch (e) { log(`detach failed: ${(e as Error).message}`); }
        vmWatch.stop?.();
        await exporter.stop();
        authority?.close();
        for (const s of conns) s.end();
        const force = setTimeout(() => { for (const s of conns) s.destroy(); }, 500);
        await closed;
        clearTimeout(force);
        if (lockIsMine(paths.pidFile)) {
          // ours (we still hold the lock): the server's close removed only the private bind name
          if (existsSync(paths.socket)) { try { unlinkSync(paths.socket); } catch {} }
          try { unlinkSync(paths.pidFile); } catch {}
        }
        log('stopped');
        eventLog.close();
        resolveStopped();
      })();
      return stopping;
    };

    return { paths, info, stopped, stop, reload, log };
  } catch (e) {
    log(`failed to start: ${(e as Error)?.stack ?? String(e)}`);
    if (supervisor) { try { await supervisor.detach(); } catch {} }
    if (tunnels) { try { await tunnels.sup.detach(); } catch {} }
    authority?.close();
    if (server?.listening) await new Promise<void>((r) => server!.close(() => r()));
    if (lockIsMine(paths.pidFile)) { try { unlinkSync(paths.pidFile); } catch {} }
    eventLog.close();
    throw e;
  }
}
