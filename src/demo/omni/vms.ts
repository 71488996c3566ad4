/**
 * SYNTHETIC VMs of the OMNI demo box (written by us in the formats of virsh 9, qemu-img 7.2 and Linux /proc, not
 * captured from a machine):
 * - `workstation_agent`: the workstation's agent VM, a Vagrant machine on the libvirt provider (4 vCPUs, 8 GiB),
 *   reached over its SSH bridge (the ssh_config alias `agent-ws`); its disk is a Vagrant box image's overlay;
 * - `green-1`: a plain QEMU "Green" from /proc, a qcow2 overlay on the golden image, SSH forwarded to 127.0.0.1:2222,
 *   heartbeat beating; snapshots `clean` and `pre-upgrade`;
 * - `green-2`: another Green on the same golden whose heartbeat is missing (2 of 3 misses).
 * The argv below are exactly the ones backends/vms runs; the watchdog's state file is served where the real daemon
 * writes it (heartbeatFile()). The agent VM answers virsh's snapshot-create-as, snapshot-revert, shutdown, destroy
 * and start as libvirt does, and keeps what they changed (per demo runner: createVmsDemo); the Greens' QMP sockets
 * are not reachable from the demo runner, so actions on them are refused with that reason, as on a remote host.
 */
import { heartbeatFile } from '../../../backends/vms/index.js';
import type { DemoScript, DemoVars } from '../types.js';

const GiB = 1024 ** 3;
const GOLDEN = '/srv/vm/golden/ubuntu-24.04-green.qcow2';
const AGENT_DISK = '/var/lib/libvirt/images/workstation_agent.img';
const AGENT_BOX = '/var/lib/libvirt/images/generic-VAGRANTSLASH-ubuntu2404_vagrant_box_image_4.3.12_box.img';

const greenArgv = (n: number, port: number) => ['/usr/bin/qemu-system-x86_64', '-name', `green-${n},process=green-${n}`, '-machine', 'q35,accel=kvm', '-cpu', 'host',
  '-m', '16G', '-smp', '8', '-drive', `file=/srv/vm/green-${n}.qcow2,format=qcow2,if=virtio,id=drive0`,
  '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0',
  '-qmp', `unix:/run/sov/green-${n}.qmp,server=on,wait=off`, '-display', 'none', '-daemonize'];

