import type { Sample } from '../../backends/types.js';
import { paint, type Theme } from '../../themes/tokens.js';
import { age } from './format.js';
import { sanitize } from './text.js';

export interface SampleBody { lines: string[]; badge?: string }

/**
 * The one place a source's state becomes text: pending, unavailable (reason + hint), error (last good data
 * dimmed with failures and age), stale (age). `draw` only ever sees good data.
 */
export function sampleBody<T>(s: Sample<T>, now: number, theme: Theme, staleMs: number, draw: (data: T) => string[]): SampleBody {
  switch (s.state) {
    case 'pending':
      return { lines: [paint(theme, 'muted', `${theme.glyphs.pending} waiting for the first reading`)] };
    case 'unavailable':
      return {
        lines: [
          paint(theme, 'warn', `${theme.glyphs.unknown} unavailable: `) + sanitize(s.reason),
          ...(s.hint ? [paint(theme, 'muted', `  hint: ${sanitize(s.hint)}`)] : []),
        ],
        badge: paint(theme, 'warn', 'unavailable'),
      };
    case 'error': {
      const head = paint(theme, 'crit', `${theme.glyphs.crit} `) + sanitize(s.message).split('\n')[0];
      if (!s.lastGood) return { lines: [head], badge: paint(theme, 'crit', `${theme.glyphs.crit} error ×${s.failures}`) };
      const old = draw(s.lastGood.data).map((l) => paint(theme, 'stale', sanitize(l)));
      return {
        lines: [head, ...old],
        badge: paint(theme, 'crit', `${theme.glyphs.crit} error ×${s.failures}`) + paint(theme, 'muted', ` · data ${age(now - s.lastGood.at)} old`),
      };
    }
    case 'ok': {
      const stale = now - s.at > staleMs;
      const lines = draw(s.data);
      return stale
        ? { lines: lines.map((l) => paint(theme, 'stale', sanitize(l))), badge: paint(theme, 'warn', `stale ${age(now - s.at)}`) }
        : { lines };
    }
  }
}
