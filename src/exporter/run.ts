/**
 * An exporter with its sampler: what the daemon starts when `exporter:` is configured (startDaemonExporter) and
 * what `sov exporter` runs standalone. The host sources are sampled by one scheduler (sampler.ts); the engines are
 * read from whoever holds them (the daemon's supervisor in memory, the demo box's simulated daemon) at scrape
 * time, which costs no process.
 */
import type { Runner } from '../../backends/types.js';
import { createLocalRunner } from '../runner/local.js';
import { sshHostRunner, type HostRunner } from '../hosts/ssh.js';
import type { HostConfig } from '../config/hosts.js';
import type { ExporterConfig } from '../config/exporter.js';
import { parseListen } from '../config/exporter.js';
import type { EngineStatus } from '../daemon/types.js';
import { createHostSampler, type HostSampler } from './sampler.js';
import { createReachability, REACH_TIMEOUT_MS } from './reach.js';
import type { ExporterServer } from './server.js';

export type EngineReader = () => EngineStatus[] | undefined | Promise<EngineStatus[] | undefined>;

export interface RunningExporter {
  readonly server: ExporterServer;
  readonly sampler: HostSampler;
  stop(): Promise<void>;
}

/** an engine list that does not come within this is left out of the scrape (the rest is still answered) */
export const ENGINES_READ_MS = 1000;

async function readEngines(read: EngineReader | undefined, log?: (m: string) => void): Promise<EngineStatus[] | undefined> {
  if (!read) return undefined;
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(read()),
      new Promise<undefined>((r) => { t = setTimeout(() => { log?.(`exporter: the engine list did not come within ${ENGINES_READ_MS} ms`); r(undefined); }, ENGINES_READ_MS); }),
    ]);
  } catch (e) {
    log?.(`exporter: the engine list could not be read: ${(e as Error)?.message ?? String(e)}`);
    return undefined;
  } finally { clearTimeout(t); }
}

export interface StartExporterOptions {
  config: ExporterConfig;
  runner: Runner;
  engines?: EngineReader;
  /** the daemon's tunnels (same shape, same deadline) */
  tunnels?: EngineReader;
  /** the other hosts to check for reachability (the config's hosts:, each with its SSH runner) */
  hosts?: readonly { name: string; runner: Runner }[];
  log?: (msg: string) => void;
}

/** Starts sampling and serving; throws when the address cannot be bound (in use, not ours), sampling stopped. */
export async function startExporter(o: StartExporterOptions): Promise<RunningExporter> {
  const l = parseListen(o.config.listen);
  if (typeof l === 'string') throw new Error(`exporter.listen: ${l}`);
  // prom-client and the server load only when an exporter is configured (the daemon's RSS budget)
  const { startExporterServer } = await import('./server.js');
  const sampler = createHostSampler({ runner: o.runner });
  const reach = o.hosts?.length ? createReachability({ hosts: o.hosts, everyMs: o.config.hostCheckSec * 1000, timeoutMs: Math.min(REACH_TIMEOUT_MS, o.config.hostCheckSec * 1000) }) : undefined;
  let server: ExporterServer;
  try {
    server = await startExporterServer({
      host: l.host, port: l.port, requestTimeoutMs: o.config.requestTimeoutSec * 1000,
      ...(o.log ? { log: o.log } : {}),
      read: async () => {
        const [engines, tunnels] = await Promise.all([readEngines(o.engines, o.log), readEngines(o.tunnels, o.log)]);
        return { samples: sampler.latest(), host: sampler.host, engines, ...(tunnels ? { tunnels } : {}), ...(reach ? { hosts: reach.latest() } : {}) };
      },
    });
  } catch (e) {
    sampler.stop();
    reach?.stop();
    const code = (e as NodeJS.ErrnoException)?.code;
    throw new Error(`cannot listen on ${o.config.listen}: ${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : code === 'EACCES' ? 'permission denied' : (e as Error)?.message ?? String(e)}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    server, sampler,
    stop: () => (stopping ??= (async () => { sampler.stop(); reach?.stop(); await server.close(); })()),
  };
}

/**
 * The daemon's hook: start the exporter when the config has one; never throws (a port in use is logged and the
 * daemon serves on without it). The host is sampled through `runner` (the local box).
 */
export async function startDaemonExporter(o: { config?: ExporterConfig; runner: () => Runner; engines: EngineReader; tunnels?: EngineReader; hosts?: readonly { name: string; runner: Runner }[]; log: (m: string) => void }): Promise<RunningExporter | undefined> {
  if (!o.config) return undefined;
  try {
    const x = await startExporter({ config: o.config, runner: o.runner(), engines: o.engines, ...(o.tunnels ? { tunnels: o.tunnels } : {}), ...(o.hosts ? { hosts: o.hosts } : {}), log: o.log });
    o.log(`exporter: serving ${x.server.url}`);
    return x;
  } catch (e) {
    o.log(`exporter: not started: ${(e as Error)?.message ?? String(e)}`);
    return undefined;
  }
}

export interface DaemonExporter {
  /** start, restart (the section or the hosts changed) or stop (it is gone) to match the config; never throws */
  apply(config: ExporterConfig | undefined, hosts?: readonly HostConfig[]): Promise<void>;
  stop(): Promise<void>;
  /** the one running now */
  current(): RunningExporter | undefined;
}

/**
 * What src/daemon/server.ts holds: the exporter of the daemon's config, sampling this machine through the local
 * runner (with the daemon's environment) and reading the engines from the supervisor. A reload with the same
 * `exporter:` section keeps it running (and its sampler's state); a changed one restarts it on the new address.
 */
export function daemonExporter(o: { env?: NodeJS.ProcessEnv; engines: EngineReader; tunnels?: EngineReader; log: (m: string) => void }): DaemonExporter {
  let running: RunningExporter | undefined;
  let hosts: HostRunner[] = [];
  let applied = 'none';
  let queue: Promise<void> = Promise.resolve();
  const env = Object.fromEntries(Object.entries(o.env ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const apply = async (config: ExporterConfig | undefined, hostConfigs: readonly HostConfig[] = []): Promise<void> => {
    const key = config ? JSON.stringify([config, hostConfigs]) : 'none';
    if (key === applied && (running || !config)) return;
    if (running) { await running.stop(); running = undefined; o.log('exporter: stopped'); }
    await Promise.all(hosts.map((h) => h.close()));
    applied = key;
    hosts = config ? hostConfigs.map((h) => sshHostRunner(h, env)) : [];
    running = await startDaemonExporter({ ...(config ? { config } : {}), runner: () => createLocalRunner({ env }), engines: o.engines, ...(o.tunnels ? { tunnels: o.tunnels } : {}), hosts, log: o.log });
  };
  return {
    apply: (config, hostConfigs) => (queue = queue.then(() => apply(config, hostConfigs), () => apply(config, hostConfigs))),
    stop: () => (queue = queue.then(() => apply(undefined), () => apply(undefined))),
    current: () => running,
  };
}

