/**
 * The demo fleet (issue 10): three boxes behind one cockpit, all SYNTHETIC, built from the OMNI parts with other
 * values rather than new recordings (keep it small):
 * - omni: today's demo box (2 GPUs, 4 NUMA nodes, rpool + ember resilvering);
 * - vault: the ZFS server: OMNI's pools (ember's resilver) and /proc, no GPU (nvidia-smi is not installed);
 * - forge: a small VPS: /proc only; no GPU, no ZFS, no numactl (those tools are not installed).
 * A tool a host lacks answers like a missing program (`notFound`), so its panels say so, as on a real box.
 */
import { omniDemo } from '../omni/index.js';
import { mergeDemoScripts } from '../../runner/demo.js';
import { numaDemo } from '../omni/numa.js';
import { systemDemo } from '../omni/system.js';
import { zfsDemo } from '../omni/zfs.js';
import type { DemoScript } from '../types.js';

/** the same /proc with another hostname */
function renamed(base: DemoScript, hostname: string): DemoScript {
  return { ...base, files: base.files.map((f) => (f.path === '/proc/sys/kernel/hostname' ? { ...f, content: `${hostname}\n` } : f)) };
}

export interface DemoHost {
  name: string;
  script: DemoScript;
  /** programs this box does not have: the runner answers them as not found */
  missing: string[];
}

export const DEMO_FLEET: DemoHost[] = [
  { name: 'omni', script: omniDemo, missing: [] },
  { name: 'vault', script: mergeDemoScripts(renamed(systemDemo, 'vault'), numaDemo, zfsDemo), missing: ['nvidia-smi'] },
  { name: 'forge', script: renamed(systemDemo, 'forge'), missing: ['nvidia-smi', 'zpool', 'zfs', 'numactl', 'virsh', 'vagrant'] },
];
