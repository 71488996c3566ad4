import { describe, expect, it } from 'vitest';
import { systemBackend } from '../../../backends/system/index.js';
import { createSystemSource, PROC_FILES } from '../../../backends/system/source.js';
import type { SystemData } from '../../../backends/system/types.js';
import type { Attempt } from '../../../backends/types.js';
import { systemDemo } from '../../../src/demo/omni/system.js';
import { createDemoRunner } from '../../../src/runner/demo.js';
import { createLocalRunner } from '../../../src/runner/local.js';
import { FakeRunner } from '../../helpers/fake-runner.js';
import { fixture } from '../../helpers/samples.js';
import { CAPTURED } from './captured.js';

class TracingRunner extends FakeRunner {
  reads: string[] = [];
  override async readFile(path: string) { this.reads.push(path); return super.readFile(path); }
  override async listDir(path: string): Promise<string[] | undefined> { throw new Error(`unexpected listDir ${path}`); }
}

const ok = (a: Attempt<SystemData>): SystemData => {
  if (a.state !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(a)}`);
  return a.data;
};

const stat = (c0: [number, number], c1: [number, number]) =>
  `cpu  ${c0[0] + c1[0]} 0 0 ${c0[1] + c1[1]} 0 0 0 0 0 0\ncpu0 ${c0[0]} 0 0 ${c0[1]} 0 0 0 0 0 0\ncpu1 ${c1[0]} 0 0 ${c1[1]} 0 0 0 0 0 0\n`;
const disk = (r: number, w: number) => `   8       0 sda 1 0 ${r} 0 1 0 ${w} 0 0 0 0 0 0 0 0 0 0\n   8       1 sda1 1 0 ${r} 0 1 0 ${w} 0 0 0 0 0 0 0 0 0 0\n   7       0 loop0 0 0 9 0 0 0 9 0 0 0 0 0 0 0 0 0 0\n`;
const net = (rx: number, tx: number) => `Inter-|\n face |\n    lo: 99 1 0 0 0 0 0 0 99 1 0 0 0 0 0 0\n  eno1: ${rx} 1 0 0 0 0 0 0 ${tx} 1 0 0 0 0 0 0\n`;

function box(r: FakeRunner, s: string, d: string, n: string): FakeRunner {
  return r.file('/proc/stat', s).file('/proc/diskstats', d).file('/proc/net/dev', n)
    .file('/proc/loadavg', CAPTURED.loadavg).file('/proc/uptime', CAPTURED.uptime)
    .file('/proc/meminfo', fixture('numa', 'h100-host', 'proc-meminfo.txt')).file('/proc/sys/kernel/hostname', 'h100\n');
}

describe('system source over a fake runner', () => {
  it('descriptor', () => {
    expect(systemBackend).toMatchObject({ id: 'system', title: 'Host', intervalMs: 1000 });
    expect(systemBackend.create(new FakeRunner()).id).toBe('system');
  });

  it('first reading: figures but no rates; second: rates over the runner clock delta', async () => {
    const r = box(new TracingRunner(), stat([100, 900], [500, 500]), disk(1000, 2000), net(10_000, 20_000)) as TracingRunner;
    const src = createSystemSource(r);
    const a = ok(await src.sample());
    expect([...r.reads].sort()).toEqual(Object.values(PROC_FILES).sort());
    expect(r.calls).toEqual([]);
    expect(a).toMatchObject({
      hostname: 'h100', uptimeSec: 280.1, load: [0.27, 0.33, 0.14],
      mem: { totalBytes: 131981020 * 1024, availableBytes: 131465132 * 1024, swapTotalBytes: 0, swapUsedBytes: 0 },
      warnings: [],
    });
    expect(a.cpu).toEqual({ cores: [{ id: 0 }, { id: 1 }] });
    expect(a.disks).toEqual([{ name: 'sda' }]);
    expect(a.net).toEqual([{ iface: 'eno1' }]);

    // 2 s later: core0 +90 busy / +10 idle, core1 +20 busy / +80 idle; sda +4000 sectors read, +1000 written
    r.clock += 2000;
    box(r, stat([190, 910], [520, 580]), disk(5000, 3000), net(30_000, 20_500));
    const b = ok(await src.sample());
    expect(b.cpu.cores).toEqual([{ id: 0, utilPct: 90 }, { id: 1, utilPct: 20 }]);
    expect(b.cpu.utilPct).toBe(55);
    expect(b.disks).toEqual([{ name: 'sda', readBytesPerSec: (4000 * 512) / 2, writeBytesPerSec: (1000 * 512) / 2 }]);
    expect(b.net).toEqual([{ iface: 'eno1', rxBytesPerSec: 10_000, txBytesPerSec: 250 }]);
  });

  it('a counter that goes back (reboot of a NIC, hotplug) gives undefined, not a negative rate', async () => {
    const r = box(new FakeRunner(), stat([100, 900], [500, 500]), disk(1000, 2000), net(10_000, 20_000));
    const src = createSystemSource(r);
    await src.sample();
    r.clock += 1000;
    box(r, stat([50, 10], [600, 500]), disk(10, 2000), net(5, 20_100));
    const b = ok(await src.sample());
    expect(b.cpu.cores[0]).toEqual({ id: 0 });
    expect(b.cpu.cores[1]).toEqual({ id: 1, utilPct: 100 });
    expect(b.disks[0]).toEqual({ name: 'sda', writeBytesPerSec: 0 });
    expect(b.net[0]).toEqual({ iface: 'eno1', txBytesPerSec: 100 });
  });

  it('no /proc/stat (not Linux) → unavailable', async () => {
    const a = await createSystemSource(new FakeRunner()).sample();
    expect(a).toMatchObject({ state: 'unavailable', reason: expect.stringMatching(/\/proc\/stat missing/) });
    expect(a.state === 'unavailable' && a.hint).toBeTruthy();
  });

  it('/proc/stat unreadable → error; another file unreadable → a warning', async () => {
    const eacces = () => Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(await createSystemSource(new FakeRunner().file('/proc/stat', eacces())).sample()).toEqual({ state: 'error', message: '/proc/stat: EACCES: permission denied' });
    const r = box(new FakeRunner(), stat([1, 1], [1, 1]), disk(1, 1), net(1, 1)).file('/proc/meminfo', eacces());
    const d = ok(await createSystemSource(r).sample());
    expect(d.mem).toEqual({});
    expect(d.warnings).toEqual(['/proc/meminfo: EACCES: permission denied']);
  });

  it('only /proc/stat present: everything else undefined or empty, with warnings', async () => {
    const d = ok(await createSystemSource(new FakeRunner().file('/proc/stat', CAPTURED.stat)).sample());
    expect(d).toMatchObject({ cpu: { cores: [{ id: 0 }, { id: 1 }] }, load: undefined, mem: {}, disks: [], net: [] });
    expect(d.hostname).toBeUndefined();
    expect(d.uptimeSec).toBeUndefined();
    expect(d.warnings).toHaveLength(5); // loadavg, meminfo, uptime, diskstats, net/dev (hostname is optional)
  });

  it('garbage in every file: ok with warnings, never throws', async () => {
    const r = new FakeRunner();
    for (const p of Object.values(PROC_FILES)) r.file(p, 'garbage \u0000 line\n');
    const d = ok(await createSystemSource(r).sample());
    expect(d.cpu.cores).toEqual([]);
    expect(d.warnings.length).toBeGreaterThan(3);
  });
});

describe('system source over the OMNI demo box', () => {
  it('omni: 64 cores, 512 GiB ~60 % used, light swap; on the second reading util 0–100 and rates > 0', async () => {
    let now = 1_000_000;
    const src = createSystemSource(createDemoRunner(systemDemo, { clock: () => now }));
    const a = ok(await src.sample());
    expect(a.warnings).toEqual([]);
    expect(a.hostname).toBe('omni');
    expect(a.cpu.cores).toHaveLength(64);
    expect(a.cpu.utilPct).toBeUndefined();
    expect(a.mem.totalBytes).toBe(512 * 1024 ** 3);
    const usedPct = 100 * (1 - a.mem.availableBytes! / a.mem.totalBytes!);
    expect(usedPct).toBeGreaterThan(50);
    expect(usedPct).toBeLessThan(70);
    expect(a.mem.swapTotalBytes).toBe(8 * 1024 ** 3);
    expect(a.mem.swapUsedBytes! / a.mem.swapTotalBytes!).toBeLessThan(0.1);
    expect(a.disks.map((d) => d.name)).toEqual(['nvme0n1', 'nvme1n1', ...'abcdefghijkl'.split('').map((l) => `sd${l}`), 'zd0']);
    expect(a.net.map((n) => n.iface)).toEqual(['eno1', 'tailscale0', 'virbr0']);

    for (let step = 0; step < 5; step++) {
      now += 1000;
      const b = ok(await src.sample());
      expect(b.warnings).toEqual([]);
      expect(b.cpu.utilPct).toBeGreaterThan(20);
      expect(b.cpu.utilPct).toBeLessThan(70);
      for (const c of b.cpu.cores) {
        expect(c.utilPct).toBeGreaterThanOrEqual(0);
        expect(c.utilPct).toBeLessThanOrEqual(100);
      }
      const busy = b.cpu.cores.filter((c) => c.utilPct! > 75).length;
      const idle = b.cpu.cores.filter((c) => c.utilPct! < 15).length;
      expect(busy).toBeGreaterThanOrEqual(20);
      expect(idle).toBeGreaterThanOrEqual(20);
      for (const d of b.disks) {
        expect(d.readBytesPerSec).toBeGreaterThan(0);
        expect(d.writeBytesPerSec).toBeGreaterThan(0);
      }
      // the resilver: ember disks read ~150 MB/s each, sdl (the new disk) is written
      const sda = b.disks.find((d) => d.name === 'sda')!, sdl = b.disks.find((d) => d.name === 'sdl')!;
      expect(sda.readBytesPerSec).toBeGreaterThan(100e6);
      expect(sdl.writeBytesPerSec).toBeGreaterThan(100e6);
      for (const n of b.net) {
        expect(n.rxBytesPerSec).toBeGreaterThan(0);
        expect(n.txBytesPerSec).toBeGreaterThan(0);
      }
      expect(b.load![0]).toBeGreaterThan(10);
    }
  });

  it('counters are monotonic over an hour of demo time', () => {
    const counter = /^sys_(cpu\d*_|d_|n_|ctxt|intr|softirqs|lastpid)/;
    const keys = Object.keys(systemDemo.vars(0)).filter((k) => counter.test(k));
    expect(keys.length).toBeGreaterThan(15 * 7);
    // each core's line of /proc/stat: "cpuN user nice system idle iowait irq softirq steal guest guest_nice"
    const cores = (v: ReturnType<typeof systemDemo.vars>) => String(v.sys_core_lines).trim().split('\n').map((l) => l.split(' ').slice(1).map(Number));
    expect(cores(systemDemo.vars(0))).toHaveLength(64);
    const bad: string[] = [];
    let prev = systemDemo.vars(0);
    for (let t = 0.25; t < 3600; t += 0.25 + (t % 7) / 2) {
      const v = systemDemo.vars(t);
      for (const k of keys) if (Number(v[k]) < Number(prev[k])) bad.push(`${k} at t=${t}`);
      const [now, before] = [cores(v), cores(prev)];
      now.forEach((f, c) => f.forEach((x, i) => { if (!(x >= before[c]![i]!)) bad.push(`cpu${c} field ${i + 1} at t=${t}`); }));
      prev = v;
    }
    expect(bad).toEqual([]);
  });
});

describe('system source on this machine (local runner, Linux /proc)', () => {
  it('reads real /proc with sane values', async () => {
    const src = createSystemSource(createLocalRunner());
    const a = ok(await src.sample());
    await new Promise((res) => setTimeout(res, 250));
    const b = ok(await src.sample());
    expect(b.mem.totalBytes).toBeGreaterThan(0);
    expect(b.mem.availableBytes).toBeGreaterThan(0);
    expect(b.mem.availableBytes!).toBeLessThanOrEqual(b.mem.totalBytes!);
    expect(b.cpu.cores.length).toBeGreaterThanOrEqual(1);
    expect(b.uptimeSec).toBeGreaterThan(0);
    expect(b.load).toHaveLength(3);
    expect(a.cpu.utilPct).toBeUndefined();
    // the second reading has utilisation and rates (two readings 250 ms apart)
    expect(b.cpu.utilPct).toBeGreaterThanOrEqual(0);
    expect(b.cpu.utilPct).toBeLessThanOrEqual(100);
    for (const c of b.cpu.cores) expect(c.utilPct).toBeGreaterThanOrEqual(0);
    for (const d of b.disks) expect(d.readBytesPerSec).toBeGreaterThanOrEqual(0);
    expect(b.net.some((n) => n.iface === 'lo')).toBe(false);
  });
});
