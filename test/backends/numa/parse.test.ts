import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeDirId, parseCpuList, parseDistanceRow, parseNodeMeminfo, parseNumactlHardware } from '../../../backends/numa/parse.js';
import { parseProcMeminfo } from '../../../backends/system/parse.js';
import { fixture, haveSamples, mutations, readSample, sampleFiles } from '../../helpers/samples.js';

const MiB = 1024 * 1024;
const h100 = (...p: string[]) => fixture('numa', 'h100-host', ...p);

describe('parseCpuList', () => {
  it.each([
    ['0-15', [...Array(16).keys()]],
    ['0-1\n', [0, 1]],
    ['0-3,32-35', [0, 1, 2, 3, 32, 33, 34, 35]],
    ['5', [5]],
    ['0,2,4-5', [0, 2, 4, 5]],
    ['3-4,0-1', [0, 1, 3, 4]],
    ['', []],
    ['\n' + ' '.repeat(4000), []],
  ])('%j', (text, cpus) => {
    const r = parseCpuList(text);
    expect(r.cpus).toEqual(cpus);
    expect(r.warnings).toEqual([]);
  });
  it('warns on garbage and keeps the good parts', () => {
    const r = parseCpuList('0-3,x,9-7,12');
    expect(r.cpus).toEqual([0, 1, 2, 3, 12]);
    expect(r.warnings).toHaveLength(2);
  });
  it('refuses absurd ranges instead of allocating them', () => {
    const r = parseCpuList('0-999999999999');
    expect(r.cpus).toEqual([]);
    expect(r.warnings).toHaveLength(1);
  });
});

