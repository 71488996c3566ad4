import { scaledOmniDemo } from '../demo/omni/index.js';
import type { Runner } from '../../backends/types.js';
import type { HostConfig } from '../config/hosts.js';
import { createDemoRunner } from '../runner/demo.js';
import { createLocalRunner } from '../runner/local.js';
import { DEMO_FLEET } from '../demo/fleet/index.js';
import { withMissing } from './missing.js';
import { REMOTE_SOURCES, sshHostRunner, type HostRunner } from './ssh.js';

/** The box to look at: this machine, or the embedded demo box. */
export function runnerFor(o: { demo: boolean; demoSpeed: number; demoScale?: number }): Runner {
  return o.demo ? createDemoRunner(scaledOmniDemo(o.demoScale ?? 1), { speed: o.demoSpeed }) : createLocalRunner();
}

export { REMOTE_SKIPPED, REMOTE_SOURCES, sshRuntimeDir, type HostRunner } from './ssh.js';

const nothing = async () => {};

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
  return [
    { name: local.host, runner: local, via: 'local', close: nothing, closeSync: () => {} },
    ...(o.hosts ?? []).map((h) => sshHostRunner(h, env)),
  ];
}

/** The host a `--host NAME` names: this machine by its name or "local", or a configured host. */
export function findHost(all: HostRunner[], name: string): HostRunner | undefined {
  return all.find((h) => h.name === name || h.name === `${name} (demo)`) ?? (name === 'local' ? all.find((h) => h.via === 'local') : undefined);
}
