import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isQemuArgv, parseHostFwd, parseImgInfoJson, parseMemArg, parseProcStat, parseQemuArgv, parseSmpArg, parseSnapshotTable,
  parseUptimeSec, parseVmRssBytes, splitCmdline, splitOpts,
} from '../../../backends/vms/parse.js';
import {
  domStatsFigures, parseDomBlkList, parseDomInfo, parseDomStats, parseSnapshotList, parseVagrantStatus, parseVBoxList, parseVirshList,
  vagrantState, virshState,
} from '../../../backends/vms/parse-virsh.js';
import { haveSamples, mutations, readSample, sampleFiles } from '../../helpers/samples.js';

describe('QEMU argv', () => {
  it('reads name, memory, vCPUs, disks, forwarded ports, the QMP socket and -S', () => {
    const argv = ['/usr/bin/qemu-system-x86_64', '-machine', 'q35,accel=tcg', '-name', 'green-1,process=green', '-m', '2G', '-smp', 'sockets=1,cores=2,threads=2',
      '-drive', 'file=/srv/vm/green,,1.qcow2,format=qcow2,if=virtio,id=drive0', '-netdev', 'user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-:53',
      '-device', 'virtio-net-pci,netdev=n0', '-qmp', 'unix:/run/sov/green.qmp,server=on,wait=off', '-S', '-display', 'none'];
    expect(isQemuArgv(argv)).toBe(true);
    const a = parseQemuArgv(argv);
    expect(a).toMatchObject({ name: 'green-1', memBytes: 2 * 1024 ** 3, vcpus: 4, qmpSocket: '/run/sov/green.qmp', startPaused: true, libvirt: false, warnings: [] });
    expect(a.disks).toEqual([{ path: '/srv/vm/green,1.qcow2', format: 'qcow2', target: 'drive0' }]);
    expect(a.hostfwd).toEqual([{ proto: 'tcp', hostAddr: '127.0.0.1', hostPort: 2222, guestPort: 22 }, { proto: 'udp', hostPort: 5353, guestPort: 53 }]);
  });

  it('reads -blockdev (JSON and dotted), -hda, a bare image, -chardev + -mon for QMP, and libvirt guests', () => {
    const a = parseQemuArgv(['qemu-system-x86_64', 'disk.img', '-blockdev', '{"driver":"qcow2","file":{"driver":"file","filename":"/v/a.qcow2"},"node-name":"d0"}',
      '-blockdev', 'driver=file,filename=/v/b.raw,node-name=f1', '-hda', '/v/c.img', '-chardev', 'socket,id=mon0,path=/run/q.sock,server=on,wait=off', '-mon', 'chardev=mon0,mode=control']);
    expect(a.disks.map((d) => d.path)).toEqual(['disk.img', '/v/a.qcow2', '/v/b.raw', '/v/c.img']);
    expect(a.disks[1]!.format).toBe('qcow2');
    expect(a.qmpSocket).toBe('/run/q.sock');
    expect(a.vcpus).toBeUndefined();
    const lv = parseQemuArgv(['/usr/bin/qemu-system-x86_64', '-name', 'guest=fc4,debug-threads=on', '-chardev', 'socket,id=charmonitor,fd=30,server=on,wait=off']);
    expect(lv).toMatchObject({ name: 'fc4', libvirt: true });
  });

  it('says what it cannot read and never throws on junk', () => {
    const a = parseQemuArgv(['qemu-system-x86_64', '-m', 'lots', '-smp', 'maxcpus=x', '-netdev', 'user,hostfwd=tcp::99999-:22']);
    expect(a.warnings).toHaveLength(3);
    expect(a.memBytes).toBeUndefined();
    for (const m of mutations(['qemu-system-x86_64', '-m', '512', '-smp', '2', '-drive', 'file=a', '-netdev', 'user,hostfwd=tcp::1-:2'].join('\0'), 200)) {
      expect(() => parseQemuArgv(splitCmdline(m))).not.toThrow();
    }
    expect(isQemuArgv(['/usr/bin/bash', 'qemu-system-x86_64'])).toBe(false);
  });

  it('option syntax: ,, is a comma; sizes and CPU counts; forwarded ports', () => {
    expect(splitOpts('user,id=a,,b,hostfwd=x')).toEqual([['', 'user'], ['id', 'a,b'], ['hostfwd', 'x']]);
    expect(parseMemArg('512')).toBe(512 * 1024 ** 2);
    expect(parseMemArg('size=1.5G,slots=2,maxmem=8G')).toBe(1.5 * 1024 ** 3);
    expect(parseSmpArg('8')).toBe(8);
    expect(parseSmpArg('cpus=6,sockets=2')).toBe(6);
    expect(parseHostFwd('::8080-10.0.2.15:80')).toEqual({ proto: 'tcp', hostPort: 8080, guestAddr: '10.0.2.15', guestPort: 80 });
    expect(parseHostFwd('tcp::0-:22')).toBeUndefined();
  });
});

