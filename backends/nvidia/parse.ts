/**
 * Pure, total parsers for nvidia-smi output. Nothing here throws: odd input becomes warnings and partial data.
 * `[N/A]`, `[Not Supported]`, `N/A`, `ERR!`, blanks become `undefined`, never 0.
 */
import { parseXml } from './xml.js';
import type { EccErrors, Gpu, GpuProcess, MigDevice, NvidiaData, PcieLink } from './types.js';

const MiB = 1024 * 1024;

/** The fast fields read from the long-lived `--query-gpu … -lms` stream, in order. */
export const FAST_FIELDS = [
  'index', 'uuid', 'name', 'utilization.gpu', 'utilization.memory', 'memory.used', 'memory.total', 'temperature.gpu',
  'power.draw', 'power.limit', 'fan.speed', 'clocks.sm', 'clocks.mem', 'pstate', 'pcie.link.gen.current',
  'pcie.link.gen.max', 'pcie.link.width.current', 'pcie.link.width.max', 'clocks_event_reasons.active',
] as const;

/** NVML clock event (throttle) reason bits → names. */
export const CLOCK_REASON_BITS: readonly (readonly [number, string])[] = [
  [0x1, 'gpu_idle'],
  [0x2, 'applications_clocks_setting'],
  [0x4, 'sw_power_cap'],
  [0x8, 'hw_slowdown'],
  [0x10, 'sync_boost'],
  [0x20, 'sw_thermal_slowdown'],
  [0x40, 'hw_thermal_slowdown'],
  [0x80, 'hw_power_brake_slowdown'],
  [0x100, 'display_clock_setting'],
];

/** Values nvidia-smi prints when something is faulty rather than merely absent. */
const FAULT_RE = /GPU is lost|fallen off the bus|GPU requires reset|Unknown Error/i;

function faultText(v: string): string {
  if (/fallen off the bus|GPU is lost/i.test(v)) return 'GPU is lost (fallen off the bus)';
  if (/requires reset/i.test(v)) return 'GPU requires reset';
  return 'Unknown Error';
}

/** A cell's text, or undefined for the "no value" markers. */
export function cleanValue(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (!t || t === '-' || t === 'N/A' || t === 'ERR!' || t === 'None' || /^\[.*\]$/.test(t) || /^Not Supported$/i.test(t)) return undefined;
  if (FAULT_RE.test(t) || /^Insufficient Permissions$/i.test(t) || /^Requested functionality has been deprecated$/i.test(t)) return undefined;
  return t;
}

/** "350.92 W", "45 %", "81559", "45 C" → number; anything else → undefined. */
export function parseNumber(v: string | undefined): number | undefined {
  const t = cleanValue(v);
  if (t === undefined) return undefined;
  const m = /^(-?\d+(?:\.\d+)?)\s*(?:[A-Za-z%/\u00b0]+(?:\/s)?)?$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : undefined;
}

/** "123 MiB" (or a bare number of MiB) → bytes. */
export function parseMiB(v: string | undefined): number | undefined {
  const t = cleanValue(v);
  if (t === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|B)?$/i.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  const unit = (m[2] ?? 'MiB').toLowerCase();
  const mult = unit === 'gib' ? 1024 * MiB : unit === 'kib' ? 1024 : unit === 'b' ? 1 : MiB;
  return Math.round(n * mult);
}

function parseInt10(v: string | undefined): number | undefined {
  const n = parseNumber(v);
  return n === undefined || !Number.isInteger(n) ? undefined : n;
}

/** "16x" / "16" → 16 */
function parseWidth(v: string | undefined): number | undefined {
  const t = cleanValue(v);
  if (t === undefined) return undefined;
  const m = /^(\d+)\s*x?$/i.exec(t);
  return m ? Number(m[1]) : undefined;
}

function parseBool(v: string | undefined): boolean | undefined {
  const t = cleanValue(v)?.toLowerCase();
  if (t === 'enabled' || t === 'yes' || t === 'active' || t === 'on') return true;
  if (t === 'disabled' || t === 'no' || t === 'not active' || t === 'off') return false;
  return undefined;
}

function parseMode(v: string | undefined): 'enabled' | 'disabled' | undefined {
  const b = parseBool(v);
  return b === undefined ? undefined : b ? 'enabled' : 'disabled';
}

