/**
 * The box's readings → metric families (pure, total): the host samples (nvidia, numa, zfs, vms, system for the
 * hostname) and the daemon's engine list. Only good readings are exported: a source in error or unavailable
 * exports its `sov_source_state` and nothing else, so Prometheus marks its series stale instead of holding old
 * numbers up as new. Absent values are left out, never 0. Label values from outside are sanitised and bounded.
 *
 * `toRegistry` turns the families into a prom-client Registry (a fresh one per scrape: a pool or engine that is
 * gone leaves no series behind, and counters are set from the box's own totals).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Sample, SourceId } from '../../backends/types.js';
import type { Gpu, NvidiaData } from '../../backends/nvidia/types.js';
import type { NumaData } from '../../backends/numa/types.js';
import type { Pool, Vdev, ZfsData } from '../../backends/zfs/types.js';
import type { VmsData, VmState } from '../../backends/vms/types.js';
import type { EngineState, EngineStatus } from '../daemon/types.js';
import { engineGpuVram } from '../store/selectors.js';
import type { Samples } from '../store/types.js';
import { sanitize } from '../text/sanitize.js';
import { CATALOGUE, type MetricName } from './catalogue.js';
import type { HostReach } from './reach.js';

export type Labels = Record<string, string>;
export interface Family { name: MetricName; rows: { labels: Labels; value: number }[] }
export type Families = Map<MetricName, Family>;

export interface ExportInput {
  /** the host readings (sources not sampled are `pending`) */
  samples: Partial<Samples>;
  /** the daemon's engines; undefined when there is no daemon to ask */
  engines?: EngineStatus[];
  /** the daemon's SSH tunnels (`tunnels:`, supervised like engines); undefined when there is no daemon to ask */
  tunnels?: EngineStatus[];
  /** the box's name when the system source has none (the runner's host) */
  host: string;
  /** the other hosts' reachability (src/exporter/reach.ts); absent: none configured */
  hosts?: readonly HostReach[];
}

export const MAX_LABEL_CHARS = 200;
const MIB = 2 ** 20;
const SOURCE_STATES = ['ok', 'error', 'unavailable', 'pending'] as const;
export const POOL_STATES = ['ONLINE', 'DEGRADED', 'FAULTED', 'OFFLINE', 'UNAVAIL', 'REMOVED', 'SUSPENDED'] as const;
export const ENGINE_STATES: readonly EngineState[] = ['stopped', 'starting', 'healthy', 'degraded', 'crashed', 'backoff', 'crashloop'];
export const VM_STATES: readonly VmState[] = ['running', 'paused', 'stopped', 'crashed', 'suspended', 'not-created', 'unknown'];

/** outside text as a label value: no control sequences, one line, bounded */
export function labelValue(v: string | number | undefined): string {
  const s = sanitize(String(v ?? '')).replace(/\s+/g, ' ').trim();
  return s.length > MAX_LABEL_CHARS ? `${s.slice(0, MAX_LABEL_CHARS - 1)}…` : s;
}

class Builder {
  readonly families: Families = new Map();
  put(name: MetricName, labels: Labels, value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) return;
    if (CATALOGUE[name].type === 'counter' && value < 0) return;
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { name, rows: [] }));
    f.rows.push({ labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, labelValue(v)])), value });
  }
  /** a state set: one series per state, 1 for the current one; an unknown current state is added */
  states(name: MetricName, labels: Labels, states: readonly string[], current: string): void {
    const all = states.includes(current) ? states : [...states, current];
    for (const s of all) this.put(name, { ...labels, state: s }, s === current ? 1 : 0);
  }
}

const dataOf = <T>(s: Sample<T> | undefined): T | undefined => (s?.state === 'ok' ? s.data : undefined);
const ratio = (pct: number | undefined) => (pct === undefined ? undefined : pct / 100);
const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / MIB);
const hz = (mhz: number | undefined) => (mhz === undefined ? undefined : mhz * 1e6);

