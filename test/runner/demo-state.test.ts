/**
 * The demo box changes when acted on, through the same runner the real backends read it with: the zfs and nvidia
 * sources parse what a mutating command did. Each runner has its own box.
 */
import { describe, expect, it } from 'vitest';
import { zfsBackend } from '../../backends/zfs/index.js';
import type { Pool, ZfsData } from '../../backends/zfs/types.js';
import { parseQX } from '../../backends/nvidia/parse.js';
import { omniDemo } from '../../src/demo/omni/index.js';
import { createDemoRunner } from '../../src/runner/demo.js';
import type { Runner } from '../../backends/types.js';

function box() {
  let clock = 1_750_000_000_000;
  const runner = createDemoRunner(omniDemo, { clock: () => clock });
  const src = zfsBackend.create(runner);
  return {
    runner,
    advance: (sec: number) => { clock += sec * 1000; },
    async zfs(): Promise<ZfsData> {
      const a = await src.sample();
      if (a.state !== 'ok') throw new Error(JSON.stringify(a));
      return a.data;
    },
    run: (...argv: string[]) => runner.run(argv),
  };
}
const pool = (d: ZfsData, name: string): Pool => d.pools.find((p) => p.name === name)!;
const leaf = (p: Pool, name: string) => {
  let hit: Pool['vdevs'][number] | undefined;
  const walk = (vs: Pool['vdevs']) => { for (const v of vs) { if (v.name === name) hit = v; walk(v.children); } };
  walk(p.vdevs);
  return hit!;
};
const snapshots = async (r: Runner) => (await r.run(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation'])).stdout.trim().split('\n');

describe('the demo ZFS changes when acted on', () => {
  it('a started scrub advances over minutes, finds two checksum errors at 60 %, finishes; zpool clear clears them', async () => {
    const b = box();
    expect(pool(await b.zfs(), 'rpool').scan).toMatchObject({ kind: 'scrub', state: 'finished' });
    expect(await b.run('zpool', 'scrub', 'rpool')).toMatchObject({ exitCode: 0, stdout: '' });
    b.advance(30);
    const s1 = pool(await b.zfs(), 'rpool').scan;
    expect(s1).toMatchObject({ kind: 'scrub', state: 'running' });
    expect(s1.pct!).toBeGreaterThan(5);
    expect(s1.pct!).toBeLessThan(15);
    expect(s1.etaSeconds!).toBeGreaterThan(200);
    b.advance(150);
    const d2 = await b.zfs();
    const s2 = pool(d2, 'rpool').scan;
    expect(s2.pct!).toBeGreaterThan(60);
    expect(leaf(pool(d2, 'rpool'), 'nvme1n1p3').cksum).toBe(2);
    expect(pool(d2, 'rpool').status).toMatch(/unrecoverable error/);
    expect(d2.lints.some((l) => l.target === 'rpool' && /checksum errors on nvme1n1p3/.test(l.message))).toBe(true);
    // a second start while it runs is refused, as zpool refuses it
    const again = await b.run('zpool', 'scrub', 'rpool');
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/currently scrubbing/);
    b.advance(300);
    const d3 = await b.zfs();
    expect(pool(d3, 'rpool').scan).toMatchObject({ kind: 'scrub', state: 'finished', errors: 0 });
    expect(pool(d3, 'rpool').scan.text).toMatch(/repaired 128K/);
    expect(leaf(pool(d3, 'rpool'), 'nvme1n1p3').cksum).toBe(2);
    expect(await b.run('zpool', 'clear', 'rpool')).toMatchObject({ exitCode: 0 });
    const d4 = await b.zfs();
    expect(leaf(pool(d4, 'rpool'), 'nvme1n1p3').cksum).toBe(0);
    expect(pool(d4, 'rpool').status).toBeUndefined();
  });

  it('pause, resume where it stood, stop; no scrub while ember resilvers', async () => {
    const b = box();
    await b.run('zpool', 'scrub', 'rpool');
    b.advance(60);
    expect(await b.run('zpool', 'scrub', '-p', 'rpool')).toMatchObject({ exitCode: 0 });
    const paused = pool(await b.zfs(), 'rpool').scan;
    expect(paused.text).toMatch(/scrub paused since/);
    b.advance(600);
    expect(pool(await b.zfs(), 'rpool').scan.pct).toBe(paused.pct);
    expect((await b.run('zpool', 'scrub', '-p', 'rpool')).stderr).toMatch(/already paused/);
    await b.run('zpool', 'scrub', 'rpool');
    b.advance(10);
    const resumed = pool(await b.zfs(), 'rpool').scan;
    expect(resumed.state).toBe('running');
    expect(resumed.pct!).toBeGreaterThan(paused.pct!);
    expect(await b.run('zpool', 'scrub', '-s', 'rpool')).toMatchObject({ exitCode: 0 });
    expect(pool(await b.zfs(), 'rpool').scan.state).toBe('canceled');
    expect((await b.run('zpool', 'scrub', '-s', 'rpool')).stderr).toMatch(/there is no active scrub/);
    const ember = await b.run('zpool', 'scrub', 'ember');
    expect(ember).toMatchObject({ exitCode: 1, stderr: "cannot scrub ember: currently resilvering\n" });
    expect((await b.run('zpool', 'scrub', 'nope')).stderr).toMatch(/cannot open 'nope': no such pool/);
  });

  it('offline degrades the pool (the last replica is refused); online brings it back with a resilver', async () => {
    const b = box();
    expect(await b.run('zpool', 'offline', 'rpool', 'nvme1n1p3')).toMatchObject({ exitCode: 0 });
    const d = await b.zfs();
    expect(pool(d, 'rpool').health).toBe('DEGRADED');
    expect(leaf(pool(d, 'rpool'), 'nvme1n1p3').state).toBe('OFFLINE');
    expect(pool(d, 'rpool').status).toMatch(/taken offline by the administrator/);
    const last = await b.run('zpool', 'offline', 'rpool', 'nvme0n1p3');
    expect(last).toMatchObject({ exitCode: 1, stderr: 'cannot offline nvme0n1p3: no valid replicas\n' });
    // raidz2-1 already misses one member (the replacing vdev): one more may go, the next may not
    expect((await b.run('zpool', 'offline', 'ember', 'sdg')).exitCode).toBe(0);
    expect((await b.run('zpool', 'offline', 'ember', 'sdh')).stderr).toMatch(/no valid replicas/);
    expect((await b.run('zpool', 'offline', 'rpool', 'sdz')).stderr).toMatch(/no such device in pool/);
    await b.run('zpool', 'online', 'rpool', 'nvme1n1p3');
    const d2 = await b.zfs();
    expect(pool(d2, 'rpool').health).toBe('ONLINE');
    expect(pool(d2, 'rpool').scan).toMatchObject({ kind: 'resilver', state: 'finished' });
  });

  it('snapshots, and the rollback plan: snapshot, clone, set aside, promote, rename', async () => {
    const b = box();
    expect(await snapshots(b.runner)).toContain('ember/vm@nightly-2026-11-21');
    expect((await b.run('zfs', 'snapshot', 'ember/vm@mine')).exitCode).toBe(0);
    expect((await b.run('zfs', 'snapshot', 'ember/vm@mine')).stderr).toMatch(/dataset already exists/);
    expect((await b.run('zfs', 'snapshot', 'ember/none@x')).stderr).toMatch(/dataset does not exist/);
    expect((await snapshots(b.runner)).at(-1)).toBe('ember/vm@mine');
    // plain rollback to an older snapshot is refused, as zfs refuses it
    expect((await b.run('zfs', 'rollback', 'ember/vm@nightly-2026-11-21')).stderr).toMatch(/more recent snapshots/);
    for (const argv of [
      ['zfs', 'snapshot', 'ember/vm@sov-pre-rollback-T'],
      ['zfs', 'clone', 'ember/vm@nightly-2026-11-21', 'ember/vm-sov-rollback-T'],
      ['zfs', 'rename', 'ember/vm', 'ember/vm-sov-pre-rollback-T'],
      ['zfs', 'promote', 'ember/vm-sov-rollback-T'],
      ['zfs', 'rename', 'ember/vm-sov-rollback-T', 'ember/vm'],
    ]) expect(await b.runner.run(argv), argv.join(' ')).toMatchObject({ exitCode: 0 });
    expect(await snapshots(b.runner)).toEqual([
      'rpool/ROOT/debian@pre-upgrade-2026-11-01', 'ember/models@2026-11-20', 'ember/vm@nightly-2026-11-21',
      'ember/vm-sov-pre-rollback-T@nightly-2026-11-22', 'ember/vm-sov-pre-rollback-T@mine', 'ember/vm-sov-pre-rollback-T@sov-pre-rollback-T',
    ]);
    const d = await b.zfs();
    expect(d.datasets.map((x) => x.name)).toContain('ember/vm-sov-pre-rollback-T');
    expect(d.datasets.find((x) => x.name === 'ember/vm')!.mountpoint).toBe('/ember/vm');
    expect((await b.run('zfs', 'rename', 'ember', 'x')).stderr).toMatch(/cannot rename to\/from a pool|parent does not exist/);
  });

  it('every runner is a fresh box; unknown commands still answer loudly', async () => {
    const a = box();
    const b = box();
    await a.run('zpool', 'offline', 'rpool', 'nvme1n1p3');
    expect(pool(await a.zfs(), 'rpool').health).toBe('DEGRADED');
    expect(pool(await b.zfs(), 'rpool').health).toBe('ONLINE');
    expect(await a.run('zpool', 'destroy', 'rpool')).toMatchObject({ exitCode: 127, stderr: expect.stringMatching(/no recorded output/) });
  });
});

describe('the demo GPUs change when acted on', () => {
  it('persistence mode flips and shows in -q -x; a reset is refused while the engine holds the GPU', async () => {
    const b = box();
    const qx = async () => parseQX((await b.run('nvidia-smi', '-q', '-x')).stdout);
    expect((await qx()).gpus.map((g) => g.persistenceMode)).toEqual([true, false]);
    const on = await b.run('nvidia-smi', '-i', '1', '-pm', '1');
    expect(on).toMatchObject({ exitCode: 0, stdout: 'Enabled persistence mode for GPU 00000000:C1:00.0.\nAll done.\n' });
    expect((await qx()).gpus.map((g) => g.persistenceMode)).toEqual([true, true]);
    expect((await b.run('nvidia-smi', '-i', '1', '-pm', '1')).stdout).toMatch(/already Enabled/);
    expect((await b.run('nvidia-smi', '-i', '7', '-pm', '1'))).toMatchObject({ exitCode: 6, stderr: 'No devices were found\n' });
    const reset = await b.run('nvidia-smi', '--gpu-reset', '-i', '1');
    expect(reset.exitCode).toBe(255);
    expect(reset.stderr).toMatch(/GPU 00000000:C1:00.0 is currently in use by another process/);
    expect((await qx()).gpus[1]!.processes.map((p) => p.pid)).toEqual([5151]);
    // a fresh runner starts with GPU1's persistence off again
    expect(parseQX((await box().run('nvidia-smi', '-q', '-x')).stdout).gpus[1]!.persistenceMode).toBe(false);
  });
});
