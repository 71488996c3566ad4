/**
 * The supervisor: the runtime around one state machine per engine, inside `sov daemon`. The rules (start, probe,
 * backoff, crash loop, stop) are the pure transition function in src/daemon/machine.ts; this file feeds it what
 * happened and performs what it decides (timers, spawning, probes, signals, the state file).
 *
 * `process` engines run in their own session/process group with stdout+stderr on a FIFO read by their log relay
 * (src/daemon/relay.ts: exact size rotation, a free-space floor), so both outlive the daemon. `<stateDir>/engines.json`
 * records {pid, pgid, startTime, cmdline, relay, …} per running process engine (written atomically, by this
 * supervisor only); a new supervisor adopts a recorded engine when the pid is alive, not a zombie, and has the same
 * start time and command line, and otherwise forgets it without signalling it (the pid may belong to another
 * program now). The state file is not the only record: every engine process carries SOV_ENGINE=<name> and
 * SOV_BOX=<id of the state dir> in its environment, so an engine whose entry is lost (truncated, garbage, a
 * directory in its place) is still found in /proc and adopted, never started twice; and a stop reaches the
 * processes that left the group (setsid) by the same marker. Containers and units are driven through adapters.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tokensPerSecond } from '../protocols/prometheus.js';
import type { ContainerEngineConfig, EngineConfig, ProcessEngineConfig, SystemdEngineConfig } from '../config/schema.js';
import { readJson, writeFileAtomic } from './atomic.js';
import { containerAdapter } from './adapters/container.js';
import {
  endRelay, killGroup, makeFifo, markedProcesses, markedRelays, openFifoForEngine, pauseGroup, reapEscaped, relayOpened, resumeGroup,
  spawnEngine, spawnRelay, stopGroup,
} from './adapters/process.js';
import { cgroupDirOf, cgroupPids, createEngineCgroup, isEngineCgroup, killCgroup, sweepEmptyCgroups } from './cgroup.js';
import { parseRelayStats } from './relay.js';
import { systemdAdapter } from './adapters/systemd.js';
import type { EngineAdapter } from './adapters/types.js';
import { appendLine, boundNewest, logFiles, MAX_LOG_LINES, MAX_RESPONSE_BYTES, rotateIfNeeded, searchLines, tailBounded } from './logs.js';
import { modelsUrl, probeHealth, probeMetrics, probeModels } from './probes.js';
import {
  allStats, listenSockets, processTree, readCmdline, readStat, sameProcess, sameStart, startedAtMs, treeNuma, treeRss, type ProcIdentity,
} from './procfs.js';
import { exitWords, initialLife, RUNNING_STATES as RUNNING, step, type Effect, type Life, type LifeEvent, type Policy } from './machine.js';
import { RPC_ERRORS, type EngineExit, type EngineHealth, type EngineStatus, type LogsResult, type Supervisor, type SupervisorOptions } from './types.js';

export const STATE_FILE = 'engines.json';

/** One running process engine in engines.json. */
export interface StateEntry {
  pid: number;
  pgid: number;
  /** field 22 of /proc/<pid>/stat */
  startTime: string;
  /** /proc/<pid>/cmdline, NUL-split */
  cmdline: string[];
  startedAt: number;
  restarts: number;
  logFile: string;
  /** the engine's log relay (absent: an engine logging straight to its file, from an older sov) */
  relay?: { pid: number; startTime: string };
}
export type StateFile = Record<string, StateEntry>;

/** The SOV_BOX marker value of a state dir: two users, two state dirs, never adopt each other's engines. */
export function boxId(stateDir: string): string {
  return createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16);
}

/** A refused operation; `code` is one of RPC_ERRORS' keys (notFound, failedToStart, …). */
export class SupervisorError extends Error {
  constructor(readonly code: keyof typeof RPC_ERRORS, message: string) {
    super(message);
    this.name = 'SupervisorError';
  }
  get rpcCode(): number {
    return RPC_ERRORS[this.code];
  }
}

interface Rt {
  cfg: EngineConfig;
  st: EngineStatus;
  adapter?: EngineAdapter;
  child?: ChildProcess;
  pgid?: number;
  identity?: ProcIdentity;
  /** the log relay of the current run (pid + start time) */
  relay?: { pid: number; startTime: string };
  /** the engine's cgroup v2 directory, where the box has one (src/daemon/cgroup.ts) */
  cgroup?: string;
  /** not our child (adopted from the state file): its exit is seen by polling /proc */
  adopted: boolean;
  /** bumped on every launch and stop: events of an older run are ignored */
  run: number;
  /** the machine's state (src/daemon/machine.ts); st.state, message, restarts, lastExit, nextRestartAt mirror it */
  life: Life;
  probing: boolean;
  probeTimer?: NodeJS.Timeout;
  aliveTimer?: NodeJS.Timeout;
  oneShot?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
  prevTokens?: { total: number; at: number };
  modelsAt?: number;
  /** when the process tree was last read (the slow part of a probe) */
  treeAt?: number;
  /** when the NUMA placement and the listening sockets were last read (slower still: numa_maps, /proc/net/tcp) */
  placeAt?: number;
  lock: Promise<unknown>;
}

const ADOPTED_POLL_MS = 500;
const MODELS_EVERY_MS = 60_000;
/** the process tree (a scan of /proc) is read this often, RSS on every probe */
const TREE_EVERY_MS = 10_000;
/**
 * where the engine's memory sits (numa_maps) and what it listens on (/proc/net/tcp*) this often: they change
 * rarely, and were the daemon's biggest steady cost once the probes left fetch; sooner while no socket is known yet
 * (an engine still loading binds late), and whenever the tree changed
 */
