/** Services beside the engines: one line each, up/down by glyph and word, latency or the reason it is down. */
import type { ServicesData } from '../../backends/services/types.js';
import { paint, type Theme } from '../../themes/tokens.js';
import { fit, padLeft, sanitize } from '../primitives/text.js';

const ms = (v: number) => (v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);

export function servicesLines(d: ServicesData, w: number, theme: Theme): string[] {
  if (!d.services.length) return [paint(theme, 'muted', 'no services configured')];
  const nameW = Math.min(14, Math.max(6, ...d.services.map((s) => sanitize(s.name).length)));
  const targetW = w >= 90 ? 30 : w >= 60 ? 22 : 0;
  return d.services.map((s) => {
    const state = s.up ? paint(theme, 'ok', `${theme.glyphs.ok} up  `) : paint(theme, 'crit', `${theme.glyphs.crit} down`);
    const what = `${fit(sanitize(s.name), nameW)} ${s.kind.padEnd(5)} ${targetW ? fit(sanitize(s.target), targetW) + ' ' : ''}`;
    const tail = s.up ? padLeft(s.latencyMs !== undefined ? ms(s.latencyMs) : '', 8) : paint(theme, 'crit', sanitize(s.error ?? 'down'));
    return fit(`${state} ${what}${tail}`, w);
  });
}

/** "3/4 up" for a badge. */
export function servicesBadge(d: ServicesData, theme: Theme): string {
  const up = d.services.filter((s) => s.up).length;
  return paint(theme, up === d.services.length ? 'ok' : 'crit', `${up}/${d.services.length} up`);
}
