import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isShownDisk, parseDiskstats, parseHostname, parseLoadavg, parseNetDev, parseProcMeminfo, parseProcStat, parseUptime,
  partitionParent, ratePerSec, utilPct,
} from '../../../backends/system/parse.js';
import { systemDemo } from '../../../src/demo/omni/system.js';
import { fillTemplate } from '../../../src/runner/demo.js';
import { fixture, haveSamples, mutations, readSample, sampleFiles } from '../../helpers/samples.js';
import { CAPTURED } from './captured.js';


describe('/proc/stat', () => {
  it('total and per-core jiffies (guest fields not double counted)', () => {
    const s = parseProcStat(CAPTURED.stat);
    expect(s.warnings).toEqual([]);
    expect(s.total).toEqual({ total: 11436 + 6559 + 84354 + 255 + 85 + 12, busy: 11436 + 6559 + 85 + 12 });
    expect(s.cores.map((c) => c.id)).toEqual([0, 1]);
    expect(s.cores[1]!.times).toEqual({ total: 6491 + 3539 + 41078 + 196 + 67 + 8, busy: 6491 + 3539 + 67 + 8 });
  });
  it('an old 4-field kernel line still reads; garbage becomes a warning', () => {
    const s = parseProcStat('cpu 1 2 3 4\ncpu0 1 2 3 4\ncpuX 1 2 3\ncpu1 a b c d\n');
    expect(s.total).toEqual({ total: 10, busy: 6 });
    expect(s.cores).toHaveLength(1);
    expect(s.warnings).toHaveLength(2);
  });
  it('utilPct between two readings', () => {
    expect(utilPct({ busy: 100, total: 1000 }, { busy: 150, total: 1100 })).toBe(50);
    expect(utilPct(undefined, { busy: 150, total: 1100 })).toBeUndefined();
    expect(utilPct({ busy: 100, total: 1000 }, { busy: 100, total: 1000 })).toBeUndefined(); // no time passed
    expect(utilPct({ busy: 100, total: 1000 }, { busy: 50, total: 900 })).toBeUndefined(); // counters reset (CPU hotplug)
  });
});

describe('/proc/loadavg, /proc/uptime, hostname', () => {
  it('reads them', () => {
    expect(parseLoadavg(CAPTURED.loadavg)).toEqual({ load: [0.27, 0.33, 0.14], warnings: [] });
    expect(parseUptime(CAPTURED.uptime)).toEqual({ uptimeSec: 280.1, warnings: [] });
    expect(parseHostname('omni\n')).toBe('omni');
    expect(parseHostname('\n')).toBeUndefined();
    expect(parseHostname('ev\u001b[2Jil\n')).toBe('evil');
  });
  it('garbage → undefined with a warning', () => {
    expect(parseLoadavg('0.1 x 0.3').load).toBeUndefined();
    expect(parseLoadavg('').warnings).toHaveLength(1);
    expect(parseUptime('NaN 3').uptimeSec).toBeUndefined();
  });
});

describe('/proc/meminfo', () => {
  it('the H100 host (fixtures/numa/h100-host/proc-meminfo.txt): no swap', () => {
    const m = parseProcMeminfo(fixture('numa', 'h100-host', 'proc-meminfo.txt'));
    expect(m).toMatchObject({ totalBytes: 131981020 * 1024, availableBytes: 131465132 * 1024, freeBytes: 130462928 * 1024, swapTotalBytes: 0, swapUsedBytes: 0 });
    expect(m.warnings).toEqual([]);
  });
  it('missing MemTotal warns; values stay undefined, never 0', () => {
    const m = parseProcMeminfo('MemFree: 10 kB\nbad line\n');
    expect(m.totalBytes).toBeUndefined();
    expect(m.availableBytes).toBeUndefined();
    expect(m.swapUsedBytes).toBeUndefined();
    expect(m.warnings).toHaveLength(2);
  });
});

