import stringWidth from 'string-width';

/**
 * Glyphs are theme tokens like colours: widgets name what a glyph means, the glyph set decides how it looks.
 * `unicode` is the usual look; `console` draws only what the Linux console font has (ASCII and the CP437-like set
 * ─│┌┐└┘├┤┬┴┼ ░▒▓█ ▄▀ ■), as btop's tty mode does.
 */
export type GlyphSetName = 'unicode' | 'console';

export interface Glyphs {
  name: GlyphSetName;
  /** box corners (top-left, top-right, bottom-left, bottom-right), edges, tees and the cross */
  tl: string; tr: string; bl: string; br: string; h: string; v: string;
  teeLeft: string; teeRight: string; teeDown: string; teeUp: string; cross: string;
  /** a sparkline's levels, lowest first (a gap is always a blank) */
  spark: string;
  /** a meter's filled and empty cells, and the track drawn for an unknown value */
  meterFull: string; meterEmpty: string; meterUnknown: string;
  /** state is shown by glyph and text too, never by colour alone (idle: stopped, nothing to say) */
  ok: string; warn: string; crit: string; info: string; unknown: string; pending: string; frozen: string; idle: string;
  /** the selection marker, a tree's branch, scroll arrows, a cut line's end, an unknown value, the speaker bar, the system mark */
  select: string; branch: string; up: string; down: string; ellipsis: string; dash: string; speaker: string; system: string;
  /** a filled square (blackout), a "following" mark, "leads to", the degree sign */
  square: string; follow: string; arrow: string; degree: string;
  /**
   * Only in a restricted set: what any other character in finished text (prose punctuation, text from outside)
   * becomes. Each replacement is exactly as wide as what it replaces, so the layout does not move.
   */
  fold?: Readonly<Record<string, string>>;
}

/** the glyphs a widget can name (everything but the set's name and fold table) */
export type GlyphKey = Exclude<keyof Glyphs, 'name' | 'fold'>;

export const unicodeGlyphs: Glyphs = {
  name: 'unicode',
  tl: '╭', tr: '╮', bl: '╰', br: '╯', h: '─', v: '│', teeLeft: '├', teeRight: '┤', teeDown: '┬', teeUp: '┴', cross: '┼',
  spark: '▁▂▃▄▅▆▇█', meterFull: '█', meterEmpty: '░', meterUnknown: '·',
  ok: '✓', warn: '▲', crit: '✖', info: '•', unknown: '?', pending: '…', frozen: '❄', idle: '·',
  select: '›', branch: '└', up: '↑', down: '↓', ellipsis: '…', dash: '—', speaker: '▍', system: '⚙',
  square: '■', follow: '▼', arrow: '→', degree: '°',
};

/** what the console font has, beside printable ASCII */
export const CONSOLE_EXTRA = '─│┌┐└┘├┤┬┴┼░▒▓█▄▀■';

const CONSOLE_FOLD: Record<string, string> = {
  '╭': '┌', '╮': '┐', '╰': '└', '╯': '┘', '━': '─', '┃': '│', '═': '─', '║': '│',
  '▁': '_', '▂': '_', '▃': '▄', '▅': '▄', '▆': '█', '▇': '█', '▍': '│', '▌': '│', '▐': '│',
  '✓': '+', '✔': '+', '▲': '!', '✖': 'x', '✗': 'x', '•': '*', '…': '~', '❄': '*', '⚙': '*', '▼': 'v', '▶': '>', '◀': '<',
  '›': '>', '‹': '<', '»': '>', '«': '<', '↑': '^', '↓': 'v', '→': '>', '←': '<', '⇒': '>',
  '·': '-', '—': '-', '–': '-', '−': '-', '×': 'x', '°': ' ', '≥': '>', '≤': '<', '≠': '#', '±': '~',
  '‘': "'", '’': "'", '“': '"', '”': '"', '\u00a0': ' ',
};

/** the console set is the unicode set folded to what the console font has, but for the four glyphs folding would draw worse */
export const consoleGlyphs: Glyphs = {
  ...(Object.fromEntries(Object.entries(unicodeGlyphs).map(([k, v]) => [k, [...v].map((c) => CONSOLE_FOLD[c] ?? c).join('')])) as unknown as Glyphs),
  name: 'console',
  // a ramp the font has (folding would give `__▄▄▄███`), a dot for "unknown"/"idle" (not a dash), no degree sign
  spark: '_░▒▓█', meterUnknown: '.', idle: '.', degree: '',
  fold: CONSOLE_FOLD,
};

export const GLYPH_SETS: Readonly<Record<GlyphSetName, Glyphs>> = { unicode: unicodeGlyphs, console: consoleGlyphs };

export { consoleTerm } from './console-term.js';

const ALLOWED = new Set(CONSOLE_EXTRA);
// SGR and other CSI sequences pass through untouched; everything between them is folded
const CSI = /(\u001b\[[0-9;:?]*[ -/]*[@-~])/;
const NON_ASCII = /[^\u0000-\u007f]/;
const NON_ASCII_ALL = /[^\u0000-\u007f]/gu;

/** One character (code point) as the set draws it: kept, folded, or '?' per column it takes. */
function foldChar(c: string, fold: Readonly<Record<string, string>>): string {
  const cp = c.codePointAt(0)!;
  if (cp < 0x80 || ALLOWED.has(c)) return c;
  const f = fold[c];
  if (f !== undefined && stringWidth(f) === stringWidth(c)) return f;
  return '?'.repeat(stringWidth(c));
}

// what each character folded to, per fold table (bounded: text from outside can bring any character)
const FOLDED = new WeakMap<object, Map<string, string>>();
const FOLDED_MAX = 4096;

/** A finished (ANSI-styled) line drawn with the glyph set's characters only; the same line when the set is unrestricted. */
export function foldLine(line: string, g: Glyphs): string {
  const fold = g.fold;
  if (!fold || !NON_ASCII.test(line)) return line;
  let seen = FOLDED.get(fold);
  if (!seen) FOLDED.set(fold, (seen = new Map()));
  const one = (c: string): string => {
    let v = seen.get(c);
    if (v === undefined) {
      v = foldChar(c, fold);
      if (seen.size >= FOLDED_MAX) seen.clear();
      seen.set(c, v);
    }
    return v;
  };
  return line.split(CSI).map((part, i) => (i % 2 === 1 ? part : part.replace(NON_ASCII_ALL, one))).join('');
}

/** The help screen's legend, in the set's own glyphs. */
export function glyphLegend(g: Glyphs): string {
  return `Glyphs: ${g.ok} ok  ${g.warn} warning  ${g.crit} critical/error  ${g.unknown} unavailable  ${g.pending} waiting  ${g.frozen} frozen. Unknown values show as ${g.dash}.`;
}
