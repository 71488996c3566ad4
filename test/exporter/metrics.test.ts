/**
 * The readings → metric families, as tables: the demo box (the real backends reading the simulated box, the demo
 * daemon's engines), the captured H100 (fixtures/nvidia/h100-real), a real zfs-fuse pool with checksum errors
 * (../shared/samples when present), and the ways readings can be wrong (errors, absent values, escape sequences).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAST_FIELDS, parseQueryCsv, parseQX } from '../../backends/nvidia/parse.js';
import { parseZpoolStatus } from '../../backends/zfs/parse.js';
import type { Gpu, NvidiaData } from '../../backends/nvidia/types.js';
import type { ZfsData } from '../../backends/zfs/types.js';
import type { EngineStatus } from '../../src/daemon/types.js';
import { CATALOGUE, GPU_LABELS } from '../../src/exporter/catalogue.js';
import { buildFamilies, ENGINE_STATES, labelValue, MAX_LABEL_CHARS, POOL_STATES, renderMetrics, type ExportInput } from '../../src/exporter/metrics.js';
import { engineVram } from '../../src/store/selectors.js';
import { fixture, haveSamples, samplesDir } from '../helpers/samples.js';
import { demoInput, namesIn, one, rows } from './helpers.js';

const MIB = 2 ** 20;
const ok = <T>(data: T) => ({ state: 'ok' as const, data, at: 1_750_000_000_000, tookMs: 3 });

describe('the demo box', () => {
  let input: Awaited<ReturnType<typeof demoInput>>;
  let gpus: Gpu[];
  beforeAll(async () => {
    input = await demoInput();
    if (input.samples.nvidia?.state !== 'ok') throw new Error('the demo nvidia sample is not ok');
    gpus = input.samples.nvidia.data.gpus;
  });

  it('exports every GPU under dcgm-exporter\'s names, units and labels, and under sov_ names in base units', () => {
    const f = buildFamilies(input);
    expect(gpus.length).toBe(2);
    for (const g of gpus) {
      const l = { gpu: String(g.index), UUID: g.uuid, device: `nvidia${g.index}`, Hostname: 'omni' };
      const table: [keyof typeof CATALOGUE, number | undefined][] = [
        ['DCGM_FI_DEV_GPU_UTIL', g.utilPct],
        ['sov_gpu_utilization_ratio', g.utilPct! / 100],
        ['DCGM_FI_DEV_FB_USED', g.memUsedBytes! / MIB],
        ['DCGM_FI_DEV_FB_FREE', (g.memTotalBytes! - g.memUsedBytes!) / MIB],
        ['sov_gpu_memory_used_bytes', g.memUsedBytes],
        ['sov_gpu_memory_total_bytes', g.memTotalBytes],
        ['DCGM_FI_DEV_GPU_TEMP', g.tempC],
        ['sov_gpu_temperature_celsius', g.tempC],
        ['DCGM_FI_DEV_POWER_USAGE', g.powerDrawW],
        ['sov_gpu_power_watts', g.powerDrawW],
        ['sov_gpu_pcie_link_gen', g.pcie.genCurrent],
        ['sov_gpu_pcie_link_gen_max', g.pcie.genMax],
        ['sov_gpu_pcie_link_width', g.pcie.widthCurrent],
        ['DCGM_FI_DEV_PCIE_LINK_GEN', g.pcie.genCurrent],
      ];
      for (const [name, want] of table) {
        expect(want, name).toBeTypeOf('number');
        expect(one(f, name, l), `${name} gpu ${g.index}`).toBeCloseTo(want!, 6);
      }
      expect(one(f, 'sov_gpu_info', { gpu: String(g.index), model_name: g.name })).toBe(1);
    }
    // the demo's 96 GB card and the 5090: their memory in bytes, as nvidia-smi's MiB say
    expect(one(f, 'sov_gpu_memory_total_bytes', { gpu: '0' })).toBe(97887 * MIB);
    expect(one(f, 'sov_gpu_memory_total_bytes', { gpu: '1' })).toBe(32607 * MIB);
    // the 5090 touching its power cap is an active clock event
    expect(rows(f, 'sov_gpu_clock_event_active', { gpu: '1' }).map((r) => r.labels.reason)).toEqual(gpus[1]!.throttleReasons);
  });

  it('labels every GPU series with gpu, UUID, device and Hostname (dcgm-exporter\'s dashboards select on them)', () => {
    const f = buildFamilies(input);
    for (const [name, def] of Object.entries(CATALOGUE)) {
      if (!name.startsWith('DCGM_') && !name.startsWith('sov_gpu_')) continue;
      expect(def.labels.slice(0, 4), name).toEqual([...GPU_LABELS]);
      for (const r of f.get(name as keyof typeof CATALOGUE)?.rows ?? []) expect(Object.keys(r.labels).slice(0, 4)).toEqual([...GPU_LABELS]);
    }
  });

  it('exports NUMA nodes, pools (health as a state set, capacity, the resilver), engines and VMs', () => {
    const f = buildFamilies(input);
    expect(rows(f, 'sov_numa_node_memory_total_bytes').map((r) => [r.labels.node, r.value])).toEqual([['0', 128 * 2 ** 30], ['1', 128 * 2 ** 30], ['2', 128 * 2 ** 30], ['3', 128 * 2 ** 30]]);
    const health = (pool: string) => rows(f, 'sov_zfs_pool_health', { pool }).filter((r) => r.value === 1).map((r) => r.labels.state);
    expect(health('rpool')).toEqual(['ONLINE']);
    expect(health('ember')).toEqual(['DEGRADED']);
    expect(rows(f, 'sov_zfs_pool_health', { pool: 'ember' }).map((r) => r.labels.state)).toEqual([...POOL_STATES]);
    const zs = input.samples.zfs;
    const zfs = zs?.state === 'ok' ? zs.data : undefined;
    const ember = zfs!.pools.find((p) => p.name === 'ember')!;
    expect(one(f, 'sov_zfs_pool_size_bytes', { pool: 'ember' })).toBe(ember.sizeBytes);
    expect(one(f, 'sov_zfs_pool_free_bytes', { pool: 'ember' })).toBe(ember.freeBytes);
    expect(one(f, 'sov_zfs_pool_scan_progress_ratio', { pool: 'ember', kind: 'resilver' })).toBeCloseTo(ember.scan.pct! / 100, 6);
    expect(one(f, 'sov_zfs_pool_scan_info', { pool: 'ember', kind: 'resilver', state: 'running' })).toBe(1);
    expect(one(f, 'sov_zfs_vdev_info', { pool: 'ember', vdev: 'replacing-3', state: 'DEGRADED' })).toBe(1);
    expect(rows(f, 'sov_zfs_vdev_errors_total', { pool: 'ember', vdev: 'sdl' }).map((r) => r.labels.type)).toEqual(['read', 'write', 'checksum']);
    const state = (engine: string) => rows(f, 'sov_engine_state', { engine }).filter((r) => r.value === 1).map((r) => r.labels.state);
    expect([state('llama'), state('vllm'), state('ktransformers'), state('ramalama-worker')]).toEqual([['healthy'], ['healthy'], ['backoff'], ['crashloop']]);
    expect(rows(f, 'sov_engine_state', { engine: 'llama' })).toHaveLength(ENGINE_STATES.length);
    const llama = input.engines.find((e) => e.name === 'llama')!;
    expect(one(f, 'sov_engine_tokens_per_second', { engine: 'llama' })).toBeCloseTo(llama.tokPerSec!, 6);
    expect(one(f, 'sov_engine_restarts_total', { engine: 'ktransformers' })).toBe(3);
    expect(one(f, 'sov_engine_resident_memory_bytes', { engine: 'llama' })).toBe(131 * 2 ** 30);
    expect(rows(f, 'sov_engine_tokens_per_second', { engine: 'ktransformers' })).toEqual([]);
    // VRAM: the GPU processes of the engine's pids (llama-server pid 4242 on GPU 0, vLLM pid 5151 on GPU 1)
    const vram = (g: Gpu, pid: number) => g.processes.filter((p) => p.pid === pid).reduce((s, p) => s + p.usedMemBytes!, 0);
    expect(one(f, 'sov_engine_gpu_memory_bytes', { engine: 'llama', gpu: '0' })).toBe(vram(gpus[0]!, 4242));
    expect(one(f, 'sov_engine_gpu_memory_bytes', { engine: 'vllm', gpu: '1' })).toBe(vram(gpus[1]!, 5151));
    expect(vram(gpus[0]!, 4242)).toBeGreaterThan(60 * 2 ** 30);
    // the same join as the Engines screen (src/store/selectors.ts engineGpuVram): an engine known only by its pid
    // (no process tree yet) counts too, and the per-GPU figures sum to the screen's total
    const byPid = buildFamilies({ ...input, engines: input.engines.map((e) => (e.name === 'llama' ? { ...e, pids: [], pid: 4242 } : e)) });
    expect(one(byPid, 'sov_engine_gpu_memory_bytes', { engine: 'llama', gpu: '0' })).toBe(vram(gpus[0]!, 4242));
    const total = engineVram(input.engines, input.samples.nvidia?.state === 'ok' ? input.samples.nvidia.data : undefined);
    expect(rows(f, 'sov_engine_gpu_memory_bytes', { engine: 'vllm' }).reduce((s, r) => s + r.value, 0)).toBe(total.get('vllm'));
    expect(rows(f, 'sov_vm_state').filter((r) => r.value === 1).map((r) => `${r.labels.vm}:${r.labels.state}`).sort()).toEqual(['green-1:running', 'green-2:running', 'workstation_agent:running']);
    for (const id of ['nvidia', 'numa', 'system', 'zfs', 'vms']) expect(one(f, 'sov_source_state', { source: id, state: 'ok' })).toBe(1);
  });

  it('renders text whose families are exactly the catalogue\'s, each with HELP and TYPE', async () => {
    const r = await renderMetrics(input);
    expect(r.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of namesIn(r.text)) {
      const def = CATALOGUE[name as keyof typeof CATALOGUE];
      expect(def, name).toBeDefined();
      expect(r.text).toContain(`# TYPE ${name} ${def.type}\n`);
      if (def.type === 'counter') expect(name).toMatch(/_total$/);
    }
    expect(namesIn(r.text).size).toBeGreaterThan(50);
  });
});

describe('the captured H100 (fixtures/nvidia/h100-real)', () => {
  const load = parseQX(fixture('nvidia', 'h100-real', 'q-x-load.xml'));
  const idle = parseQueryCsv(fixture('nvidia', 'h100-real', 'query-gpu-new-once.csv'), FAST_FIELDS);
  const input = (d: NvidiaData): ExportInput => ({ samples: { nvidia: ok(d) }, host: 'h100-host' });
  const L = { gpu: '0', UUID: 'GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7', device: 'nvidia0', Hostname: 'h100-host' };

  it.each([
    ['DCGM_FI_DEV_GPU_UTIL', 100], ['sov_gpu_utilization_ratio', 1], ['DCGM_FI_DEV_GPU_TEMP', 47], ['sov_gpu_temperature_celsius', 47],
    ['DCGM_FI_DEV_POWER_USAGE', 348.88], ['sov_gpu_power_watts', 348.88], ['sov_gpu_power_limit_watts', 700],
    ['sov_gpu_memory_used_bytes', 619708416], ['sov_gpu_memory_total_bytes', 85520809984], ['DCGM_FI_DEV_FB_USED', 591], ['DCGM_FI_DEV_FB_TOTAL', 81559],
    ['sov_gpu_pcie_link_gen', 5], ['sov_gpu_pcie_link_gen_max', 5], ['sov_gpu_pcie_link_width', 16], ['sov_gpu_pcie_link_width_max', 16],
    ['sov_gpu_sm_clock_hertz', 1980e6], ['DCGM_FI_DEV_SM_CLOCK', 1980], ['sov_gpu_memory_utilization_ratio', 0.01],
  ] as const)('q -x under load: %s = %s', (name, want) => {
    expect(one(buildFamilies(input(load)), name, L)).toBeCloseTo(want, 6);
  });

  it('ECC counters and remapped rows from -q -x; absent from the CSV stream, which has no ECC fields', () => {
    const f = buildFamilies(input(load));
    expect(rows(f, 'sov_gpu_ecc_errors_total', L).map((r) => `${r.labels.type}/${r.labels.scope}=${r.value}`))
      .toEqual(['corrected/volatile=0', 'uncorrected/volatile=0', 'corrected/aggregate=0', 'uncorrected/aggregate=0']);
    expect(rows(f, 'sov_gpu_remapped_rows_total', L)).toHaveLength(2);
    expect(one(f, 'sov_gpu_info', { ...L, driver_version: '580.159.04', model_name: 'NVIDIA H100 80GB HBM3', pci_bus_id: '00000000:00:06.0' })).toBe(1);
    const g = buildFamilies(input({ gpus: idle.gpus, warnings: [] }));
    expect(rows(g, 'sov_gpu_ecc_errors_total')).toEqual([]);
    expect(one(g, 'DCGM_FI_DEV_GPU_UTIL', L)).toBe(0);
    expect(one(g, 'sov_gpu_clock_event_active', { ...L, reason: 'gpu_idle' })).toBe(1);
  });

  it('a value nvidia-smi gives as [N/A] (the H100\'s fan) is left out, never 0', () => {
    expect(idle.gpus[0]!.fanPct).toBeUndefined();
    expect(rows(buildFamilies(input({ gpus: idle.gpus, warnings: [] })), 'sov_gpu_fan_ratio')).toEqual([]);
  });
});

describe('readings that are wrong', () => {
  it('a source in error exports its state and its last good time, not its old numbers', () => {
    const last = { data: { gpus: [], warnings: [] } as NvidiaData, at: 1_750_000_000_000 };
    const f = buildFamilies({ host: 'h', samples: { nvidia: { state: 'error', message: 'nvidia-smi hung', at: 1_750_000_005_000, failures: 2, lastGood: last } } });
    expect(one(f, 'sov_source_state', { source: 'nvidia', state: 'error' })).toBe(1);
    expect(one(f, 'sov_source_state', { source: 'nvidia', state: 'ok' })).toBe(0);
    expect(one(f, 'sov_source_last_ok_timestamp_seconds', { source: 'nvidia' })).toBe(1_750_000_000);
    expect([...f.keys()].filter((k) => k.startsWith('sov_gpu') || k.startsWith('DCGM'))).toEqual([]);
  });

  it('an unavailable source (no nvidia-smi) exports only its state; no engines list means no engine series', () => {
    const f = buildFamilies({ host: 'h', samples: { nvidia: { state: 'unavailable', reason: 'nvidia-smi not found on PATH', at: 1 } } });
    expect([...f.keys()]).toEqual(['sov_source_state']);
    expect(one(f, 'sov_source_state', { source: 'nvidia', state: 'unavailable' })).toBe(1);
  });

  it('escape sequences and newlines in names from outside are removed from label values; long ones are bounded', async () => {
    const evil: EngineStatus = { name: 'x\u001b]0;pwned\u0007\u001b[31mred\nline"\\', kind: 'process', state: 'healthy', pids: [], restarts: 0, warnings: [] };
    const long: EngineStatus = { ...evil, name: 'n'.repeat(5000) };
    const f = buildFamilies({ host: 'h', samples: {}, engines: [evil, long] });
    const names = rows(f, 'sov_engine_restarts_total').map((r) => r.labels.engine!);
    expect(names[0]).toBe('xredline"\\'.replace('redline', 'red line'));
    expect(names[1]!.length).toBe(MAX_LABEL_CHARS);
    const text = (await renderMetrics({ host: 'h', samples: {}, engines: [evil] })).text;
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('sov_engine_restarts_total{engine="xred line\\"\\\\"} 0');
    expect(labelValue(undefined)).toBe('');
  });

  it('an unknown pool health or engine state joins the state set instead of being lost', () => {
    const zfs: ZfsData = { dialect: 'openzfs', datasets: [], lints: [], warnings: [], pools: [{ name: 'p', health: 'weird', scan: { kind: 'none', state: 'none' }, vdevs: [] }] };
    const f = buildFamilies({ host: 'h', samples: { zfs: ok(zfs) }, engines: [{ name: 'e', kind: 'process', state: 'sleeping' as never, pids: [], restarts: 0, warnings: [] }] });
    expect(rows(f, 'sov_zfs_pool_health', { pool: 'p' }).filter((r) => r.value === 1).map((r) => r.labels.state)).toEqual(['WEIRD']);
    expect(rows(f, 'sov_zfs_pool_health', { pool: 'p' })).toHaveLength(POOL_STATES.length + 1);
    expect(one(f, 'sov_engine_state', { engine: 'e', state: 'sleeping' })).toBe(1);
    expect(rows(f, 'sov_zfs_pool_scan_progress_ratio')).toEqual([]);
  });

  it('vdev error counters come from every level of the tree, with the allocation class', () => {
    const zfs: ZfsData = {
      dialect: 'openzfs', datasets: [], lints: [], warnings: [], pools: [{
        name: 'tank', health: 'ONLINE', scan: { kind: 'scrub', state: 'running', pct: 42.5, etaSeconds: 600 }, read: 0, write: 0, cksum: 7,
        vdevs: [
          { name: 'mirror-0', kind: 'mirror', state: 'ONLINE', read: 0, write: 0, cksum: 7, children: [
            { name: 'sda', kind: 'disk', state: 'ONLINE', read: 1, write: 2, cksum: 7, children: [] },
            { name: 'sdb', kind: 'disk', state: 'ONLINE', children: [] },
          ] },
          { name: 'mirror-1', kind: 'mirror', class: 'special', state: 'ONLINE', read: 0, write: 0, cksum: 0, children: [{ name: 'nvme0n1', kind: 'disk', state: 'ONLINE', read: 0, write: 0, cksum: 0, children: [] }] },
        ],
      }],
    };
    const f = buildFamilies({ host: 'h', samples: { zfs: ok(zfs) } });
    expect(one(f, 'sov_zfs_vdev_errors_total', { vdev: 'sda', type: 'write' })).toBe(2);
    expect(one(f, 'sov_zfs_vdev_errors_total', { vdev: 'sda', type: 'checksum' })).toBe(7);
    expect(rows(f, 'sov_zfs_vdev_errors_total', { vdev: 'sdb' })).toEqual([]);
    expect(one(f, 'sov_zfs_vdev_errors_total', { vdev: 'nvme0n1', type: 'read', class: 'special' })).toBe(0);
    expect(one(f, 'sov_zfs_pool_errors_total', { pool: 'tank', type: 'checksum' })).toBe(7);
    expect(one(f, 'sov_zfs_pool_scan_progress_ratio', { pool: 'tank', kind: 'scrub' })).toBeCloseTo(0.425, 6);
    expect(one(f, 'sov_zfs_pool_scan_eta_seconds', { pool: 'tank' })).toBe(600);
  });

  it.runIf(haveSamples)('a real zfs-fuse pool with checksum errors (../shared/samples)', () => {
    const st = parseZpoolStatus(readFileSync(`${samplesDir}/zfs/zfsfuse-permanent-errors-zpool-status-v.txt`, 'utf8'));
    const p = st.pools[0]!;
    const zfs: ZfsData = { dialect: 'zfs-fuse', datasets: [], lints: [], warnings: [], pools: [{ ...p, read: p.root?.read, write: p.root?.write, cksum: p.root?.cksum }] };
    const f = buildFamilies({ host: 'h', samples: { zfs: ok(zfs) } });
    expect(one(f, 'sov_zfs_pool_errors_total', { pool: 'single', type: 'checksum' })).toBe(379);
    expect(one(f, 'sov_zfs_vdev_errors_total', { pool: 'single', vdev: '/srv/zfs/ab/disks/d12.img', type: 'checksum' })).toBe(892);
    expect(one(f, 'sov_zfs_pool_health', { pool: 'single', state: 'ONLINE' })).toBe(1);
  });
});
