import type { Pool, Scan, Vdev, ZfsData } from '../../backends/zfs/types.js';
import { paint, type Level, type Theme } from '../../themes/tokens.js';
import { meter } from '../primitives/charts.js';
import { bytes, DASH, duration, num, pct } from '../primitives/format.js';
import { fit, padLeft, sanitize, spread, width } from '../primitives/text.js';

export function healthLevel(state: string): Level {
  const s = state.toUpperCase();
  if (s === 'ONLINE' || s === 'AVAIL') return 'ok';
  if (s === 'DEGRADED' || s === 'OFFLINE' || s === 'INUSE' || s === 'REMOVED') return 'warn';
  return 'crit';
}

const glyph = (theme: Theme, l: Level): string => theme.glyphs[l];

/** The ARC hit ratio since the last reading; on an idle box (no reads since) the one since boot, said so. */
function arcHit(a: NonNullable<ZfsData['arc']>): string {
  if (a.hitRatioPct !== undefined || a.hitRatioSinceBootPct === undefined) return pct(a.hitRatioPct, 1);
  return `${pct(a.hitRatioSinceBootPct, 1)} since boot`;
}

export function scanText(s: Scan): string {
  if (s.kind === 'none' || s.state === 'none') return 'no scrub yet';
  if (s.state === 'running') return `${s.kind} ${num(s.pct, '%', 1)}${s.etaSeconds !== undefined ? ` · ETA ${duration(s.etaSeconds)}` : ''}`;
  return `${s.kind} ${s.state}${s.errors ? ` · ${s.errors} errors` : ''}`;
}

function poolHead(p: Pool, theme: Theme, barW: number): string {
  const l = healthLevel(p.health);
  return `${paint(theme, l, `${glyph(theme, l)} ${sanitize(p.name)} ${p.health}`)} ${meter(theme, p.capacityPct, barW)} ${padLeft(pct(p.capacityPct), 4)} ${bytes(p.allocBytes)}/${bytes(p.sizeBytes)}`;
}

/** Overview: a line per pool, then ARC and the lint count. */
export function zfsSummaryLines(d: ZfsData, w: number, theme: Theme): string[] {
  if (!d.pools.length) return [paint(theme, 'muted', 'no pools imported')];
  const barW = Math.max(4, Math.min(16, Math.floor(w / 8)));
  const out: string[] = [];
  for (const p of d.pools) {
    const scan = p.scan.state === 'running' ? paint(theme, 'warn', scanText(p.scan)) : paint(theme, 'muted', scanText(p.scan));
    const head = poolHead(p, theme, barW);
    const frag = p.fragmentationPct !== undefined ? paint(theme, 'muted', ` frag ${pct(p.fragmentationPct)}`) : '';
    // a running scrub/resilver must stay visible: drop the fragmentation first, then give the scan its own line
    if (width(head) + width(frag) + width(scan) + 1 <= w) out.push(spread(head + frag, scan, w));
    else if (width(head) + width(scan) + 1 <= w) out.push(spread(head, scan, w));
    else { out.push(fit(head, w)); if (p.scan.state === 'running') out.push(fit('  ' + scan, w)); }
  }
  const extra: string[] = [];
  if (d.arc) extra.push(`ARC ${bytes(d.arc.sizeBytes)}/${bytes(d.arc.maxBytes)} hit ${arcHit(d.arc)}`);
  const warn = d.lints.filter((x) => x.severity !== 'info').length;
  if (d.lints.length) extra.push(paint(theme, warn ? 'warn' : 'muted', `${warn ? theme.glyphs.warn : theme.glyphs.info} ${d.lints.length} finding${d.lints.length === 1 ? '' : 's'} (storage screen)`));
  if (extra.length) out.push(fit(paint(theme, 'muted', extra.join('  ·  ')), w));
  return out;
}

/** Storage screen: pools with capacity, scan progress, status and errors text. */
export function poolLines(d: ZfsData, w: number, theme: Theme): string[] {
  if (!d.pools.length) return [paint(theme, 'muted', 'no pools imported')];
  const barW = Math.max(6, Math.min(24, Math.floor(w / 5)));
  const out: string[] = [];
  for (const p of d.pools) {
    out.push(fit(poolHead(p, theme, barW), w));
    out.push(fit(paint(theme, 'muted', '  free ') + bytes(p.freeBytes) + paint(theme, 'muted', '  frag ') + pct(p.fragmentationPct) + paint(theme, 'muted', '  dedup ') + (p.dedupRatio !== undefined ? `${p.dedupRatio.toFixed(2)}x` : DASH), w));
    const sl = p.scan.state === 'running' ? 'warn' : p.scan.errors ? 'crit' : 'muted';
    const bar = p.scan.state === 'running' ? ' ' + meter(theme, p.scan.pct, barW, 'info') : '';
    out.push(fit('  ' + paint(theme, sl, scanText(p.scan)) + bar, w));
    if (p.status) out.push(fit(paint(theme, 'muted', '  status ') + sanitize(p.status), w));
    if (p.action) out.push(fit(paint(theme, 'muted', '  action ') + sanitize(p.action), w));
    if (p.errorsText && !/^no known data errors/i.test(p.errorsText.trim())) {
      for (const l of sanitize(p.errorsText).split('\n').filter(Boolean)) out.push(fit(paint(theme, 'crit', '  ' + l), w));
    } else if (p.errorsText) out.push(fit(paint(theme, 'muted', '  errors: no known data errors'), w));
  }
  if (d.arc) {
    const a = d.arc;
    out.push(fit(paint(theme, 'title', 'ARC ') + `${bytes(a.sizeBytes)} of ${bytes(a.maxBytes)} (target ${bytes(a.targetBytes)})  hit ratio ${arcHit(a)}`, w));
  }
  return out;
}