const PLACE_EVERY_MS = 30_000;
/** while an engine is starting, its readiness is probed at least this often, so "healthy" shows soon after it is */
const STARTING_PROBE_MS = 500;
/** engines.logs calls running or waiting at once; more are refused (busy) */
const MAX_LOG_READERS = 8;

function isProcess(c: EngineConfig): c is ProcessEngineConfig { return c.kind === 'process'; }

function validEntry(e: unknown): e is StateEntry {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Record<string, unknown>;
  return Number.isInteger(x.pid) && (x.pid as number) > 1 && Number.isInteger(x.pgid) && (x.pgid as number) > 1
    && typeof x.startTime === 'string' && Array.isArray(x.cmdline) && x.cmdline.every((a) => typeof a === 'string')
    && typeof x.startedAt === 'number' && typeof x.restarts === 'number' && typeof x.logFile === 'string'
    && (x.relay === undefined || (typeof x.relay === 'object' && x.relay !== null
      && Number.isInteger((x.relay as { pid?: unknown }).pid) && typeof (x.relay as { startTime?: unknown }).startTime === 'string'));
}

function readlinkOr(p: string): string | undefined {
  try { return readlinkSync(p); } catch { return undefined; }
}

export async function createSupervisor(opts: SupervisorOptions): Promise<Supervisor> {
  const now = opts.now ?? Date.now;
  // durations (the crash-loop window, the healthy stretch that resets the backoff) on a clock that never jumps:
  // a wall clock set forward would forget the failures, set back would count them for an hour
  const mono = opts.mono ?? (opts.now ? opts.now : () => performance.now());
  const statePath = join(opts.stateDir, STATE_FILE);
  const engines = new Map<string, Rt>();
  /** recorded engines that are not in the config (kept in the file, never signalled: a config may come back) */
  const orphans = new Map<string, StateEntry>();
  let detached = false;
  let writing: Promise<void> = Promise.resolve();
  let logTurn: Promise<void> = Promise.resolve();
  let logReaders = 0;
  /** the last state write failed: what the OS said */
  let stateError: string | undefined;
  /** the marker value that ties an engine process to this state dir (two sov users or dirs never adopt each other's) */
  const box = boxId(opts.stateDir);
  const mark = (name: string) => ({ name, box });
  const log = (msg: string) => { try { opts.log?.(msg); } catch {} };

  const logFileOf = (name: string) => join(opts.logDir, `${name}.log`);
  const statsFileOf = (name: string) => join(opts.logDir, `.${name}.relay`);

  /** The relay's counters (dropped bytes) into the status; a torn or missing stats file changes nothing. */
  const readRelayStats = (rt: Rt) => {
    if (!rt.relay) return;
    try {
      const st = parseRelayStats(readFileSync(statsFileOf(rt.cfg.name), 'utf8'));
      if (st && st.pid === rt.relay.pid) rt.st.logDroppedBytes = st.droppedBytes;
    } catch {}
  };

  /** Rotation settings of an engine without a relay (adopted from an older sov): copytruncate, its group frozen. */
  const rotateOpts = (rt: Rt, cfg: ProcessEngineConfig) => {
    const pgid = rt.pgid;
    const live = pgid !== undefined && rt.st.pid !== undefined && RUNNING.has(rt.st.state);
    return live ? { ...cfg.logs, pause: () => pauseGroup(pgid) } : cfg.logs;
  };

  const emit = (rt: Rt) => {
    if (!opts.onChange || detached) return;
    try { opts.onChange(snapshot(rt)); } catch {}
  };

  const snapshot = (rt: Rt): EngineStatus => {
    const s = rt.st;
    const out: EngineStatus = { ...s, pids: [...s.pids], warnings: [...s.warnings] };
    if (s.listen) out.listen = s.listen.map((l) => ({ ...l }));
    if (s.models) out.models = [...s.models];
    if (s.numaBytes) out.numaBytes = { ...s.numaBytes };
    if (s.health) out.health = { ...s.health };
    if (s.lastExit) out.lastExit = { ...s.lastExit };
    return out;
  };

  const newRt = (cfg: EngineConfig): Rt => {
    const st: EngineStatus = { name: cfg.name, kind: cfg.kind, state: 'stopped', pids: [], restarts: 0, warnings: [] };
    if (cfg.port !== undefined) st.port = cfg.port;
    st.host = cfg.host;
    if (cfg.openai) st.openai = cfg.openai;
    if (isProcess(cfg)) st.logFile = logFileOf(cfg.name);
    const rt: Rt = { cfg, st, adopted: false, run: 0, life: initialLife(), probing: false, lock: Promise.resolve() };
    if (cfg.kind === 'container') rt.adapter = containerAdapter(cfg as ContainerEngineConfig, opts.env);
    else if (cfg.kind === 'systemd') rt.adapter = systemdAdapter(cfg as SystemdEngineConfig, opts.env);
    return rt;
  };

  const withLock = <T>(rt: Rt, fn: () => Promise<T>): Promise<T> => {
    const p = rt.lock.then(fn, fn);
    rt.lock = p.catch(() => undefined);
    return p;
  };

  // ---- state file ----------------------------------------------------------------------------------------------

  const saveState = (): Promise<void> => {
    const data: StateFile = {};
    for (const [n, e] of orphans) data[n] = e;
    for (const rt of engines.values()) {
      const s = rt.st;
      if (!isProcess(rt.cfg) || s.pid === undefined || rt.pgid === undefined || !rt.identity || !RUNNING.has(s.state)) continue;
      data[rt.cfg.name] = {
        pid: s.pid, pgid: rt.pgid, startTime: rt.identity.startTime, cmdline: rt.identity.cmdline,
        startedAt: s.startedAt ?? now(), restarts: s.restarts, logFile: s.logFile ?? logFileOf(rt.cfg.name),
        ...(rt.relay ? { relay: { ...rt.relay } } : {}),
      };
    }
    const text = `${JSON.stringify(data, null, 2)}\n`;
    // a failed write is never silent: logged once per cause, shown in daemon.info, and detach() reports it
    writing = writing.then(() => writeFileAtomic(statePath, text, 0o600)).then(() => {
      if (stateError !== undefined) log(`state file ${statePath} written again`);
      stateError = undefined;
    }, (e: unknown) => {
      const msg = `cannot write the engine state file ${statePath}: ${e instanceof Error ? e.message : String(e)}`;
      if (msg !== stateError) log(msg);
      stateError = msg;
    });
    return writing;
  };

  // ---- timers --------------------------------------------------------------------------------------------------

  const clearRunTimers = (rt: Rt) => {
    for (const k of ['probeTimer', 'aliveTimer', 'oneShot'] as const) {
      const t = rt[k];
      if (t) { clearInterval(t); clearTimeout(t); rt[k] = undefined; }
    }
  };
  const clearRestartTimer = (rt: Rt) => {
    if (rt.restartTimer) { clearTimeout(rt.restartTimer); rt.restartTimer = undefined; }
  };

  const probeIntervalMs = (rt: Rt) => Math.max(100, opts.probeIntervalMs ?? (rt.cfg.health ? rt.cfg.health.intervalSec * 1000 : 5000));

  const scheduleRunTimers = (rt: Rt) => {
    clearRunTimers(rt);
    if (detached) return;
    // one probe at a time, the next one scheduled when it is done: fast while starting, the configured cadence after
    const next = () => {
      const ms = rt.st.state === 'starting' ? Math.min(STARTING_PROBE_MS, probeIntervalMs(rt)) : probeIntervalMs(rt);
      const timer: NodeJS.Timeout = setTimeout(() => {
        void tick(rt).finally(() => { if (rt.probeTimer === timer && !detached) next(); });
      }, ms);
      timer.unref();
      rt.probeTimer = timer;
    };
    next();
    if (isProcess(rt.cfg) && rt.adopted) {
      const run = rt.run;
      rt.aliveTimer = setInterval(() => {
        const s = rt.st;
        if (rt.run === run && s.pid !== undefined && rt.identity && !sameStart(s.pid, rt.identity.startTime)) {
          onExit(rt, run, { code: null, at: now() }, 'exited (not a child of this daemon: exit code unknown)');
        }
      }, ADOPTED_POLL_MS);
      rt.aliveTimer.unref();
    }
    if (!rt.cfg.health) {
      // no readiness probe: healthy once alive for 1 s
      const elapsed = now() - (rt.st.startedAt ?? now());
      rt.oneShot = setTimeout(() => void tick(rt), Math.max(0, 1000 - elapsed) + 20);
      rt.oneShot.unref();
    }
  };

  // ---- transitions (the rules are src/daemon/machine.ts; here they are fed and their effects performed) ---------

  const policyOf = (cfg: EngineConfig): Policy => ({
    restart: cfg.restart, backoff: cfg.backoff, crashloop: cfg.crashloop, startupGraceSec: cfg.startupGraceSec, probe: cfg.health !== undefined,
  });

  /** the status mirrors the machine's state */
  const mirror = (rt: Rt) => {
    const s = rt.st;
    const l = rt.life;
    s.state = l.state;
    s.restarts = l.restarts;
    if (l.message === undefined) delete s.message;
    else s.message = l.message;
    if (l.nextRestartAt === undefined) delete s.nextRestartAt;
    else s.nextRestartAt = l.nextRestartAt;
    if (l.lastExit) s.lastExit = l.lastExit;
  };

  /** One event through the machine. The timer effects are performed here; launch and giveUp are returned to the caller. */
  const feed = (rt: Rt, ev: LifeEvent): Effect[] => {
    const r = step(rt.life, policyOf(rt.cfg), ev);
    const crashed = r.effects.find((e) => e.type === 'showCrashed');
    if (crashed) {
      // the watchers see it crash before it backs off or loops
      rt.st.state = 'crashed';
      rt.st.message = crashed.message;
      if (ev.type === 'exited') rt.st.lastExit = ev.exit;
      emit(rt);
    }
    rt.life = r.life;
    mirror(rt);
    const rest: Effect[] = [];
    for (const e of r.effects) {
      if (e.type === 'showCrashed') continue;
      if (e.type === 'cancelRestart') clearRestartTimer(rt);
      else if (e.type === 'armRestart') armRestart(rt, e.delayMs);
      else if (e.type === 'becameHealthy') rt.modelsAt = undefined;
      else rest.push(e);
    }
    return rest;
  };

  /** the backoff's timer: when it fires (and the run is still the one that failed), the machine may launch again */
  const armRestart = (rt: Rt, delayMs: number) => {
    clearRestartTimer(rt);
    if (detached) return;
    const run = rt.run;
    rt.restartTimer = setTimeout(() => {
      rt.restartTimer = undefined;
      void withLock(rt, async () => {
        if (detached || rt.run !== run) return;
        if (!feed(rt, { type: 'restartDue' }).some((e) => e.type === 'launch')) return;
        try {
          await launch(rt, true);
        } catch (e) {
          rt.run++;
          clearRunFields(rt);
          feed(rt, { type: 'launchFailed', why: e instanceof Error ? e.message : String(e), at: now(), mono: mono(), auto: true });
          void saveState();
          emit(rt);
        }
      });
    }, delayMs);
    rt.restartTimer.unref();
  };

  const clearRunFields = (rt: Rt) => {
    rt.treeAt = undefined;
    rt.placeAt = undefined;
    const s = rt.st;
    delete s.pid;
    delete s.startedAt; // no run, no uptime (a crash-looped engine shows none)
    delete s.logDroppedBytes;
    s.pids = [];
    delete s.rssBytes;
    delete s.numaBytes;
    delete s.listen;
    delete s.health;
    delete s.tokPerSec;
    delete s.requestsRunning;
    delete s.requestsWaiting;
    delete s.kvCachePct;
    s.warnings = [];
    rt.child = undefined;
    rt.prevTokens = undefined;
  };

  function onExit(rt: Rt, run: number, exit: EngineExit, why = 'exited'): void {
    if (run !== rt.run) return;
    clearRunTimers(rt);
    const pgid = rt.pgid;
    if (rt.life.stopping) { feed(rt, { type: 'exited', exit, why, mono: mono() }); return; } // stop() finishes the transition
    rt.run++;
    if (isProcess(rt.cfg)) {
      if (pgid !== undefined) killGroup(pgid); // helpers left behind would hold the port and the GPU
      if (rt.cgroup) { const cg = rt.cgroup; rt.cgroup = undefined; void killCgroup(cg).catch(() => false); }
      // …and so would those that left the group (setsid): found by the engine's marker
      void reapEscaped(rt.cfg.name, box, 'SIGKILL', 0).then((w) => { if (w) log(`engine ${rt.cfg.name} exited; ${w}`); }, () => undefined);
      appendLine(logFileOf(rt.cfg.name), `--- sov: ${rt.cfg.name} ${why} (${exitWords(exit)}) at ${new Date(exit.at).toISOString()} ---`);
    }
    clearRunFields(rt);
    feed(rt, { type: 'exited', exit, why, mono: mono() });
    void saveState();
    emit(rt);
  }

  /** Spawn / start it; state `starting`. Throws when it cannot be launched. Call under the engine's lock. */
  const launch = async (rt: Rt, auto: boolean): Promise<void> => {
    const cfg = rt.cfg;
    clearRunTimers(rt);
    clearRestartTimer(rt);
    rt.run++;
    const run = rt.run;
    rt.adopted = false;
    clearRunFields(rt);
    // starting from here: an exit while it is being spawned is this run's
    feed(rt, { type: 'launched', at: now() });
    if (isProcess(cfg)) {
      const logFile = logFileOf(cfg.name);
      await rotateIfNeeded(logFile, cfg.logs).catch(() => false);
      // what is left of a previous run (a relay an escapee kept alive, processes carrying the marker) goes first
      const w = await reapEscaped(cfg.name, box, 'SIGTERM', 1000);
      if (w) log(`engine ${cfg.name}: before starting it, ${w}`);
      if (rt.relay) { await endRelay(rt.relay.pid, rt.relay.startTime, 1000); rt.relay = undefined; }
      appendLine(logFile, `--- sov: starting ${cfg.name} at ${new Date(now()).toISOString()}${auto ? ` (restart ${rt.life.restarts})` : ''} ---`);
      const fifo = fifoOf(cfg.name);
      makeFifo(fifo);
      const wfd = openFifoForEngine(fifo);
      let sp;
      try {
        // the relay first, holding the FIFO before the engine writes (our read-write copy lets its open return)
        startRelay(rt, cfg);
        let out: { fd: number } | { logFile: string } = { fd: wfd };
        if (!(await relayOpened(rt.relay!.pid, fifo, 10_000))) {
          // no relay (its script missing, it cannot start): the engine logs straight to its file, rotated the old way
          log(`engine ${cfg.name}: its log relay did not start; logging straight to ${logFile} (copytruncate rotation)`);
          await endRelay(rt.relay!.pid, rt.relay!.startTime, 0);
          rt.relay = undefined;
          out = { logFile };
        }
        const cgroup = await engineCgroup(cfg.name);
        sp = await spawnEngine(cfg, out, opts.env, (code, signal) => {
          const e: EngineExit = { code, at: now() };
          if (signal) e.signal = signal;
          onExit(rt, run, e);
        }, mark(cfg.name), cgroup);
      } finally {
        closeSync(wfd); // the engine and the relay hold the FIFO now
      }
      rt.child = sp.child;
      rt.pgid = sp.pid;
      rt.cgroup = sp.cgroup;
      rt.st.pid = sp.pid;
      rt.st.pids = [sp.pid];
      rt.st.logFile = logFile;
      rt.identity = { startTime: readStat(sp.pid)?.startTime ?? '', cmdline: readCmdline(sp.pid) ?? sp.argv };
    } else {
      await rt.adapter!.start();
      const s = await rt.adapter!.state();
      if (s.pid !== undefined) { rt.st.pid = s.pid; rt.st.pids = [s.pid]; }
    }
    if (rt.run !== run) return; // it already exited (onExit ran)
    rt.st.startedAt = now();
    scheduleRunTimers(rt);
    void saveState();
    emit(rt);
  };

  const fifoOf = (name: string) => join(opts.logDir, `.${name}.fifo`);

  /** A (new) relay on the engine's FIFO: at launch, and when an engine's relay died while the engine runs. */
  const startRelay = (rt: Rt, cfg: ProcessEngineConfig) => {
    const r = spawnRelay({
      file: logFileOf(cfg.name), maxBytes: cfg.logs.maxBytes, keep: cfg.logs.keep, statsFile: statsFileOf(cfg.name), input: fifoOf(cfg.name),
    }, mark(cfg.name), opts.env);
    rt.relay = { pid: r.relayPid, startTime: readStat(r.relayPid)?.startTime ?? '' };
  };

  /** The engine's own cgroup, empty (what is left from a previous run is killed first); undefined without cgroup v2. */
  const engineCgroup = async (name: string): Promise<string | undefined> => {
    const dir = createEngineCgroup(name, box);
    if (!dir) return undefined;
    const stale = cgroupPids(dir);
    if (stale.length) { log(`engine ${name}: ${stale.length} process(es) left in its cgroup from a previous run: killed`); await killCgroup(dir, 1000); }
    return createEngineCgroup(name, box);
  };

  // ---- probes --------------------------------------------------------------------------------------------------

  /**
   * One scan of /proc shared by every engine's tree refresh: each engine refreshes every TREE_EVERY_MS at its own
   * moment, and each scan reads every process's stat (the daemon's biggest steady cost with 5 idle engines). A scan
   * younger than TREE_EVERY_MS serves, unless it does not know the engine's pid (just launched): then a new one.
   */
  let scan: { at: number; stats: ReturnType<typeof allStats> } | undefined;
  const procStats = (root: number) => {
    const t = mono();
    if (scan && t - scan.at < TREE_EVERY_MS && scan.stats.some((x) => x.pid === root)) return scan.stats;
    scan = { at: t, stats: allStats() };
    return scan.stats;
  };

  const sample = (rt: Rt) => {
    const s = rt.st;
    if (s.pid === undefined) return;
    const t = now();
    const slow = rt.treeAt === undefined || t - rt.treeAt >= TREE_EVERY_MS || !s.pids.includes(s.pid);
    if (slow) {
      const pids = processTree(s.pid, procStats(s.pid));
      if (pids.length === 0) return;
      rt.treeAt = t;
      const changed = pids.length !== s.pids.length || pids.some((p, i) => p !== s.pids[i]);
      s.pids = pids;
      if (changed || !s.listen?.length || rt.placeAt === undefined || t - rt.placeAt >= PLACE_EVERY_MS) {
        rt.placeAt = t;
        const numa = treeNuma(pids);
        if (numa !== undefined) s.numaBytes = numa;
        const listen = listenSockets(pids).map((l) => ({ address: l.address, port: l.port, loopback: l.loopback }));
        s.listen = listen;
        s.warnings = listen.filter((l) => !l.loopback).map((l) => `listens on ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}: inference APIs should bind 127.0.0.1`);
      }
    }
    const rss = treeRss(s.pids);
    if (rss !== undefined) s.rssBytes = rss;
    readRelayStats(rt);
  };

  /** a readiness answer (undefined: no probe, alive for a second) into the machine */
  const applyHealth = (rt: Rt, h: EngineHealth | undefined) => {
    if (h) rt.st.health = h;
    feed(rt, { type: 'probed', health: h, at: now(), mono: mono() });
  };

  async function tick(rt: Rt): Promise<void> {
    if (rt.probing || detached || !RUNNING.has(rt.st.state) || rt.life.stopping) return;
    rt.probing = true;
    const run = rt.run;
    const cfg = rt.cfg;
    try {
      if (isProcess(cfg)) {
        if (rt.adopted && rt.st.pid !== undefined && rt.identity && !sameStart(rt.st.pid, rt.identity.startTime)) {
          onExit(rt, run, { code: null, at: now() }, 'exited (not a child of this daemon: exit code unknown)');
          return;
        }
        // its relay died (killed, OOM): the engine's writes wait in the FIFO; a new relay drains it
        const engineAlive = rt.st.pid !== undefined && rt.identity !== undefined && sameStart(rt.st.pid, rt.identity.startTime);
        if (engineAlive && rt.relay && !sameStart(rt.relay.pid, rt.relay.startTime) && existsSync(fifoOf(cfg.name))) {
          log(`engine ${cfg.name}: its log relay (pid ${rt.relay.pid}) is gone; starting a new one`);
          startRelay(rt, cfg);
          void saveState();
        }
        // a wrapper (numactl) execs into the engine after the spawn: keep the argv a later daemon will compare
        const argv = rt.st.pid !== undefined ? readCmdline(rt.st.pid) : undefined;
        if (rt.identity && argv?.length && argv.join('\0') !== rt.identity.cmdline.join('\0') && sameStart(rt.st.pid!, rt.identity.startTime)) {
          rt.identity = { ...rt.identity, cmdline: argv };
          void saveState();
        }
      } else {
        const s = await rt.adapter!.state();
        if (rt.run !== run || rt.life.stopping) return;
        // the runtime could not be asked (dockerd busy, systemctl timed out): not an exit until it says so 3 times
        if (!s.running && s.status === 'unknown') {
          const giveUp = feed(rt, { type: 'unknown', error: s.error ?? 'no answer' }).find((e) => e.type === 'giveUp');
          if (giveUp) onExit(rt, run, { code: s.exitCode ?? null, at: now() }, `stopped running: ${s.error ?? 'its state could not be read'}`);
          return;
        }
        feed(rt, { type: 'known' });
        if (!s.running) {
          onExit(rt, run, { code: s.exitCode ?? null, at: now() }, s.error ? `stopped running: ${s.error}` : `stopped running (${s.status})`);
          return;
        }
        if (s.pid !== undefined) rt.st.pid = s.pid;
        else delete rt.st.pid;
        rt.st.pids = s.pid !== undefined ? [s.pid] : [];
        if (s.startedAt !== undefined) rt.st.startedAt = s.startedAt;
      }
      sample(rt);
      if (cfg.health) {
        const h = await probeHealth(cfg.health.url, cfg.health.kind, cfg.health.timeoutSec * 1000, now);
        if (rt.run !== run || rt.life.stopping) return;
        applyHealth(rt, h);
      } else if (now() - (rt.st.startedAt ?? now()) >= 1000) {
        applyHealth(rt, undefined);
      }
      if (rt.st.state === 'healthy' || rt.st.state === 'degraded') {
        const mu = modelsUrl(cfg);
        const timeoutMs = (cfg.health?.timeoutSec ?? 3) * 1000;
        if (mu && rt.st.state === 'healthy' && (rt.modelsAt === undefined || now() - rt.modelsAt >= MODELS_EVERY_MS)) {
          const ids = await probeModels(mu, timeoutMs);
          if (rt.run !== run) return;
          rt.modelsAt = now();
          if (ids) rt.st.models = ids;
        }
        if (cfg.metrics) {
          const m = await probeMetrics(cfg.metrics, timeoutMs);
          if (rt.run !== run) return;
          if (m) {
            const t = now();
            const total = m.tokensGeneratedTotal;
            if (total !== undefined) {
              const tps = rt.prevTokens ? tokensPerSecond(rt.prevTokens.total, total, t - rt.prevTokens.at) : undefined;
              if (tps !== undefined) rt.st.tokPerSec = tps;
              rt.prevTokens = { total, at: t };
            }
            if (m.requestsRunning !== undefined) rt.st.requestsRunning = m.requestsRunning;
            if (m.requestsWaiting !== undefined) rt.st.requestsWaiting = m.requestsWaiting;
            if (m.kvCacheUsagePct !== undefined) rt.st.kvCachePct = m.kvCacheUsagePct;
          }
        }
      }
    } catch {
      // probes never throw; an adapter hiccup waits for the next tick
    } finally {
      rt.probing = false;
    }
    if (rt.run === run) emit(rt);
  }

  // ---- adoption ------------------------------------------------------------------------------------------------

  const adoptProcess = (rt: Rt, e: StateEntry): boolean => {
    if (!validEntry(e) || !sameProcess(e.pid, e)) return false;
    rt.run++;
    rt.adopted = true;
    rt.pgid = e.pgid;
    rt.identity = { startTime: e.startTime, cmdline: [...e.cmdline] };
    const s = rt.st;
    s.pid = e.pid;
    s.pids = [e.pid];
    s.startedAt = e.startedAt;
    s.logFile = logFileOf(rt.cfg.name);
    const relay = e.relay && sameStart(e.relay.pid, e.relay.startTime) ? e.relay : markedRelays(rt.cfg.name, box)[0];
    rt.relay = relay ? { pid: relay.pid, startTime: relay.startTime } : undefined;
    const cg = cgroupDirOf(e.pid);
    rt.cgroup = isEngineCgroup(cg, box) ? cg : undefined;
    // its relay died while no daemon watched: the output waits in the FIFO; drain it with a new one
    if (!rt.relay && isProcess(rt.cfg) && existsSync(fifoOf(rt.cfg.name)) && readlinkOr(`/proc/${e.pid}/fd/1`) === fifoOf(rt.cfg.name)) {
      log(`engine ${rt.cfg.name}: adopted without a log relay; starting a new one`);
      startRelay(rt, rt.cfg);
    }
    // a daemon killed inside a log rotation's pause would have left it frozen (only its own group is signalled)
    if (!rt.relay && readStat(e.pid)?.pgid === e.pgid) resumeGroup(e.pgid);
    feed(rt, { type: 'adopted', startedAt: e.startedAt, restarts: e.restarts, message: 'adopted; waiting for the readiness probe' });
    scheduleRunTimers(rt);
    return true;
  };

  const adoptExternal = async (rt: Rt): Promise<boolean> => {
    const s = await rt.adapter!.state();
    if (!s.running) return false;
    rt.run++;
    if (s.pid !== undefined) { rt.st.pid = s.pid; rt.st.pids = [s.pid]; }
    rt.st.startedAt = s.startedAt ?? now();
    feed(rt, { type: 'adopted', startedAt: rt.st.startedAt, restarts: rt.life.restarts, message: 'already running; waiting for the readiness probe' });
    scheduleRunTimers(rt);
    return true;
  };

  /**
   * No usable entry in the state file (lost, truncated, garbage, unwritable): the engine may still run. The oldest
   * process leading its own group with this engine's marker is it; adopt that rather than start a second copy.
   */
  const adoptMarked = (rt: Rt): boolean => {
    const name = rt.cfg.name;
    const main = markedProcesses(name, box).find((p) => p.pid === p.pgid);
    const cmdline = main ? readCmdline(main.pid) : undefined;
    if (!main || !cmdline?.length) return false;
    const relay = markedRelays(name, box)[0];
    const e: StateEntry = {
      pid: main.pid, pgid: main.pgid, startTime: main.startTime, cmdline, startedAt: startedAtMs(main.startTime) ?? now(),
      restarts: 0, logFile: logFileOf(name), ...(relay ? { relay: { pid: relay.pid, startTime: relay.startTime } } : {}),
    };
    if (!adoptProcess(rt, e)) return false;
    log(`engine ${name}: not in the state file but running (pid ${main.pid}, found by its ${'SOV_ENGINE'} marker): adopted, not started again`);
    return true;
  };

  /** Adopt what is running (file entry, else the marker; container/unit), else autostart. */
  const bringUp = async (rt: Rt, saved: StateFile): Promise<void> => {
    let adopted = false;
    if (isProcess(rt.cfg)) {
      const e = saved[rt.cfg.name];
      if (e) adopted = adoptProcess(rt, e);
      if (!adopted) adopted = adoptMarked(rt);
    } else {
      adopted = await adoptExternal(rt).catch(() => false);
    }
    if (adopted) {
      await tick(rt);
      return;
    }
    if (rt.cfg.autostart) {
      await withLock(rt, () => launch(rt, false)).catch((e: unknown) => {
        rt.run++;
        clearRunFields(rt);
        feed(rt, { type: 'launchFailed', why: e instanceof Error ? e.message : String(e), at: now(), mono: mono(), auto: false });
        emit(rt);
      });
    }
  };

  // ---- create --------------------------------------------------------------------------------------------------

  const raw = await readJson<Record<string, unknown>>(statePath);
  const saved: StateFile = {};
  if (raw && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) if (validEntry(v)) saved[k] = v;
  for (const cfg of opts.engines) engines.set(cfg.name, newRt(cfg));
  for (const [n, e] of Object.entries(saved)) {
    // not configured now: keep the record (never signal it); alive and still ours, a later config may adopt it
    if (!engines.has(n) && sameProcess(e.pid, e)) orphans.set(n, e);
  }
  await Promise.all([...engines.values()].map((rt) => bringUp(rt, saved)));
  await saveState();
  sweepEmptyCgroups(box);

  const rotateTimer = setInterval(() => {
    for (const rt of engines.values()) {
      if (isProcess(rt.cfg) && !rt.relay) void rotateIfNeeded(logFileOf(rt.cfg.name), rotateOpts(rt, rt.cfg)).catch(() => false);
    }
  }, 1000);
  rotateTimer.unref();

  // ---- operations ----------------------------------------------------------------------------------------------

  const get = (name: string): Rt => {
    const rt = engines.get(name);
    if (!rt) throw new SupervisorError('notFound', `no engine named "${name}"`);
    return rt;
  };

  const doStop = async (rt: Rt): Promise<void> => {
    feed(rt, { type: 'stop' });
    const s = rt.st;
    const cfg = rt.cfg;
    if (!rt.life.stopping || (isProcess(cfg) && s.pid === undefined)) {
      rt.run++;
      clearRunTimers(rt);
      clearRunFields(rt);
      feed(rt, { type: 'stopped' });
      void saveState();
      emit(rt);
      return;
    }
    clearRunTimers(rt);
    let message: string | undefined;
    let escaped: string | undefined;
    try {
      if (isProcess(cfg)) {
        const child = rt.child;
        const pid = s.pid!;
        const identity = rt.identity;
        const gone = child
          ? () => child.exitCode !== null || child.signalCode !== null
          : () => !identity || !sameStart(pid, identity.startTime);
        const r = await stopGroup(rt.pgid ?? pid, cfg.stop.signal, cfg.stop.timeoutSec * 1000, gone);
        if (r.killed) message = `did not stop within ${cfg.stop.timeoutSec} s of ${cfg.stop.signal}: killed (SIGKILL to the process group)`;
        // the group is gone; what carries the marker still runs outside it (setsid)
        escaped = await reapEscaped(cfg.name, box, cfg.stop.signal, Math.min(2000, cfg.stop.timeoutSec * 1000));
        // what is still in its cgroup left both the group and the marker (a cleared environment): cgroup.kill
        if (rt.cgroup) {
          const left = cgroupPids(rt.cgroup).map((p) => `${p} (${readStat(p)?.comm ?? '?'})`);
          const emptied = await killCgroup(rt.cgroup);
          if (left.length) escaped = [escaped, `${left.length} more in its cgroup: ${left.slice(0, 5).join(', ')}; ${emptied ? 'killed (cgroup.kill)' : 'could not be killed'}`].filter(Boolean).join('; ');
          rt.cgroup = undefined;
        }
        if (escaped) { log(`engine ${cfg.name}: ${escaped}`); message = message ? `${message}; ${escaped}` : escaped; }
        if (rt.relay) { await endRelay(rt.relay.pid, rt.relay.startTime, 2000); rt.relay = undefined; }
        if (!child) {
          // not our child: no exit event comes; the stop says how it ended
          const e: EngineExit = { code: null, at: now() };
          if (r.killed) e.signal = 'SIGKILL';
          feed(rt, { type: 'exited', exit: e, why: 'stopped', mono: mono() });
        }
        appendLine(logFileOf(cfg.name), `--- sov: stopped ${cfg.name} at ${new Date(now()).toISOString()}${r.killed ? ' (SIGKILL after the timeout)' : ''} ---`);
      } else {
        await rt.adapter!.stop(cfg.stop.timeoutSec);
      }
    } finally {
      rt.run++;
      rt.adopted = false;
      clearRunFields(rt);
      if (escaped) rt.st.warnings = [escaped];
      feed(rt, { type: 'stopped', ...(message !== undefined ? { message } : {}) });
      void saveState();
      emit(rt);
    }
  };

  const doStart = async (rt: Rt): Promise<void> => {
    if (RUNNING.has(rt.st.state)) return;
    // the operator acts: a crashloop or a pending backoff is cleared
    feed(rt, { type: 'start' });
    try {
      await launch(rt, false);
    } catch (e) {
      rt.run++;
      clearRunFields(rt);
      feed(rt, { type: 'launchFailed', why: e instanceof Error ? e.message : String(e), at: now(), mono: mono(), auto: false });
      void saveState();
      emit(rt);
      throw new SupervisorError('failedToStart', rt.st.message ?? 'failed to start');
    }
  };

  /** engines.logs, bounded in lines and bytes (src/daemon/logs.ts); called one at a time by logs() */
  const readLogs = async (rt: Rt, name: string, o: { lines?: number; search?: string }): Promise<LogsResult> => {
    const n = Math.max(1, Math.min(o.lines ?? 200, MAX_LOG_LINES));
    const cfg = rt.cfg;
    if (isProcess(cfg)) {
      const file = logFileOf(cfg.name);
      if (!rt.relay) await rotateIfNeeded(file, rotateOpts(rt, cfg)).catch(() => false);
      readRelayStats(rt);
      const files = logFiles(file, cfg.logs.keep);
      const dropped = rt.st.logDroppedBytes ? { droppedBytes: rt.st.logDroppedBytes } : {};
      if (o.search !== undefined && o.search !== '') {
        const r = await searchLines(files, o.search, n, MAX_RESPONSE_BYTES);
        return { name, file, lines: r.lines, matched: r.matched, ...dropped, ...(r.truncated ? { truncated: r.truncated } : {}) };
      }
      const t = await tailBounded(files, n, MAX_RESPONSE_BYTES);
      return { name, file, lines: t.lines, ...dropped, ...(t.truncated ? { truncated: t.truncated } : {}) };
    }
    if (o.search !== undefined && o.search !== '') {
      const all = await rt.adapter!.logs(Math.max(n, 10_000));
      const want = o.search.toLowerCase();
      const hits = all.filter((l) => l.toLowerCase().includes(want));
      const b = boundNewest(hits.slice(-n), MAX_RESPONSE_BYTES);
      return { name, lines: b.lines, matched: hits.length, ...(b.truncated ? { truncated: b.truncated } : {}) };
    }
    const b = boundNewest((await rt.adapter!.logs(n)).slice(-n), MAX_RESPONSE_BYTES);
    return { name, lines: b.lines, ...(b.truncated ? { truncated: b.truncated } : {}) };
  };

  const sup: Supervisor = {
    list() {
      return [...engines.values()].map(snapshot);
    },

    async start(name) {
      const rt = get(name);
      await withLock(rt, () => doStart(rt));
      return snapshot(rt);
    },

    async stop(name) {
      const rt = get(name);
      await withLock(rt, () => doStop(rt));
      return snapshot(rt);
    },

    async restart(name) {
      const rt = get(name);
      await withLock(rt, async () => {
        if (!isProcess(rt.cfg) && RUNNING.has(rt.st.state)) {
          feed(rt, { type: 'start' });
          clearRunTimers(rt);
          rt.run++;
          const run = rt.run;
          await rt.adapter!.restart(rt.cfg.stop.timeoutSec);
          if (rt.run !== run) return;
          clearRunFields(rt);
          const s = await rt.adapter!.state();
          if (s.pid !== undefined) { rt.st.pid = s.pid; rt.st.pids = [s.pid]; }
          rt.st.startedAt = now();
          feed(rt, { type: 'launched', at: rt.st.startedAt });
          scheduleRunTimers(rt);
          emit(rt);
          return;
        }
        await doStop(rt);
        await doStart(rt);
      });
      return snapshot(rt);
    },

    async logs(name, o = {}) {
      const rt = get(name);
      // one log read at a time (each is bounded; many at once are not): a few wait, more are told to retry
      if (logReaders >= MAX_LOG_READERS) throw new SupervisorError('busy', `${logReaders} log reads are already waiting; retry in a moment`);
      logReaders++;
      const turn = logTurn.then(() => readLogs(rt, name, o));
      logTurn = turn.then(() => undefined, () => undefined);
      try { return await turn; } finally { logReaders--; }
    },

    async setEngines(list) {
      const next = new Map(list.map((c) => [c.name, c] as const));
      // engines gone from the config (or changed kind) are stopped together, not one stop timeout after another
      const removed = [...engines].filter(([name, rt]) => { const c = next.get(name); return !(c && c.kind === rt.cfg.kind); });
      await Promise.all(removed.map(async ([name, rt]) => {
        await withLock(rt, () => doStop(rt));
        clearRestartTimer(rt);
        clearRunTimers(rt);
        engines.delete(name);
      }));
      const added: Rt[] = [];
      for (const c of list) {
        const rt = engines.get(c.name);
        if (rt) {
          // same engine, new settings: they apply from the next start; probes pick up the new cadence now
          rt.cfg = c;
          if (c.kind === 'container') rt.adapter = containerAdapter(c, opts.env);
          else if (c.kind === 'systemd') rt.adapter = systemdAdapter(c, opts.env);
          rt.st.host = c.host;
          if (c.port !== undefined) rt.st.port = c.port;
          else delete rt.st.port;
          if (c.openai) rt.st.openai = c.openai;
          else delete rt.st.openai;
          if (RUNNING.has(rt.st.state)) scheduleRunTimers(rt);
          continue;
        }
        const nrt = newRt(c);
        engines.set(c.name, nrt);
        added.push(nrt);
      }
      const saved: StateFile = {};
      for (const rt of added) {
        const e = orphans.get(rt.cfg.name);
        if (e) { saved[rt.cfg.name] = e; orphans.delete(rt.cfg.name); }
      }
      await Promise.all(added.map((rt) => bringUp(rt, saved)));
      for (const rt of added) emit(rt);
      await saveState();
    },

    async detach() {
      detached = true;
      clearInterval(rotateTimer);
      for (const rt of engines.values()) {
        clearRunTimers(rt);
        clearRestartTimer(rt);
      }
      // a start or stop under way finishes first, so the state file names the engine it launched
      await Promise.all([...engines.values()].map((rt) => rt.lock.catch(() => undefined)));
      for (const rt of engines.values()) { clearRunTimers(rt); rt.child?.removeAllListeners('exit'); }
      await saveState();
      await writing;
      return stateError === undefined ? { stateSaved: true } : { stateSaved: false, error: stateError };
    },

    stateError() {
      return stateError;
    },
  };
  return sup;
}
