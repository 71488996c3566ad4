/** Unknown is drawn as '—', never as 0. */
export const DASH = '—';

export function bytes(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${n < 0 ? '-' : ''}${i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : digits)}${units[i]}`;
}

export function rate(n: number | undefined): string {
  return n === undefined ? DASH : `${bytes(n)}/s`;
}

export function pct(n: number | undefined, digits = 0): string {
  return n === undefined || !Number.isFinite(n) ? DASH : `${n.toFixed(digits)}%`;
}

export function num(n: number | undefined, unit = '', digits = 0): string {
  return n === undefined || !Number.isFinite(n) ? DASH : `${n.toFixed(digits)}${unit}`;
}

/** Compact age: 4s, 3m, 2h, 5d. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function duration(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec)) return DASH;
  const s = Math.round(sec);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** [0,1,2,3,8,9] → "0-3,8-9" */
export function cpuList(cpus: number[]): string {
  if (!cpus.length) return 'none';
  const sorted = [...cpus].sort((a, b) => a - b);
  const out: string[] = [];
  let start = sorted[0]!, prev = start;
  for (const c of sorted.slice(1).concat([NaN])) {
    if (c === prev + 1) { prev = c; continue; }
    out.push(start === prev ? String(start) : `${start}-${prev}`);
    start = prev = c;
  }
  return out.join(',');
}