describe('/proc', () => {
  it('stat after the last ")" (a comm with spaces and parentheses), VmRSS, uptime', () => {
    const stat = '4242 (qemu (x) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 7433 1000000 3000 18446744073709551615';
    expect(parseProcStat(stat)).toEqual({ state: 'S', utimeTicks: 250, stimeTicks: 50, startTicks: 7433, rssPages: 3000 });
    expect(parseProcStat('garbage')).toBeUndefined();
    expect(parseVmRssBytes('Name:\tqemu\nVmRSS:\t  122468 kB\n')).toBe(122468 * 1024);
    expect(parseUptimeSec('759.66 896.60\n')).toBe(759.66);
    expect(splitCmdline('a\0b\0\0c\0')).toEqual(['a', 'b', '', 'c']);
  });
});

/** the shape qemu-img 7.2 printed here for an overlay on a golden, paths shortened, a snapshot added (dates in UTC) */
const CHAIN = JSON.stringify([
  { 'backing-filename-format': 'qcow2', 'virtual-size': 67108864, filename: '/t/overlay.qcow2', format: 'qcow2', 'actual-size': 200704, 'full-backing-filename': '/t/golden.qcow2', 'backing-filename': 'golden.qcow2', 'dirty-flag': false,
    snapshots: [{ icount: 0, 'vm-clock-nsec': 0, name: 'snap1', 'date-sec': 1796540000, 'date-nsec': 0, 'vm-clock-sec': 3725, id: '1', 'vm-state-size': 858112 }] },
  { 'virtual-size': 67108864, filename: '/t/golden.qcow2', format: 'qcow2', 'actual-size': 200704, 'dirty-flag': false },
]);

describe('qemu-img', () => {
  it('info --backing-chain --output=json: overlay first, golden last, the full backing path, snapshots of the top image', () => {
    const p = parseImgInfoJson(CHAIN)!;
    expect(p.chain.map((c) => [c.filename, c.backingFilename])).toEqual([['/t/overlay.qcow2', '/t/golden.qcow2'], ['/t/golden.qcow2', undefined]]);
    expect(p.chain[0]).toMatchObject({ format: 'qcow2', virtualSizeBytes: 67108864, actualSizeBytes: 200704, dirty: false });
    expect(p.snapshots).toEqual([{ id: '1', name: 'snap1', vmStateBytes: 858112, date: '2026-12-06 06:53:20', vmClock: '01:02:05' }]);
    expect(parseImgInfoJson('{"filename":"/a.raw","format":"raw"}')!.chain).toEqual([{ filename: '/a.raw', format: 'raw' }]);
    expect(parseImgInfoJson('not json')).toBeUndefined();
    expect(parseImgInfoJson('[{"format":"qcow2"}]')).toBeUndefined();
    for (const m of mutations(CHAIN, 200)) expect(() => parseImgInfoJson(m)).not.toThrow();
  });

  it('snapshot -l and the monitor\'s info snapshots (IDs "--", CRLF, an empty ICOUNT), and the empty answers', () => {
    const img = 'Snapshot list:\nID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n1         snap1             838 KiB 2026-12-06 07:11:53 00:00:00.000           \n2         before up         0 B 2026-12-06 07:12:00 00:00:01.250          0\n';
    expect(parseSnapshotTable(img)).toEqual({ snapshots: [
      { id: '1', name: 'snap1', vmStateBytes: 838 * 1024, date: '2026-12-06 07:11:53', vmClock: '00:00:00.000' },
      { id: '2', name: 'before up', vmStateBytes: 0, date: '2026-12-06 07:12:00', vmClock: '00:00:01.250' },
    ], warnings: [] });
    const hmp = 'List of snapshots present on all disks:\r\nID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\r\n--        snap1             838 KiB 2026-12-06 07:11:53 00:00:00.000           \r\n';
    expect(parseSnapshotTable(hmp).snapshots).toEqual([{ name: 'snap1', vmStateBytes: 838 * 1024, date: '2026-12-06 07:11:53', vmClock: '00:00:00.000' }]);
    expect(parseSnapshotTable('There is no snapshot available.\r\n')).toEqual({ snapshots: [], warnings: [] });
    expect(parseSnapshotTable('ID TAG\nwhat is this\n').warnings).toHaveLength(1);
  });
});

