import type { Glyphs } from './glyphs.js';

/** Semantic tokens: widgets name what a thing is, the theme decides how it looks. */
export type Token =
  | 'text' | 'muted' | 'title' | 'accent' | 'key'
  | 'ok' | 'warn' | 'crit' | 'info'
  | 'border' | 'borderFocus' | 'barEmpty' | 'selected' | 'stale';

/**
 * `fg` is a 256-colour index (SGR 38;5;N); `ansi` a 16-colour foreground code (SGR 30–37, 90–97) for terminals
 * that have only those (the Linux console): a style has one or the other.
 */
export interface Style { fg?: number; ansi?: number; bold?: boolean; dim?: boolean; inverse?: boolean; underline?: boolean }

export interface Theme {
  name: 'dark' | 'light' | 'high-contrast' | 'no-color' | 'tty';
  styles: Record<Token, Style>;
  /** how things are drawn: box pieces, charts, state glyphs (themes/glyphs.ts) */
  glyphs: Glyphs;
}

export type Level = 'ok' | 'warn' | 'crit' | 'info';

const sgrCache = new WeakMap<Style, string>();
function open(s: Style): string {
  let v = sgrCache.get(s);
  if (v === undefined) {
    const codes: (string | number)[] = [];
    if (s.bold) codes.push(1);
    if (s.dim) codes.push(2);
    if (s.underline) codes.push(4);
    if (s.inverse) codes.push(7);
    if (s.ansi !== undefined) codes.push(s.ansi);
    else if (s.fg !== undefined) codes.push(`38;5;${s.fg}`);
    v = codes.length ? `\u001b[${codes.join(';')}m` : '';
    sgrCache.set(s, v);
  }
  return v;
}

/** Wraps text in the token's style. Nested paint is not supported: compose flat runs. */
export function paint(theme: Theme, token: Token, text: string): string {
  if (!text) return text;
  const o = open(theme.styles[token]);
  return o ? `${o}${text}\u001b[0m` : text;
}
