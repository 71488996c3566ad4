import { hostname } from 'node:os';
import { join } from 'node:path';
import { resolvePaths } from '../../src/daemon/paths.js';
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
 * Where the daemon's VM watchdog writes what it sees (one writer: the daemon): vms-watch.json in the daemon's state
 * dir, by resolvePaths' rule (SOV_STATE_DIR, else $XDG_STATE_HOME/sov, else ~/.local/state/sov), or in `stateDir`
 * when the caller has it resolved already (the daemon).
 */
export function heartbeatFile(where: { env?: NodeJS.ProcessEnv; stateDir?: string } = {}): string {
  return join(where.stateDir ?? resolvePaths({ env: where.env ?? process.env }).stateDir, 'vms-watch.json');
}

/** a QMP socket is opened only when the runner is this machine (a demo or SSH host's socket is not ours) */
const isLocal = (runner: Runner) => runner.host === hostname();

export const vmsBackend: BackendDef<VmsData> = {
  id: 'vms',
  title: 'VMs',
  intervalMs: 5000,
  create: (runner) => createVmsSource(runner, { heartbeatFile: heartbeatFile(), ...(isLocal(runner) ? { qmp: localQmpReader } : {}) }),
};