describe('virsh', () => {
  it('list --all with "shut off", dominfo, domstats, domblklist --details, snapshot-list', () => {
    expect(parseVirshList(' Id   Name      State\n---------------------------\n 1    agent     running\n -    green-2   shut off\n\n')).toEqual([
      { id: 1, name: 'agent', state: 'running' }, { name: 'green-2', state: 'shut off' }]);
    expect(virshState('shut off')).toBe('stopped');
    expect(virshState('paused')).toBe('paused');
    expect(virshState('pmsuspended')).toBe('suspended');
    expect(virshState('weird')).toBe('unknown');
    const stats = parseDomStats("Domain: 'agent'\n  state.state=1\n  cpu.time=5000000000\n  balloon.current=2097152\n  balloon.rss=1048576\n  vcpu.current=2\n\nDomain: 'x'\n  state.state=5\n");
    expect([...stats.keys()]).toEqual(['agent', 'x']);
    expect(domStatsFigures(stats.get('agent')!)).toEqual({ cpuTimeNs: 5e9, vcpus: 2, balloonKiB: 2097152, rssKiB: 1048576 });
    expect(parseDomBlkList(' Type   Device   Target   Source\n------------------------------------------------\n file   disk     vda      /var/lib/libvirt/images/agent.qcow2\n file   cdrom    sda      -\n')).toEqual([
      { target: 'vda', source: '/var/lib/libvirt/images/agent.qcow2', device: 'disk' }]);
    expect(parseDomBlkList(' Target   Source\n------------------------\n vda      /a b.qcow2\n')).toEqual([{ target: 'vda', source: '/a b.qcow2' }]);
    expect(parseSnapshotList(' Name    Creation Time               State\n---------------------------------------------------\n clean   2026-12-01 10:00:00 +0000   shutoff\n')).toEqual([
      { name: 'clean', date: '2026-12-01 10:00:00 +0000', state: 'shutoff' }]);
    expect(parseVirshList('error: failed to connect to the hypervisor')).toEqual([]);
  });

  it('VBoxManage list runningvms (Vagrant names) ', () => {
    expect(parseVBoxList('"ws_default_1583408799_12345" {0a1b2c3d-0000-4000-8000-0123456789ab}\nnoise\n')).toEqual([{ name: 'ws_default_1583408799_12345', uuid: '0a1b2c3d-0000-4000-8000-0123456789ab' }]);
  });
});

/** concrete expectations for every file in ../shared/samples/vm */
const EXPECT: Record<string, (t: string) => void> = {
  'libvirt-virshtest-lifecycle-list-all-dominfo-transcript.txt': (t) => {
    expect(parseVirshList(t)).toEqual([{ id: 1, name: 'fv0', state: 'running' }, { id: 2, name: 'fc4', state: 'running' }, { id: 3, name: 'fc5', state: 'running' }]);
    const blocks = t.split(/\n(?=Id:)/).slice(1);
    expect(blocks).toHaveLength(4);
    expect(parseDomInfo(blocks[0]!)).toEqual({ id: 2, name: 'fc4', uuid: 'ef861801-45b9-11cb-88e3-afbfe5370493', state: 'running', vcpus: 1, maxMemBytes: 261072 * 1024, usedMemBytes: 131072 * 1024, persistent: true, autostart: false });
    expect(parseDomInfo(blocks[1]!).persistent).toBe(false);
    expect(parseDomInfo(blocks[2]!)).toMatchObject({ name: 'fc5', vcpus: 4, maxMemBytes: 2097152 * 1024 });
  },
  'qemu-iotests-043-qemu-img-info-backing-chain-human-and-json.txt': (t) => {
    const json = t.slice(t.indexOf('(json) ==') + 10, t.indexOf('*** done'));
    const p = parseImgInfoJson(json)!;
    expect(p.chain.map((c) => c.filename)).toEqual(['TEST_DIR/t.IMGFMT', 'TEST_DIR/t.IMGFMT.2.base', 'TEST_DIR/t.IMGFMT.1.base']);
    expect(p.chain.map((c) => c.backingFilename)).toEqual(['TEST_DIR/t.IMGFMT.2.base', 'TEST_DIR/t.IMGFMT.1.base', undefined]);
    expect(p.chain.every((c) => c.virtualSizeBytes === 134217728 && c.dirty === false)).toBe(true);
    expect(parseImgInfoJson(t)).toBeUndefined(); // the whole transcript is not JSON
  },
  'vagrant-status-machine-readable-error-exit-no-environment.txt': (t) => {
    const p = parseVagrantStatus(t);
    expect(p.machines).toEqual([]);
    expect(p.error).toMatch(/^A Vagrant environment or target machine is required to run this\ncommand\. .*Or,\nget an ID/s);
  },
  'vagrant-status-machine-readable-multivm-running-and-not-created.txt': (t) => {
    const p = parseVagrantStatus(t);
    expect(p.machines).toEqual([{ name: 'web', provider: 'virtualbox', state: 'running', stateHuman: 'running' }, { name: 'db', provider: 'virtualbox', state: 'not_created', stateHuman: 'not created' }]);
    expect(p.machines.map((m) => vagrantState(m.state))).toEqual(['running', 'not-created']);
  },
  'vagrant-status-machine-readable-running-virtualbox.txt': (t) => {
    expect(parseVagrantStatus(t)).toEqual({ machines: [{ name: 'default', provider: 'virtualbox', state: 'running', stateHuman: 'running' }] });
  },
};

describe.runIf(haveSamples)('VM parsers over ../shared/samples/vm', () => {
  const files = sampleFiles('vm');
  it('has an expectation for every sample file', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.map((f) => basename(f)).filter((f) => !EXPECT[f])).toEqual([]);
  });
  for (const f of files) {
    const name = basename(f);
    it(name, () => { EXPECT[name]!(readSample(f)); });
    it(`${name}: mutations never throw`, () => {
      for (const m of mutations(readSample(f), 100)) {
        expect(() => { parseVirshList(m); parseDomInfo(m); parseVagrantStatus(m); parseImgInfoJson(m); parseSnapshotTable(m); }).not.toThrow();
      }
    });
  }
});
