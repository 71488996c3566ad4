import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVmsSource, imgInfoArgv, parseHeartbeatFile, VBOX_LIST, VIRSH_DOMSTATS, VIRSH_LIST, virshBlklist, virshDominfo, virshSnapshots } from '../../../backends/vms/source.js';
import type { VmsData } from '../../../backends/vms/types.js';
import { heartbeatFile } from '../../../backends/vms/index.js';
import { resolvePaths } from '../../../src/daemon/paths.js';
import { createLocalRunner } from '../../../src/runner/local.js';
import { FakeRunner } from '../../helpers/fake-runner.js';

const qemuCmdline = ['/usr/bin/qemu-system-x86_64', '-name', 'g1', '-m', '1G', '-smp', '2', '-drive', 'file=/v/g1.qcow2,format=qcow2', '-qmp', 'unix:/run/g1.qmp,server=on,wait=off'].join('\0') + '\0';
const stat = (ut: number) => `77 (qemu-system-x86) S 1 77 77 0 -1 0 0 0 0 0 ${ut} 0 0 0 20 0 3 0 1000 0 2560 0\n`;
const chain = JSON.stringify([{ filename: '/v/g1.qcow2', format: 'qcow2', 'virtual-size': 1, 'full-backing-filename': '/v/golden.qcow2', snapshots: [{ id: '1', name: 'clean' }] }, { filename: '/v/golden.qcow2', format: 'qcow2', 'virtual-size': 1 }]);

function fake(): FakeRunner {
  return new FakeRunner()
    .on({ argv: VIRSH_LIST, notFound: true })
    .on({ argv: VBOX_LIST, notFound: true })
    .on({ argv: imgInfoArgv('/v/g1.qcow2', true), stdout: chain })
    .dir('/proc', ['1', '77', 'self', 'uptime'])
    .file('/proc/uptime', '110.00 50.00\n')
    .file('/proc/1/cmdline', '/sbin/init\0')
    .file('/proc/77/cmdline', qemuCmdline)
    .file('/proc/77/stat', stat(100))
    .file('/proc/77/status', 'VmRSS:\t  1024 kB\n');
}

