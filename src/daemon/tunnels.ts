/**
 * The daemon's tunnels (`tunnels:`, issue 10): each one a process engine (src/tunnels/engine.ts) run by a SECOND
 * supervisor with its own state dir (<state>/tunnels: its engines.json, its SOV_BOX marker, its cgroups) and log
 * dir (<logs>/tunnels), so a tunnel and an engine never see each other's files or processes even when they share a
 * name. Like engines they outlive the cockpit and the daemon (a new daemon re-adopts them); `tunnels.*` RPCs.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { TunnelConfig } from '../config/tunnels.js';
import { tunnelEngines, tunnelInfo } from '../tunnels/engine.js';
import { ensurePrivateDir, type SovPaths } from './paths.js';
import type { EngineStatus, Supervisor, SupervisorOptions, TunnelStatus } from './types.js';

export interface TunnelHost {
  readonly sup: Supervisor;
  list(): TunnelStatus[];
  /** one tunnel's status, by name */
  status(name: string): TunnelStatus | undefined;
  /** the config changed (a reload): new tunnels appear (autostart), removed ones are stopped */
  apply(config: Config): Promise<void>;
}

/** where the tunnel supervisor keeps its state and logs */
export function tunnelDirs(paths: Pick<SovPaths, 'stateDir' | 'logDir'>): { stateDir: string; logDir: string } {
  return { stateDir: join(paths.stateDir, 'tunnels'), logDir: join(paths.logDir, 'tunnels') };
}

/** a status with what its tunnel forwards (a tunnel no longer in the config keeps its bare status until stopped) */
export function withInfo(s: EngineStatus, t: TunnelConfig | undefined): TunnelStatus {
  const info = t ? tunnelInfo(t) : { forwards: [], via: '?', probe: '?' };
  return { ...s, ...info };
}

export async function startTunnels(o: {
  create: (o: SupervisorOptions) => Promise<Supervisor>;
  paths: Pick<SovPaths, 'stateDir' | 'logDir'>;
  config: Config | undefined;
  env?: NodeJS.ProcessEnv;
  probeIntervalMs?: number;
  now?: () => number;
  log: (msg: string) => void;
}): Promise<TunnelHost> {
  const dirs = tunnelDirs(o.paths);
  ensurePrivateDir(dirs.stateDir);
  ensurePrivateDir(dirs.logDir);
  let configs: TunnelConfig[] = o.config?.tunnels ?? [];
  const last = new Map<string, string>();
  const sup = await o.create({
    log: (m) => o.log(`tunnels: ${m}`),
    engines: o.config ? tunnelEngines(o.config.tunnels, o.config.hosts) : [],
    stateDir: dirs.stateDir,
    logDir: dirs.logDir,
    ...(o.env ? { env: o.env } : {}),
    ...(o.probeIntervalMs !== undefined ? { probeIntervalMs: o.probeIntervalMs } : {}),
    ...(o.now ? { now: o.now } : {}),
    onChange: (s) => {
      if (last.get(s.name) === s.state) return;
      o.log(`tunnel ${s.name}: ${last.get(s.name) ?? 'new'} → ${s.state}${s.pid !== undefined ? ` (pid ${s.pid})` : ''}${s.message ? `: ${s.message}` : ''}`);
      last.set(s.name, s.state);
    },
  });
  const list = () => sup.list().map((s) => withInfo(s, configs.find((t) => t.name === s.name)));
  return {
    sup,
    list,
    status: (name) => list().find((t) => t.name === name),
    async apply(config) {
      configs = config.tunnels;
      await sup.setEngines(tunnelEngines(config.tunnels, config.hosts));
    },
  };
}

/** Both supervisors detached; the answer says the state was not saved when either could not save it. */
export async function detachBoth(a: Supervisor, b: Supervisor | undefined): Promise<void | { stateSaved: boolean; error?: string }> {
  const [x, y] = await Promise.all([a.detach(), b?.detach()]);
  if (y && !y.stateSaved) return x && !x.stateSaved ? x : { stateSaved: false, ...(y.error ? { error: `tunnels: ${y.error}` } : {}) };
  return x;
}
