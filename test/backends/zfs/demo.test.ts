import { describe, expect, it } from 'vitest';
import { zfsBackend } from '../../../backends/zfs/index.js';
import type { ZfsData } from '../../../backends/zfs/types.js';
import { omniDemo } from '../../../src/demo/omni/index.js';
import { zfsDemo, zfsResilverPct } from '../../../src/demo/omni/zfs.js';
import { createDemoRunner } from '../../../src/runner/demo.js';

async function at(seconds: number[]): Promise<ZfsData[]> {
  let clock = 1_750_000_000_000;
  const runner = createDemoRunner(zfsDemo, { clock: () => clock });
  const s = zfsBackend.create(runner);
  const out: ZfsData[] = [];
  let last = 0;
  for (const t of seconds) {
    clock += (t - last) * 1000;
    last = t;
    const a = await s.sample();
    if (a.state !== 'ok') throw new Error(`demo sample not ok: ${JSON.stringify(a)}`);
    out.push(a.data);
  }
  return out;
}

describe('zfs on the OMNI demo box', () => {
  it('ember is DEGRADED with a resilver running; rpool ONLINE after a clean scrub', async () => {
    const [d] = await at([0]);
    expect(d!.dialect).toBe('openzfs');
    expect(d!.warnings).toEqual([]);
    expect(d!.pools.map((p) => [p.name, p.health])).toEqual([['rpool', 'ONLINE'], ['ember', 'DEGRADED']]);
    const rpool = d!.pools[0]!;
    expect(rpool.scan).toMatchObject({ kind: 'scrub', state: 'finished', errors: 0 });
    expect(rpool.sizeBytes! / 1e12).toBeCloseTo(1.99, 1);
    expect(rpool.vdevs.map((v) => [v.name, v.kind, v.children.length])).toEqual([['mirror-0', 'mirror', 2]]);
    const ember = d!.pools[1]!;
    expect(ember.scan).toMatchObject({ kind: 'resilver', state: 'running', pct: 37.12 });
    expect(ember.vdevs.map((v) => [v.name, v.kind, v.class, v.state])).toEqual([
      ['raidz2-0', 'raidz2', 'data', 'ONLINE'], ['raidz2-1', 'raidz2', 'data', 'DEGRADED'], ['mirror-2', 'mirror', 'special', 'ONLINE'],
    ]);
    expect(ember.vdevs[0]!.children).toHaveLength(6);
    const replacing = ember.vdevs[1]!.children.find((c) => c.kind === 'replacing')!;
    expect(replacing.name).toBe('replacing-3');
    expect(replacing.children.map((c) => [c.state, c.note])).toEqual([
      ['UNAVAIL', expect.stringMatching(/^was \/dev\/disk\/by-id\//)], ['ONLINE', '(resilvering)'],
    ]);
  });

  it('the resilver advances and its ETA shrinks with demo time', async () => {
    const ds = await at([0, 60, 600]);
    const scans = ds.map((d) => d.pools.find((p) => p.name === 'ember')!.scan);
    expect(scans.every((s) => s.state === 'running')).toBe(true);
    expect(scans[1]!.pct!).toBeGreaterThan(scans[0]!.pct!);
    expect(scans[2]!.pct!).toBeGreaterThan(scans[1]!.pct!);
    expect(scans[2]!.etaSeconds!).toBeLessThan(scans[0]!.etaSeconds!);
    expect(zfsResilverPct(1e7)).toBeLessThan(100); // a long soak keeps a resilver running
  });

  it('ARC ~180 GiB of 256 GiB with a moving ~97 % hit ratio', async () => {
    const ds = await at([0, 5, 30]);
    for (const d of ds) {
      expect(d.arc!.maxBytes).toBe(256 * 2 ** 30);
      expect(d.arc!.sizeBytes! / 2 ** 30).toBeGreaterThan(170);
      expect(d.arc!.sizeBytes! / 2 ** 30).toBeLessThan(190);
      expect(d.arc!.hitRatioPct!).toBeGreaterThan(95);
      expect(d.arc!.hitRatioPct!).toBeLessThan(99);
    }
    expect(new Set(ds.map((d) => d.arc!.hitRatioPct)).size).toBeGreaterThan(1);
  });

  it('datasets and the lints they trigger', async () => {
    const [d] = await at([0]);
    expect(d!.datasets.map((x) => x.name)).toEqual(['rpool', 'rpool/ROOT', 'rpool/ROOT/debian', 'ember', 'ember/models', 'ember/models/gguf', 'ember/vm', 'ember/scratch']);
    expect(d!.datasets.find((x) => x.name === 'ember/models')).toMatchObject({ recordsizeBytes: 1 << 20, compression: 'lz4', atime: 'off' });
    const by = (t: string) => d!.lints.filter((l) => l.target === t).map((l) => l.severity);
    expect(by('ember')).toEqual(['warn']);
    expect(by('ember/vm')).toEqual(['warn']);
    expect(d!.lints.find((l) => l.target === 'ember/vm')!.message).toContain('every block of this dataset goes to the special vdev');
    expect(by('ember/scratch').sort()).toEqual(['info', 'warn']);
    expect(by('rpool')).toEqual([]);
    expect(by('ember/models')).toEqual([]);
  });

  it('the OMNI box carries the zfs script (the backend needs no other command)', async () => {
    const runner = createDemoRunner(omniDemo, { clock: () => 0 });
    const a = await zfsBackend.create(runner).sample();
    expect(a.state).toBe('ok');
  });
});