function sourceMetrics(b: Builder, samples: Partial<Samples>): void {
  for (const [id, s] of Object.entries(samples) as [SourceId, Sample<unknown>][]) {
    if (!s) continue;
    b.states('sov_source_state', { source: id }, SOURCE_STATES, s.state);
    const okAt = s.state === 'ok' ? s.at : s.state === 'error' ? s.lastGood?.at : undefined;
    b.put('sov_source_last_ok_timestamp_seconds', { source: id }, okAt === undefined ? undefined : okAt / 1000);
  }
}

export function gpuLabels(g: Gpu, hostname: string): Labels {
  return { gpu: String(g.index), UUID: g.uuid, device: `nvidia${g.index}`, Hostname: hostname };
}

function gpuMetrics(b: Builder, d: NvidiaData, hostname: string): void {
  for (const g of d.gpus) {
    const l = gpuLabels(g, hostname);
    b.put('sov_gpu_info', { ...l, model_name: g.name, pci_bus_id: g.busId ?? '', driver_version: d.driverVersion ?? '' }, 1);
    b.put('sov_gpu_utilization_ratio', l, ratio(g.utilPct));
    b.put('sov_gpu_memory_utilization_ratio', l, ratio(g.memUtilPct));
    b.put('sov_gpu_memory_used_bytes', l, g.memUsedBytes);
    b.put('sov_gpu_memory_total_bytes', l, g.memTotalBytes);
    b.put('sov_gpu_temperature_celsius', l, g.tempC);
    b.put('sov_gpu_power_watts', l, g.powerDrawW);
    b.put('sov_gpu_power_limit_watts', l, g.powerLimitW);
    b.put('sov_gpu_fan_ratio', l, ratio(g.fanPct));
    b.put('sov_gpu_sm_clock_hertz', l, hz(g.smClockMHz));
    b.put('sov_gpu_memory_clock_hertz', l, hz(g.memClockMHz));
    b.put('sov_gpu_pcie_link_gen', l, g.pcie.genCurrent);
    b.put('sov_gpu_pcie_link_gen_max', l, g.pcie.genMax);
    b.put('sov_gpu_pcie_link_width', l, g.pcie.widthCurrent);
    b.put('sov_gpu_pcie_link_width_max', l, g.pcie.widthMax);
    const e = g.eccErrors;
    b.put('sov_gpu_ecc_errors_total', { ...l, type: 'corrected', scope: 'volatile' }, e?.correctedVolatile);
    b.put('sov_gpu_ecc_errors_total', { ...l, type: 'uncorrected', scope: 'volatile' }, e?.uncorrectedVolatile);
    b.put('sov_gpu_ecc_errors_total', { ...l, type: 'corrected', scope: 'aggregate' }, e?.correctedAggregate);
    b.put('sov_gpu_ecc_errors_total', { ...l, type: 'uncorrected', scope: 'aggregate' }, e?.uncorrectedAggregate);
    b.put('sov_gpu_remapped_rows_total', { ...l, type: 'correctable' }, g.remappedRows?.correctable);
    b.put('sov_gpu_remapped_rows_total', { ...l, type: 'uncorrectable' }, g.remappedRows?.uncorrectable);
    for (const r of new Set(g.throttleReasons)) b.put('sov_gpu_clock_event_active', { ...l, reason: r }, 1);
    dcgmMetrics(b, g, l);
  }
}