describe('/proc/diskstats', () => {
  it('the dev VM: vda only (loop, zram skipped), sectors × 512', () => {
    expect(parseDiskstats(CAPTURED.diskstats)).toEqual({ disks: [{ name: 'vda', readBytes: 1947050 * 512, writeBytes: 1122896 * 512 }], warnings: [] });
  });
  it.each([
    ['sda', true, undefined], ['sdaa', true, undefined], ['sda1', true, 'sda'], ['nvme0n1', true, undefined], ['nvme0n1p2', true, 'nvme0n1'],
    ['vdb', true, undefined], ['vdb3', true, 'vdb'], ['md0', true, undefined], ['md127p1', true, 'md127'], ['dm-3', true, undefined],
    ['zd16', true, undefined], ['zd16p1', true, 'zd16'], ['loop0', false, undefined], ['ram0', false, undefined], ['zram0', false, undefined],
    ['sr0', false, undefined], ['nbd0', false, undefined],
  ])('%s shown=%s parent=%s', (name, shown, parent) => {
    expect(isShownDisk(name)).toBe(shown);
    expect(partitionParent(name)).toBe(parent);
  });
  it('drops partitions of listed disks, keeps an orphan partition', () => {
    const line = (n: string, r: number) => `8 0 ${n} 1 0 ${r} 0 1 0 ${r * 2} 0 0 0 0`;
    const d = parseDiskstats([line('sda', 10), line('sda1', 9), line('sdb2', 4), line('nvme0n1', 3), line('nvme0n1p1', 3), 'garbage'].join('\n'));
    expect(d.disks.map((x) => x.name)).toEqual(['sda', 'sdb2', 'nvme0n1']);
    expect(d.disks[1]).toEqual({ name: 'sdb2', readBytes: 4 * 512, writeBytes: 8 * 512 });
    expect(d.warnings).toHaveLength(1);
  });
});

describe('/proc/net/dev', () => {
  it('skips lo and the headers', () => {
    expect(parseNetDev(CAPTURED.netdev)).toEqual({
      net: [{ iface: 'ifb0', rxBytes: 0, txBytes: 0 }, { iface: 'eth0', rxBytes: 508055516, txBytes: 1483796 }],
      warnings: [],
    });
  });
  it('an interface name glued to its counter ("eth0:123") still reads', () => {
    expect(parseNetDev('eth0:123 1 0 0 0 0 0 0 456 2 0 0 0 0 0 0\n').net).toEqual([{ iface: 'eth0', rxBytes: 123, txBytes: 456 }]);
  });
});

describe('ratePerSec', () => {
  it('bytes/s over the elapsed ms; undefined on reset or no time', () => {
    expect(ratePerSec(1000, 3000, 500)).toBe(4000);
    expect(ratePerSec(undefined, 3000, 500)).toBeUndefined();
    expect(ratePerSec(3000, 1000, 500)).toBeUndefined();
    expect(ratePerSec(1000, 3000, 0)).toBeUndefined();
  });
});

describe('fuzz: parsers never throw', () => {
  const demoVars = systemDemo.vars(123.4);
  const inputs: [string, string][] = [
    ...Object.entries(CAPTURED),
    ['h100 proc-meminfo', fixture('numa', 'h100-host', 'proc-meminfo.txt')],
    ...systemDemo.files.map((f): [string, string] => [`demo ${f.path}`, fillTemplate(f.content, demoVars)]),
    ...(haveSamples ? sampleFiles('numa').map((f): [string, string] => [basename(f), readSample(f)]) : []),
  ];
  it.each(inputs)('%s × 300 mutations', (_name, text) => {
    let n = 0;
    for (const m of mutations(text, 300, 11)) {
      const s = parseProcStat(m);
      for (const c of s.cores) expect(c.times.busy).toBeLessThanOrEqual(c.times.total);
      const mi = parseProcMeminfo(m);
      expect(Number.isNaN(mi.totalBytes)).toBe(false);
      expect(mi.swapUsedBytes === undefined || mi.swapUsedBytes >= 0).toBe(true);
      parseLoadavg(m); parseUptime(m); parseHostname(m);
      for (const d of parseDiskstats(m).disks) expect(Number.isFinite(d.readBytes)).toBe(true);
      for (const x of parseNetDev(m).net) expect(x.iface).not.toBe('lo');
      n++;
    }
    expect(n).toBe(300);
  });
});