describe('sysfs node files (fixtures/numa/h100-host)', () => {
  it('cpulist, padded to 4 KiB by sysfs', () => {
    expect(h100('sys-node', 'node0', 'cpulist').length).toBeGreaterThan(1000);
    expect(parseCpuList(h100('sys-node', 'node0', 'cpulist'))).toEqual({ cpus: [...Array(16).keys()], warnings: [] });
  });
  it('meminfo', () => {
    const r = parseNodeMeminfo(h100('sys-node', 'node0', 'meminfo'), 0);
    expect(r).toEqual({ memTotalBytes: 4943344 * 1024, memFreeBytes: 3425308 * 1024, warnings: [] });
  });
  it('distance', () => {
    expect(parseDistanceRow(h100('sys-node', 'node0', 'distance'))).toEqual({ row: [10], warnings: [] });
    expect(parseDistanceRow('10 21 21 21\n')).toEqual({ row: [10, 21, 21, 21], warnings: [] });
    expect(parseDistanceRow('10 x').warnings).toHaveLength(1);
  });
  it('online/possible are node lists in cpulist syntax', () => {
    expect(parseCpuList(h100('sys-node', 'online')).cpus).toEqual([0]);
    expect(parseCpuList(h100('sys-node', 'possible')).cpus).toEqual([0]);
  });
  it('meminfo warns on a line for another node', () => {
    const r = parseNodeMeminfo('Node 1 MemTotal: 100 kB\nNode 0 MemFree: 5 kB\n', 0);
    expect(r.memTotalBytes).toBeUndefined();
    expect(r.memFreeBytes).toBe(5 * 1024);
    expect(r.warnings).toHaveLength(1);
  });
  it('nodeDirId', () => {
    expect(['node0', 'node12', 'has_cpu', 'online', 'node', 'nodeX', 'power'].map(nodeDirId)).toEqual([0, 12, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('parseNumactlHardware', () => {
  it('the H100 host: one node', () => {
    const r = parseNumactlHardware(h100('numactl-hardware.txt'))!;
    expect(r.nodes).toEqual([{ id: 0, cpus: [...Array(16).keys()], memTotalBytes: 4827 * MiB, memFreeBytes: 3345 * MiB }]);
    expect(r.distances).toEqual([[10]]);
    expect(r.warnings).toEqual([]);
  });
  it('two sockets with a memory-only node', () => {
    const text = [
      'available: 3 nodes (0-2)',
      'node 0 cpus: 0 1 2 3 8 9 10 11',
      'node 0 size: 64298 MB',
      'node 0 free: 1234 MB',
      'node 1 cpus: 4 5 6 7 12 13 14 15',
      'node 1 size: 64507 MB',
      'node 1 free: 60000 MB',
      'node 2 cpus:',
      'node 2 size: 131072 MB',
      'node 2 free: 131000 MB',
      'node distances:',
      'node   0   1   2 ',
      '  0:  10  21  14 ',
      '  1:  21  10  24 ',
      '  2:  14  24  10 ',
    ].join('\n');
    const r = parseNumactlHardware(text)!;
    expect(r.nodes.map((n) => n.id)).toEqual([0, 1, 2]);
    expect(r.nodes[0]!.cpus).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
    expect(r.nodes[2]).toEqual({ id: 2, cpus: [], memTotalBytes: 131072 * MiB, memFreeBytes: 131000 * MiB });
    expect(r.distances).toEqual([[10, 21, 14], [21, 10, 24], [14, 24, 10]]);
    expect(r.warnings).toEqual([]);
  });
  it('sparse node ids map distance columns by id', () => {
    const r = parseNumactlHardware('node 0 cpus: 0\nnode 2 cpus: 1\nnode distances:\nnode 0 2\n 0: 10 20\n 2: 20 10\n')!;
    expect(r.nodes.map((n) => n.id)).toEqual([0, 2]);
    expect(r.distances).toEqual([[10, 20], [20, 10]]);
  });
  it('a broken distance table is dropped with a warning, nodes kept', () => {
    const r = parseNumactlHardware('node 0 cpus: 0\nnode 1 cpus: 1\nnode distances:\nnode 0 1\n 0: 10 20\n')!;
    expect(r.nodes).toHaveLength(2);
    expect(r.distances).toEqual([]);
    expect(r.warnings.join()).toMatch(/distance table incomplete/);
  });
  it('"No NUMA available" → undefined', () => {
    expect(parseNumactlHardware('No NUMA available on this system\n')).toBeUndefined();
  });
});

describe.skipIf(!haveSamples)('../shared/samples/numa (node_exporter sys/proc files)', () => {
  const files = sampleFiles('numa');
  it('holds the expected files', () => {
    expect(files.map((f) => basename(f)).sort()).toEqual([
      'node_exporter-proc-meminfo.txt', 'node_exporter-sys-node0-cpulist.txt',
      'node_exporter-sys-node0-meminfo.txt', 'node_exporter-sys-node1-meminfo.txt',
    ]);
  });
  const byName = (n: string) => readSample(files.find((f) => basename(f) === n)!);
  it('node0 cpulist', () => {
    expect(parseCpuList(byName('node_exporter-sys-node0-cpulist.txt'))).toEqual({ cpus: [0, 1], warnings: [] });
  });
  it('node0 / node1 meminfo', () => {
    expect(parseNodeMeminfo(byName('node_exporter-sys-node0-meminfo.txt'), 0)).toEqual({ memTotalBytes: 134182340 * 1024, memFreeBytes: 53030372 * 1024, warnings: [] });
    expect(parseNodeMeminfo(byName('node_exporter-sys-node1-meminfo.txt'), 1)).toEqual({ memTotalBytes: 134217728 * 1024, memFreeBytes: 39634788 * 1024, warnings: [] });
  });
  it('proc meminfo (an old kernel: no MemAvailable)', () => {
    const m = parseProcMeminfo(byName('node_exporter-proc-meminfo.txt'));
    expect(m.totalBytes).toBe(3742148 * 1024);
    expect(m.availableBytes).toBeUndefined();
    expect(m.swapTotalBytes).toBe(4194300 * 1024);
    expect(m.swapUsedBytes).toBe((4194300 - 3155360) * 1024);
    expect(m.warnings).toEqual([]);
  });
  it('every sample file parses without warnings through its parser', () => {
    for (const f of files) {
      const name = basename(f);
      const text = readSample(f);
      const w = name.includes('cpulist') ? parseCpuList(text).warnings
        : name.includes('sys-node') ? parseNodeMeminfo(text).warnings
          : parseProcMeminfo(text).warnings;
      expect(w, name).toEqual([]);
    }
  });
});

describe('fuzz: parsers never throw', () => {
  const inputs: [string, string][] = [
    ['numactl', h100('numactl-hardware.txt')],
    ['cpulist', h100('sys-node', 'node0', 'cpulist').trim()],
    ['meminfo', h100('sys-node', 'node0', 'meminfo')],
    ['distance', '10 21 21 21\n'],
    ['proc-meminfo', h100('proc-meminfo.txt')],
    ...sampleFiles('numa').map((f): [string, string] => [basename(f), readSample(f)]),
  ];
  it.each(inputs)('%s × 400 mutations', (_name, text) => {
    let n = 0;
    for (const m of mutations(text, 400, 7)) {
      const a = parseNumactlHardware(m);
      if (a) {
        for (const row of a.distances) expect(row).toHaveLength(a.nodes.length);
        for (const node of a.nodes) expect(Number.isNaN(node.memTotalBytes)).toBe(false);
      }
      const c = parseCpuList(m);
      expect(c.cpus.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      const mi = parseNodeMeminfo(m, 0);
      expect(Number.isNaN(mi.memTotalBytes)).toBe(false);
      parseDistanceRow(m);
      n++;
    }
    expect(n).toBe(400);
  });
});
