// Supervision overhead and restart latency of the real daemon: the built `dist/sov.js daemon --foreground` (run
// through its shebang, as an installed sov is) in a private XDG tree under /tmp, supervising simulated llama.cpp
// engines (src/demo/engine.ts). Ends only the processes it started or that its daemon reports, by pid,
// after checking their command line; talks only to loopback.
//
//   measureSupervision({ seconds: 60, restartTrials: 5, log })
//
// 1. the daemon alone (not its engines): CPU % of one core (utime+stime of its own pid from /proc/<pid>/stat,
//    first to last sample), VmRSS every 500 ms (peak, end) and VmHWM; the engines' total RSS for context.
// 2. restart latency: kill -9 an engine, time until the daemon lists it healthy with a new pid (engines.list, the
//    call behind `sov engines ls`, polled every 50 ms), with the intermediate steps.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectDaemon, type DaemonClient } from '../src/daemon/client.js';
import { resolvePaths, type SovPaths } from '../src/daemon/paths.js';
import { isAlive, readCmdline } from '../src/daemon/procfs.js';
import type { EngineStatus } from '../src/daemon/types.js';
import { freePort } from '../test/helpers/proc.js';
import { median } from './measure.js';
import { clockTicksPerSecond, parseStat, parseStatusKb, sampleTree } from './proc.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOV = join(root, 'dist', 'sov.js');
const SIM = join(root, 'src', 'demo', 'engine.ts');

/** The bench config's knobs, printed with the figures (the defaults of src/config/schema.ts where not set). */
export const SUPERVISION_CONFIG = {
  engines: 5,
  loadMs: 200,
  /** health.intervalSec: not set in the config, the schema's default */
  probeIntervalSec: 5,
  /** backoff: set in the bench config (the default is initialSec 1, factor 2): a fixed 0.2 s before every restart */
  backoffInitialSec: 0.2,
  backoffFactor: 1,
} as const;

export interface SupervisionOptions {
  /** how long the daemon is measured once every engine is healthy */
  seconds: number;
  /** kill -9 trials (0: none) */
  restartTrials: number;
  log?: (msg: string) => void;
}

export interface RestartTrial {
  engine: string;
  oldPid: number;
  newPid?: number;
  /** kill → engines.list shows a new pid (backoff delay + spawn + the next list call) */
  newPidMs?: number;
  /** kill → the engine's own /health answers 200 (+ node/tsx start-up + --load-ms) */
  engineReadyMs?: number;
  /** kill → engines.list shows it healthy with a new pid (+ waiting for the daemon's next readiness probe) */
  healthyMs?: number;
  /** what the daemon said when the trial gave up */
  error?: string;
}

