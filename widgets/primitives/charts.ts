import { unicodeGlyphs } from '../../themes/glyphs.js';
import { paint, type Level, type Theme } from '../../themes/tokens.js';

/**
 * A sparkline of the last `w` points, drawn with `ramp`'s levels (lowest first: theme.glyphs.spark);
 * gaps (NaN) are blanks, so a missing point never reads as zero.
 */
export function sparkline(values: number[], w: number, max?: number, ramp: string = unicodeGlyphs.spark): string {
  const levels = Array.from(ramp);
  const topLevel = levels.length - 1;
  const pts = values.slice(-w);
  const finite = pts.filter((v) => Number.isFinite(v));
  const top = max ?? Math.max(1, ...finite);
  const out = pts.map((v) => (Number.isFinite(v) ? levels[Math.max(0, Math.min(topLevel, Math.round((v / top) * topLevel)))]! : ' '));
  return ' '.repeat(Math.max(0, w - out.length)) + out.join('');
}

export function levelFor(pctUsed: number | undefined, warnAt = 80, critAt = 90): Level | undefined {
  if (pctUsed === undefined) return undefined;
  return pctUsed >= critAt ? 'crit' : pctUsed >= warnAt ? 'warn' : 'ok';
}

/** A horizontal meter, `w` cells; an unknown value draws an empty track ending in the theme's dash ('—'). */
export function meter(theme: Theme, pctValue: number | undefined, w: number, level?: Level): string {
  if (w <= 0) return '';
  const g = theme.glyphs;
  if (pctValue === undefined || !Number.isFinite(pctValue)) return paint(theme, 'barEmpty', g.meterUnknown.repeat(Math.max(0, w - 1))) + g.dash;
  const p = Math.max(0, Math.min(100, pctValue));
  const full = Math.round((p / 100) * w);
  const token = level ?? levelFor(p) ?? 'ok';
  return paint(theme, token === 'info' ? 'accent' : token, g.meterFull.repeat(full)) + paint(theme, 'barEmpty', g.meterEmpty.repeat(w - full));
}