/** `0x0000000000000044` → ['sw_power_cap', 'hw_thermal_slowdown']; undefined when not a bitmask. */
export function decodeClockReasons(v: string | undefined, warnings?: string[]): string[] | undefined {
  const t = cleanValue(v);
  if (t === undefined) return undefined;
  if (!/^0x[0-9a-f]{1,16}$/i.test(t)) { warnings?.push(`clock reasons: not a bitmask: ${t.slice(0, 40)}`); return undefined; }
  const low = parseInt(t.slice(-8), 16);
  const high = t.length > 10 ? parseInt(t.slice(2, -8), 16) : 0;
  const out: string[] = [];
  let known = 0;
  for (const [bit, name] of CLOCK_REASON_BITS) { known |= bit; if (low & bit) out.push(name); }
  const unknown = (low & ~known) >>> 0;
  if (unknown || high) out.push(`unknown_0x${(high ? high.toString(16) : '') + (high ? unknown.toString(16).padStart(8, '0') : unknown.toString(16))}`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// CSV (`--query-gpu=… --format=csv,noheader,nounits`, also tolerated with a header line and units)

/** Field aliases: what the stream/other captures call the same thing. First match in a row wins. */
const CSV_ALIASES: Record<string, string> = {
  gpu_uuid: 'uuid', gpu_name: 'name', gpu_bus_id: 'pci.bus_id',
  'clocks.current.sm': 'clocks.sm', 'clocks.current.memory': 'clocks.mem', 'clocks.memory': 'clocks.mem',
  'clocks.max.memory': 'clocks.max.mem', 'power.draw.instant': 'power.draw', 'enforced.power.limit': 'power.limit',
  'clocks_throttle_reasons.active': 'clocks_event_reasons.active', 'persistence_mode': 'persistence_mode',
  'mig.mode.current': 'mig.mode.current',
};

/** Strip " [MiB]" from a header cell and resolve aliases. */
function canonicalField(f: string): string {
  const base = f.trim().replace(/\s*\[[^\]]*\]$/, '');
  return CSV_ALIASES[base] ?? base;
}

export interface CsvRowResult {
  gpu: Gpu;
  /** whether the row carried a clock-reasons value (an empty array then means "none active") */
  reasonsKnown: boolean;
}

function emptyGpu(index: number): Gpu {
  return { index, uuid: '', name: `GPU ${index}`, pcie: {}, throttleReasons: [], processes: [] };
}

function splitCsv(line: string): string[] {
  return line.split(',').map((c) => c.trim());
}

/**
 * One CSV row → a Gpu holding what the row says. Returns undefined (and a warning) for lines that are not rows.
 * `ordinal` is used as the index when the row has no usable `index` column.
 */
export function parseQueryCsvRow(line: string, fields: readonly string[], warnings: string[], ordinal = 0): CsvRowResult | undefined {
  const trimmed = line.replace(/\r$/, '').trim();
  if (!trimmed) return undefined;
  const cells = splitCsv(trimmed);
  if (cells.length < 2 && fields.length > 1) { warnings.push(`odd line: ${trimmed.slice(0, 120)}`); return undefined; }
  if (cells.length !== fields.length) warnings.push(`row has ${cells.length} columns, expected ${fields.length}`);
  const g = emptyGpu(ordinal);
  let indexSeen = false;
  let nameSeen = false;
  let reasonsKnown = false;
  const pcie: PcieLink = {};
  const set = <K extends keyof Gpu>(k: K, v: Gpu[K] | undefined) => { if (v !== undefined && g[k] === undefined) g[k] = v; };
  const setP = <K extends keyof PcieLink>(k: K, v: PcieLink[K] | undefined) => { if (v !== undefined && pcie[k] === undefined) pcie[k] = v; };
  for (let i = 0; i < Math.min(cells.length, fields.length); i++) {
    const raw = cells[i]!;
    const f = canonicalField(fields[i]!);
    switch (f) {
      case 'index': { const n = parseInt10(raw); if (n !== undefined && n >= 0 && !indexSeen) { g.index = n; indexSeen = true; } break; }
      case 'uuid': { const v = cleanValue(raw); if (v && !g.uuid) g.uuid = v; break; }
      case 'name': { const v = cleanValue(raw); if (v && !nameSeen) { g.name = v; nameSeen = true; } break; }
      case 'pci.bus_id': set('busId', cleanValue(raw)); break;
      case 'utilization.gpu': set('utilPct', parseNumber(raw)); break;
      case 'utilization.memory': set('memUtilPct', parseNumber(raw)); break;
      case 'memory.used': set('memUsedBytes', parseMiB(raw)); break;
      case 'memory.total': set('memTotalBytes', parseMiB(raw)); break;
      case 'temperature.gpu': set('tempC', parseNumber(raw)); break;
      case 'power.draw': set('powerDrawW', parseNumber(raw)); break;
      case 'power.limit': set('powerLimitW', parseNumber(raw)); break;
      case 'fan.speed': set('fanPct', parseNumber(raw)); break;
      case 'clocks.sm': set('smClockMHz', parseNumber(raw)); break;
      case 'clocks.mem': set('memClockMHz', parseNumber(raw)); break;
      case 'clocks.max.sm': set('smClockMaxMHz', parseNumber(raw)); break;
      case 'clocks.max.mem': set('memClockMaxMHz', parseNumber(raw)); break;
      case 'pstate': { const v = cleanValue(raw); if (v && /^P\d{1,2}$/.test(v)) set('pstate', v); break; }
      case 'persistence_mode': set('persistenceMode', parseBool(raw)); break;
      case 'mig.mode.current': set('migMode', parseMode(raw)); break;
      case 'pcie.link.gen.current': setP('genCurrent', parseInt10(raw)); break;
      case 'pcie.link.gen.max': setP('genMax', parseInt10(raw)); break;
      case 'pcie.link.gen.gpumax': setP('genDeviceMax', parseInt10(raw)); break;
      case 'pcie.link.gen.hostmax': setP('genHostMax', parseInt10(raw)); break;
      case 'pcie.link.width.current': setP('widthCurrent', parseWidth(raw)); break;
      case 'pcie.link.width.max': setP('widthMax', parseWidth(raw)); break;
      case 'clocks_event_reasons.active': {
        if (reasonsKnown) break;
        const r = decodeClockReasons(raw, warnings);
        if (r) { g.throttleReasons = r; reasonsKnown = true; }
        break;
      }
      default: break;
    }
  }
  g.pcie = pcie;
  const idCells = fields.map((f, i) => [canonicalField(f), cells[i]] as const).filter(([f]) => f === 'name' || f === 'uuid').map(([, c]) => c);
  const fault = detectFault(cells, idCells);
  if (fault) g.fault = fault;
  if (!indexSeen && !g.uuid && !nameSeen) { warnings.push(`row without index/uuid/name: ${trimmed.slice(0, 120)}`); return undefined; }
  return { gpu: g, reasonsKnown };
}

const KNOWN_HEADER = new Set(['index', 'uuid', 'name', 'pci.bus_id', 'pstate', 'memory.total', 'utilization.gpu', 'timestamp', 'driver_version']);

/** Is this line a CSV header (`name, uuid, fan.speed [%], …`)? */
function isHeader(line: string): boolean {
  const cells = splitCsv(line).map((c) => c.replace(/\s*\[[^\]]*\]$/, ''));
  return cells.filter((c) => KNOWN_HEADER.has(c)).length >= 1 && cells.every((c) => /^[a-z0-9_.]+$/i.test(c));
}

