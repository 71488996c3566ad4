/**
 * The VMs source: plain QEMU processes from /proc (their argv, stat, status; state through their QMP socket when
 * one is given and this is the local machine), libvirt through `virsh`, VirtualBox through `VBoxManage`, each
 * disk's backing chain through `qemu-img info --backing-chain`, the daemon's heartbeat file. Never throws; a route
 * that is absent says why.
 */
import type { Attempt, Runner, RunResult, Source } from '../types.js';
import { isQemuArgv, parseImgInfoJson, parseProcStat, parseQemuArgv, parseSnapshotTable, parseUptimeSec, parseVmRssBytes, splitCmdline } from './parse.js';
import { domStatsFigures, parseDomBlkList, parseDomInfo, parseDomStats, parseSnapshotList, parseVBoxList, parseVirshList, virshState } from './parse-virsh.js';
import type { Heartbeat, Route, Vm, VmDisk, VmsData, VmSnapshot, VmState } from './types.js';

export const VIRSH_LIST = ['virsh', 'list', '--all'];
export const VIRSH_DOMSTATS = ['virsh', 'domstats', '--raw'];
export const virshDominfo = (name: string) => ['virsh', 'dominfo', name];
export const virshBlklist = (name: string) => ['virsh', 'domblklist', name, '--details'];
export const virshSnapshots = (name: string) => ['virsh', 'snapshot-list', name];
export const VBOX_LIST = ['VBoxManage', 'list', 'runningvms'];
/** -U: a disk in use by a running VM holds a write lock; reading its header without the lock is what we want */
export const imgInfoArgv = (path: string, inUse: boolean) => ['qemu-img', 'info', '--backing-chain', '--output=json', ...(inUse ? ['-U'] : []), path];

/** what a QMP session tells about a running VM (local machine only) */
export interface QmpReading { status: string; snapshotsText?: string }
export type QmpReader = (socketPath: string) => Promise<QmpReading>;

export interface VmsSourceOptions {
  /** reads state and snapshots through QMP; absent: a remote or demo host, the socket is not ours to open */
  qmp?: QmpReader;
  /** the daemon's watchdog state file (read through the runner) */
  heartbeatFile?: string;
  /** clock ticks per second of /proc/PID/stat (Linux: 100) */
  clkTck?: number;
  pageBytes?: number;
}

const TIMEOUT_MS = 8000;
/** a tool found absent is asked again only after this long (a spawn that fails still costs tens of ms) */
const ABSENT_RETRY_MS = 60_000;
/** a process found not to be QEMU is not read again for this long (a wrapper that execs QEMU shows within it) */
const NOT_QEMU_MS = 30_000;
const MAX_DISKS = 16;
const MAX_PROCS = 4096;
const firstLine = (s: string) => s.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

