import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { numaBackend } from '../../../backends/numa/index.js';
import { createNumaSource, NUMACTL_ARGV, SYS_NODE } from '../../../backends/numa/source.js';
import type { NumaData } from '../../../backends/numa/types.js';
import type { Attempt } from '../../../backends/types.js';
import { numaDemo } from '../../../src/demo/omni/numa.js';
import { createDemoRunner } from '../../../src/runner/demo.js';
import { createLocalRunner } from '../../../src/runner/local.js';
import { FakeRunner } from '../../helpers/fake-runner.js';
import { fixture, fixturePath } from '../../helpers/samples.js';

/** A FakeRunner that records every path read, so a test proves what the source touches. */
class TracingRunner extends FakeRunner {
  reads: string[] = [];
  lists: string[] = [];
  override async readFile(path: string) { this.reads.push(path); return super.readFile(path); }
  override async listDir(path: string) { this.lists.push(path); return super.listDir(path); }
}

const ok = (a: Attempt<NumaData>): NumaData => {
  if (a.state !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(a)}`);
  return a.data;
};

/** Loads fixtures/numa/h100-host/sys-node into a runner at /sys/devices/system/node. */
function h100Sysfs(r: FakeRunner): FakeRunner {
  const root = fixturePath('numa', 'h100-host', 'sys-node');
  r.dir(SYS_NODE, [...readdirSync(root), 'has_cpu', 'power', 'uevent']);
  for (const f of ['cpulist', 'meminfo', 'distance']) r.file(`${SYS_NODE}/node0/${f}`, readFileSync(join(root, 'node0', f), 'utf8'));
  return r;
}

describe('numa source over a fake runner', () => {
  it('descriptor', () => {
    expect(numaBackend).toMatchObject({ id: 'numa', title: 'NUMA', intervalMs: 5000 });
    expect(numaBackend.create(new FakeRunner()).id).toBe('numa');
  });

  it('reads sysfs (the H100 host fixture) and nothing else', async () => {
    const r = h100Sysfs(new TracingRunner()) as TracingRunner;
    const d = ok(await createNumaSource(r).sample());
    expect(d.nodes).toEqual([{ id: 0, cpus: [...Array(16).keys()], memTotalBytes: 4943344 * 1024, memFreeBytes: 3425308 * 1024 }]);
    expect(d.distances).toEqual([[10]]);
    expect(d.warnings).toEqual([]);
    expect(r.lists).toEqual([SYS_NODE]);
    expect([...r.reads].sort()).toEqual([`${SYS_NODE}/node0/cpulist`, `${SYS_NODE}/node0/distance`, `${SYS_NODE}/node0/meminfo`]);
    expect(r.calls).toEqual([]);
  });

  it('four nodes with a memory-only node and a missing distance file', async () => {
    const r = new TracingRunner().dir(SYS_NODE, ['node0', 'node1', 'node2', 'node3', 'online']);
    const cpus = ['0-7,16-23', '8-15,24-31', '', '\n'];
    for (let n = 0; n < 4; n++) {
      r.file(`${SYS_NODE}/node${n}/cpulist`, cpus[n]!);
      r.file(`${SYS_NODE}/node${n}/meminfo`, `Node ${n} MemTotal: ${1000 * (n + 1)} kB\nNode ${n} MemFree: ${100 * (n + 1)} kB\n`);
      if (n !== 3) r.file(`${SYS_NODE}/node${n}/distance`, '10 20 30 30');
    }
    const d = ok(await createNumaSource(r).sample());
    expect(d.nodes.map((n) => n.cpus.length)).toEqual([16, 16, 0, 0]);
    expect(d.nodes[3]).toEqual({ id: 3, cpus: [], memTotalBytes: 4000 * 1024, memFreeBytes: 400 * 1024 });
    expect(d.distances).toEqual([]);
    expect(d.warnings.join('\n')).toMatch(/node3\/distance missing/);
    expect(r.reads).toHaveLength(12);
  });

  it('an unreadable file (EACCES) becomes a warning, not a failure', async () => {
    const r = h100Sysfs(new FakeRunner());
    r.file(`${SYS_NODE}/node0/meminfo`, Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    const d = ok(await createNumaSource(r).sample());
    expect(d.nodes[0]!.cpus).toHaveLength(16);
    expect(d.nodes[0]!.memTotalBytes).toBeUndefined();
    expect(d.warnings.join()).toMatch(/EACCES/);
  });

  it('falls back to numactl --hardware when sysfs is absent', async () => {
    const r = new TracingRunner().on({ argv: NUMACTL_ARGV, stdout: fixture('numa', 'h100-host', 'numactl-hardware.txt') });
    const d = ok(await createNumaSource(r).sample());
    expect(r.calls).toEqual([['numactl', '--hardware']]);
    expect(r.reads).toEqual([]);
    expect(d.nodes).toEqual([{ id: 0, cpus: [...Array(16).keys()], memTotalBytes: 4827 * 1024 * 1024, memFreeBytes: 3345 * 1024 * 1024 }]);
  });

  it('falls back to numactl when the sysfs directory has no nodeN entries', async () => {
    const r = new FakeRunner().dir(SYS_NODE, ['online', 'possible']).on({ argv: NUMACTL_ARGV, stdout: fixture('numa', 'h100-host', 'numactl-hardware.txt') });
    expect(ok(await createNumaSource(r).sample()).nodes).toHaveLength(1);
  });

  it('neither sysfs nor numactl → unavailable with a reason and a hint', async () => {
    const r = new FakeRunner().on({ argv: NUMACTL_ARGV, notFound: true });
    const a = await createNumaSource(r).sample();
    expect(a).toMatchObject({ state: 'unavailable', reason: 'no NUMA information: /sys/devices/system/node missing and numactl not installed' });
    expect(a.state === 'unavailable' && a.hint).toMatch(/numactl/);
  });

  it('"No NUMA available" → unavailable', async () => {
    const r = new FakeRunner().on({ argv: NUMACTL_ARGV, exitCode: 1, stderr: 'No NUMA available on this system\n' });
    expect((await createNumaSource(r).sample()).state).toBe('unavailable');
  });

  it('numactl failing or timing out → error; a throwing runner never escapes', async () => {
    const failing = new FakeRunner().on({ argv: NUMACTL_ARGV, exitCode: 2, stderr: 'numactl: boom\n' });
    expect(await createNumaSource(failing).sample()).toEqual({ state: 'error', message: 'numactl --hardware failed: numactl: boom' });
    const slow = new FakeRunner().on({ argv: NUMACTL_ARGV, exitCode: null, timedOut: true });
    expect((await createNumaSource(slow).sample()).state).toBe('error');
    const bare = new FakeRunner(); // run() throws on the unknown argv
    expect((await createNumaSource(bare).sample()).state).toBe('error');
    const throwingList = new FakeRunner().on({ argv: NUMACTL_ARGV, notFound: true });
    throwingList.listDir = async () => { throw Object.assign(new Error('EACCES'), { code: 'EACCES' }); };
    expect((await createNumaSource(throwingList).sample()).state).toBe('unavailable');
  });
});

describe('numa source over the OMNI demo box', () => {
  it('4 nodes, 64 CPUs, 512 GiB, distances 10/12/32; free memory moves', async () => {
    let now = 5_000;
    const src = createNumaSource(createDemoRunner(numaDemo, { clock: () => now }));
    const a = ok(await src.sample());
    expect(a.warnings).toEqual([]);
    expect(a.nodes.map((n) => n.id)).toEqual([0, 1, 2, 3]);
    expect(a.nodes.map((n) => `${n.cpus[0]}-${n.cpus.at(-1)}`)).toEqual(['0-15', '16-31', '32-47', '48-63']);
    expect(a.nodes.flatMap((n) => n.cpus)).toEqual([...Array(64).keys()]);
    expect(a.nodes.reduce((s, n) => s + n.memTotalBytes!, 0)).toBe(512 * 1024 ** 3);
    for (const n of a.nodes) expect(n.memFreeBytes! > 0 && n.memFreeBytes! < n.memTotalBytes!).toBe(true);
    // node0/node1 hold the model: far less free than node2/node3
    expect(a.nodes[0]!.memFreeBytes! + a.nodes[1]!.memFreeBytes!).toBeLessThan(a.nodes[2]!.memFreeBytes!);
    expect(a.distances).toEqual([[10, 12, 32, 32], [12, 10, 32, 32], [32, 32, 10, 12], [32, 32, 12, 10]]);
    now += 20_000;
    const b = ok(await src.sample());
    expect(b.nodes[0]!.memFreeBytes).not.toBe(a.nodes[0]!.memFreeBytes);
  });

  it('the demo numactl output agrees with the demo sysfs', async () => {
    const runner = createDemoRunner(numaDemo, { clock: () => 0 });
    const viaNumactl = await createNumaSource({ ...runner, listDir: async () => undefined }).sample();
    const viaSys = await createNumaSource(runner).sample();
    const a = ok(viaNumactl), b = ok(viaSys);
    expect(a.warnings).toEqual([]);
    expect(a.distances).toEqual(b.distances);
    expect(a.nodes.map((n) => n.cpus)).toEqual(b.nodes.map((n) => n.cpus));
    expect(a.nodes.map((n) => n.memTotalBytes)).toEqual(b.nodes.map((n) => n.memTotalBytes));
  });
});

describe.skipIf(process.platform !== 'linux')('numa source on this machine (local runner)', () => {
  it('finds at least one node with CPUs and memory', async () => {
    const a = await createNumaSource(createLocalRunner()).sample();
    if (!existsSync('/sys/devices/system/node')) { expect(['ok', 'unavailable']).toContain(a.state); return; }
    const d = ok(a);
    expect(d.nodes.length).toBeGreaterThanOrEqual(1);
    expect(d.nodes.flatMap((n) => n.cpus).length).toBeGreaterThanOrEqual(1);
    expect(d.nodes.some((n) => (n.memTotalBytes ?? 0) > 0)).toBe(true);
    for (const row of d.distances) expect(row).toHaveLength(d.nodes.length);
  });
});
