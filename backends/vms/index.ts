import { hostname } from 'node:os';
import { join } from 'node:path';
import type { BackendDef, Runner } from '../types.js';
import { queryStatus, withQmp } from './qmp.js';
import { createVmsSource, type QmpReader } from './source.js';
import type { VmsData } from './types.js';

/** QMP state and snapshots of a VM on this machine: `query-status`, and `info snapshots` through the monitor */
export const localQmpReader: QmpReader = (socket) => withQmp(socket, async (c) => {
  const s = await queryStatus(c);
  let snapshotsText: string | undefined;
  try { snapshotsText = await c.hmp('info snapshots', 3000); } catch {}
  return { status: s.status, ...(snapshotsText !== undefined ? { snapshotsText } : {}) };
});

/**
 * Where the daemon's VM watchdog writes what it sees (one writer: the daemon). Same rule as the daemon's state
 * dir (src/daemon/paths.ts): SOV_STATE_DIR, else $XDG_STATE_HOME/sov, else ~/.local/state/sov.
 */
export function heartbeatFile(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME && env.HOME !== '' ? env.HOME : '/';
  const xdg = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  const dir = env.SOV_STATE_DIR && env.SOV_STATE_DIR !== '' ? env.SOV_STATE_DIR : join(xdg, 'sov');
  return join(dir, 'vms-watch.json');
}

/** a QMP socket is opened only when the runner is this machine (a demo or SSH host's socket is not ours) */
const isLocal = (runner: Runner) => runner.host === hostname();

export const vmsBackend: BackendDef<VmsData> = {
  id: 'vms',
  title: 'VMs',
  intervalMs: 5000,
  create: (runner) => createVmsSource(runner, { heartbeatFile: heartbeatFile(), ...(isLocal(runner) ? { qmp: localQmpReader } : {}) }),
};