/**
 * `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits` (one or many samples, e.g. from `-lms`):
 * the latest row per GPU index, in index order. A header line, if present, overrides `fields`.
 */
export function parseQueryCsv(text: string, fields: readonly string[]): { gpus: Gpu[]; warnings: string[] } {
  const warnings: string[] = [];
  const byIndex = new Map<number, Gpu>();
  try {
    let cols: readonly string[] = fields;
    let ordinal = 0;
    let first = true;
    for (const line of String(text ?? '').split('\n')) {
      const t = line.trim();
      if (!t) continue;
      if (first) {
        first = false;
        if (isHeader(t)) { cols = splitCsv(t); continue; }
      }
      const err = classifyNvidiaError(t);
      if (err) { warnings.push(err.message); continue; }
      const r = parseQueryCsvRow(t, cols, warnings, ordinal);
      if (!r) continue;
      ordinal = r.gpu.index + 1;
      byIndex.set(r.gpu.index, r.gpu);
    }
  } catch (e) {
    warnings.push(`csv parser: ${(e as Error).message}`);
  }
  return { gpus: [...byIndex.values()].sort((a, b) => a.index - b.index), warnings: cap(warnings) };
}

function cap(w: string[], n = 50): string[] {
  return w.length > n ? [...w.slice(0, n), `… ${w.length - n} more warnings`] : w;
}

