/**
 * A host of the config's `hosts:` reached over SSH, as every part of sov reaches it (the cockpit, `sov status`,
 * `sov do --host`, the exporter's reachability checks): one multiplexed master whose ControlPath lives in sov's
 * 0700 runtime dir. Nothing here loads the demo box (the daemon imports it).
 */
import type { Runner, SourceId } from '../../backends/types.js';
import type { HostConfig } from '../config/hosts.js';
import { resolvePaths } from '../daemon/paths.js';
import { createSshRunner } from '../runner/ssh.js';

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

/** The runtime dir the SSH ControlPath sockets live in (sov's 0700 runtime dir, as the daemon's socket). */
export function sshRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolvePaths({ env }).runtimeDir;
}

/** One configured host with its SSH runner (nothing connects until it runs something). */
export function sshHostRunner(h: HostConfig, env: NodeJS.ProcessEnv = process.env): HostRunner {
  const r = createSshRunner({ name: h.name, target: h.ssh, runtimeDir: sshRuntimeDir(env), defaultTimeoutMs: h.timeoutSec * 1000, env });
  return { name: h.name, runner: r, via: `ssh ${typeof h.ssh === 'string' ? h.ssh : h.ssh.host}`, only: REMOTE_SOURCES, close: () => r.close(), closeSync: () => r.closeSync() };
}
