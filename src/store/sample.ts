import type { Attempt, Sample } from '../../backends/types.js';
import { Ring } from './ring.js';
import type { History, Samples } from './types.js';

export const HISTORY_POINTS = 240;

export function emptySamples(): Samples {
  return {
    nvidia: { state: 'pending' }, numa: { state: 'pending' }, system: { state: 'pending' }, zfs: { state: 'pending' },
    services: { state: 'pending' }, engines: { state: 'pending' }, vms: { state: 'pending' },
  };
}

export function emptyHistory(): History {
  return { gpus: {}, cpu: new Ring(HISTORY_POINTS), mem: new Ring(HISTORY_POINTS) };
}


/** Folds one attempt into the previous sample: errors keep the last good data and count failures. */
/** A copy of the history rings, for a frozen view (sampling and the live rings go on behind it). */
export function cloneHistory(h: History): History {
  return {
    cpu: h.cpu.clone(), mem: h.mem.clone(),
    gpus: Object.fromEntries(Object.entries(h.gpus).map(([k, g]) => [k, { util: g.util.clone(), mem: g.mem.clone(), power: g.power.clone(), temp: g.temp.clone() }])),
  };
}

export function nextSample<T>(prev: Sample<T>, attempt: Attempt<T>, at: number, tookMs = 0): Sample<T> {
  if (attempt.state === 'ok') return { state: 'ok', data: attempt.data, at, tookMs };
  if (attempt.state === 'unavailable') {
    return { state: 'unavailable', reason: attempt.reason, ...(attempt.hint ? { hint: attempt.hint } : {}), at };
  }
  const lastGood = prev.state === 'ok' ? { data: prev.data, at: prev.at } : prev.state === 'error' ? prev.lastGood : undefined;
  const failures = prev.state === 'error' ? prev.failures + 1 : 1;
  return { state: 'error', message: attempt.message, at, failures, ...(lastGood ? { lastGood } : {}) };
}

/** Appends to history; a source that is not ok leaves a gap rather than a fake zero. */
export function recordHistory(h: History, s: Samples): void {
  const gpus = s.nvidia.state === 'ok' ? s.nvidia.data.gpus : [];
  const seen = new Set<string>();
  for (const g of gpus) {
    const id = g.uuid || String(g.index);
    seen.add(id);
    const r = (h.gpus[id] ??= { util: new Ring(HISTORY_POINTS), mem: new Ring(HISTORY_POINTS), power: new Ring(HISTORY_POINTS), temp: new Ring(HISTORY_POINTS) });
    r.util.push(g.utilPct);
    r.mem.push(g.memUsedBytes !== undefined && g.memTotalBytes ? (100 * g.memUsedBytes) / g.memTotalBytes : undefined);
    r.power.push(g.powerDrawW);
    r.temp.push(g.tempC);
  }
  for (const [id, r] of Object.entries(h.gpus)) {
    if (seen.has(id)) continue;
    r.util.push(undefined); r.mem.push(undefined); r.power.push(undefined); r.temp.push(undefined);
  }
  const sys = s.system.state === 'ok' ? s.system.data : undefined;
  h.cpu.push(sys?.cpu.utilPct);
  const m = sys?.mem;
  h.mem.push(m?.totalBytes && m.availableBytes !== undefined ? (100 * (m.totalBytes - m.availableBytes)) / m.totalBytes : undefined);
}

