/**
 * Pure, total parsers for the /proc files the host panel needs, and the rate arithmetic between two readings.
 * None of them throws; odd lines become `warnings`; unknown values stay `undefined`, never 0.
 */
import { sanitize } from '../../src/text/sanitize.js';

/** A non-negative decimal integer that fits a double exactly, else undefined. */
function uint(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  // digits only (a loop: this runs for every number of /proc/stat and /proc/diskstats, every second)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function ufloat(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+(?:\.\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

const clip = (s: string, n = 60) => (s.length > n ? s.slice(0, n) + '…' : s);

// ---------------------------------------------------------------- /proc/stat

/** Jiffies: `busy` excludes idle and iowait; `total` is every field up to steal (guest is already inside user). */
export interface CpuTimes { busy: number; total: number }

export interface ProcStat {
  total?: CpuTimes;
  cores: { id: number; times: CpuTimes }[];
  warnings: string[];
}

// The /proc tables are read every second: their lines are taken apart by offsets, not split into field strings.
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d;
const MAX_FIELDS = 32;
/** start and end offsets of the fields of the line last measured by fieldSpans() */
const SPANS = new Int32Array(2 * MAX_FIELDS);

/** Finds the whitespace-separated fields of a line (the first MAX_FIELDS are kept in SPANS); returns how many. */
function fieldSpans(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; ) {
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (i >= line.length) break;
    const start = i;
    while (i < line.length && !isSpace(line.charCodeAt(i))) i++;
    if (n < MAX_FIELDS) { SPANS[2 * n] = start; SPANS[2 * n + 1] = i; }
    n++;
  }
  return n;
}

const fieldAt = (line: string, k: number) => line.slice(SPANS[2 * k], SPANS[2 * k + 1]);

/** Field k of the last measured line as a non-negative integer (digits only, exactly representable), else undefined. */
function uintAt(line: string, k: number): number | undefined {
  const from = SPANS[2 * k]!;
  const to = SPANS[2 * k + 1]!;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return to > from && Number.isSafeInteger(n) ? n : undefined;
}

/** Jiffies from fields 1.. of the last measured `cpu…` line (of `count` fields). */
function cpuTimes(line: string, count: number): CpuTimes | undefined {
  if (count < 5) return undefined;
  // user nice system idle iowait irq softirq steal
  let total = 0;
  let idle = 0;
  for (let k = 1; k <= 8 && k < count; k++) {
    const n = uintAt(line, k);
    if (n === undefined) return undefined;
    total += n;
    if (k === 4 || k === 5) idle += n;
  }
  if (!Number.isSafeInteger(total)) return undefined;
  return { busy: total - idle, total };
}

export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = { cores: [], warnings: [] };
  const seen = new Set<number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const count = fieldSpans(line);
    const name = fieldAt(line, 0);
    const digits = name.slice(3);
    const isCpu = name.startsWith('cpu') && (digits === '' || uint(digits) !== undefined);
    const times = isCpu ? cpuTimes(line, count) : undefined;
    if (!isCpu || !times) { out.warnings.push(`/proc/stat: unreadable line "${clip(line.trim())}"`); continue; }
    if (digits === '') { out.total = times; continue; }
    const id = uint(digits);
    if (id === undefined || seen.has(id)) { out.warnings.push(`/proc/stat: odd cpu "${clip(name)}"`); continue; }
    seen.add(id);
    out.cores.push({ id, times });
  }
  out.cores.sort((a, b) => a.id - b.id);
  return out;
}

/** Busy share between two readings, 0–100; undefined without a usable delta (first reading, counter reset). */
export function utilPct(prev: CpuTimes | undefined, cur: CpuTimes | undefined): number | undefined {
  if (!prev || !cur) return undefined;
  const dt = cur.total - prev.total;
  const db = cur.busy - prev.busy;
  if (dt <= 0 || db < 0 || db > dt) return undefined;
  return (100 * db) / dt;
}

// ---------------------------------------------------------------- /proc/loadavg, /proc/uptime

export function parseLoadavg(text: string): { load: [number, number, number] | undefined; warnings: string[] } {
  const f = text.trim().split(/\s+/);
  const [a, b, c] = [ufloat(f[0]), ufloat(f[1]), ufloat(f[2])];
  if (a === undefined || b === undefined || c === undefined) return { load: undefined, warnings: [`/proc/loadavg: unreadable "${clip(text.trim())}"`] };
  return { load: [a, b, c], warnings: [] };
}

export function parseUptime(text: string): { uptimeSec?: number; warnings: string[] } {
  const v = ufloat(text.trim().split(/\s+/)[0]);
  return v === undefined ? { warnings: [`/proc/uptime: unreadable "${clip(text.trim())}"`] } : { uptimeSec: v, warnings: [] };
}

// ---------------------------------------------------------------- /proc/meminfo

export interface MemInfo {
  totalBytes?: number;
  availableBytes?: number;
  freeBytes?: number;
  swapTotalBytes?: number;
  swapUsedBytes?: number;
  warnings: string[];
}