const PIDS = { init: 1, sshd: 912, g1: 48211, g2: 48377 };
/** started this many seconds after boot (uptime comes from the system part: {{sys_uptime}}) */
const START_SEC = { g1: 3600 * 5, g2: 3600 * 30 };
const stat = (pid: number, comm: string, utime: string, startSec: number, rssPages: number) =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} {{vms_stime}} 0 0 20 0 9 0 ${startSec * 100} 18253611008 ${rssPages} 18446744073709551615\n`;

const chain = (top: string, base: string, topActual: number, baseActual: number, virt: number, snapshots: unknown[] = []) => JSON.stringify([
  { 'backing-filename-format': 'qcow2', 'virtual-size': virt, filename: top, format: 'qcow2', 'actual-size': topActual, 'full-backing-filename': base, 'backing-filename': base, 'dirty-flag': false, ...(snapshots.length ? { snapshots } : {}) },
  { 'virtual-size': virt, filename: base, format: 'qcow2', 'actual-size': baseActual, 'dirty-flag': false },
], null, 4);
const snap = (id: string, name: string, dateSec: number, size: number) => ({ id, name, 'vm-state-size': size, 'date-sec': dateSec, 'date-nsec': 0, 'vm-clock-sec': 3600, 'vm-clock-nsec': 0, icount: 0 });

const info = `Id:             {{vms_agent_id}}
Name:           workstation_agent
UUID:           5c0ffee0-2b1d-4c8e-9a77-0d1e5ea5e001
OS Type:        hvm
State:          {{vms_agent_state}}
CPU(s):         4
CPU time:       5123.4s
Max memory:     8388608 KiB
Used memory:    8388608 KiB
Persistent:     yes
Autostart:      disable
Managed save:   no
Security model: none
Security DOI:   0
`;

let base: number | undefined;
const AGENT = 'workstation_agent';

interface AgentState { running: boolean; snapshots: { name: string; at: string; state: string }[] }

/** virsh's answers to what changes the agent VM, as libvirt words them */
function handleVirsh(a: AgentState, argv: string[]): { stdout: string; stderr?: string; exitCode?: number } | undefined {
  if (argv[0] !== 'virsh' || argv[2] !== AGENT) return undefined;
  const [, verb, , name] = argv;
  const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + ' +0000';
  switch (verb) {
    case 'snapshot-create-as':
      if (!name) return { stdout: '', stderr: 'error: command \'snapshot-create-as\' requires <name>', exitCode: 1 };
      if (a.snapshots.some((x) => x.name === name)) return { stdout: '', stderr: `error: operation failed: domain snapshot '${name}' already exists`, exitCode: 1 };
      a.snapshots.push({ name, at: stamp, state: a.running ? 'running' : 'shutoff' });
      return { stdout: `Domain snapshot ${name} created\n` };
    case 'snapshot-revert': {
      const snap = a.snapshots.find((x) => x.name === name);
      if (!snap) return { stdout: '', stderr: `error: Domain snapshot not found: no domain snapshot with matching name '${name}'`, exitCode: 1 };
      a.running = snap.state === 'running';
      return { stdout: '' };
    }
    case 'shutdown': case 'destroy':
      if (!a.running) return { stdout: '', stderr: 'error: Requested operation is not valid: domain is not running', exitCode: 1 };
      a.running = false;
      return { stdout: verb === 'shutdown' ? `Domain '${AGENT}' is being shutdown\n` : `Domain '${AGENT}' destroyed\n` };
    case 'start':
      if (a.running) return { stdout: '', stderr: 'error: Domain is already active', exitCode: 1 };
      a.running = true;
      return { stdout: `Domain '${AGENT}' started\n` };
  }
  return undefined;
}

export function createVmsDemo(): DemoScript {
  const agent: AgentState = { running: true, snapshots: [{ name: 'provisioned', at: '2026-11-28 09:14:02 +0000', state: 'running' }] };
  return {
    handle: (argv) => handleVirsh(agent, argv),
    fresh: createVmsDemo,
    commands: [
      { argv: ['virsh', 'list', '--all'], stdout: ' Id   Name                State\n------------------------------------------\n {{vms_agent_id}}    workstation_agent   {{vms_agent_state}}\n\n' },
      { argv: ['virsh', 'domstats', '--raw'], stdout: "Domain: 'workstation_agent'\n  state.state=1\n  state.reason=1\n  cpu.time={{vms_agent_cpu_ns}}\n  balloon.current=8388608\n  balloon.rss={{vms_agent_rss_kib}}\n  vcpu.current=4\n  vcpu.maximum=4\n\n" },
      { argv: ['virsh', 'dominfo', 'workstation_agent'], stdout: info },
      { argv: ['virsh', 'domblklist', 'workstation_agent', '--details'], stdout: ` Type   Device   Target   Source\n------------------------------------------------------------------------\n file   disk     vda      ${AGENT_DISK}\n\n` },
      { argv: ['virsh', 'snapshot-list', 'workstation_agent'], stdout: ' Name          Creation Time               State\n---------------------------------------------------------\n{{vms_agent_snaps}}\n' },
      { argv: ['qemu-img', 'info', '--backing-chain', '--output=json', '-U', AGENT_DISK], stdout: chain(AGENT_DISK, AGENT_BOX, 6.1 * GiB, 1.9 * GiB, 128 * GiB) },
      // when the agent is off, its disk is read with the lock (no -U)
      { argv: ['qemu-img', 'info', '--backing-chain', '--output=json', AGENT_DISK], stdout: chain(AGENT_DISK, AGENT_BOX, 6.1 * GiB, 1.9 * GiB, 128 * GiB) },
      { argv: ['qemu-img', 'info', '--backing-chain', '--output=json', '-U', '/srv/vm/green-1.qcow2'], stdout: chain('/srv/vm/green-1.qcow2', GOLDEN, 2.4 * GiB, 5.2 * GiB, 64 * GiB, [snap('1', 'clean', 1796100000, 1.1 * GiB), snap('2', 'pre-upgrade', 1796480000, 1.3 * GiB)]) },
      { argv: ['qemu-img', 'info', '--backing-chain', '--output=json', '-U', '/srv/vm/green-2.qcow2'], stdout: chain('/srv/vm/green-2.qcow2', GOLDEN, 9.8 * GiB, 5.2 * GiB, 64 * GiB, [snap('1', 'clean', 1796100000, 1.1 * GiB)]) },
      { argv: ['VBoxManage', 'list', 'runningvms'], stdout: '' },
    ],
    streams: [],
    files: [
      { path: `/proc/${PIDS.init}/cmdline`, content: '/sbin/init\0' },
      { path: `/proc/${PIDS.sshd}/cmdline`, content: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups\0' },
      { path: `/proc/${PIDS.g1}/cmdline`, content: greenArgv(1, 2222).join('\0') + '\0' },
      { path: `/proc/${PIDS.g1}/stat`, content: stat(PIDS.g1, 'qemu-system-x86', '{{vms_g1_utime}}', START_SEC.g1, 3_900_000) },
      { path: `/proc/${PIDS.g1}/status`, content: 'Name:\tqemu-system-x86\nVmRSS:\t{{vms_g1_rss_kb}} kB\n' },
      { path: `/proc/${PIDS.g2}/cmdline`, content: greenArgv(2, 2223).join('\0') + '\0' },
      { path: `/proc/${PIDS.g2}/stat`, content: stat(PIDS.g2, 'qemu-system-x86', '{{vms_g2_utime}}', START_SEC.g2, 4_100_000) },
      { path: `/proc/${PIDS.g2}/status`, content: 'Name:\tqemu-system-x86\nVmRSS:\t16449536 kB\n' },
      { path: heartbeatFile(), content: '{{vms_watch}}' },
    ],
    dirs: [{ path: '/proc', entries: ['1', String(PIDS.sshd), String(PIDS.g1), String(PIDS.g2), 'self', 'uptime', 'meminfo'] }],
    vars(t: number): DemoVars {
      base ??= Date.now() - t * 1000;
      const now = Math.round(base + t * 1000);
      // green-1 busy (~180 % of a core, wobbling), green-2 spinning at 100 % (hung guest), the agent ~60 %
      const g1 = Math.round(t * 180 + 40 * Math.sin(t / 7) + 9_000_000);
      const watch = {
        at: now - 2000,
        vms: {
          workstation_agent: { state: 'ok', kind: 'ssh', target: 'agent-ws true', beats: 1440 + Math.floor(t / 10), misses: 0, missLimit: 3, lastBeatAt: now - 4000, ssh: 'agent-ws' },
          'green-1': { state: 'ok', kind: 'tcp', target: '127.0.0.1:2222', beats: 8620 + Math.floor(t / 10), misses: 0, missLimit: 3, lastBeatAt: now - 3000, ssh: 'ops@127.0.0.1:2222' },
          'green-2': {
            state: 'missing', kind: 'tcp', target: '127.0.0.1:2223', beats: 10411, misses: 2, missLimit: 3, lastBeatAt: now - 27_000, ssh: 'ops@127.0.0.1:2223',
            why: 'tcp 127.0.0.1:2223: timed out after 5 s',
            lastRecovery: { at: now - 3600_000 * 6, action: 'revert:clean', outcome: 'ok' },
          },
        },
      };
      return {
        vms_agent_id: agent.running ? '1' : '-',
        vms_agent_state: agent.running ? 'running' : 'shut off',
        vms_agent_snaps: agent.snapshots.map((x) => ` ${x.name.padEnd(13)} ${x.at}   ${x.state}\n`).join(''),
        vms_stime: Math.round(t * 12 + 400_000),
        vms_g1_utime: g1,
        vms_g2_utime: Math.round(t * 100 + 30_000_000),
        vms_g1_rss_kb: Math.round(15.2 * 1024 * 1024 + 20_000 * Math.sin(t / 30)),
        vms_agent_cpu_ns: Math.round((5123.4 + t * 0.6) * 1e9),
        vms_agent_rss_kib: 6_291_456,
        vms_watch: JSON.stringify(watch),
      };
    },
  };
}

export const vmsDemo: DemoScript = createVmsDemo();