function failText(r: RunResult): string {
  if (r.notFound) return `${r.argv[0]} not found on PATH`;
  if (r.timedOut) return `${r.argv.join(' ')} timed out`;
  return `${r.argv.slice(0, 3).join(' ')}: ${firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.exitCode ?? 'signal'}`}`;
}

function qmpState(status: string): VmState {
  if (status === 'running') return 'running';
  if (['paused', 'prelaunch', 'inmigrate', 'postmigrate', 'finish-migrate', 'restore-vm', 'save-vm', 'suspended', 'debug', 'watchdog', 'colo'].includes(status)) return status === 'suspended' ? 'suspended' : 'paused';
  if (status === 'shutdown') return 'stopped';
  if (status === 'internal-error' || status === 'io-error' || status === 'guest-panicked') return 'crashed';
  return 'unknown';
}

/** the heartbeat file as the watchdog writes it: { at, vms: { name: Heartbeat } }; anything else is a warning */
export function parseHeartbeatFile(raw: string): { at?: number; vms: Record<string, Heartbeat> } | undefined {
  let j: unknown;
  try { j = JSON.parse(raw); } catch { return undefined; }
  if (typeof j !== 'object' || j === null || typeof (j as { vms?: unknown }).vms !== 'object') return undefined;
  const o = j as { at?: unknown; vms: Record<string, unknown> };
  const vms: Record<string, Heartbeat> = {};
  const states = ['ok', 'missing', 'recovering', 'failed', 'cooldown', 'unknown'];
  for (const [name, v] of Object.entries(o.vms ?? {})) {
    if (typeof v !== 'object' || v === null) continue;
    const h = v as Heartbeat;
    vms[name] = { ...h, state: states.includes(h.state) ? h.state : 'unknown' };
    if (typeof h.why !== 'string') delete vms[name]!.why;
  }
  return { ...(typeof o.at === 'number' ? { at: o.at } : {}), vms };
}

export function createVmsSource(runner: Runner, opts: VmsSourceOptions = {}): Source<VmsData> {
  const clkTck = opts.clkTck ?? 100;
  const pageBytes = opts.pageBytes ?? 4096;
  const prevCpu = new Map<string, { ticks: number; at: number }>();
  let seenCpu = new Set<string>();
  const run = (argv: string[]) => runner.run(argv, { timeoutMs: TIMEOUT_MS });
  const absent = new Map<string, { until: number; route: Route }>();
  /** pid → until when it is known not to be QEMU */
  const notQemu = new Map<string, number>();
  /** the route's last "absent" answer while it is fresh; undefined: ask the tool */
  const stillAbsent = (name: Route['name']) => { const a = absent.get(name); return a && runner.now() < a.until ? a.route : undefined; };
  const markAbsent = (route: Route) => { absent.set(route.name, { until: runner.now() + ABSENT_RETRY_MS, route }); return route; };

  async function readSafe(path: string): Promise<string | undefined> {
    try { return await runner.readFile(path); } catch { return undefined; }
  }

  /** CPU % of one core since the previous reading of the same process (pid + start time) */
  function cpuPct(key: string, ticks: number, at: number): number | undefined {
    const p = prevCpu.get(key);
    prevCpu.set(key, { ticks, at });
    seenCpu.add(key);
    if (!p || at <= p.at || ticks < p.ticks) return undefined;
    return ((ticks - p.ticks) / clkTck) / ((at - p.at) / 1000) * 100;
  }

  /** the disk's backing chain; returns the internal snapshots of its top image */
  async function chain(disk: VmDisk, inUse: boolean): Promise<VmSnapshot[]> {
    const r = await run(imgInfoArgv(disk.path, inUse));
    if (r.exitCode !== 0) { disk.chainError = r.notFound ? 'qemu-img not found on PATH (install qemu-utils)' : failText(r); return []; }
    const p = parseImgInfoJson(r.stdout);
    if (!p) { disk.chainError = 'qemu-img info: not the expected JSON'; return []; }
    disk.chain = p.chain;
    return p.snapshots;
  }

  async function qemuProcesses(warnings: string[], libvirtSeen: boolean): Promise<{ vms: Vm[]; route: Route }> {
    const ents = await runner.listDir('/proc').catch(() => undefined);
    if (!ents) return { vms: [], route: { name: 'qemu processes', state: 'absent', detail: '/proc cannot be read on this host' } };
    const pids = ents.filter((e) => /^\d+$/.test(e)).slice(0, MAX_PROCS);
    const uptime = parseUptimeSec((await readSafe('/proc/uptime')) ?? '');
    const at = runner.now();
    const vms: Vm[] = [];
    let hidden = 0;
    const live = new Set(pids);
    for (const k of [...notQemu.keys()]) if (!live.has(k) || notQemu.get(k)! < at) notQemu.delete(k);
    for (const pid of pids) {
      if (notQemu.has(pid)) continue;
      const raw = await readSafe(`/proc/${pid}/cmdline`);
      if (!raw) continue;
      const argv = splitCmdline(raw);
      if (!isQemuArgv(argv)) { notQemu.set(pid, at + NOT_QEMU_MS); continue; }
      const a = parseQemuArgv(argv);
      if (a.libvirt && libvirtSeen) continue; // libvirt reports it
      const stat = parseProcStat((await readSafe(`/proc/${pid}/stat`)) ?? '');
      const rss = parseVmRssBytes((await readSafe(`/proc/${pid}/status`)) ?? '');
      const vm: Vm = {
        name: a.name ?? `qemu-${pid}`, kind: 'qemu', state: stat?.state === 'T' ? 'paused' : 'running', pid: Number(pid),
        disks: a.disks.slice(0, MAX_DISKS).map((d) => ({ ...d, chain: [] })), hostfwd: a.hostfwd, snapshots: [], notes: [],
        startPaused: a.startPaused,
      };
      if (a.memBytes !== undefined) vm.memBytes = a.memBytes;
      if (a.vcpus !== undefined) vm.vcpus = a.vcpus; else vm.vcpus = 1; // QEMU's default is one vCPU
      if (rss !== undefined) vm.memUsedBytes = rss; else if (stat) vm.memUsedBytes = stat.rssPages * pageBytes;
      if (a.qmpSocket !== undefined) vm.qmpSocket = a.qmpSocket;
      if (a.name === undefined) vm.notes.push('no -name in its argv: named by its pid');
      if (stat) {
        const c = cpuPct(`${pid}:${stat.startTicks}`, stat.utimeTicks + stat.stimeTicks, at);
        if (c !== undefined) vm.cpuPct = c;
        if (uptime !== undefined) vm.uptimeSec = Math.max(0, uptime - stat.startTicks / clkTck);
      }
      for (const w of a.warnings) warnings.push(`${vm.name}: ${w}`);
      vms.push(vm);
      if (a.libvirt) hidden++;
    }
    const viaQmp = await Promise.all(vms.map((vm) => qemuState(vm)));
    for (const [i, vm] of vms.entries()) {
      for (const d of vm.disks) {
        const snaps = await chain(d, true);
        // without a QMP reading, the snapshots are those of the first qcow2 disk that has some (what savevm wrote)
        if (!viaQmp[i] && !vm.snapshots.length) vm.snapshots = snaps;
      }
    }
    const detail = `${vms.length} found${hidden ? ` (${hidden} started by libvirt, which could not be asked)` : ''}`;
    return { vms, route: { name: 'qemu processes', state: 'ok', detail } };
  }

  /** state (and snapshots) through QMP; true when the snapshots came from it */
  async function qemuState(vm: Vm): Promise<boolean> {
    if (vm.qmpSocket === undefined) { vm.notes.push('no QMP socket in its argv: the guest state is the process state; snapshots are read from the disk'); vm.stateDetail = 'process alive'; return false; }
    if (!opts.qmp) { vm.notes.push(`QMP socket ${vm.qmpSocket} is on ${runner.host}: sov opens QMP sockets on this machine only (state is the process state, snapshots are read from the disk)`); return false; }
    try {
      const q = await opts.qmp(vm.qmpSocket);
      vm.state = qmpState(q.status);
      vm.stateDetail = q.status;
      if (q.snapshotsText === undefined) return false;
      vm.snapshots = parseSnapshotTable(q.snapshotsText).snapshots;
      return true;
    } catch (e) {
      vm.state = 'unknown';
      vm.notes.push(`QMP: ${(e as Error)?.message ?? String(e)}`);
      return false;
    }
  }

  async function libvirt(warnings: string[]): Promise<{ vms: Vm[]; route: Route }> {
    const known = stillAbsent('libvirt');
    if (known) return { vms: [], route: known };
    const r = await run(VIRSH_LIST);
    if (r.notFound) return { vms: [], route: markAbsent({ name: 'libvirt', state: 'absent', detail: 'virsh not found on PATH (libvirt-clients)' }) };
    // virsh is installed but no libvirt daemon answers: a stable state, asked again later
    if (r.exitCode !== 0 && /failed to connect (to the hypervisor|socket)/i.test(r.stderr)) return { vms: [], route: markAbsent({ name: 'libvirt', state: 'absent', detail: `libvirt is not running here (${failText(r)})` }) };
    if (r.exitCode !== 0) return { vms: [], route: { name: 'libvirt', state: 'error', detail: failText(r) } };
    const rows = parseVirshList(r.stdout);
    const stats = rows.some((x) => virshState(x.state) === 'running') ? await run(VIRSH_DOMSTATS) : undefined;
    const byName = stats && stats.exitCode === 0 ? parseDomStats(stats.stdout) : new Map<string, Map<string, string>>();
    if (stats && stats.exitCode !== 0) warnings.push(`virsh domstats: ${failText(stats)}`);
    const at = runner.now();
    const vms: Vm[] = [];
    for (const row of rows) {
      const vm: Vm = { name: row.name, kind: 'libvirt', state: virshState(row.state), stateDetail: row.state, disks: [], hostfwd: [], snapshots: [], notes: [], via: 'libvirt' };
      const info = await run(virshDominfo(row.name));
      if (info.exitCode === 0) {
        const d = parseDomInfo(info.stdout);
        if (d.vcpus !== undefined) vm.vcpus = d.vcpus;
        if (d.maxMemBytes !== undefined) vm.memBytes = d.maxMemBytes;
        if (d.usedMemBytes !== undefined && vm.state === 'running') vm.memUsedBytes = d.usedMemBytes;
      } else vm.notes.push(`dominfo: ${failText(info)}`);
      const f = byName.get(row.name);
      if (f) {
        const s = domStatsFigures(f);
        if (s.vcpus !== undefined) vm.vcpus = s.vcpus;
        if (s.rssKiB !== undefined) vm.memUsedBytes = s.rssKiB * 1024;
        if (s.cpuTimeNs !== undefined) {
          const c = cpuPct(`libvirt:${row.name}:${row.id ?? ''}`, (s.cpuTimeNs / 1e9) * clkTck, at);
          if (c !== undefined) vm.cpuPct = c;
        }
      }
      const blk = await run(virshBlklist(row.name));
      if (blk.exitCode === 0) vm.disks = parseDomBlkList(blk.stdout).filter((d) => d.device !== 'cdrom').slice(0, MAX_DISKS).map((d) => ({ path: d.source, target: d.target, chain: [] }));
      else vm.notes.push(`domblklist: ${failText(blk)}`);
      const sn = await run(virshSnapshots(row.name));
      if (sn.exitCode === 0) vm.snapshots = parseSnapshotList(sn.stdout);
      else vm.notes.push(`snapshot-list: ${failText(sn)}`);
      for (const d of vm.disks) await chain(d, vm.state !== 'stopped');
      // vagrant-libvirt: the domain's disk is an overlay on the Vagrant box's image
      if (vm.disks.some((d) => d.chain.some((c) => /vagrant_box_image/.test(c.filename)))) vm.via = 'vagrant · libvirt';
      vms.push(vm);
    }
    return { vms, route: { name: 'libvirt', state: 'ok', detail: `${vms.length} domain${vms.length === 1 ? '' : 's'}` } };
  }

  async function virtualbox(): Promise<{ vms: Vm[]; route: Route }> {
    const known = stillAbsent('virtualbox');
    if (known) return { vms: [], route: known };
    const r = await run(VBOX_LIST);
    if (r.notFound) return { vms: [], route: markAbsent({ name: 'virtualbox', state: 'absent', detail: 'VBoxManage not found on PATH' }) };
    if (r.exitCode !== 0) return { vms: [], route: { name: 'virtualbox', state: 'error', detail: failText(r) } };
    const vms = parseVBoxList(r.stdout).map((v): Vm => {
      // Vagrant names its VirtualBox machines DIR_MACHINE_TIMESTAMP_RANDOM
      const vagrant = /^(.+?)_([^_]+)_\d{9,}_\d+$/.exec(v.name);
      return {
        name: v.name, kind: vagrant ? 'vagrant' : 'virtualbox', state: 'running', disks: [], hostfwd: [], snapshots: [],
        via: vagrant ? `vagrant machine ${vagrant[2]} of ${vagrant[1]} (VirtualBox)` : 'VirtualBox',
        notes: ['VirtualBox: sov lists running machines only (VBoxManage list runningvms); no CPU, memory or disks'],
      };
    });
    return { vms, route: { name: 'virtualbox', state: 'ok', detail: `${vms.length} running` } };
  }

  async function heartbeats(warnings: string[]): Promise<{ vms: Record<string, Heartbeat>; at?: number }> {
    if (opts.heartbeatFile === undefined) return { vms: {} };
    const raw = await readSafe(opts.heartbeatFile);
    if (raw === undefined) return { vms: {} };
    const p = parseHeartbeatFile(raw);
    if (!p) { warnings.push(`${opts.heartbeatFile}: not the watchdog's JSON`); return { vms: {} }; }
    return p;
  }

  async function once(): Promise<Attempt<VmsData>> {
    const warnings: string[] = [];
    seenCpu = new Set();
    const lv = await libvirt(warnings);
    const q = await qemuProcesses(warnings, lv.route.state === 'ok');
    const vb = await virtualbox();
    const hb = await heartbeats(warnings);
    for (const k of [...prevCpu.keys()]) if (!seenCpu.has(k)) prevCpu.delete(k); // VMs that are gone
    const vagrantNote: Route = { name: 'vagrant', state: 'absent', detail: 'Vagrant machines show as what runs them (libvirt, VirtualBox)' };
    const data: VmsData = { vms: [...lv.vms, ...q.vms, ...vb.vms], routes: [q.route, lv.route, vb.route, vagrantNote], heartbeats: hb.vms, warnings };
    if (hb.at !== undefined) data.heartbeatsAt = hb.at;
    return { state: 'ok', data };
  }

  return {
    id: 'vms',
    async sample() {
      try { return await once(); } catch (e) { return { state: 'error', message: `vms: ${String((e as Error)?.message ?? e)}` }; }
    },
    dispose() { prevCpu.clear(); absent.clear(); notQemu.clear(); },
  };
}

/** the snapshots of a VM that is off: `qemu-img snapshot -l` of its top image */
export async function offlineSnapshots(runner: Runner, image: string): Promise<{ snapshots: VmSnapshot[]; error?: string }> {
  const r = await runner.run(['qemu-img', 'snapshot', '-l', '-U', image], { timeoutMs: TIMEOUT_MS });
  if (r.exitCode !== 0) return { snapshots: [], error: failText(r) };
  return { snapshots: parseSnapshotTable(r.stdout).snapshots };
}
