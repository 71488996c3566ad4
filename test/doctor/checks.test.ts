import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAST_FIELDS, parseQueryCsv, parseQX } from '../../backends/nvidia/parse.js';
import type { Gpu, NvidiaData } from '../../backends/nvidia/types.js';
import type { Pool, Vdev, ZfsData } from '../../backends/zfs/types.js';
import type { EngineStatus } from '../../src/daemon/types.js';
import { parseBlueprint, type Blueprint } from '../../src/doctor/blueprint.js';
import { exitOf, runChecks, summarize, type Readings, type Row } from '../../src/doctor/checks.js';
import type { BenchResult } from '../../src/engines/bench.js';
import type { Samples } from '../../src/store/types.js';
import { fixture, samplesDir } from '../helpers/samples.js';

const NOW = 1_800_000_000_000;
const ok = <T>(data: T, at = NOW - 1000) => ({ state: 'ok' as const, data, at, tookMs: 5 });
const bp = (yaml: string): Blueprint => {
  const r = parseBlueprint(yaml);
  if (!r.ok) throw new Error(r.text);
  return r.blueprint;
};
const readings = (samples: Partial<Samples>, extra: Partial<Readings> = {}): Readings => ({ samples, now: NOW, staleMs: 15_000, ...extra });
const byId = (rows: Row[], id: string) => {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id} in ${rows.map((x) => x.id).join(', ')}`);
  return r;
};

const gpu = (index: number, o: Partial<Gpu> = {}): Gpu => ({
  index, uuid: `GPU-${index}`, name: 'NVIDIA GeForce RTX 5090', utilPct: 90, pstate: 'P0', memUsedBytes: 20 * 2 ** 30, memTotalBytes: 32 * 2 ** 30,
  pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 }, throttleReasons: [], processes: [], ...o,
});
const nv = (...gpus: Gpu[]): NvidiaData => ({ gpus, warnings: [] });

describe('GPU checks', () => {
  const want = bp('name: t\ngpus: { count: 2, model: RTX, pcie: { gen: 5, width: 16 }, minFreeVramGiB: 20 }\n');

  it('PCIe: at the blueprint under load passes; down-trained under load fails with the reading; idle downshift is unknown', () => {
    const rows = runChecks(want, readings({ nvidia: ok(nv(
      gpu(0),
      gpu(1, { pcie: { genCurrent: 4, genMax: 5, widthCurrent: 16, widthMax: 16 } }),
    )) }));
    expect(byId(rows, 'gpu.0.pcie').status).toBe('PASS');
    const g1 = byId(rows, 'gpu.1.pcie');
    expect(g1).toMatchObject({ status: 'FAIL', evidence: expect.stringMatching(/Gen4 x16 of Gen5 x16 under load \(util 90 %, P0\)/) });
    expect(g1.hint).toMatch(/riser|BIOS/);
    const idle = runChecks(want, readings({ nvidia: ok(nv(gpu(0, { utilPct: 0, pstate: 'P8', pcie: { genCurrent: 1, genMax: 5, widthCurrent: 16, widthMax: 16 } }))) }));
    expect(byId(idle, 'gpu.0.pcie')).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringMatching(/idle.*downshifts to save power.*Gen1 x16/) });
  });

  it('PCIe: a link whose maximum is below the blueprint fails even idle; an unreported link is unknown', () => {
    const rows = runChecks(want, readings({ nvidia: ok(nv(
      gpu(0, { utilPct: 0, pcie: { genCurrent: 1, genMax: 4, widthCurrent: 8, widthMax: 8 } }),
      gpu(1, { pcie: {} }),
    )) }));
    expect(byId(rows, 'gpu.0.pcie')).toMatchObject({ status: 'FAIL', evidence: expect.stringContaining('only Gen4 x8') });
    expect(byId(rows, 'gpu.1.pcie')).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('not reported') });
  });

  it('count, model and per-GPU overrides; a GPU named in `each` that is not visible fails', () => {
    const b = bp('name: t\ngpus:\n  count: 3\n  model: RTX\n  each:\n    - { index: 1, model: "5090" }\n    - { index: 2, model: H100 }\n');
    const rows = runChecks(b, readings({ nvidia: ok(nv(gpu(0, { name: 'NVIDIA RTX PRO 6000' }), gpu(1, { name: 'NVIDIA RTX A4000' }))) }));
    expect(byId(rows, 'gpu.count')).toMatchObject({ status: 'FAIL', evidence: expect.stringMatching(/^2 GPUs: GPU0 NVIDIA RTX PRO 6000, GPU1/) });
    expect(byId(rows, 'gpu.0.model').status).toBe('PASS');
    expect(byId(rows, 'gpu.1.model')).toMatchObject({ status: 'FAIL', check: 'GPU1 is a 5090', evidence: 'NVIDIA RTX A4000' });
    expect(byId(rows, 'gpu.2.model')).toMatchObject({ status: 'FAIL', check: 'GPU2 visible' });
  });

  it('free VRAM: enough under load passes, short fails (even idle), enough while idle is unknown', () => {
    const loaded = runChecks(want, readings({ nvidia: ok(nv(gpu(0), gpu(1))) }));
    expect(byId(loaded, 'gpu.vram.free')).toMatchObject({ status: 'PASS', evidence: expect.stringMatching(/^24\.0 GiB free \(GPU0 12\.0 GiB, GPU1 12\.0 GiB\) under load/) });
    const short = runChecks(bp('name: t\ngpus: { minFreeVramGiB: 80 }\n'), readings({ nvidia: ok(nv(gpu(0, { utilPct: 0 }))) }));
    expect(byId(short, 'gpu.vram.free')).toMatchObject({ status: 'FAIL', evidence: expect.stringContaining('while idle') });
    const idle = runChecks(want, readings({ nvidia: ok(nv(gpu(0, { utilPct: 0, memUsedBytes: 0 }))) }));
    expect(byId(idle, 'gpu.vram.free')).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('not measured during inference') });
  });

  it('real captured H100 output: Gen5 x16 under load passes a Gen5 blueprint; the idle capture passes too (its link stayed at Gen5)', () => {
    const load = parseQueryCsv(fixture('nvidia', 'h100-real', 'query-gpu-lms500-load.csv').split('\n')[0]!, FAST_FIELDS);
    const idle = parseQueryCsv(fixture('nvidia', 'h100-real', 'query-gpu-lms500-idle.csv').split('\n')[0]!, FAST_FIELDS);
    const b = bp('name: t\ngpus: { count: 1, model: H100, pcie: { gen: 5, width: 16 } }\n');
    const l = runChecks(b, readings({ nvidia: ok(nv(...load.gpus)) }));
    expect(l.map((r) => r.status)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(byId(l, 'gpu.0.pcie').evidence).toMatch(/under load \(util 100 %/);
    expect(byId(runChecks(b, readings({ nvidia: ok(nv(...idle.gpus)) })), 'gpu.0.pcie').evidence).toMatch(/idle: util 0 %/);
  });

  it.runIf(existsSync(join(samplesDir, 'nvidia', 'telegraf-rtx-3090-v13-drv590.xml')))('real captured RTX 3090 at Gen1 while idle: unknown, never a pass or a fail', () => {
    const d = parseQX(readFileSync(join(samplesDir, 'nvidia', 'telegraf-rtx-3090-v13-drv590.xml'), 'utf8'));
    const rows = runChecks(bp('name: t\ngpus: { pcie: { gen: 4 } }\n'), readings({ nvidia: ok(d) }));
    expect(rows).toHaveLength(d.gpus.length);
    expect(rows[0]).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('Gen1') });
  });
});

describe('a source that is missing, pending, unavailable, errored or stale is UNKNOWN with why, never PASS', () => {
  const want = bp('name: t\ngpus: { count: 1, pcie: { gen: 5 } }\nnuma: { nodes: 1 }\nmemory: { totalGiB: 1 }\n');
  const good = nv(gpu(0));
  const cases: [string, Partial<Samples>, RegExp][] = [
    ['not read', {}, /nvidia: not read here/],
    ['pending', { nvidia: { state: 'pending' } }, /no reading yet/],
    ['unavailable', { nvidia: { state: 'unavailable', reason: 'nvidia-smi not found on PATH', hint: 'install the driver', at: NOW } }, /nvidia unavailable: nvidia-smi not found on PATH \(install the driver\)/],
    ['error with last good', { nvidia: { state: 'error', message: 'exit 9', at: NOW, failures: 2, lastGood: { data: good, at: NOW - 60_000 } } }, /nvidia error: exit 9 \(the last good reading, 1m old, is not used\)/],
    ['stale', { nvidia: ok(good, NOW - 60_000) }, /nvidia reading is stale \(1m old\)/],
  ];
  it.each(cases)('%s', (_name, samples, why) => {
    const rows = runChecks(want, readings(samples)).filter((r) => r.group === 'gpu');
    expect(rows.map((r) => r.id)).toEqual(['gpu.count', 'gpu.pcie']);
    for (const r of rows) expect(r).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringMatching(why) });
  });
  it('the same readings fresh pass (the gate is what made them unknown)', () => {
    const rows = runChecks(want, readings({ nvidia: ok(good) })).filter((r) => r.group === 'gpu');
    expect(rows.map((r) => r.status)).toEqual(['PASS', 'PASS']);
  });
});

describe('NUMA and memory', () => {
  const want = bp('name: t\nnuma: { nodes: 4 }\nmemory: { totalGiB: 512, speedMTs: 6400 }\n');
  const node = (id: number) => ({ id, cpus: [id * 2, id * 2 + 1], memTotalBytes: 128 * 2 ** 30 });
  const sys = (totalBytes: number) => ({ cpu: { cores: [] }, load: undefined, mem: { totalBytes }, disks: [], net: [], warnings: [] });
  it('node count passes or fails with the nodes as evidence; RAM within 95 % passes; speed is always unknown, said so', () => {
    const rows = runChecks(want, readings({ numa: ok({ nodes: [0, 1, 2, 3].map(node), distances: [], warnings: [] }), system: ok(sys(503 * 2 ** 30)) }));
    expect(byId(rows, 'numa.nodes')).toMatchObject({ status: 'PASS', evidence: expect.stringMatching(/^4 nodes: node0 2 cpus 128 GiB/) });
    expect(byId(rows, 'memory.total')).toMatchObject({ status: 'PASS', evidence: expect.stringContaining('503 GiB') });
    expect(byId(rows, 'memory.speed')).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('cannot tell'), hint: expect.stringContaining('6400 MT/s') });
    const bad = runChecks(want, readings({ numa: ok({ nodes: [0, 1].map(node), distances: [], warnings: [] }), system: ok(sys(384 * 2 ** 30)) }));
    expect(byId(bad, 'numa.nodes')).toMatchObject({ status: 'FAIL', hint: expect.stringContaining('SNC') });
    expect(byId(bad, 'memory.total').status).toBe('FAIL');
  });
});

const vdev = (name: string, kind: Vdev['kind'], width: number, cls?: Vdev['class']): Vdev => ({
  name, kind, state: 'ONLINE', ...(cls ? { class: cls } : {}), children: Array.from({ length: width }, (_, i) => ({ name: `${name}-d${i}`, kind: 'disk' as const, state: 'ONLINE', children: [] })),
});
const pool = (o: Partial<Pool>): Pool => ({ name: 'tank', health: 'ONLINE', sizeBytes: 1000, freeBytes: 400, scan: { kind: 'none', state: 'none' }, vdevs: [], ...o });
const zfs = (pools: Pool[], datasets: ZfsData['datasets'] = []): ZfsData => ({ dialect: 'openzfs', pools, datasets, lints: [], warnings: [] });

describe('ZFS', () => {
  const want = bp(`name: t
