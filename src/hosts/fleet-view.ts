/**
 * The fleet overview: one row per host (reachable?, GPUs util/mem/temp, worst pool health, engines healthy/total
 * where known, load, findings count). Pure: the store's hosts in, plain cells out (the frame paints them).
 */
import type { Sample } from '../../backends/types.js';
import { dataOf } from '../store/selectors.js';
import type { HostState, SourceData } from '../store/types.js';
import { hostLink } from './link.js';
import type { Theme } from '../../themes/tokens.js';
import { paint } from '../../themes/tokens.js';
import { age } from '../../widgets/primitives/format.js';
import { fit, sanitize, width } from '../../widgets/primitives/text.js';

export interface FleetRow {
  host: string;
  /** up: every reading answered; lost: the SSH connection is down (last data kept); partial: some sources failed */
  reach: 'up' | 'lost' | 'partial' | 'pending';
  /** "2 · 87% · 61/130GiB · 71°C" (the hottest and busiest card), "none" or "—" */
  gpus: string;
  /** the worst pool's health ("DEGRADED"), "none" or "—" */
  pools: string;
  /** "3/4" or "—" */
  engines: string;
  /** 1-minute load, or "—" */
  load: string;
  /** lints and warnings across the host's sources */
  findings: number;
  /** age of the newest good reading when the connection is lost */
  lastGoodAt?: number;
}

const POOL_RANK = ['ONLINE', 'DEGRADED', 'SUSPENDED', 'UNAVAIL', 'FAULTED', 'OFFLINE', 'REMOVED', 'UNKNOWN'];
const GiB = 1024 ** 3;

const known = (s: Sample<unknown>) => s.state !== 'pending';

function gpuCell(s: Sample<SourceData['nvidia']>): string {
  if (s.state === 'unavailable') return 'none';
  const d = dataOf(s);
  if (!d) return '—';
  if (!d.gpus.length) return 'none';
  const util = Math.max(...d.gpus.map((g) => g.utilPct ?? -1));
  const used = d.gpus.reduce((a, g) => a + (g.memUsedBytes ?? 0), 0);
  const total = d.gpus.reduce((a, g) => a + (g.memTotalBytes ?? 0), 0);
  const temp = Math.max(...d.gpus.map((g) => g.tempC ?? -1));
  return [`${d.gpus.length}`, util >= 0 ? `${Math.round(util)}%` : '—', total ? `${Math.round(used / GiB)}/${Math.round(total / GiB)}GiB` : '—', temp >= 0 ? `${Math.round(temp)}°C` : '—'].join(' · ');
}

function poolCell(s: Sample<SourceData['zfs']>): string {
  if (s.state === 'unavailable') return 'none';
  const d = dataOf(s);
  if (!d) return '—';
  if (!d.pools.length) return 'none';
  const rank = (h: string) => { const i = POOL_RANK.indexOf(h.toUpperCase()); return i < 0 ? POOL_RANK.length : i; };
  return d.pools.map((p) => p.health).sort((a, b) => rank(b) - rank(a))[0] ?? '—';
}

function enginesCell(s: Sample<SourceData['engines']>): string {
  const d = dataOf(s);
  if (!d) return '—';
  return `${d.engines.filter((e) => e.state === 'healthy').length}/${d.engines.length}`;
}

export function fleetRows(hosts: Record<string, HostState>): FleetRow[] {
  return Object.values(hosts).map((h) => {
    const s = h.samples;
    const link = hostLink(h);
    const states = [s.nvidia, s.numa, s.system, s.zfs].filter(known);
    const reach: FleetRow['reach'] = link.lost ? 'lost' : !states.length ? 'pending' : states.some((x) => x.state === 'error') ? 'partial' : 'up';
    const sys = dataOf(s.system);
    const zfs = dataOf(s.zfs);
    const findings = (zfs?.lints.length ?? 0) + (dataOf(s.nvidia)?.warnings.length ?? 0) + (sys?.warnings.length ?? 0);
    return {
      host: h.host, reach, gpus: gpuCell(s.nvidia), pools: poolCell(s.zfs), engines: enginesCell(s.engines),
      load: sys?.load ? sys.load[0].toFixed(2) : '—', findings,
      ...(link.lastGoodAt !== undefined ? { lastGoodAt: link.lastGoodAt } : {}),
    };
  });
}

/** The fleet box the cockpit draws over the screen (W): a title, a header row, one row per host, the current one marked. */
export function fleetBox(theme: Theme, rows: FleetRow[], current: string, cols: number, now: number): string[] {
  const g = theme.glyphs;
  const w = Math.min(cols - 4, 110);
  const inner = w - 4;
  const b = (x: string) => paint(theme, 'borderFocus', x);
  const title = ` Fleet · ${rows.length} hosts `;
  const out = [b(g.tl + g.h) + paint(theme, 'title', title) + b(g.h.repeat(Math.max(0, w - 3 - width(title))) + g.tr)];
  const line = (x: string) => out.push(b(g.v) + ' ' + fit(x, inner) + ' ' + b(g.v));
  const hostW = Math.min(22, Math.max(6, ...rows.map((r) => width(sanitize(r.host)) + 2)));
  const cells = (c: string[]) => [fit(c[0]!, hostW), fit(c[1]!, 22), fit(c[2]!, 30), fit(c[3]!, 10), fit(c[4]!, 8), fit(c[5]!, 6), c[6]!].join(' ');
  line(paint(theme, 'muted', cells(['host', 'reach', 'GPUs n·util·mem·temp', 'pools', 'engines', 'load', 'findings'])));
  for (const r of rows) {
    const reach = r.reach === 'lost' ? paint(theme, 'warn', `reconnecting${r.lastGoodAt !== undefined ? ` (${age(now - r.lastGoodAt)})` : ''}`)
      : r.reach === 'up' ? paint(theme, 'ok', 'up') : r.reach === 'partial' ? paint(theme, 'warn', 'partial') : paint(theme, 'muted', '…');
    const pool = r.pools === 'ONLINE' ? paint(theme, 'ok', r.pools) : /^(none|\u2014)$/.test(r.pools) ? r.pools : paint(theme, 'crit', r.pools);
    const text = cells([`${r.host === current ? g.select : ' '} ${sanitize(r.host)}`, reach, r.gpus, pool, r.engines, r.load, String(r.findings)]);
    line(r.reach === 'lost' ? paint(theme, 'muted', text) : text);
  }
  line(paint(theme, 'muted', 'j/k pick a host · enter opens its screens · esc or W closes'));
  out.push(b(g.bl + g.h.repeat(w - 2) + g.br));
  return out;
}