describe('the VMs source (fake runner: exact argv, loud on any other)', () => {
  it('a QEMU from /proc: CPU % between readings, uptime, RSS, chain, QMP state and snapshots; absent routes say why', async () => {
    const r = fake();
    const qmpAsked: string[] = [];
    const src = createVmsSource(r, { qmp: async (s) => { qmpAsked.push(s); return { status: 'running', snapshotsText: 'ID TAG\n--        s1             1 MiB 2026-12-06 07:00:00 00:00:01.000\n' }; } });
    const a = await src.sample();
    r.clock += 2000;
    r.file('/proc/77/stat', stat(250));
    const b = await src.sample();
    expect(a.state).toBe('ok');
    const d = (b as { data: VmsData }).data;
    expect(qmpAsked).toEqual(['/run/g1.qmp', '/run/g1.qmp']);
    expect(d.vms).toHaveLength(1);
    expect(d.vms[0]).toMatchObject({ name: 'g1', kind: 'qemu', state: 'running', stateDetail: 'running', pid: 77, vcpus: 2, memBytes: 1024 ** 3, memUsedBytes: 1024 * 1024, cpuPct: 75, uptimeSec: 100 });
    expect(d.vms[0]!.snapshots.map((s) => s.name)).toEqual(['s1']); // QMP's list, not the disk's
    expect(d.vms[0]!.disks[0]!.chain.map((c) => c.filename)).toEqual(['/v/g1.qcow2', '/v/golden.qcow2']);
    expect(d.routes.map((x) => `${x.name}:${x.state}`)).toEqual(['qemu processes:ok', 'libvirt:absent', 'virtualbox:absent', 'vagrant:absent']);
    expect(d.routes[1]!.detail).toContain('virsh not found on PATH');
  });

  it('without QMP (a remote or demo host) the state is the process\'s and the snapshots are the disk\'s, said in a note', async () => {
    const d = ((await createVmsSource(fake()).sample()) as { data: VmsData }).data;
    expect(d.vms[0]!.snapshots.map((s) => s.name)).toEqual(['clean']);
    expect(d.vms[0]!.notes.join(' ')).toMatch(/sov opens QMP sockets on this machine only/);
  });

  it('a QMP socket that does not answer: state unknown, the reason kept; a /proc file that cannot be read is skipped', async () => {
    const r = fake().file('/proc/1/cmdline', new Error('EACCES'));
    const d = ((await createVmsSource(r, { qmp: async () => { throw new Error('QMP socket /run/g1.qmp: nobody listens (the VM is gone?)'); } }).sample()) as { data: VmsData }).data;
    expect(d.vms[0]).toMatchObject({ state: 'unknown' });
    expect(d.vms[0]!.notes).toContain('QMP: QMP socket /run/g1.qmp: nobody listens (the VM is gone?)');
  });

  it('libvirt: list, domstats, dominfo, domblklist, snapshot-list, and qemu-img for each disk; libvirt\'s own QEMU is not listed twice', async () => {
    const lvCmd = ['/usr/bin/qemu-system-x86_64', '-name', 'guest=agent,debug-threads=on', '-chardev', 'socket,id=charmonitor,fd=30,server=on,wait=off'].join('\0');
    const r = new FakeRunner()
      .on({ argv: VIRSH_LIST, stdout: ' Id   Name    State\n---------------------------\n 3    agent   running\n -    off1    shut off\n' })
      .on({ argv: VIRSH_DOMSTATS, stdout: "Domain: 'agent'\n  cpu.time=2000000000\n  vcpu.current=2\n  balloon.rss=2048\n" })
      .on({ argv: virshDominfo('agent'), stdout: 'Id:             3\nName:           agent\nState:          running\nCPU(s):         2\nMax memory:     2097152 KiB\nUsed memory:    2097152 KiB\n' })
      .on({ argv: virshBlklist('agent'), stdout: ' Type   Device   Target   Source\n----------------------------------\n file   disk     vda      /l/agent.qcow2\n' })
      .on({ argv: virshSnapshots('agent'), stdout: ' Name   Creation Time   State\n----------------------------------\n' })
      .on({ argv: imgInfoArgv('/l/agent.qcow2', true), stdout: '{"filename":"/l/agent.qcow2","format":"qcow2"}' })
      .on({ argv: virshDominfo('off1'), stdout: 'Id:             -\nName:           off1\nState:          shut off\nCPU(s):         1\nMax memory:     1048576 KiB\n' })
      .on({ argv: virshBlklist('off1'), exitCode: 1, stderr: 'error: failed to get domain' })
      .on({ argv: virshSnapshots('off1'), stdout: ' Name   Creation Time   State\n---------------------\n clean  2026-12-01 10:00:00 +0000   shutoff\n' })
      .on({ argv: VBOX_LIST, stdout: '"ws_default_1583408799_12345" {0a1b2c3d-0000-4000-8000-0123456789ab}\n' })
      .dir('/proc', ['5']).file('/proc/5/cmdline', lvCmd);
    const d = ((await createVmsSource(r).sample()) as { data: VmsData }).data;
    expect(d.vms.map((v) => `${v.name}:${v.kind}:${v.state}`)).toEqual(['agent:libvirt:running', 'off1:libvirt:stopped', 'ws_default_1583408799_12345:vagrant:running']);
    expect(d.vms[0]).toMatchObject({ vcpus: 2, memBytes: 2 * 1024 ** 3, memUsedBytes: 2048 * 1024 });
    expect(d.vms[1]!.notes[0]).toMatch(/^domblklist: virsh domblklist off1: error: failed to get domain/);
    expect(d.vms[1]!.snapshots).toEqual([{ name: 'clean', date: '2026-12-01 10:00:00 +0000', state: 'shutoff' }]);
    expect(d.vms[2]!.via).toBe('vagrant machine default of ws (VirtualBox)');
    expect(d.routes.find((x) => x.name === 'qemu processes')!.detail).toBe('0 found');
  });

  it('an absent virsh is asked again only after 60 s; a process that turns into QEMU (exec) shows within 30 s', async () => {
    const r = fake().file('/proc/1/cmdline', '/bin/sh\0/usr/local/bin/start-vm\0');
    r.dir('/proc', ['1']);
    const src = createVmsSource(r);
    const virshCalls = () => r.calls.filter((c) => c[0] === 'virsh').length;
    await src.sample();
    r.file('/proc/1/cmdline', qemuCmdline); // the wrapper exec'd QEMU
    r.file('/proc/1/stat', stat(1)).file('/proc/1/status', 'VmRSS: 1 kB\n');
    r.clock += 10_000;
    const early = ((await src.sample()) as { data: VmsData }).data;
    expect(virshCalls()).toBe(1);
    expect(early.vms).toHaveLength(0);
    expect(early.routes[1]!.detail).toContain('virsh not found');
    r.clock += 21_000;
    const mid = ((await src.sample()) as { data: VmsData }).data;
    expect(mid.vms.map((v) => v.name)).toEqual(['g1']);
    expect(virshCalls()).toBe(1);
    r.clock += 30_000;
    await src.sample();
    expect(virshCalls()).toBe(2);
  });

  it('the watchdog\'s file: read when present, junk is a warning, unknown states become unknown', async () => {
    expect(parseHeartbeatFile('{"at":5,"vms":{"a":{"state":"missing","misses":2},"b":{"state":"??"}}}')).toEqual({ at: 5, vms: { a: { state: 'missing', misses: 2 }, b: { state: 'unknown' } } });
    expect(parseHeartbeatFile('[]')).toBeUndefined();
    const r = fake().file('/s/vms-watch.json', 'not json');
    const d = ((await createVmsSource(r, { heartbeatFile: '/s/vms-watch.json' }).sample()) as { data: VmsData }).data;
    expect(d.warnings).toEqual(['/s/vms-watch.json: not the watchdog\'s JSON']);
  });
});