zfs:
  pools:
    - name: tank
      minFreePct: 20
      layout: { data: { vdevs: 2, kind: raidz2, width: 7 }, special: { vdevs: 1, kind: mirror, width: 2 } }
  datasets:
    - { name: tank, compression: "on", specialSmallBlocks: "<= recordsize" }
`);
  it('the plan itself passes', () => {
    const p = pool({ vdevs: [vdev('raidz2-0', 'raidz2', 7), vdev('raidz2-1', 'raidz2', 7), vdev('mirror-2', 'mirror', 2, 'special')] });
    const rows = runChecks(want, readings({ zfs: ok(zfs([p], [{ name: 'tank', compression: 'lz4', recordsizeBytes: 131072, specialSmallBlocksBytes: 32768 }])) }));
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      ['zfs.pool.tank.health', 'PASS'], ['zfs.pool.tank.layout', 'PASS'], ['zfs.pool.tank.free', 'PASS'],
      ['zfs.ds.tank.compression', 'PASS'], ['zfs.ds.tank.small', 'PASS'],
    ]);
  });
  it('six-wide vdevs, a degraded resilvering pool, a full pool, compression off and small blocks over recordsize each fail with the reading', () => {
    const p = pool({
      health: 'DEGRADED', freeBytes: 100, scan: { kind: 'resilver', state: 'running', pct: 37.1, etaSeconds: 3600 },
      vdevs: [vdev('raidz2-0', 'raidz2', 6), vdev('raidz2-1', 'raidz2', 6), vdev('mirror-2', 'mirror', 2, 'special')],
    });
    const ds = [
      { name: 'tank', compression: 'lz4', recordsizeBytes: 131072, specialSmallBlocksBytes: 0 },
      { name: 'tank/vm', compression: 'lz4', recordsizeBytes: 65536, specialSmallBlocksBytes: 131072 },
      { name: 'tank/scratch', compression: 'off', recordsizeBytes: 131072, specialSmallBlocksBytes: 131072 },
      { name: 'tankette', compression: 'off' },
    ];
    const rows = runChecks(want, readings({ zfs: ok(zfs([p], ds)) }));
    expect(byId(rows, 'zfs.pool.tank.health')).toMatchObject({ status: 'FAIL', evidence: 'DEGRADED · resilver 37.1 %, 60 min to go', hint: expect.stringContaining('let it finish') });
    expect(byId(rows, 'zfs.pool.tank.layout')).toMatchObject({ status: 'FAIL', evidence: 'data: 2 × raidz2 6 wide (want 2 × raidz2 7 wide); special: 1 × mirror 2 wide' });
    expect(byId(rows, 'zfs.pool.tank.free')).toMatchObject({ status: 'FAIL', evidence: expect.stringMatching(/^10\.0 % free/) });
    expect(byId(rows, 'zfs.ds.tank.small')).toMatchObject({ status: 'PASS', evidence: expect.stringContaining('0 (off)') });
    expect(byId(rows, 'zfs.ds.tank/vm.small')).toMatchObject({ status: 'FAIL', evidence: 'special_small_blocks=128KiB, recordsize=64KiB: every block of it goes to the special vdev', hint: 'zfs set special_small_blocks=32K tank/vm (below its recordsize)' });
    expect(byId(rows, 'zfs.ds.tank/scratch.small').status).toBe('WARN');
    expect(byId(rows, 'zfs.ds.tank/scratch.compression')).toMatchObject({ status: 'FAIL', hint: expect.stringContaining('zfs set compression=lz4 tank/scratch') });
    expect(rows.some((r) => r.id.includes('tankette'))).toBe(false);
  });
  it('a pool that is not imported fails once; its other checks are unknown; a missing dataset fails', () => {
    const rows = runChecks(want, readings({ zfs: ok(zfs([pool({ name: 'rpool' })])) }));
    expect(byId(rows, 'zfs.pool.tank.health')).toMatchObject({ status: 'FAIL', evidence: 'not imported (imported: rpool)', hint: 'zpool import tank' });
    expect(byId(rows, 'zfs.pool.tank.layout').status).toBe('UNKNOWN');
    expect(byId(rows, 'zfs.ds.tank.compression').status).toBe('FAIL');
  });
});

const engine = (o: Partial<EngineStatus>): EngineStatus => ({ name: 'llama', kind: 'process', state: 'healthy', pids: [1], restarts: 0, warnings: [], models: ['Qwen3-235B-A22B-Q4_K_M.gguf'], listen: [{ address: '127.0.0.1', port: 8080, loopback: true }], ...o });
const bench = (o: Partial<BenchResult>): BenchResult => ({ schema: 1, engine: 'llama', model: 'Qwen3-235B-A22B-Q4_K_M.gguf', at: NOW - 3_600_000, baseUrl: 'http://127.0.0.1:8080/v1', prompts: 5, maxTokens: 128, ok: 5, errors: 0, ttftMs: {}, genTokPerSec: 18.2, promptTokens: 1, completionTokens: 1, durationMs: 1, requests: [], ...o });

describe('engines and services', () => {
  const want = bp('name: t\nengines:\n  - { name: llama, models: [qwen3-235b], minTokPerSec: 15, loopbackOnly: true }\nservices: [redis]\n');
  const eng = (engines: EngineStatus[]) => ({ engines: ok({ engines }) });
  it('a healthy loopback engine serving the model at speed passes, from its newest benchmark', () => {
    const rows = runChecks(want, readings(eng([engine({})]), { bench: [bench({ genTokPerSec: 9, at: NOW - 7_200_000 }), bench({})] }));
    expect(rows.filter((r) => r.group === 'engines').map((r) => [r.id, r.status])).toEqual([
      ['engine.llama.model.qwen3-235b', 'PASS'], ['engine.llama.toks', 'PASS'], ['engine.llama.bind', 'PASS'],
    ]);
    expect(byId(rows, 'engine.llama.toks').evidence).toBe('18.2 tok/s: benchmark 1h ago (Qwen3-235B-A22B-Q4_K_M.gguf, 5/5 prompts)');
  });
  it('wrong model, slow, bound to 0.0.0.0: each fails with what it saw', () => {
    const e = engine({ models: ['llama-3-8b'], tokPerSec: 7.5, listen: [{ address: '0.0.0.0', port: 8080, loopback: false }] });
    const rows = runChecks(want, readings(eng([e])));
    expect(byId(rows, 'engine.llama.model.qwen3-235b')).toMatchObject({ status: 'FAIL', evidence: '/v1/models lists llama-3-8b' });
    expect(byId(rows, 'engine.llama.toks')).toMatchObject({ status: 'FAIL', evidence: '7.5 tok/s live (/metrics, while generating)' });
    expect(byId(rows, 'engine.llama.bind')).toMatchObject({ status: 'FAIL', evidence: 'listens on 0.0.0.0:8080', hint: expect.stringContaining('127.0.0.1') });
  });
  it('stopped: the model check fails, speed and bind are unknown; starting: loading is unknown; absent: fails', () => {
    const stopped = runChecks(want, readings(eng([engine({ state: 'stopped', models: undefined, listen: [] })])));
    expect(stopped.filter((r) => r.group === 'engines').map((r) => r.status)).toEqual(['FAIL', 'UNKNOWN', 'UNKNOWN']);
    const starting = runChecks(want, readings(eng([engine({ state: 'starting', models: undefined })])));
    expect(byId(starting, 'engine.llama.model.qwen3-235b')).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('loading') });
    const absent = runChecks(want, readings(eng([engine({ name: 'vllm' })])));
    expect(byId(absent, 'engine.llama')).toMatchObject({ status: 'FAIL', evidence: 'the daemon runs vllm' });
  });
  it('the daemon down: every engine check unknown with why, never started for the doctor', () => {
    const rows = runChecks(want, readings({ engines: { state: 'unavailable', reason: 'the sov daemon is not running', at: NOW } }));
    const e = rows.filter((r) => r.group === 'engines');
    expect(e).toHaveLength(3);
    for (const r of e) expect(r).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('daemon is not running') });
  });
  it('every engine ("*") binds loopback: one open engine fails; none at all is unknown', () => {
    const all = bp('name: w\nengines: [{ name: "*", loopbackOnly: true }]\n');
    const rows = runChecks(all, readings(eng([engine({}), engine({ name: 'ollama', listen: [{ address: '::', port: 11434, loopback: false }] })])));
    expect(rows.map((r) => [r.id, r.status])).toEqual([['engine.llama.bind', 'PASS'], ['engine.ollama.bind', 'FAIL']]);
    expect(rows[1]!.evidence).toBe('listens on [::]:11434');
    expect(runChecks(all, readings(eng([])))[0]!.status).toBe('UNKNOWN');
  });
  it('services: up passes with latency, down fails with the reason, no probe for it is unknown', () => {
    const svc = (up: boolean, name = 'redis') => ({ name, kind: 'redis' as const, target: '127.0.0.1:6379', up, ...(up ? { latencyMs: 0.8 } : { error: 'connection refused' }) });
    expect(byId(runChecks(want, readings({ services: ok({ services: [svc(true)] }) })), 'service.redis')).toMatchObject({ status: 'PASS', evidence: 'redis 127.0.0.1:6379 up in 0.8 ms' });
    expect(byId(runChecks(want, readings({ services: ok({ services: [svc(false)] }) })), 'service.redis')).toMatchObject({ status: 'FAIL', evidence: 'redis 127.0.0.1:6379: connection refused' });
    expect(byId(runChecks(want, readings({ services: ok({ services: [svc(true, 'qdrant')] }) })), 'service.redis')).toMatchObject({ status: 'UNKNOWN', evidence: 'no probe named redis in the config (probed: qdrant)' });
  });
});

describe('odd readings', () => {
  it('a pool the blueprint allows to be DEGRADED warns; an explicit width and an `each` override are both held', () => {
    const b = bp('name: t\nzfs: { pools: [{ name: tank, health: DEGRADED }] }\ngpus: { pcie: { gen: 4, width: 16 }, each: [{ index: 0, pcie: { width: 8 } }] }\n');
    const rows = runChecks(b, readings({
      zfs: ok(zfs([pool({ health: 'DEGRADED' })])),
      nvidia: ok(nv(gpu(0, { pcie: { genCurrent: 4, genMax: 4, widthCurrent: 8, widthMax: 16 } }), gpu(1, { pcie: { genCurrent: 4, genMax: 4, widthCurrent: 8, widthMax: 16 } }))),
    }));
    expect(byId(rows, 'zfs.pool.tank.health').status).toBe('WARN');
    expect(byId(rows, 'gpu.0.pcie')).toMatchObject({ status: 'PASS', check: 'GPU0 PCIe under load ≥ Gen4 x8' });
    expect(byId(rows, 'gpu.1.pcie')).toMatchObject({ status: 'FAIL', evidence: expect.stringContaining('Gen4 x8 of Gen4 x16 under load') });
  });
  it('a reading of an unexpected shape makes its group UNKNOWN, and the other groups still run', () => {
    const b = bp('name: t\nengines: [{ name: llama, models: [q] }]\nnuma: { nodes: 1 }\n');
    const bad = { engines: [{ name: 'llama', state: 'healthy', models: 'not-a-list' }] } as unknown as { engines: EngineStatus[] };
    const rows = runChecks(b, readings({ engines: ok(bad), numa: ok({ nodes: [{ id: 0, cpus: [0] }], distances: [], warnings: [] }) }));
    expect(byId(rows, 'engines.error')).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('could not be checked') });
    expect(byId(rows, 'numa.nodes').status).toBe('PASS');
  });
});

describe('rows as shown', () => {
  it('outside text is stripped of control sequences, and bounded', () => {
    const b = bp('name: t\ngpus: { model: RTX }\n');
    const rows = runChecks(b, readings({ nvidia: ok(nv(gpu(0, { name: `\u001b[2J\u001b]0;pwned\u0007Evil\u0000 ${'x'.repeat(2000)}` }))) }));
    expect(rows[0]!.evidence.startsWith('Evil x')).toBe(true);
    expect(rows[0]!.evidence).not.toMatch(/[\u0000-\u001f]/);
    expect(rows[0]!.evidence.length).toBeLessThanOrEqual(400);
  });
  it('summary and exit: any FAIL exits 1; WARN and UNKNOWN alone exit 0', () => {
    const mk = (status: Row['status']): Row => ({ id: status, group: 'gpu', check: '', status, evidence: '' });
    expect(summarize([mk('PASS'), mk('WARN'), mk('UNKNOWN')])).toEqual({ pass: 1, warn: 1, fail: 0, unknown: 1, total: 3 });
    expect(exitOf(summarize([mk('PASS'), mk('WARN'), mk('UNKNOWN')]))).toBe(0);
    expect(exitOf(summarize([mk('PASS'), mk('FAIL')]))).toBe(1);
  });
});