/** dcgm-exporter's own names and units (%, MiB, MHz) */
function dcgmMetrics(b: Builder, g: Gpu, l: Labels): void {
  const free = g.memTotalBytes !== undefined && g.memUsedBytes !== undefined ? Math.max(0, g.memTotalBytes - g.memUsedBytes) : undefined;
  b.put('DCGM_FI_DEV_GPU_UTIL', l, g.utilPct);
  b.put('DCGM_FI_DEV_MEM_COPY_UTIL', l, g.memUtilPct);
  b.put('DCGM_FI_DEV_FB_USED', l, mib(g.memUsedBytes));
  b.put('DCGM_FI_DEV_FB_FREE', l, mib(free));
  b.put('DCGM_FI_DEV_FB_TOTAL', l, mib(g.memTotalBytes));
  b.put('DCGM_FI_DEV_GPU_TEMP', l, g.tempC);
  b.put('DCGM_FI_DEV_POWER_USAGE', l, g.powerDrawW);
  b.put('DCGM_FI_DEV_POWER_MGMT_LIMIT', l, g.powerLimitW);
  b.put('DCGM_FI_DEV_SM_CLOCK', l, g.smClockMHz);
  b.put('DCGM_FI_DEV_MEM_CLOCK', l, g.memClockMHz);
  b.put('DCGM_FI_DEV_PCIE_LINK_GEN', l, g.pcie.genCurrent);
  b.put('DCGM_FI_DEV_PCIE_MAX_LINK_GEN', l, g.pcie.genMax);
  b.put('DCGM_FI_DEV_PCIE_LINK_WIDTH', l, g.pcie.widthCurrent);
  b.put('DCGM_FI_DEV_PCIE_MAX_LINK_WIDTH', l, g.pcie.widthMax);
}

function numaMetrics(b: Builder, d: NumaData): void {
  for (const n of d.nodes) {
    const l = { node: String(n.id) };
    b.put('sov_numa_node_memory_total_bytes', l, n.memTotalBytes);
    b.put('sov_numa_node_memory_free_bytes', l, n.memFreeBytes);
    b.put('sov_numa_node_cpus', l, n.cpus.length);
  }
}

function vdevMetrics(b: Builder, pool: string, v: Vdev, cls: string): void {
  const c = v.class ?? cls;
  if (v.kind !== 'root' && v.kind !== 'group') {
    const l = { pool, vdev: v.name, class: c };
    b.put('sov_zfs_vdev_info', { ...l, kind: v.kind, state: v.state }, 1);
    b.put('sov_zfs_vdev_errors_total', { ...l, type: 'read' }, v.read);
    b.put('sov_zfs_vdev_errors_total', { ...l, type: 'write' }, v.write);
    b.put('sov_zfs_vdev_errors_total', { ...l, type: 'checksum' }, v.cksum);
  }
  for (const child of v.children) vdevMetrics(b, pool, child, c);
}

function poolMetrics(b: Builder, p: Pool): void {
  const l = { pool: p.name };
  b.states('sov_zfs_pool_health', l, POOL_STATES, p.health.toUpperCase());
  b.put('sov_zfs_pool_size_bytes', l, p.sizeBytes);
  b.put('sov_zfs_pool_allocated_bytes', l, p.allocBytes);
  b.put('sov_zfs_pool_free_bytes', l, p.freeBytes);
  b.put('sov_zfs_pool_fragmentation_ratio', l, ratio(p.fragmentationPct));
  b.put('sov_zfs_pool_scan_info', { ...l, kind: p.scan.kind, state: p.scan.state }, 1);
  if (p.scan.kind !== 'none') {
    b.put('sov_zfs_pool_scan_progress_ratio', { ...l, kind: p.scan.kind }, p.scan.state === 'finished' ? 1 : ratio(p.scan.pct));
    if (p.scan.state === 'running') b.put('sov_zfs_pool_scan_eta_seconds', { ...l, kind: p.scan.kind }, p.scan.etaSeconds);
  }
  b.put('sov_zfs_pool_errors_total', { ...l, type: 'read' }, p.read);
  b.put('sov_zfs_pool_errors_total', { ...l, type: 'write' }, p.write);
  b.put('sov_zfs_pool_errors_total', { ...l, type: 'checksum' }, p.cksum);
  for (const v of p.vdevs) vdevMetrics(b, p.name, v, 'data');
}