/** `/proc/meminfo` ("MemTotal:  131072000 kB"). MemAvailable is absent before Linux 3.14: left undefined. */
export function parseProcMeminfo(text: string): MemInfo {
  const warnings: string[] = [];
  const kv = new Map<string, number>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    const m = /^([A-Za-z0-9_()]+):\s+(\S+)(?:\s+(\S+))?$/.exec(t);
    const v = uint(m?.[2]);
    if (!m || v === undefined || (m[3] !== undefined && m[3] !== 'kB')) { warnings.push(`/proc/meminfo: unreadable line "${clip(t)}"`); continue; }
    kv.set(m[1]!, m[3] === 'kB' ? v * 1024 : v);
  }
  const out: MemInfo = { warnings };
  const total = kv.get('MemTotal');
  if (total !== undefined) out.totalBytes = total;
  else warnings.push('/proc/meminfo: no MemTotal');
  const avail = kv.get('MemAvailable');
  if (avail !== undefined) out.availableBytes = avail;
  const free = kv.get('MemFree');
  if (free !== undefined) out.freeBytes = free;
  const st = kv.get('SwapTotal');
  const sf = kv.get('SwapFree');
  if (st !== undefined) out.swapTotalBytes = st;
  if (st !== undefined && sf !== undefined && sf <= st) out.swapUsedBytes = st - sf;
  return out;
}

// ---------------------------------------------------------------- /proc/diskstats

export interface DiskCounters { name: string; readBytes: number; writeBytes: number }

/** Whole block devices we show. loop*, ram*, zram*, sr* and anything unknown are skipped. */
const WHOLE = [/^sd[a-z]+$/, /^nvme\d+n\d+$/, /^vd[a-z]+$/, /^xvd[a-z]+$/, /^hd[a-z]+$/, /^md\d+$/, /^dm-\d+$/, /^zd\d+$/, /^mmcblk\d+$/];
/** A partition and the whole device it belongs to. */
const PART: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+)\d+$/, (m) => m[1]!],
  [/^(nvme\d+n\d+|md\d+|zd\d+|mmcblk\d+)p\d+$/, (m) => m[1]!],
];

/** The whole device a partition name belongs to, or undefined for a whole device / a name we do not show. */
export function partitionParent(name: string): string | undefined {
  if (WHOLE.some((r) => r.test(name))) return undefined;
  for (const [re, parent] of PART) {
    const m = re.exec(name);
    if (m) return parent(m);
  }
  return undefined;
}

export function isShownDisk(name: string): boolean {
  return WHOLE.some((r) => r.test(name)) || partitionParent(name) !== undefined;
}

/**
 * `/proc/diskstats`: field 3 is the name, 6 sectors read, 10 sectors written (512-byte units whatever the device's
 * sector size). Partitions are dropped when their whole disk is listed too.
 */
export function parseDiskstats(text: string): { disks: DiskCounters[]; warnings: string[] } {
  const warnings: string[] = [];
  const all: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const count = fieldSpans(line);
    if (count === 0) continue;
    const rd = count >= 14 ? uintAt(line, 5) : undefined;
    const wr = count >= 14 ? uintAt(line, 9) : undefined;
    if (count < 14 || uintAt(line, 0) === undefined || rd === undefined || wr === undefined) {
      warnings.push(`/proc/diskstats: unreadable line "${clip(line.trim())}"`);
      continue;
    }
    const name = fieldAt(line, 2);
    if (!isShownDisk(name)) continue;
    all.push({ name, readBytes: rd * 512, writeBytes: wr * 512 });
  }
  const names = new Set(all.map((d) => d.name));
  const seen = new Set<string>();
  const disks = all.filter((d) => {
    if (seen.has(d.name)) return false;
    seen.add(d.name);
    const parent = partitionParent(d.name);
    return parent === undefined || !names.has(parent);
  });
  return { disks, warnings };
}

// ---------------------------------------------------------------- /proc/net/dev

export interface NetCounters { iface: string; rxBytes: number; txBytes: number }

/** `/proc/net/dev`: two header lines, then "iface: rx_bytes … (8 fields) tx_bytes …". `lo` is skipped. */
export function parseNetDev(text: string): { net: NetCounters[]; warnings: string[] } {
  const warnings: string[] = [];
  const net: NetCounters[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.includes('|')) continue;
    const colon = t.indexOf(':');
    const iface = colon > 0 ? t.slice(0, colon).trim() : '';
    const f = t.slice(colon + 1).trim().split(/\s+/);
    const rx = uint(f[0]);
    const tx = uint(f[8]);
    if (iface === '' || /\s/.test(iface) || rx === undefined || tx === undefined) {
      warnings.push(`/proc/net/dev: unreadable line "${clip(t)}"`);
      continue;
    }
    if (iface === 'lo' || seen.has(iface)) continue;
    seen.add(iface);
    net.push({ iface, rxBytes: rx, txBytes: tx });
  }
  return { net, warnings };
}

// ---------------------------------------------------------------- rates

/** Bytes per second between two counter readings; undefined on a reset (counter went back) or no elapsed time. */
export function ratePerSec(prev: number | undefined, cur: number, elapsedMs: number): number | undefined {
  if (prev === undefined || !(elapsedMs > 0) || cur < prev) return undefined;
  return ((cur - prev) * 1000) / elapsedMs;
}

/** /proc/sys/kernel/hostname, trimmed; undefined when empty or holding control characters only. */
export function parseHostname(text: string): string | undefined {
  const h = sanitize(text.trim()).replace(/\n/g, '');
  return h === '' ? undefined : h;
}
