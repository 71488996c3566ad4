/**
 * The recovery actions alive on the demo box: prepare()/perform() with the demo runner (the box they change), its
 * live readings (readSamples through that runner) and the real authority on a temp state dir, as `sov --demo` runs
 * them. What an action did shows in the next reading.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuPersistence, gpuReset } from '../../src/actions/gpu.js';
import { readSamples } from '../../src/actions/readings.js';
import { stackPhoenix, stackRestart } from '../../src/actions/stack.js';
import type { Action, ActionCtx } from '../../src/actions/types.js';
import { zfsRollback } from '../../src/actions/zfs-rollback.js';
import { ZFS_ACTIONS, ZFS_DEVICE_ACTIONS, zfsClear, zfsSnapshot } from '../../src/actions/zfs.js';
import { omniDemo } from '../../src/demo/omni/index.js';
import { demoConfig } from '../../src/demo/config.js';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import { createAuthority } from '../../src/recovery/authority.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';
import type { Confirmation } from '../../src/recovery/types.js';
import { createDemoRunner } from '../../src/runner/demo.js';
import { dataOf } from '../../src/store/selectors.js';

const root = mkdtempSync(join(tmpdir(), `sov-demo-act-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function demo() {
  let clock = Date.now();
  const runner = createDemoRunner(omniDemo, { clock: () => clock });
  const dir = join(root, `d${++n}`);
  const recovery = createAuthority({ stateDir: dir });
  const key = () => { const k = readKey(join(dir, 'tripcode.key')); if (!k.ok) throw new Error(k.reason); return k.key; };
  const lines: string[] = [];
  const ctx = async (args: Record<string, string>): Promise<ActionCtx> => ({
    readOnly: false, setLogs: () => {}, runner, host: runner.host, samples: await readSamples(runner, undefined, 5000), recovery,
    who: { uid: 0, user: 'demo', via: 'demo' }, demo: true, args, noLink: 'the demo box has no daemon', output: (l) => lines.push(l),
  });
  const act = async (a: Action, args: Record<string, string>, c: Confirmation) => perform(await prepare(a, await ctx(args)), c);
  const audit = () => readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { runner, ctx, act, key, lines, audit, advance: (s: number) => { clock += s * 1000; } };
}

describe('zfs actions on the demo box', () => {
  it('scrub start shows progress in the next readings; pause and stop follow it', async () => {
    const d = demo();
    const r = await d.act(ZFS_ACTIONS[0]!, { pool: 'rpool' }, { kind: 'yes' });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(r.post[0]).toMatchObject({ name: 'scrub running', state: 'pass' });
    d.advance(60);
    const c = await d.ctx({ pool: 'rpool' });
    const scan = dataOf(c.samples!.zfs)!.pools.find((p) => p.name === 'rpool')!.scan;
    expect(scan.state).toBe('running');
    expect(scan.pct!).toBeGreaterThan(15);
    expect((await d.act(ZFS_ACTIONS[1]!, { pool: 'rpool' }, { kind: 'yes' })).post[0]).toMatchObject({ name: 'scrub paused', state: 'pass' });
    expect((await d.act(ZFS_ACTIONS[2]!, { pool: 'rpool' }, { kind: 'yes' })).post[0]).toMatchObject({ name: 'scrub stopped', state: 'pass' });
    // ember resilvers: refused before anything runs, with the evidence
    const ember = await prepare(ZFS_ACTIONS[0]!, await d.ctx({ pool: 'ember' }));
    expect(ember.refused?.reason).toMatch(/ember: a resilver is running \(\d+\.\d+%\)/);
    expect(d.audit().filter((e) => e.kind === 'end').map((e) => e.outcome)).toEqual(['ok', 'ok', 'ok']);
  });

  it('a scrub that found checksum errors, then clear: the counters are back at zero', async () => {
    const d = demo();
    await d.act(ZFS_ACTIONS[0]!, { pool: 'rpool' }, { kind: 'yes' });
    d.advance(200);
    const c = await d.ctx({ pool: 'rpool' });
    expect(dataOf(c.samples!.zfs)!.lints.find((l) => l.target === 'rpool')?.message).toMatch(/checksum errors on nvme1n1p3/);
    const r = await d.act(zfsClear, { pool: 'rpool' }, { kind: 'yes' });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(r.post).toEqual([{ name: 'pool ONLINE', state: 'pass', detail: 'rpool is ONLINE' }, { name: 'error counters zero', state: 'pass', detail: 'every device at 0 0 0' }]);
  });

  it('clear on ember says loudly that the pool is still DEGRADED (its resilver), and records it', async () => {
    const d = demo();
    const r = await d.act(zfsClear, { pool: 'ember' }, { kind: 'yes' });
    expect(r.outcome).toBe('post-failed');
    expect(r.result.message).toMatch(/POSTCONDITION FAILED: pool ONLINE: ember is DEGRADED/);
  });

  it('device offline/online: typed target, the pool degrades and comes back', async () => {
    const d = demo();
    const [off, on] = ZFS_DEVICE_ACTIONS as [Action, Action];
    const o = await d.act(off, { pool: 'rpool', device: 'nvme1n1p3' }, { kind: 'typed', text: 'nvme1n1p3' });
    expect(o.outcome, o.result.message).toBe('ok');
    expect(o.post).toEqual([{ name: 'device OFFLINE', state: 'pass', detail: 'nvme1n1p3 is OFFLINE' }]);
    const last = await prepare(off, await d.ctx({ pool: 'rpool', device: 'nvme0n1p3' }));
    const refusedByZpool = await perform(last, { kind: 'typed', text: 'nvme0n1p3' });
    expect(refusedByZpool.result.message).toMatch(/no valid replicas/);
    const b = await d.act(on, { pool: 'rpool', device: 'nvme1n1p3' }, { kind: 'typed', text: 'nvme1n1p3' });
    expect(b.post.map((c) => [c.name, c.state])).toEqual([['device ONLINE', 'pass'], ['pool ONLINE', 'pass']]);
  });

  it('snapshot, then a rollback by the RECOVERY:REVERT_SNAPSHOT tripcode keeps the state before', async () => {
    const d = demo();
    const s = await d.act(zfsSnapshot, { dataset: 'ember/vm', name: 'before-test' }, { kind: 'yes' });
    expect(s.outcome, s.result.message).toBe('ok');
    const target = 'ember/vm@nightly-2026-11-21';
    const p = await prepare(zfsRollback, await d.ctx({ snapshot: target }));
    expect(p.checks.map((c) => `${c.name}:${c.state}`)).toEqual([
      'zfs source:pass', 'dataset exists:pass', 'snapshot exists:pass', 'no child datasets:pass', 'names free:pass', 'mountpoint inherited:pass', 'disk headroom:pass',
    ]);
    const r = await perform(p, { kind: 'tripcode', payload: sign(d.key(), `RECOVERY:REVERT_SNAPSHOT::${target}`, Math.floor(Date.now() / 1000)) });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(d.lines.filter((l) => /^\d\/5 /.test(l))).toHaveLength(5);
    const list = (await d.runner.run(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation'])).stdout;
    expect(list).toMatch(/^ember\/vm-sov-pre-rollback-\d{8}T\d{6}Z@before-test$/m);
    expect(list).toMatch(/^ember\/vm-sov-pre-rollback-(\d{8}T\d{6}Z)@sov-pre-rollback-\1$/m);
    // a boot environment with its own mountpoint, a pool root: refused with the reason
    expect((await prepare(zfsRollback, await d.ctx({ snapshot: 'rpool/ROOT/debian@pre-upgrade-2026-11-01' }))).refused?.reason).toMatch(/has its own mountpoint \(\/\)/);
    expect((await prepare(zfsRollback, await d.ctx({ snapshot: 'ember@x' }))).refused?.reason).toMatch(/root dataset/);
    // the cockpit can offer the snapshots it has seen
    expect(zfsRollback.argChoices!(await d.ctx({}), 'snapshot')).toContain('ember/models@2026-11-20');
  });
});

describe('GPU and stack actions on the demo box', () => {
  it('persistence on GPU1 flips; a reset is refused while vLLM holds it', async () => {
    const d = demo();
    const r = await d.act(gpuPersistence, { gpu: '1' }, { kind: 'typed', text: 'gpu1' });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(r.post).toEqual([{ name: 'persistence mode on', state: 'pass', detail: 'GPU 1: persistence mode on' }]);
    const reset = await prepare(gpuReset, await d.ctx({ gpu: '1' }));
    expect(reset.refused?.reason).toMatch(/GPU 1 is held by pid 5151 python3 -m vllm.entrypoints.openai.api_server/);
    expect(gpuReset.argChoices!(await d.ctx({}), 'gpu')).toEqual(['0', '1']);
  });

  it('without the simulated engines (no link) Phoenix and the stack restart are refused before anything runs', async () => {
    const d = demo();
    for (const [a, c] of [[stackPhoenix, { kind: 'tripcode', payload: sign(d.key(), 'RECOVERY:PHOENIX', Math.floor(Date.now() / 1000)) }], [stackRestart, { kind: 'typed', text: 'stack' }]] as const) {
      const p = await prepare(a, { ...(await d.ctx({})), config: demoConfig() });
      expect(p.refused, a.id).toEqual({ code: 'unavailable', reason: "the stack is the daemon's to restart: the demo box has no daemon" });
      const r = await perform(p, c);
      expect(r.outcome, a.id).toBe('refused');
    }
    expect(d.lines).toEqual([]);
  });

  it('in the cockpit the demo has simulated engines: the stack restart goes through them and stops at the one that crashes', async () => {
    const d = demo();
    const link = createDemoEnginesLink({ now: Date.now });
    const ctx = { ...(await d.ctx({})), link, config: demoConfig() };
    const p = await prepare(stackRestart, ctx);
    expect(p.checks.map((c) => `${c.name}:${c.state}`)).toEqual(['engines configured:pass', 'daemon:pass']);
    const r = await perform(p, { kind: 'typed', text: 'stack' });
    expect(r.outcome).toBe('failed');
    expect(r.result.message).toMatch(/^stack restart: 2 of 4 steps ran, 1 not run; FAILED at "restart ktransformers/);
    expect(r.result.message).toMatch(/3\. restart ktransformers, wait for healthy \(≤ 300 s\): failed — ktransformers is backoff \(exit/);
    expect(r.result.message).toMatch(/4\. restart ramalama-worker.*: not run — ktransformers did not come back/);
    expect((await link.call('engines.list', {})).filter((e) => e.name === 'llama' || e.name === 'vllm').map((e) => e.state)).toEqual(['healthy', 'healthy']);
  }, 60_000);
});