function zfsMetrics(b: Builder, d: ZfsData): void {
  for (const p of d.pools) poolMetrics(b, p);
  b.put('sov_zfs_arc_size_bytes', {}, d.arc?.sizeBytes);
  b.put('sov_zfs_arc_target_bytes', {}, d.arc?.targetBytes);
  b.put('sov_zfs_arc_max_bytes', {}, d.arc?.maxBytes);
  b.put('sov_zfs_arc_hits_total', {}, d.arc?.hits);
  b.put('sov_zfs_arc_misses_total', {}, d.arc?.misses);
}

function engineMetrics(b: Builder, engines: EngineStatus[], gpus: Gpu[]): void {
  const vram = engineGpuVram(engines, gpus);
  for (const e of engines) {
    const l = { engine: e.name };
    b.states('sov_engine_state', { ...l, kind: e.kind }, ENGINE_STATES, e.state);
    b.put('sov_engine_restarts_total', l, e.restarts);
    b.put('sov_engine_tokens_per_second', l, e.tokPerSec);
    b.put('sov_engine_requests_running', l, e.requestsRunning);
    b.put('sov_engine_requests_waiting', l, e.requestsWaiting);
    b.put('sov_engine_kv_cache_usage_ratio', l, ratio(e.kvCachePct));
    b.put('sov_engine_resident_memory_bytes', l, e.rssBytes);
    for (const v of vram.get(e.name) ?? []) b.put('sov_engine_gpu_memory_bytes', { ...l, gpu: String(v.gpu.index), UUID: v.gpu.uuid }, v.bytes);
  }
}

function vmMetrics(b: Builder, d: VmsData): void {
  for (const v of d.vms) {
    const l = { vm: v.name };
    b.states('sov_vm_state', { ...l, kind: v.kind }, VM_STATES, v.state);
    b.put('sov_vm_vcpus', l, v.vcpus);
    b.put('sov_vm_memory_bytes', l, v.memBytes);
    b.put('sov_vm_memory_used_bytes', l, v.memUsedBytes);
  }
}

/** The readings → metric families, in catalogue order of first appearance. Never throws on odd data. */
export function buildFamilies(input: ExportInput): Families {
  const b = new Builder();
  const s = input.samples;
  const hostname = dataOf(s.system)?.hostname ?? input.host;
  sourceMetrics(b, s);
  const nv = dataOf(s.nvidia);
  if (nv) gpuMetrics(b, nv, hostname);
  const numa = dataOf(s.numa);
  if (numa) numaMetrics(b, numa);
  const zfs = dataOf(s.zfs);
  if (zfs) zfsMetrics(b, zfs);
  if (input.engines) engineMetrics(b, input.engines, nv?.gpus ?? []);
  for (const t of input.tunnels ?? []) {
    b.states('sov_tunnel_state', { tunnel: t.name }, ENGINE_STATES, t.state);
    b.put('sov_tunnel_restarts_total', { tunnel: t.name }, t.restarts);
  }
  for (const h of input.hosts ?? []) {
    b.put('sov_host_up', { host: h.host }, h.up ? 1 : 0);
    b.put('sov_host_check_duration_seconds', { host: h.host }, h.seconds);
  }
  const vms = dataOf(s.vms);
  if (vms) vmMetrics(b, vms);
  return b.families;
}

/** A fresh prom-client registry holding exactly these families (counters set to the box's totals). */
export function toRegistry(families: Families): Registry {
  const reg = new Registry();
  for (const f of families.values()) {
    const def = CATALOGUE[f.name];
    const o = { name: f.name, help: def.help, labelNames: [...def.labels], registers: [reg] };
    if (def.type === 'counter') {
      const c = new Counter(o);
      for (const r of f.rows) c.inc(r.labels, r.value);
    } else {
      const g = new Gauge(o);
      for (const r of f.rows) g.set(r.labels, r.value);
    }
  }
  return reg;
}

/** The exposition text (Prometheus text format 0.0.4) and its content type. */
export async function renderMetrics(input: ExportInput): Promise<{ text: string; contentType: string }> {
  const reg = toRegistry(buildFamilies(input));
  return { text: await reg.metrics(), contentType: reg.contentType };
}
