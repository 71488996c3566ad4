/**
 * The doctor's vocabulary: a row per check, and the gate every check goes through first — a reading that is
 * missing, pending, unavailable, errored or stale is UNKNOWN with why, never PASS. Pure.
 */
import type { Sample, SourceId } from '../../backends/types.js';
import type { SourceData, Samples } from '../store/types.js';
import type { BenchResult } from '../engines/bench.js';
import { age } from '../../widgets/primitives/format.js';
import { sanitize } from '../../widgets/primitives/text.js';

export type Status = 'PASS' | 'WARN' | 'FAIL' | 'UNKNOWN';
export const STATUSES: readonly Status[] = ['PASS', 'WARN', 'FAIL', 'UNKNOWN'];
export type Group = 'gpu' | 'numa' | 'memory' | 'engines' | 'zfs' | 'services';

export interface Row {
  /** stable: `gpu.1.pcie`, `zfs.pool.tank.layout`, `engine.llama.models` */
  id: string;
  group: Group;
  /** what is checked, in words: "GPU1 PCIe under load ≥ Gen5 x16" */
  check: string;
  status: Status;
  /** the reading it used (or why there is none) */
  evidence: string;
  /** the fix, when there is something to do */
  hint?: string;
}

export interface Readings {
  /** a source left out was not read here: its checks are UNKNOWN */
  samples: Partial<Samples>;
  now: number;
  /** a reading older than this is stale */
  staleMs: number;
  /** benchmark results (bench.jsonl): tok/s comes from the newest one */
  bench?: BenchResult[];
}

export interface Summary { pass: number; warn: number; fail: number; unknown: number; total: number }

const MAX_TEXT = 400;
const clean = (s: string) => { const t = sanitize(s); return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 1)}…` : t; };

/** A row, its outside text stripped of control sequences and bounded. */
export function row(id: string, group: Group, check: string, status: Status, evidence: string, hint?: string): Row {
  const r: Row = { id: clean(id), group, check: clean(check), status, evidence: clean(evidence) };
  if (hint !== undefined && status !== 'PASS') r.hint = clean(hint);
  return r;
}

export type Got<T> = { ok: true; data: T; at: number } | { ok: false; why: string };

/** The source's data when it is ok and fresh; else why not (the last good reading of an errored source is not used). */
export function fresh<K extends SourceId>(r: Readings, id: K): Got<SourceData[K]> {
  const s = r.samples[id] as Sample<SourceData[K]> | undefined;
  if (!s) return { ok: false, why: `${id}: not read here` };
  switch (s.state) {
    case 'pending': return { ok: false, why: `${id}: no reading yet` };
    case 'unavailable': return { ok: false, why: `${id} unavailable: ${s.reason}${s.hint ? ` (${s.hint})` : ''}` };
    case 'error': return { ok: false, why: `${id} error: ${s.message.split('\n')[0]}${s.lastGood ? ` (the last good reading, ${age(r.now - s.lastGood.at)} old, is not used)` : ''}` };
    case 'ok':
      if (r.now - s.at > r.staleMs) return { ok: false, why: `${id} reading is stale (${age(r.now - s.at)} old)` };
      return { ok: true, data: s.data, at: s.at };
  }
}

export function summarize(rows: Row[]): Summary {
  const n = (st: Status) => rows.filter((x) => x.status === st).length;
  return { pass: n('PASS'), warn: n('WARN'), fail: n('FAIL'), unknown: n('UNKNOWN'), total: rows.length };
}

/** 0 when nothing failed (WARN and UNKNOWN alone exit 0), 1 when anything did */
export const exitOf = (s: Summary): number => (s.fail > 0 ? 1 : 0);

export function summaryText(s: Summary): string {
  return `${s.pass} pass · ${s.warn} warn · ${s.fail} fail · ${s.unknown} unknown (${plural(s.total, 'check')})`;
}

export const GiB = 1024 ** 3;
export const gib = (n: number): string => `${(n / GiB).toFixed(n >= 100 * GiB ? 0 : 1)} GiB`;
export const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