const KIND_LABEL: Partial<Record<Vdev['kind'], string>> = { raidz1: 'raidz1', raidz2: 'raidz2', raidz3: 'raidz3', mirror: 'mirror', draid: 'draid', replacing: 'replacing', spare: 'spare' };

function vdevRows(v: Vdev, depth: number, out: Vdev[][], path: Vdev[]): void {
  out.push([...path, v]);
  for (const c of v.children) vdevRows(c, depth + 1, out, [...path, v]);
}

/** The vdev tree of every pool: name, state and READ/WRITE/CKSUM, classes labelled (special, log, cache, spares). */
export function vdevLines(d: ZfsData, w: number, theme: Theme, filter = ''): string[] {
  const out: string[] = [];
  const nameW = Math.max(10, w - 33);
  out.push(paint(theme, 'muted', fit(`${'NAME'.padEnd(nameW)} ${'STATE'.padEnd(11)} ${padLeft('READ', 5)} ${padLeft('WRITE', 5)} ${padLeft('CKSUM', 5)}`, w)));
  for (const p of d.pools) {
    const rows: Vdev[][] = [];
    for (const v of p.vdevs) vdevRows(v, 0, rows, []);
    for (const path of rows) {
      const v = path[path.length - 1]!;
      const text = `${sanitize(v.name)} ${v.note ?? ''}`;
      if (filter && !text.toLowerCase().includes(filter.toLowerCase()) && !p.name.includes(filter)) continue;
      const cls = v.class && v.class !== 'data' && path.length === 1 ? `[${v.class}] ` : '';
      const kind = KIND_LABEL[v.kind] && !v.name.startsWith(KIND_LABEL[v.kind]!) ? `(${KIND_LABEL[v.kind]}) ` : '';
      const name = `${'  '.repeat(path.length - 1)}${cls}${sanitize(v.name)} ${kind}`;
      const l = healthLevel(v.state);
      const errs = (n: number | undefined) => padLeft(n === undefined ? DASH : String(n), 5);
      const counters = `${errs(v.read)} ${errs(v.write)} ${errs(v.cksum)}`;
      const bad = (v.read ?? 0) + (v.write ?? 0) + (v.cksum ?? 0) > 0;
      out.push(fit(`${fit(name, nameW)} ${paint(theme, l, `${glyph(theme, l)} ${v.state}`.padEnd(11))} ${bad ? paint(theme, 'crit', counters) : counters}${v.note ? paint(theme, 'muted', ' ' + sanitize(v.note)) : ''}`, w));
    }
  }
  return out;
}

/** Datasets with the properties that matter for AI workloads, and the lints beside them. */
export function datasetLines(d: ZfsData, w: number, theme: Theme, filter = ''): string[] {
  const out: string[] = [];
  const nameW = Math.max(12, w - 52);
  out.push(paint(theme, 'muted', fit(`${'DATASET'.padEnd(nameW)} ${padLeft('USED', 8)} ${padLeft('AVAIL', 8)} ${padLeft('RECSZ', 6)} ${'COMPRESS'.padEnd(8)} ${'ATIME'.padEnd(5)} ${padLeft('SMALL', 6)}`, w)));
  for (const ds of d.datasets) {
    if (filter && !ds.name.toLowerCase().includes(filter.toLowerCase())) continue;
    const flagged = d.lints.some((l) => l.target === ds.name && l.severity !== 'info');
    const line = `${fit(sanitize(ds.name), nameW)} ${padLeft(bytes(ds.usedBytes), 8)} ${padLeft(bytes(ds.availableBytes), 8)} ${padLeft(bytes(ds.recordsizeBytes, 0), 6)} ${(ds.compression ?? DASH).padEnd(8)} ${(ds.atime ?? DASH).padEnd(5)} ${padLeft(ds.specialSmallBlocksBytes === undefined ? DASH : bytes(ds.specialSmallBlocksBytes, 0), 6)}`;
    out.push(fit(flagged ? paint(theme, 'warn', theme.glyphs.warn) + ' ' + line : '  ' + line, w));
  }
  if (d.lints.length) {
    out.push(paint(theme, 'title', 'findings'));
    for (const l of d.lints) {
      const tok = l.severity === 'crit' ? 'crit' : l.severity === 'warn' ? 'warn' : 'muted';
      out.push(fit(paint(theme, tok, `${l.severity === 'info' ? theme.glyphs.info : l.severity === 'crit' ? theme.glyphs.crit : theme.glyphs.warn} ${sanitize(l.target)}: `) + sanitize(l.message), w));
    }
  }
  return out;
}

