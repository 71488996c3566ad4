import { scaledOmniDemo } from '../demo/omni/index.js';
import type { Runner, SourceId } from '../../backends/types.js';
import type { HostConfig } from '../config/hosts.js';
import { resolvePaths } from '../daemon/paths.js';
import { createDemoRunner } from '../runner/demo.js';
import { createLocalRunner } from '../runner/local.js';
import { createSshRunner } from '../runner/ssh.js';
import { DEMO_FLEET } from '../demo/fleet/index.js';
import { withMissing } from './missing.js';

/** The box to look at: this machine, or the embedded demo box. */
export function runnerFor(o: { demo: boolean; demoSpeed: number; demoScale?: number }): Runner {
  return o.demo ? createDemoRunner(scaledOmniDemo(o.demoScale ?? 1), { speed: o.demoSpeed }) : createLocalRunner();
}

/**
 * What is sampled on a host reached over SSH: the host sources. Not `vms`: its discovery reads /proc/PID/cmdline of
 * every process, one remote command each (hundreds per tick); VMs are watched where they run.
 */
export const REMOTE_SOURCES: readonly SourceId[] = ['nvidia', 'numa', 'system', 'zfs'];
export const REMOTE_SKIPPED = { state: 'unavailable' as const, reason: 'not sampled over SSH (VM discovery reads every process: one remote command each)', hint: 'run sov on that host to see its VMs' };

/** One host the cockpit or `sov status` samples: this machine first, then the config's `hosts:` over SSH. */
export interface HostRunner {
  name: string;
  runner: Runner;
  /** where it is reached ("local", "ssh cloudlab", "demo") */
  via: string;
  /** the sources sampled there (undefined: all) */
  only?: readonly SourceId[];
  /** ends what the runner keeps open (the SSH master) */
  close(): Promise<void>;
  /** the same, synchronously (a quitting cockpit) */
  closeSync(): void;
}

const nothing = async () => {};

/** The runtime dir the SSH ControlPath sockets live in (sov's 0700 runtime dir, as the daemon's socket). */
export function sshRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolvePaths({ env }).runtimeDir;
}

/**
 * Every host of this session: the demo box's three (OMNI, the ZFS server, the forge VPS), or this machine and the
 * config's hosts. `primary`: the runner the caller already has for the first (this machine, or the demo's OMNI). Names are unique (the schema refuses duplicates; "local" is reserved for this machine's alias).
 */
export function hostRunners(o: { demo: boolean; demoSpeed: number; hosts?: HostConfig[]; env?: NodeJS.ProcessEnv; primary?: Runner }): HostRunner[] {
  if (o.demo) {
    // the demo's first box stands for this machine (every source); the others for hosts reached over SSH
    return DEMO_FLEET.map((h, i) => ({
      name: `${h.name} (demo)`,
      runner: i === 0 && o.primary ? o.primary : withMissing(createDemoRunner(h.script, { speed: o.demoSpeed, host: `${h.name} (demo)` }), h.missing),
      via: 'demo', ...(i > 0 ? { only: REMOTE_SOURCES } : {}), close: nothing, closeSync: () => {},
    }));
  }
  const local = o.primary ?? createLocalRunner();
  const env = o.env ?? process.env;
  const runtimeDir = sshRuntimeDir(env);
  return [
    { name: local.host, runner: local, via: 'local', close: nothing, closeSync: () => {} },
    ...(o.hosts ?? []).map((h) => {
      const r = createSshRunner({ name: h.name, target: h.ssh, runtimeDir, defaultTimeoutMs: h.timeoutSec * 1000, env });
      return { name: h.name, runner: r as Runner, via: `ssh ${typeof h.ssh === 'string' ? h.ssh : h.ssh.host}`, only: REMOTE_SOURCES, close: () => r.close(), closeSync: () => r.closeSync() };
    }),
  ];
}

/** The host a `--host NAME` names: this machine by its name or "local", or a configured host. */
export function findHost(all: HostRunner[], name: string): HostRunner | undefined {
  return all.find((h) => h.name === name || h.name === `${name} (demo)`) ?? (name === 'local' ? all.find((h) => h.via === 'local') : undefined);
}