// ---------------------------------------------------------------------------------------------------------------
// XML (`nvidia-smi -q -x`)

type Node = Record<string, unknown>;

const IS_ARRAY = (name: string) => name === 'gpu' || name === 'process_info' || name === 'mig_device';

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(o: unknown, ...path: string[]): unknown {
  let cur: unknown = o;
  for (const p of path) {
    if (!isNode(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Text of an element ('' for an empty one), or undefined when it is absent or not text. */
function text(o: unknown, ...path: string[]): string | undefined {
  const v = at(o, ...path);
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isNode(v) && typeof v['#text'] === 'string') return v['#text'].trim();
  return undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v];
}

function firstNum(o: unknown, paths: string[][], f: (v: string | undefined) => number | undefined = parseNumber): number | undefined {
  for (const p of paths) { const n = f(text(o, ...p)); if (n !== undefined) return n; }
  return undefined;
}

function sumDefined(...xs: (number | undefined)[]): number | undefined {
  const d = xs.filter((x): x is number => x !== undefined);
  return d.length ? d.reduce((a, b) => a + b, 0) : undefined;
}

function eccSection(sec: unknown): { corrected?: number; uncorrected?: number } {
  if (!isNode(sec)) return {};
  // old layout: <single_bit><total>, <double_bit><total>
  if (isNode(sec['single_bit']) || isNode(sec['double_bit'])) {
    return { corrected: parseInt10(text(sec, 'single_bit', 'total')), uncorrected: parseInt10(text(sec, 'double_bit', 'total')) };
  }
  const n = (k: string) => parseInt10(text(sec, k));
  return {
    corrected: sumDefined(n('sram_correctable'), n('dram_correctable')),
    uncorrected: sumDefined(n('sram_uncorrectable'), n('sram_uncorrectable_parity'), n('sram_uncorrectable_secded'), n('dram_uncorrectable')),
  };
}

function allDefinedEmpty(o: Record<string, unknown>): boolean {
  return Object.values(o).every((v) => v === undefined);
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function leaves(node: unknown, out: string[], depth = 0): string[] {
  if (depth > 6) return out;
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const x of node) leaves(x, out, depth + 1);
  else if (isNode(node)) for (const [k, v] of Object.entries(node)) if (k !== 'supported_clocks') leaves(v, out, depth + 1);
  return out;
}

/**
 * A fault: any value says the GPU is lost / needs a reset, or "Unknown Error" stands in for its identity
 * (name, uuid) or for several values at once (one odd sensor alone is not a fault).
 */
export function detectFault(values: string[], identity: (string | undefined)[]): string | undefined {
  const hard = values.find((v) => /GPU is lost|fallen off the bus|GPU requires reset/i.test(v));
  if (hard) return faultText(hard);
  const unknown = values.filter((v) => /Unknown Error/i.test(v)).length;
  if (identity.some((v) => v !== undefined && /Unknown Error/i.test(v)) || unknown >= 3) return 'Unknown Error';
  return undefined;
}

/** One `<gpu>` element → Gpu. */
function gpuFromXml(n: unknown, index: number, warnings: string[]): Gpu {
  const g = emptyGpu(index);
  if (!isNode(n)) { warnings.push(`gpu ${index}: unexpected element`); return g; }
  const name = cleanValue(text(n, 'product_name'));
  if (name) g.name = name;
  g.uuid = cleanValue(text(n, 'uuid')) ?? '';
  const bus = cleanValue(text(n, 'pci', 'pci_bus_id')) ?? cleanValue(text(n, '@_id'));
  const persistence = parseBool(text(n, 'persistence_mode'));
  const mig = parseMode(text(n, 'mig_mode', 'current_mig'));
  const pgen = at(n, 'pci', 'pci_gpu_link_info', 'pcie_gen');
  const pw = at(n, 'pci', 'pci_gpu_link_info', 'link_widths');
  const pcie: PcieLink = strip({
    genCurrent: parseInt10(text(pgen, 'current_link_gen')) ?? parseInt10(text(pgen, 'device_current_link_gen')),
    genMax: parseInt10(text(pgen, 'max_link_gen')),
    genDeviceMax: parseInt10(text(pgen, 'max_device_link_gen')),
    genHostMax: parseInt10(text(pgen, 'max_host_link_gen')),
    widthCurrent: parseWidth(text(pw, 'current_link_width')),
    widthMax: parseWidth(text(pw, 'max_link_width')),
  });
  if (pcie.genMax === undefined && pcie.genDeviceMax !== undefined) {
    pcie.genMax = pcie.genHostMax !== undefined ? Math.min(pcie.genHostMax, pcie.genDeviceMax) : pcie.genDeviceMax;
  }
  // clock event / throttle reasons: new <clocks_event_reasons> or old <clocks_throttle_reasons>
  const reasons: string[] = [];
  for (const [sec, prefix] of [['clocks_event_reasons', 'clocks_event_reason_'], ['clocks_throttle_reasons', 'clocks_throttle_reason_']] as const) {
    const s = at(n, sec);
    if (!isNode(s)) continue;
    for (const [k, v] of Object.entries(s)) {
      if (!k.startsWith(prefix) || typeof v !== 'string') continue;
      if (cleanValue(v)?.toLowerCase() !== 'active') continue;
      let r = k.slice(prefix.length);
      if (r === 'display_clocks_setting') r = 'display_clock_setting';
      if (!reasons.includes(r)) reasons.push(r);
    }
  }
  g.throttleReasons = reasons;
  const power = isNode(at(n, 'gpu_power_readings')) ? at(n, 'gpu_power_readings') : at(n, 'power_readings');
  const eccVol = eccSection(at(n, 'ecc_errors', 'volatile'));
  const eccAgg = eccSection(at(n, 'ecc_errors', 'aggregate'));
  const ecc: EccErrors = strip({ correctedVolatile: eccVol.corrected, uncorrectedVolatile: eccVol.uncorrected, correctedAggregate: eccAgg.corrected, uncorrectedAggregate: eccAgg.uncorrected });
  const rp = at(n, 'retired_pages');
  const retired = isNode(rp) ? strip({
    singleBit: parseInt10(text(rp, 'multiple_single_bit_retirement', 'retired_count')),
    doubleBit: parseInt10(text(rp, 'double_bit_retirement', 'retired_count')),
    pending: parseBool(text(rp, 'pending_retirement')),
  }) : undefined;
  const rr = at(n, 'remapped_rows');
  const remapped = isNode(rr) ? strip({
    correctable: parseInt10(text(rr, 'remapped_row_corr')),
    uncorrectable: parseInt10(text(rr, 'remapped_row_unc')),
    pending: parseBool(text(rr, 'remapped_row_pending')),
    failure: parseBool(text(rr, 'remapped_row_failure')),
  }) : undefined;
  const migDevices: MigDevice[] = [];
  for (const [i, m] of arr(at(n, 'mig_devices', 'mig_device')).entries()) {
    if (!isNode(m)) continue;
    migDevices.push(strip({
      index: parseInt10(text(m, 'index')) ?? i,
      gpuInstanceId: parseInt10(text(m, 'gpu_instance_id')),
      computeInstanceId: parseInt10(text(m, 'compute_instance_id')),
      memUsedBytes: parseMiB(text(m, 'fb_memory_usage', 'used')),
      memTotalBytes: parseMiB(text(m, 'fb_memory_usage', 'total')),
    }));
  }
  const processes: GpuProcess[] = [];
  for (const p of arr(at(n, 'processes', 'process_info'))) {
    if (!isNode(p)) continue;
    const pid = parseInt10(text(p, 'pid'));
    if (pid === undefined) { warnings.push(`gpu ${index}: process without pid`); continue; }
    processes.push(strip({ pid, name: text(p, 'process_name') ?? '', usedMemBytes: parseMiB(text(p, 'used_memory')), type: cleanValue(text(p, 'type')) }));
  }
  const pstate = cleanValue(text(n, 'performance_state'));
  Object.assign(g, strip({
    busId: bus,
    utilPct: parseNumber(text(n, 'utilization', 'gpu_util')),
    memUtilPct: parseNumber(text(n, 'utilization', 'memory_util')),
    memUsedBytes: parseMiB(text(n, 'fb_memory_usage', 'used')),
    memTotalBytes: parseMiB(text(n, 'fb_memory_usage', 'total')),
    tempC: parseNumber(text(n, 'temperature', 'gpu_temp')),
    powerDrawW: firstNum(power, [['power_draw'], ['instant_power_draw'], ['average_power_draw']]),
    powerLimitW: firstNum(power, [['current_power_limit'], ['power_limit'], ['enforced_power_limit']]),
    fanPct: parseNumber(text(n, 'fan_speed')),
    smClockMHz: parseNumber(text(n, 'clocks', 'sm_clock')),
    memClockMHz: parseNumber(text(n, 'clocks', 'mem_clock')),
    smClockMaxMHz: parseNumber(text(n, 'max_clocks', 'sm_clock')),
    memClockMaxMHz: parseNumber(text(n, 'max_clocks', 'mem_clock')),
    pstate: pstate && /^P\d{1,2}$/.test(pstate) ? pstate : undefined,
    persistenceMode: persistence,
    migMode: mig,
    eccMode: parseMode(text(n, 'ecc_mode', 'current_ecc')),
    eccErrors: allDefinedEmpty(ecc as Record<string, unknown>) ? undefined : ecc,
    retiredPages: retired && !allDefinedEmpty(retired as Record<string, unknown>) ? retired : undefined,
    remappedRows: remapped && !allDefinedEmpty(remapped as Record<string, unknown>) ? remapped : undefined,
    migDevices: migDevices.length ? migDevices : undefined,
    fault: detectFault(leaves(n, []), [text(n, 'product_name'), text(n, 'uuid')]),
  }));
  g.pcie = pcie;
  g.processes = processes;
  return g;
}

/** Regex fallback for XML the parser rejects (truncated by a timeout, corrupted): each `<gpu>` block alone. */
function salvage(src: string, warnings: string[]): NvidiaData {
  const data: NvidiaData = { gpus: [], warnings };
  const dv = /<driver_version>([^<]*)<\/driver_version>/.exec(src)?.[1];
  const cv = /<cuda_version>([^<]*)<\/cuda_version>/.exec(src)?.[1];
  if (cleanValue(dv)) data.driverVersion = cleanValue(dv);
  if (cleanValue(cv)) data.cudaVersion = cleanValue(cv);
  const re = /<gpu\b[^>]*>[\s\S]*?<\/gpu>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) {
    try {
      const doc: unknown = parseXml(m[0], IS_ARRAY);
      const g = arr(at(doc, 'gpu'))[0];
      if (g !== undefined) data.gpus.push(gpuFromXml(g, data.gpus.length, warnings));
    } catch {
      warnings.push(`gpu ${data.gpus.length}: unreadable XML block skipped`);
    }
  }
  return data;
}

/**
 * The text without its <supported_clocks> blocks: every clock pair the card supports, hundreds of elements a GPU
 * (most of a real -q -x), of which nothing is read. An unclosed block is left for the parser to judge.
 */
export function withoutSupportedClocks(s: string): string {
  const open = '<supported_clocks>';
  const close = '</supported_clocks>';
  let at = s.indexOf(open);
  if (at < 0) return s;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const end = s.indexOf(close, at);
    if (end < 0) break;
    out += s.slice(from, at);
    from = end + close.length;
    at = s.indexOf(open, from);
  }
  return out + s.slice(from);
}

