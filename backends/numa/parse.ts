/**
 * Pure, total parsers for NUMA topology: sysfs node files and `numactl --hardware`.
 * None of them throws; odd input becomes `warnings`, unknown values stay `undefined`.
 */
import type { NumaData, NumaNode } from './types.js';

/** More CPUs than any box we will meet: a range beyond this is garbage, not a machine. */
export const MAX_CPUS = 8192;

/** A non-negative decimal integer that fits a double exactly, else undefined. */
/** Captured sysfs files can carry NUL padding after the text (a read of the whole 4 KiB page): dropped. */
const clean = (text: string) => text.replace(/\u0000+/g, ' ');

function uint(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * A kernel cpu list such as "0-15,32-47" (sysfs pads the file with blanks: trimmed).
 * An empty list is valid: a memory-only node (CXL, HBM).
 */
export function parseCpuList(text: string): { cpus: number[]; warnings: string[] } {
  const warnings: string[] = [];
  const seen = new Set<number>();
  const body = clean(text).trim();
  if (body === '') return { cpus: [], warnings };
  for (const raw of body.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const lo = uint(m?.[1]);
    const hi = m?.[2] === undefined ? lo : uint(m[2]);
    if (lo === undefined || hi === undefined || hi < lo || hi >= MAX_CPUS) {
      warnings.push(`cpulist: cannot read "${part.slice(0, 40)}"`);
      continue;
    }
    for (let c = lo; c <= hi; c++) seen.add(c);
  }
  return { cpus: [...seen].sort((a, b) => a - b), warnings };
}

/** `/sys/devices/system/node/nodeN/meminfo`: "Node 0 MemTotal:  131072000 kB" lines. */
export function parseNodeMeminfo(text: string, nodeId?: number): { memTotalBytes?: number; memFreeBytes?: number; warnings: string[] } {
  const warnings: string[] = [];
  const out: { memTotalBytes?: number; memFreeBytes?: number; warnings: string[] } = { warnings };
  for (const line of clean(text).split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    const m = /^Node\s+(\d+)\s+([A-Za-z0-9_()]+):\s+(\S+)(?:\s+(\S+))?$/.exec(t);
    if (!m) { warnings.push(`meminfo: unreadable line "${t.slice(0, 60)}"`); continue; }
    const id = uint(m[1]);
    if (nodeId !== undefined && id !== nodeId) { warnings.push(`meminfo: line for node ${m[1]} in node ${nodeId}'s file`); continue; }
    const key = m[2];
    if (key !== 'MemTotal' && key !== 'MemFree') continue;
    const v = uint(m[3]);
    const unit = m[4];
    if (v === undefined || (unit !== undefined && unit !== 'kB')) { warnings.push(`meminfo: bad ${key} value "${t.slice(0, 60)}"`); continue; }
    const bytes = unit === 'kB' ? v * 1024 : v;
    if (key === 'MemTotal') out.memTotalBytes = bytes;
    else out.memFreeBytes = bytes;
  }
  return out;
}

/** `/sys/devices/system/node/nodeN/distance`: "10 21 21 21" (one row of the SLIT table). */
export function parseDistanceRow(text: string): { row: number[]; warnings: string[] } {
  const warnings: string[] = [];
  const row: number[] = [];
  const body = clean(text).trim();
  if (body === '') return { row, warnings: ['distance: empty'] };
  for (const tok of body.split(/\s+/)) {
    const v = uint(tok);
    if (v === undefined) return { row: [], warnings: [`distance: cannot read "${body.slice(0, 60)}"`] };
    row.push(v);
  }
  return { row, warnings };
}

/** Keeps a distance table only when it is square over `count` nodes; else [] and a warning. */
export function squareOrEmpty(rows: (number[] | undefined)[], count: number, warnings: string[]): number[][] {
  if (rows.length === count && rows.every((r) => r !== undefined && r.length === count)) return rows as number[][];
  if (count > 0) warnings.push(`distance table incomplete (${rows.filter((r) => r?.length === count).length} of ${count} rows)`);
  return [];
}

/** `numactl --hardware` output. Returns undefined when it says NUMA is not available at all. */
export function parseNumactlHardware(text: string): NumaData | undefined {
  const warnings: string[] = [];
  const byId = new Map<number, NumaNode>();
  const node = (id: number): NumaNode => {
    let n = byId.get(id);
    if (!n) { n = { id, cpus: [] }; byId.set(id, n); }
    return n;
  };
  if (/No NUMA available/i.test(text)) return undefined;
  let header: number[] | undefined;
  const rows = new Map<number, number[]>();
  let inDistances = false;
  for (const line of clean(text).split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    let m: RegExpExecArray | null;
    if (/^available:/.test(t)) continue;
    if (/^node distances:?$/.test(t)) { inDistances = true; continue; }
    if ((m = /^node\s+(\d+)\s+cpus:(.*)$/.exec(t))) {
      const id = uint(m[1]);
      if (id === undefined) { warnings.push(`numactl: bad node id in "${t.slice(0, 60)}"`); continue; }
      const cpus: number[] = [];
      let bad = false;
      for (const tok of (m[2] ?? '').trim().split(/\s+/)) {
        if (tok === '') continue;
        const c = uint(tok);
        if (c === undefined || c >= MAX_CPUS) { bad = true; continue; }
        cpus.push(c);
      }
      if (bad) warnings.push(`numactl: odd cpu in "${t.slice(0, 60)}"`);
      node(id).cpus = [...new Set(cpus)].sort((a, b) => a - b);
      continue;
    }
    if ((m = /^node\s+(\d+)\s+(size|free):\s+(\S+)\s*(\S*)$/.exec(t))) {
      const id = uint(m[1]);
      const v = uint(m[3]);
      const mult = m[4] === 'MB' ? 1024 * 1024 : m[4] === 'GB' ? 1024 ** 3 : m[4] === 'kB' || m[4] === 'KB' ? 1024 : undefined;
      if (id === undefined || v === undefined || mult === undefined) { warnings.push(`numactl: cannot read "${t.slice(0, 60)}"`); continue; }
      if (m[2] === 'size') node(id).memTotalBytes = v * mult;
      else node(id).memFreeBytes = v * mult;
      continue;
    }
    if (inDistances) {
      if ((m = /^node((?:\s+\d+)+)$/.exec(t))) {
        const ids = (m[1] ?? '').trim().split(/\s+/).map(uint);
        if (ids.every((x): x is number => x !== undefined)) header = ids;
        else warnings.push(`numactl: bad distance header "${t.slice(0, 60)}"`);
        continue;
      }
      if ((m = /^(\d+):((?:\s+\d+)*)$/.exec(t))) {
        const id = uint(m[1]);
        const vals = (m[2] ?? '').trim().split(/\s+/).filter((x) => x !== '').map(uint);
        if (id === undefined || !vals.every((x): x is number => x !== undefined)) { warnings.push(`numactl: bad distance row "${t.slice(0, 60)}"`); continue; }
        rows.set(id, vals);
        continue;
      }
    }
    if (/^node\s+\d+\s+(size|free):\s*$/.test(t)) continue; // numactl leaves it blank for an offline node
    warnings.push(`numactl: unreadable line "${t.slice(0, 60)}"`);
  }
  const nodes = [...byId.values()].sort((a, b) => a.id - b.id);
  let distances: number[][] = [];
  if (nodes.length > 0) {
    const cols = header ?? nodes.map((n) => n.id);
    const table = nodes.map((n) => {
      const r = rows.get(n.id);
      if (!r || r.length !== cols.length) return undefined;
      const out: number[] = [];
      for (const other of nodes) {
        const j = cols.indexOf(other.id);
        const v = j < 0 ? undefined : r[j];
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    });
    distances = squareOrEmpty(table, nodes.length, warnings);
  }
  return { nodes, distances, warnings };
}

/** "node12" → 12; anything else (has_cpu, online, power…) → undefined. */
export function nodeDirId(entry: string): number | undefined {
  const m = /^node(\d+)$/.exec(entry);
  return uint(m?.[1]);
}