describe('virsh through a PATH shim and the real local runner (the shim fails loudly on any argv it does not know)', () => {
  const dir = mkdtempSync(`/tmp/sov-vms-shim-${process.pid}-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('runs exactly the argv the contract names; a failing virsh is an error route with its words', async () => {
    const log = join(dir, 'argv.log');
    writeFileSync(join(dir, 'virsh'), `#!/bin/sh
echo "$*" >> ${log}
case "$*" in
  "list --all") printf ' Id   Name   State\\n------------------\\n -    vm1    shut off\\n\\n' ;;
  "dominfo vm1") printf 'Name:           vm1\\nState:          shut off\\nCPU(s):         1\\nMax memory:     524288 KiB\\n' ;;
  "domblklist vm1 --details") printf ' Type   Device   Target   Source\\n--------------------------------\\n file   cdrom    sda      -\\n' ;;
  "snapshot-list vm1") echo "error: unsupported configuration: internal snapshots of a VM with pflash" >&2; exit 1 ;;
  *) echo "virsh shim: unexpected argv: $*" >&2; exit 99 ;;
esac
`);
    chmodSync(join(dir, 'virsh'), 0o755);
    const runner = createLocalRunner({ env: { PATH: `${dir}:/usr/bin:/bin` } });
    const d = ((await createVmsSource(runner).sample()) as { data: VmsData }).data;
    const lv = d.vms.filter((v) => v.kind === 'libvirt');
    expect(lv).toHaveLength(1);
    expect(lv[0]).toMatchObject({ name: 'vm1', state: 'stopped', vcpus: 1, memBytes: 512 * 1024 * 1024, disks: [] });
    expect(lv[0]!.notes).toEqual(['snapshot-list: virsh snapshot-list vm1: error: unsupported configuration: internal snapshots of a VM with pflash']);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['list --all', 'dominfo vm1', 'domblklist vm1 --details', 'snapshot-list vm1']);
    writeFileSync(join(dir, 'virsh'), '#!/bin/sh\necho "error: failed to connect to the hypervisor" >&2\nexit 1\n');
    const e = ((await createVmsSource(runner).sample()) as { data: VmsData }).data;
    expect(e.routes.find((x) => x.name === 'libvirt')).toEqual({ name: 'libvirt', state: 'absent', detail: 'libvirt is not running here (virsh list --all: error: failed to connect to the hypervisor)' });
    writeFileSync(join(dir, 'virsh'), '#!/bin/sh\necho "error: internal error: something else" >&2\nexit 1\n');
    const f = ((await createVmsSource(runner).sample()) as { data: VmsData }).data;
    expect(f.routes.find((x) => x.name === 'libvirt')).toEqual({ name: 'libvirt', state: 'error', detail: 'virsh list --all: error: internal error: something else' });
  });
});

describe('heartbeatFile', () => {
  it('is vms-watch.json in the daemon\'s state dir by resolvePaths\' rule (HOME unset → the user\'s home, not /)', () => {
    for (const env of [{ HOME: '' }, { HOME: '/h' }, { HOME: '/h', XDG_STATE_HOME: 'relative' }, { SOV_STATE_DIR: '/s' }]) {
      expect(heartbeatFile({ env })).toBe(join(resolvePaths({ env }).stateDir, 'vms-watch.json'));
    }
    expect(heartbeatFile({ env: { HOME: '' } })).not.toBe('/.local/state/sov/vms-watch.json');
    expect(heartbeatFile({ stateDir: '/daemon/state' })).toBe('/daemon/state/vms-watch.json');
  });
});