export interface SupervisionResult {
  engines: number;
  daemonPid: number;
  daemonCommand: string;
  /** the engines' config, as the figures depend on it */
  config: { loadMs: number; probeIntervalSec: number; backoffInitialSec: number; backoffFactor: number; crashloopFailures: number };
  /** from starting the daemon until every engine was healthy */
  startToHealthyMs: number;
  seconds: number;
  samples: number;
  /** the daemon's own utime+stime over the span, % of one core */
  daemonCpuPct?: number;
  daemonPeakRssBytes?: number;
  daemonEndRssBytes?: number;
  /** VmHWM at the end: the daemon's lifetime high-water mark, start-up included */
  daemonHwmBytes?: number;
  /** sum of the engines' process-tree RSS at the end of the span, and at most during it */
  enginesEndRssBytes?: number;
  enginesPeakRssBytes?: number;
  enginesCpuPct?: number;
  restart: {
    trials: RestartTrial[];
    medianMs?: number;
    maxMs?: number;
    medianNewPidMs?: number;
    medianEngineReadyMs?: number;
    failed: number;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((res) => {
    const req = get(url, { timeout: timeoutMs }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', () => res(0));
    req.on('timeout', () => {
      req.destroy();
      res(0);
    });
  });
}

function runSov(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(SOV, args, { env, cwd: root, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export function engineYaml(name: string, port: number, crashloopFailures: number): string {
  const c = SUPERVISION_CONFIG;
  const argv = [process.execPath, '--import', 'tsx', SIM, '--port', String(port), '--load-ms', String(c.loadMs)];
  return [
    `  - name: ${name}`,
    '    kind: process',
    `    argv: ${JSON.stringify(argv)}`,
    `    cwd: ${JSON.stringify(root)}`,
    `    port: ${port}`,
    `    openai: http://127.0.0.1:${port}/v1`,
    // intervalSec left at its default (5 s): the daemon as configured by a user who did not tune it
    `    health: { url: "http://127.0.0.1:${port}/health", kind: llamacpp }`,
    `    backoff: { initialSec: ${c.backoffInitialSec}, factor: ${c.backoffFactor} }`,
    `    crashloop: { failures: ${crashloopFailures} }`,
    '    autostart: true',
    '',
  ].join('\n');
}

/** The daemon's own CPU ticks (utime+stime, not the children it reaped: killed engines) and memory. */
function daemonSample(pid: number): { ticks: number; rssKb: number; hwmKb: number } | undefined {
  const stat = parseStat(read(`/proc/${pid}/stat`) ?? '');
  const status = read(`/proc/${pid}/status`);
  if (!stat || status === undefined) return undefined;
  return { ticks: stat.ownTicks, rssKb: parseStatusKb(status) ?? 0, hwmKb: parseStatusKb(status, 'VmHWM') ?? 0 };
}

/**
 * Runs the whole measurement; always stops the daemon, kills the engines and removes the temp dir (also on
 * SIGINT, after which the process exits 130).
 */
export async function measureSupervision(o: SupervisionOptions): Promise<SupervisionResult> {
  const log = o.log ?? (() => {});
  if (!existsSync(SOV)) throw new Error(`${SOV} is missing: run npm run build`);
  const c = SUPERVISION_CONFIG;
  const crashloopFailures = Math.max(5, Math.ceil(o.restartTrials / c.engines) + 1);
  const dir = mkdtempSync('/tmp/sov-bench-');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  for (const k of ['SOV_RUNTIME_DIR', 'SOV_STATE_DIR', 'NODE_OPTIONS', 'NODE_ENV']) delete env[k];
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
  const paths: SovPaths = resolvePaths({ env });

  const ports: number[] = [];
  for (let i = 0; i < c.engines; i++) {
    let p = await freePort();
    while (ports.includes(p)) p = await freePort();
    ports.push(p);
  }
  const names = ports.map((_, i) => `sim${i + 1}`);
  writeFileSync(paths.configPath, `engines:\n${names.map((n, i) => engineYaml(n, ports[i]!, crashloopFailures)).join('')}`);

  let daemon: ChildProcess | undefined;
  let client: DaemonClient | undefined;
  const seenEnginePids = new Set<number>();
  const remember = (list: EngineStatus[]) => {
    for (const e of list) {
      if (e.pid !== undefined) seenEnginePids.add(e.pid);
      for (const p of e.pids) seenEnginePids.add(p);
    }
    return list;
  };
  const list = async (): Promise<EngineStatus[]> => remember(await client!.call('engines.list', {}, { timeoutMs: 5000 }));

  // ---- clean-up: stop the daemon (sov daemon stop), then kill the engines it ran, then the temp dir --------------
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      try {
        if (client) remember(await client.call('engines.list', {}, { timeoutMs: 3000 }));
      } catch {
        // the daemon may be gone already
      }
      client?.close();
      if (daemon?.pid !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
        const gone = new Promise<void>((r) => daemon!.once('exit', () => r()));
        const r = await runSov(['daemon', 'stop'], env, 20_000);
        if (r.code !== 0) log(`sov daemon stop exited ${r.code}: ${r.stderr.trim()}`);
        await Promise.race([gone, sleep(5000)]);
        if (daemon.exitCode === null && daemon.signalCode === null) {
          log(`the daemon (pid ${daemon.pid}) is still there: SIGKILL`);
          try {
            process.kill(daemon.pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
          await Promise.race([gone, sleep(2000)]);
        }
      }
      // engines outlive the daemon by design: kill those it reported, checking each pid is still our sim engine
      const ours = (pid: number) => {
        const cmd = (readCmdline(pid) ?? []);
        return cmd.includes(SIM) && ports.some((p) => cmd.includes(String(p)));
      };
      const killed: number[] = [];
      for (const pid of seenEnginePids) {
        if (isAlive(pid) && ours(pid)) {
          try {
            process.kill(pid, 'SIGKILL');
            killed.push(pid);
          } catch {
            // gone meanwhile
          }
        }
      }
      for (let i = 0; i < 40 && killed.some(isAlive); i++) await sleep(50);
      rmSync(dir, { recursive: true, force: true });
    })());
  const onSigint = () => {
    log('SIGINT: stopping the daemon and its engines');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);

  try {
    // ---- start the daemon, which autostarts the engines -------------------------------------------------------
    const out = openSync(join(dir, 'daemon.out'), 'a', 0o600);
    const t0 = performance.now();
    try {
      // its own process group: a ^C on the bench's terminal reaches the bench, which stops it in order
      daemon = spawn(SOV, ['daemon', '--foreground'], { env, cwd: root, detached: true, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    daemon.on('error', () => {});
    const daemonPid = daemon.pid;
    if (daemonPid === undefined) throw new Error('could not start the daemon');
    log(`supervision: daemon pid ${daemonPid}, ${c.engines} sim engines (--load-ms ${c.loadMs}), state in ${dir}`);
    const daemonTail = () => (read(join(dir, 'daemon.out')) ?? '').trimEnd().split('\n').slice(-10).join('\n');
    for (let deadline = Date.now() + 15_000; ; ) {
      if (daemon.exitCode !== null || daemon.signalCode !== null) throw new Error(`the daemon exited (${daemon.exitCode ?? daemon.signalCode}):\n${daemonTail()}`);
      try {
        client = await connectDaemon({ paths, timeoutMs: 10_000, connectTimeoutMs: 1000 });
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`the daemon's socket did not answer within 15 s: ${(e as Error).message}\n${daemonTail()}`);
        await sleep(100);
      }
    }
    const info = await client.call('daemon.info', {});
    if (info.configError) throw new Error(`the daemon refused the bench config: ${info.configError}`);
    const allHealthy = async (what: string, timeoutMs: number) => {
      for (let deadline = Date.now() + timeoutMs; ; ) {
        const l = await list();
        if (l.length === c.engines && l.every((e) => e.state === 'healthy')) return l;
        if (Date.now() > deadline) throw new Error(`${what}: not every engine healthy after ${timeoutMs / 1000} s: ${l.map((e) => `${e.name} ${e.state}${e.message ? ` (${e.message})` : ''}`).join(', ')}`);
        await sleep(100);
      }
    };
    const healthyList = await allHealthy('start', 90_000);
    const startToHealthyMs = performance.now() - t0;
    log(`  all ${c.engines} engines healthy after ${(startToHealthyMs / 1000).toFixed(1)} s; measuring the daemon for ${o.seconds} s`);

    // ---- 1. the daemon alone, supervising healthy engines, nobody connected ----------------------------------
    client.close();
    client = undefined;
    const enginePids = healthyList.map((e) => e.pid!).filter((p) => p !== undefined);
    const samples: { t: number; ticks: number; rssKb: number; hwmKb: number; engineRss: number; engineCpu: number }[] = [];
    const take = () => {
      const d = daemonSample(daemonPid);
      if (!d) return;
      let engineRss = 0;
      let engineCpu = 0;
      for (const pid of enginePids) {
        const s = sampleTree(pid);
        if (s) {
          engineRss += s.rssBytes;
          engineCpu += s.cpuSeconds;
        }
      }
      samples.push({ t: performance.now(), ...d, engineRss, engineCpu });
    };
    take();
    const sampler = setInterval(take, 500);
    await sleep(o.seconds * 1000);
    clearInterval(sampler);
    take();
    if (daemon.exitCode !== null || daemon.signalCode !== null) throw new Error(`the daemon exited during the measurement:\n${daemonTail()}`);
    const first = samples[0];
    const last = samples[samples.length - 1];
    const span = first && last ? (last.t - first.t) / 1000 : 0;
    const hz = clockTicksPerSecond();

    // ---- 2. restart latency ------------------------------------------------------------------------------------
    client = await connectDaemon({ paths, timeoutMs: 10_000 });
    const trials: RestartTrial[] = [];
    for (let i = 0; i < o.restartTrials; i++) {
      const name = names[i % names.length]!;
      const port = ports[i % names.length]!;
      // each trial starts from a healthy engine (no restart pending)
      const before = await (async () => {
        for (let deadline = Date.now() + 60_000; ; ) {
          const e = (await list()).find((x) => x.name === name);
          if (e?.state === 'healthy' && e.pid !== undefined) return e;
          if (Date.now() > deadline) throw new Error(`${name} is not healthy before trial ${i + 1}: ${e?.state} ${e?.message ?? ''}`);
          await sleep(100);
        }
      })();
      const oldPid = before.pid!;
      if (!(readCmdline(oldPid) ?? []).includes(SIM)) throw new Error(`pid ${oldPid} of ${name} is not a sim engine`);
      const trial: RestartTrial = { engine: name, oldPid };
      const k0 = performance.now();
      process.kill(oldPid, 'SIGKILL');
      const since = () => performance.now() - k0;
      // the engine's own readiness, polled beside the daemon's view: the first 200 after a refusal/503
      let stopProbe = false;
      const prober = (async () => {
        let sawDown = false;
        while (!stopProbe) {
          const st = await httpStatus(`http://127.0.0.1:${port}/health`, 500);
          if (st !== 200) sawDown = true;
          else if (sawDown && trial.engineReadyMs === undefined) {
            trial.engineReadyMs = since();
            return;
          }
          await sleep(50);
        }
      })();
      try {
        for (;;) {
          const e = (await list()).find((x) => x.name === name);
          if (e?.pid !== undefined && e.pid !== oldPid) {
            trial.newPid ??= e.pid;
            trial.newPidMs ??= since();
            if (e.state === 'healthy') {
              trial.healthyMs = since();
              break;
            }
          }
          if (e?.state === 'crashloop' || since() > 60_000) {
            trial.error = `${e?.state ?? 'missing'}${e?.message ? `: ${e.message}` : ''}`;
            break;
          }
          await sleep(50);
        }
      } finally {
        stopProbe = true;
        await prober;
      }
      trials.push(trial);
      log(
        `  restart ${i + 1}/${o.restartTrials} (${name}): ` +
          (trial.healthyMs !== undefined
            ? `healthy after ${(trial.healthyMs / 1000).toFixed(2)} s (new pid at ${((trial.newPidMs ?? 0) / 1000).toFixed(2)} s, /health 200 at ${trial.engineReadyMs !== undefined ? (trial.engineReadyMs / 1000).toFixed(2) : '—'} s)`
            : `gave up: ${trial.error}`),
      );
    }
    const ok = trials.filter((t) => t.healthyMs !== undefined);
    const nums = (f: (t: RestartTrial) => number | undefined) => ok.map(f).filter((v): v is number => v !== undefined);

    return {
      engines: c.engines,
      daemonPid,
      daemonCommand: `${SOV} daemon --foreground`,
      config: { loadMs: c.loadMs, probeIntervalSec: c.probeIntervalSec, backoffInitialSec: c.backoffInitialSec, backoffFactor: c.backoffFactor, crashloopFailures },
      startToHealthyMs,
      seconds: span,
      samples: samples.length,
      daemonCpuPct: first && last && span > 0 ? ((last.ticks - first.ticks) / hz / span) * 100 : undefined,
      daemonPeakRssBytes: samples.length ? Math.max(...samples.map((s) => s.rssKb)) * 1024 : undefined,
      daemonEndRssBytes: last ? last.rssKb * 1024 : undefined,
      daemonHwmBytes: last ? last.hwmKb * 1024 : undefined,
      enginesEndRssBytes: last?.engineRss,
      enginesPeakRssBytes: samples.length ? Math.max(...samples.map((s) => s.engineRss)) : undefined,
      enginesCpuPct: first && last && span > 0 ? ((last.engineCpu - first.engineCpu) / span) * 100 : undefined,
      restart: {
        trials,
        medianMs: median(nums((t) => t.healthyMs)),
        maxMs: ok.length ? Math.max(...nums((t) => t.healthyMs)) : undefined,
        medianNewPidMs: median(nums((t) => t.newPidMs)),
        medianEngineReadyMs: median(nums((t) => t.engineReadyMs)),
        failed: trials.length - ok.length,
      },
    };
  } finally {
    await cleanup();
    process.off('SIGINT', onSigint);
  }
}

const mb = (b?: number) => (b === undefined ? '—' : `${(b / 1024 / 1024).toFixed(1)} MB`);
const sec = (ms?: number) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

/** The report's lines (no budget is set for these: figures only). */
export function formatSupervision(r: SupervisionResult): string {
  const cfg = r.config;
  const lines = [
    `supervision: the daemon alone (pid ${r.daemonPid}) supervising ${r.engines} healthy sim engines, probe every ${cfg.probeIntervalSec} s (the default), ${r.seconds.toFixed(1)} s, ${r.samples} samples:`,
    `  CPU ${r.daemonCpuPct === undefined ? '—' : `${r.daemonCpuPct.toFixed(2)} %`} of a core · RSS peak ${mb(r.daemonPeakRssBytes)}, end ${mb(r.daemonEndRssBytes)} (VmHWM ${mb(r.daemonHwmBytes)}, start-up included)`,
    `  for context: the ${r.engines} engines' RSS ${mb(r.enginesEndRssBytes)} in all (peak ${mb(r.enginesPeakRssBytes)}), CPU ${r.enginesCpuPct === undefined ? '—' : `${r.enginesCpuPct.toFixed(2)} %`}; daemon start → all healthy ${sec(r.startToHealthyMs)}`,
  ];
  const rs = r.restart;
  if (rs.trials.length > 0) {
    lines.push(
      `restart after kill -9 (${rs.trials.length} trials on different engines; bench config backoff {initialSec: ${cfg.backoffInitialSec}, factor: ${cfg.backoffFactor}}, the default is 1 s ×2${cfg.crashloopFailures > 5 ? `; crashloop.failures ${cfg.crashloopFailures}` : ''}): ` +
        `until \`engines ls\` says healthy with a new pid: median ${sec(rs.medianMs)}, max ${sec(rs.maxMs)}${rs.failed ? ` · ${rs.failed} FAILED` : ''}`,
      `  that is: ${cfg.backoffInitialSec} s backoff + spawn → new pid listed at ${sec(rs.medianNewPidMs)} (median) · + node/tsx start-up + --load-ms ${cfg.loadMs} → the engine's /health 200 at ${sec(rs.medianEngineReadyMs)} · ` +
        `+ the wait for the daemon's next readiness probe (every 0.5 s while starting, ${cfg.probeIntervalSec} s once healthy) → healthy; with the default backoff add ${(1 - cfg.backoffInitialSec).toFixed(1)} s`,
    );
  }
  return lines.join('\n');
}
