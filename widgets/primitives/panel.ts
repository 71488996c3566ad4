import { paint, type Theme } from '../../themes/tokens.js';
import { fit, width } from './text.js';

export interface FrameOptions {
  title: string;
  /** body lines, already styled; more than fit are scrolled/clipped */
  lines: string[];
  width: number;
  height: number;
  theme: Theme;
  focused?: boolean;
  /** right side of the top border: state, age, counts */
  badge?: string;
  /** first body line shown */
  scroll?: number;
}

/** Draws a bordered panel as exactly `height` lines of exactly `width` columns. */
export function frame(o: FrameOptions): string[] {
  const { theme } = o;
  const w = Math.max(4, o.width);
  const h = Math.max(2, o.height);
  const b = (s: string) => paint(theme, o.focused ? 'borderFocus' : 'border', s);
  const g = theme.glyphs;
  const inner = w - 2;
  const bodyH = h - 2;
  const maxScroll = Math.max(0, o.lines.length - bodyH);
  const scroll = Math.min(o.scroll ?? 0, maxScroll);
  const body = o.lines.slice(scroll, scroll + bodyH);

  const title = ` ${o.title} `;
  const badge = o.badge ? ` ${o.badge} ` : '';
  const room = inner - 1;
  let top: string;
  if (width(title) + width(badge) + 1 <= room) {
    top = b(g.tl + g.h) + paint(theme, 'title', title) + b(g.h.repeat(room - width(title) - width(badge) - 1)) + badge + b(g.h + g.tr);
  } else {
    top = b(g.tl + g.h) + fit(paint(theme, 'title', title), room) + b(g.tr);
  }
  const rows = [top];
  for (let i = 0; i < bodyH; i++) rows.push(b(g.v) + fit(body[i] ?? '', inner) + b(g.v));
  const below = o.lines.length - scroll - bodyH;
  const more = below > 0 ? ` ${g.down}${below} more ` : scroll > 0 ? ` ${g.up}${scroll} ` : '';
  rows.push(more
    ? b(g.bl + g.h.repeat(Math.max(0, inner - width(more) - 1))) + paint(theme, 'muted', more) + b(g.h + g.br)
    : b(g.bl + g.h.repeat(inner) + g.br));
  return rows;
}

/** Joins equally tall blocks side by side. */
export function hjoin(blocks: string[][]): string[] {
  const h = Math.max(0, ...blocks.map((b) => b.length));
  const out: string[] = [];
  for (let i = 0; i < h; i++) out.push(blocks.map((b) => b[i] ?? '').join(''));
  return out;
}

/** Splits `total` into parts proportional to weights, summing exactly to total (the last part takes the rounding). */
export function split(total: number, weights: number[]): number[] {
  const sum = weights.reduce((x, y) => x + y, 0) || 1;
  const parts = weights.map((wt) => Math.floor((total * wt) / sum));
  parts[parts.length - 1] = total - parts.slice(0, -1).reduce((x, y) => x + y, 0);
  return parts;
}