/** `nvidia-smi -q -x` → NvidiaData. GPUs are indexed in document order (nvidia-smi lists them by index). */
export function parseQX(src: string): NvidiaData {
  const warnings: string[] = [];
  const s = withoutSupportedClocks(String(src ?? ''));
  if (!s.trim()) return { gpus: [], warnings: ['empty nvidia-smi -q -x output'] };
  // a document cut short (a timed-out nvidia-smi) gives only its whole <gpu> blocks, never half a GPU
  if (!s.includes('</nvidia_smi_log>')) {
    warnings.push('nvidia-smi -q -x: malformed XML (cut short: no </nvidia_smi_log>)');
    try { return salvage(s, warnings); } catch { return { gpus: [], warnings }; }
  }
  const doc: unknown = parseXml(s, IS_ARRAY);
  try {
    const root = at(doc, 'nvidia_smi_log');
    if (!isNode(root)) {
      warnings.push('nvidia-smi -q -x: no <nvidia_smi_log> element');
      return salvage(s, warnings);
    }
    const data: NvidiaData = { gpus: [], warnings };
    const dv = cleanValue(text(root, 'driver_version'));
    const cv = cleanValue(text(root, 'cuda_version'));
    if (dv) data.driverVersion = dv;
    if (cv) data.cudaVersion = cv;
    for (const [i, g] of arr(root['gpu']).entries()) data.gpus.push(gpuFromXml(g, i, warnings));
    const attached = parseInt10(text(root, 'attached_gpus'));
    if (attached !== undefined && attached !== data.gpus.length) warnings.push(`attached_gpus says ${attached}, ${data.gpus.length} listed`);
    data.warnings = cap(warnings);
    return data;
  } catch (e) {
    warnings.push(`nvidia-smi -q -x: ${(e as Error).message}`);
    return { gpus: [], warnings };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Error text

export type NvidiaErrorKind =
  | 'driver-not-loaded' | 'version-mismatch' | 'gpu-lost' | 'no-devices' | 'invalid-field' | 'nvml' | 'permission';

export interface NvidiaError {
  kind: NvidiaErrorKind;
  message: string;
  hint: string;
  /** the field nvidia-smi rejected (invalid-field) */
  field?: string;
  /** the PCI bus id of a lost GPU, as printed */
  busId?: string;
}

/** Classifies nvidia-smi's error output; undefined when the text is not a known error. */
export function classifyNvidiaError(out: string): NvidiaError | undefined {
  const t = String(out ?? '');
  if (!t.trim()) return undefined;
  const field = /Field "([^"]*)" is not a valid field to query/.exec(t);
  if (field) return { kind: 'invalid-field', field: field[1], message: `nvidia-smi does not know the field "${field[1]}"`, hint: 'an older driver: the field list falls back where it can' };
  if (/couldn't communicate with the NVIDIA driver|could not communicate with the NVIDIA driver/i.test(t)) {
    return { kind: 'driver-not-loaded', message: "nvidia-smi couldn't communicate with the NVIDIA driver", hint: 'the kernel module is not loaded: check `lsmod | grep nvidia`, `dmesg`, and that the driver matches the running kernel (a reboot after a kernel/driver update)' };
  }
  if (/Driver\/library version mismatch/i.test(t)) {
    return { kind: 'version-mismatch', message: 'NVML: driver/library version mismatch', hint: 'the driver was updated but the old kernel module is still loaded: reboot (or unload and reload the nvidia modules)' };
  }
  const lost = /Unable to determine the device handle for GPU\s*([0-9A-Fa-f:.]+)?\s*:\s*(GPU is lost|Unknown Error|GPU requires reset)?/i.exec(t);
  if (lost || /fallen off the bus|GPU is lost/i.test(t)) {
    const bus = lost?.[1]?.replace(/[:.]$/, '');
    const why = /fallen off the bus|GPU is lost/i.test(t) ? 'has fallen off the bus (GPU is lost)' : /requires reset/i.test(t) ? 'requires a reset' : 'is not responding (Unknown Error)';
    return strip({ kind: 'gpu-lost' as const, busId: bus, message: `GPU ${bus ?? ''}${bus ? ' ' : ''}${why}`.replace(/\s+/g, ' '), hint: 'check `dmesg` for Xid 79/Xid errors; the GPU needs a reset (nvidia-smi -r) or a reboot; check power and riser' });
  }
  if (/No devices were found/i.test(t)) return { kind: 'no-devices', message: 'nvidia-smi found no GPUs', hint: 'check `lspci | grep -i nvidia`, that the GPUs are passed through to this host, and `dmesg`' };
  if (/Insufficient Permissions/i.test(t)) return { kind: 'permission', message: 'nvidia-smi: insufficient permissions', hint: 'run as a user that can open /dev/nvidia*' };
  const nvml = /Failed to initialize NVML:?\s*([^\n]*)/i.exec(t);
  if (nvml) return { kind: 'nvml', message: `Failed to initialize NVML: ${nvml[1]?.trim() || 'unknown error'}`, hint: 'check the driver installation and `dmesg`' };
  return undefined;
}
