/**
 * The demo box ×8 (--demo-scale 8, bench's scale run): what the real backends read from it is the size issue 11
 * names — 8 GPUs, 8 NUMA nodes, 200 disks, 500 datasets, 20 engines, one logging 10k lines/s — and ×1 is the demo
 * box itself.
 */
import { describe, expect, it } from 'vitest';
import { numaBackend } from '../../backends/numa/index.js';
import { nvidiaBackend } from '../../backends/nvidia/index.js';
import type { Vdev } from '../../backends/zfs/types.js';
import { zfsBackend } from '../../backends/zfs/index.js';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import { omniDemo, scaledOmniDemo } from '../../src/demo/omni/index.js';
import { createDemoRunner } from '../../src/runner/demo.js';

const leaves = (vs: Vdev[]): number => vs.reduce((n, v) => n + (v.children.length ? leaves(v.children) : 1), 0);

async function ok<T>(p: Promise<{ state: string; data?: T }>): Promise<T> {
  const a = await p;
  if (a.state !== 'ok') throw new Error(`not ok: ${JSON.stringify(a).slice(0, 300)}`);
  return a.data!;
}

describe('the demo box ×8', () => {
  it('8 GPUs (the two models alternating, each its own UUID and bus), 8 NUMA nodes, a 200-disk pool, 500 datasets', async () => {
    const runner = createDemoRunner(scaledOmniDemo(8), { clock: () => 1_750_000_000_000 });
    const nv = nvidiaBackend.create(runner);
    try {
      const g = await ok(nv.sample());
      expect(g.gpus.length).toBe(8);
      expect(new Set(g.gpus.map((x) => x.uuid)).size).toBe(8);
      expect(new Set(g.gpus.map((x) => x.busId)).size).toBe(8);
      expect(g.gpus.map((x) => x.name.includes('5090'))).toEqual([false, true, false, true, false, true, false, true]);
    } finally { nv.dispose(); }
    const numa = await ok(numaBackend.create(runner).sample());
    expect(numa.nodes.length).toBe(8);
    expect(numa.distances[7]).toEqual([32, 32, 32, 32, 32, 32, 12, 10]);
    const z = await ok(zfsBackend.create(runner).sample());
    expect(z.pools.map((p) => [p.name, p.health])).toEqual([['rpool', 'ONLINE'], ['ember', 'DEGRADED'], ['bulk', 'ONLINE']]);
    expect(leaves(z.pools.find((p) => p.name === 'bulk')!.vdevs)).toBe(200);
    expect(z.datasets.length).toBe(500);
  });

  it('20 engines (18 healthy), llama logging 10k lines a second: the log tail moves by that many', async () => {
    let now = 1_750_000_000_000;
    const link = createDemoEnginesLink({ now: () => now, scale: 8 });
    const list = await link.call('engines.list', {});
    expect(list.length).toBe(20);
    expect(list.filter((e) => e.state === 'healthy').length).toBe(18);
    const seq = async () => Number(/request (\d+):/.exec((await link.call('engines.logs', { name: 'llama', lines: 1, search: 'log_server_r' })).lines.at(-1) ?? '')?.[1] ?? 0);
    now += 1000;
    await link.call('engines.list', {});
    const a = await seq();
    now += 2000;
    await link.call('engines.list', {});
    expect((await seq()) - a).toBe(20_000);
    // the log kept is bounded as a daemon's tail is
    expect((await link.call('engines.logs', { name: 'llama', lines: 100_000 })).lines.length).toBeLessThanOrEqual(400);
  });

  it('×1 is the demo box itself: 4 engines, no log flood', async () => {
    expect(scaledOmniDemo(1)).toBe(omniDemo);
    const link = createDemoEnginesLink({ now: () => 1_750_000_000_000 });
    expect((await link.call('engines.list', {})).length).toBe(4);
  });
});
