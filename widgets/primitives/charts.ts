import { paint, type Level, type Theme } from '../../themes/tokens.js';

const SPARK = '▁▂▃▄▅▆▇█';

/** A sparkline of the last `w` points; gaps (NaN) are blanks, so a missing point never reads as zero. */
export function sparkline(values: number[], w: number, max?: number): string {
  const pts = values.slice(-w);
  const finite = pts.filter((v) => Number.isFinite(v));
  const top = max ?? Math.max(1, ...finite);
  const out = pts.map((v) => (Number.isFinite(v) ? SPARK[Math.max(0, Math.min(7, Math.round((v / top) * 7)))]! : ' '));
  return ' '.repeat(Math.max(0, w - out.length)) + out.join('');
}

export function levelFor(pctUsed: number | undefined, warnAt = 80, critAt = 90): Level | undefined {
  if (pctUsed === undefined) return undefined;
  return pctUsed >= critAt ? 'crit' : pctUsed >= warnAt ? 'warn' : 'ok';
}

/** A horizontal meter, `w` cells; an unknown value draws an empty track with '—'. */
export function meter(theme: Theme, pctValue: number | undefined, w: number, level?: Level): string {
  if (w <= 0) return '';
  if (pctValue === undefined || !Number.isFinite(pctValue)) return paint(theme, 'barEmpty', '·'.repeat(Math.max(0, w - 1))) + '—';
  const p = Math.max(0, Math.min(100, pctValue));
  const full = Math.round((p / 100) * w);
  const token = level ?? levelFor(p) ?? 'ok';
  return paint(theme, token === 'info' ? 'accent' : token, '█'.repeat(full)) + paint(theme, 'barEmpty', '░'.repeat(w - full));
}
