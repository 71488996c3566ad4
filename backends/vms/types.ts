/** What sov sees of the virtual machines on a host (issue 9). Absent values are `undefined`, never 0. */

/** one image of a disk's backing chain, the disk itself first, the golden (base) last */
export interface ChainImage {
  filename: string;
  format?: string;
  virtualSizeBytes?: number;
  /** bytes the image takes on disk */
  actualSizeBytes?: number;
  backingFilename?: string;
  dirty?: boolean;
}

export interface VmSnapshot {
  /** qcow2 id ("1"), "--" from a running VM's list; absent for libvirt */
  id?: string;
  name: string;
  vmStateBytes?: number;
  /** "2026-12-06 07:10:00" as the tool printed it */
  date?: string;
  vmClock?: string;
  /** libvirt: the domain state the snapshot recorded */
  state?: string;
}

export interface VmDisk {
  /** as the VM's argv or libvirt names it */
  path: string;
  /** vda, hda, drive0… when known */
  target?: string;
  format?: string;
  /** from `qemu-img info --backing-chain`; empty when it could not be read (see chainError) */
  chain: ChainImage[];
  chainError?: string;
}

export interface HostFwd {
  proto: 'tcp' | 'udp';
  hostAddr?: string;
  hostPort: number;
  guestAddr?: string;
  guestPort: number;
}

export type VmKind = 'qemu' | 'libvirt' | 'vagrant' | 'virtualbox';
export type VmState = 'running' | 'paused' | 'stopped' | 'crashed' | 'suspended' | 'not-created' | 'unknown';

export interface Vm {
  name: string;
  kind: VmKind;
  state: VmState;
  /** the tool's own word for it: "prelaunch", "shut off", "inmigrate"… */
  stateDetail?: string;
  pid?: number;
  vcpus?: number;
  memBytes?: number;
  /** resident memory of the QEMU process, or libvirt's balloon figure */
  memUsedBytes?: number;
  /** of one core, since the previous reading */
  cpuPct?: number;
  uptimeSec?: number;
  disks: VmDisk[];
  hostfwd: HostFwd[];
  qmpSocket?: string;
  /** started with -S (waits for `cont`) */
  startPaused?: boolean;
  snapshots: VmSnapshot[];
  /** "vagrant: web (virtualbox)"; "libvirt: qemu:///system" */
  via?: string;
  /** what sov could not see about this VM, and why */
  notes: string[];
}

/** a discovery route (proc, libvirt, vagrant, virtualbox): seen, absent (and why), or failed */
export interface Route {
  name: 'qemu processes' | 'libvirt' | 'vagrant' | 'virtualbox';
  state: 'ok' | 'absent' | 'error';
  detail?: string;
}

/** the daemon's watchdog as it last wrote it (src/vms/watchdog.ts); absent when no watchdog runs */
export interface Heartbeat {
  state: 'ok' | 'missing' | 'recovering' | 'failed' | 'cooldown' | 'unknown';
  kind?: 'tcp' | 'http' | 'ssh';
  target?: string;
  beats?: number;
  misses?: number;
  missLimit?: number;
  lastBeatAt?: number;
  lastRecovery?: { at: number; action: string; outcome: string };
  /** why it is not ok: why it failed, else why the last beat was missed */
  why?: string;
  /** the SSH target the config declares ("agent-vm" alias, "ops@127.0.0.1:2222") */
  ssh?: string;
}

export interface VmsData {
  vms: Vm[];
  routes: Route[];
  /** by VM name, from the watchdog's state file */
  heartbeats: Record<string, Heartbeat>;
  /** when the state file was written (stale watchdog shows) */
  heartbeatsAt?: number;
  warnings: string[];
}
