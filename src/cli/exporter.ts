/**
 * `sov exporter [--demo] [--listen HOST:PORT] [--allow-remote] [--config PATH]`: the Prometheus endpoint on its
 * own, in the foreground, until SIGTERM/SIGINT. With --demo it serves the demo box (its GPUs, pools, VMs and
 * simulated engines); without, this machine, with the engines of a running daemon when there is one. The daemon
 * serves the same endpoint itself when the config has `exporter:` — this command is for trying it, and for a box
 * without a daemon.
 */
import { parseArgs } from 'node:util';
import { exporterSchema, type ExporterConfig } from '../config/exporter.js';
import { createDaemonLink, type DaemonLink } from '../daemon/client.js';
import { resolvePaths } from '../daemon/paths.js';
import { createDemoEnginesLink } from '../demo/engines.js';
import { startExporter, type EngineReader, ENGINES_READ_MS } from '../exporter/run.js';
import { hostRunners, runnerFor } from '../hosts/runner.js';
import type { HostConfig } from '../config/hosts.js';
import { killAllChildren } from '../runner/local.js';
import { sanitize } from '../text/sanitize.js';

export const EXPORTER_USAGE = `usage:
  sov exporter [--demo] [--listen HOST:PORT] [--allow-remote] [--config PATH]
      serve /metrics (Prometheus text format) until stopped; default listen: the config's exporter.listen,
      else 127.0.0.1:9464. A non-loopback address needs --allow-remote.

exit codes: 0 stopped · 1 could not serve (port in use, bad config) · 2 bad arguments`;

export interface ExporterIo { out?: (s: string) => void; err?: (s: string) => void; env?: NodeJS.ProcessEnv; signal?: AbortSignal }

async function configuredExporter(configPath: string): Promise<{ exporter?: ExporterConfig; hosts?: HostConfig[]; error?: string }> {
  const { loadConfig } = await import('../config/load.js');
  const r = await loadConfig(configPath);
  if (!r.ok) return { error: r.text };
  return { ...(r.config.exporter ? { exporter: r.config.exporter } : {}), hosts: r.config.hosts };
}

function engineReader(demo: boolean, now: () => number, env: NodeJS.ProcessEnv, config?: string): { read: EngineReader; tunnels: EngineReader; link: DaemonLink } {
  const link = demo ? createDemoEnginesLink({ now }) : createDaemonLink({ env, ...(config !== undefined ? { config } : {}) });
  return {
    link,
    read: async () => (link.state === 'up' ? link.call('engines.list', {}, { timeoutMs: ENGINES_READ_MS }) : undefined),
    // a daemon older than tunnels does not answer tunnels.list: no tunnel series, the rest as before
    tunnels: async () => (link.state === 'up' ? link.call('tunnels.list', {}, { timeoutMs: ENGINES_READ_MS }).catch(() => undefined) : undefined),
  };
}

export async function runExporterCli(argv: string[], io: ExporterIo = {}): Promise<number> {
  const out = io.out ?? ((s) => process.stdout.write(s));
  const err = io.err ?? ((s) => process.stderr.write(s));
  const env = io.env ?? process.env;
  let a;
  try {
    a = parseArgs({ args: argv, allowPositionals: false, options: {
      demo: { type: 'boolean', default: false }, listen: { type: 'string' }, 'allow-remote': { type: 'boolean', default: false },
      config: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    } }).values;
  } catch (e) {
    err(`sov exporter: ${sanitize((e as Error).message)}\n\n${EXPORTER_USAGE}\n`);
    return 2;
  }
  if (a.help) { out(EXPORTER_USAGE + '\n'); return 0; }
  let base: Partial<ExporterConfig> = {};
  let hostConfigs: HostConfig[] = [];
  if (!a.demo) {
    const c = await configuredExporter(resolvePaths({ ...(a.config !== undefined ? { config: a.config } : {}), env }).configPath);
    if (c.error !== undefined) { err(`sov exporter: the config is invalid:\n${sanitize(c.error)}\n`); return 1; }
    base = c.exporter ?? {};
    hostConfigs = c.hosts ?? [];
  }
  const parsed = exporterSchema.safeParse({ ...base, ...(a.listen !== undefined ? { listen: a.listen } : {}), ...(a['allow-remote'] ? { allowRemote: true } : {}) });
  if (!parsed.success) {
    err(`sov exporter: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'exporter'}: ${sanitize(i.message)}`).join('; ')}\n`);
    return 2;
  }
  const runner = runnerFor({ demo: a.demo, demoSpeed: 1 });
  const engines = engineReader(a.demo, runner.now, env, a.config);
  // the other hosts, checked for reachability: the demo fleet's two, or the config's hosts: over SSH
  const others = hostRunners({ demo: a.demo, demoSpeed: 1, hosts: hostConfigs, env, primary: runner }).slice(1);
  const closeOthers = () => Promise.all(others.map((h) => h.close()));
  let x;
  try {
    x = await startExporter({ config: parsed.data, runner, engines: engines.read, tunnels: engines.tunnels, hosts: others, log: (m) => err(`sov ${sanitize(m)}\n`) });
  } catch (e) {
    await closeOthers();
    engines.link.close();
    err(`sov exporter: ${sanitize((e as Error)?.message ?? String(e))}\n`);
    return 1;
  }
  out(`sov exporter: serving ${x.server.url} (${a.demo ? 'the demo box' : `host ${sanitize(runner.host)}`}); stop with ctrl-c\n`);
  await new Promise<void>((resolve) => {
    const done = () => { process.off('SIGTERM', done); process.off('SIGINT', done); resolve(); };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
    io.signal?.addEventListener('abort', done, { once: true });
  });
  engines.link.close();
  await x.stop();
  await closeOthers();
  killAllChildren();
  return 0;
}
