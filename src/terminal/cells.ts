// Pure: one Ink frame (SGR-coloured lines joined by '\n') → a fixed cols×rows grid of cells.
// Extra lines/columns are clipped, missing ones padded with blanks; wide characters take two cells (the second is a
// width-0 continuation); zero-width characters join the previous cell; every escape sequence other than SGR is
// dropped (a safety net: text from outside should already be stripped before it is drawn).
import stringWidth from 'string-width';

export interface Cell {
  /** The grapheme drawn here; '' for the right half of a wide character. */
  ch: string;
  /** 1 for a normal cell, 2 for a wide character, 0 for its continuation. */
  width: 0 | 1 | 2;
  /** Canonical SGR parameters ('' = default), e.g. '1;38;5;196'. Equal strings mean equal looks. */
  style: string;
}

export interface Grid {
  cols: number;
  rows: number;
  /** Row-major, length cols × rows. */
  cells: Cell[];
}

export const BLANK_STYLE = '';

export function blankCell(style = BLANK_STYLE): Cell {
  return { ch: ' ', width: 1, style };
}

const BLANK: Cell = Object.freeze(blankCell());

/** A grid of blanks. Cells are never mutated in place (they are replaced), so blanks share one object. */
export function blankGrid(cols: number, rows: number): Grid {
  return { cols, rows, cells: new Array<Cell>(Math.max(0, cols * rows)).fill(BLANK) };
}

export function cellAt(grid: Grid, row: number, col: number): Cell {
  return grid.cells[row * grid.cols + col]!;
}

// ---------------------------------------------------------------------------------------------------------------
// SGR state

export interface SgrState {
  /** Attribute codes that are on (1 bold, 2 dim, 3 italic, 4 underline, 5 blink, 7 inverse, 8 hidden, 9 strike, 53 overline). */
  attrs: Set<number>;
  fg?: string;
  bg?: string;
  ul?: string;
}

const ATTR_ORDER = [1, 2, 3, 4, 5, 7, 8, 9, 53] as const;
/** Codes that switch attributes off, and which attributes each one clears. */
const ATTR_OFF: Record<number, number[]> = { 21: [1], 22: [1, 2], 23: [3], 24: [4], 25: [5], 27: [7], 28: [8], 29: [9], 55: [53] };

export function newState(): SgrState {
  return { attrs: new Set() };
}

/** What turns each attribute off again (bold and dim share 22). */
const ATTR_CLOSE: Record<number, number> = { 1: 22, 2: 22, 3: 23, 4: 24, 5: 25, 7: 27, 8: 28, 9: 29, 53: 55 };

/** The SGR sequences that end every style the state has on, leaving whatever was on before it began untouched. */
export function closingSgr(s: SgrState): string {
  const codes = new Set<number>();
  for (const a of s.attrs) codes.add(ATTR_CLOSE[a]!);
  if (s.fg !== undefined) codes.add(39);
  if (s.bg !== undefined) codes.add(49);
  if (s.ul !== undefined) codes.add(59);
  let out = '';
  for (const c of codes) out += `\u001b[${c}m`;
  return out;
}

export function styleKey(s: SgrState): string {
  const parts: string[] = [];
  for (const a of ATTR_ORDER) if (s.attrs.has(a)) parts.push(String(a));
  if (s.fg !== undefined) parts.push(s.fg);
  if (s.bg !== undefined) parts.push(s.bg);
  if (s.ul !== undefined) parts.push(s.ul);
  return parts.join(';');
}

/** Reads an extended colour (38/48/58 ; 5 ; n  or  ; 2 ; r ; g ; b) starting at params[i]; returns it and how many params it used. */
function extendedColour(params: number[], i: number): { value?: string; used: number } {
  const base = params[i]!;
  const mode = params[i + 1];
  if (mode === 5 && params[i + 2] !== undefined) return { value: `${base};5;${params[i + 2]}`, used: 3 };
  if (mode === 2 && params[i + 4] !== undefined) {
    return { value: `${base};2;${params[i + 2]};${params[i + 3]};${params[i + 4]}`, used: 5 };
  }
  return { used: params.length - i }; // malformed: ignore the rest, as terminals do
}

/** Applies one SGR parameter string (what sits between ESC[ and m) to the state. */
export function applySgr(state: SgrState, paramText: string): void {
  // Colon sub-parameters (38:2::r:g:b, 4:3) are rare in Ink output; treat ':' like ';' and drop empty fields.
  const params = paramText === '' ? [0] : paramText.split(/[;:]/).filter((p) => p !== '').map(Number);
  if (params.length === 0) params.push(0);
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (!Number.isFinite(p)) continue;
    if (p === 0) {
      state.attrs.clear();
      state.fg = state.bg = state.ul = undefined;
    } else if ((ATTR_ORDER as readonly number[]).includes(p)) state.attrs.add(p);
    else if (ATTR_OFF[p]) for (const a of ATTR_OFF[p]) state.attrs.delete(a);
    else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) state.fg = String(p);
    else if ((p >= 40 && p <= 47) || (p >= 100 && p <= 107)) state.bg = String(p);
    else if (p === 39) state.fg = undefined;
    else if (p === 49) state.bg = undefined;
    else if (p === 59) state.ul = undefined;
    else if (p === 38 || p === 48 || p === 58) {
      const { value, used } = extendedColour(params, i);
      if (value !== undefined) {
        if (p === 38) state.fg = value;
        else if (p === 48) state.bg = value;
        else state.ul = value;
      }
      i += used - 1;
    }
    // anything else (fonts, blink rates, …) is ignored
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Escape sequences

/** Length of the escape sequence starting at s[i] (s[i] === ESC), and its SGR params when it is one. */
function escapeAt(s: string, i: number): { len: number; sgr?: string } {
  const next = s[i + 1];
  if (next === '[') {
    // CSI: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, final byte 0x40–0x7E
    let j = i + 2;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x3f) j++;
    const paramEnd = j;
    while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
    if (j >= s.length) return { len: s.length - i };
    const final = s[j];
    const len = j + 1 - i;
    if (final === 'm' && paramEnd === j) return { len, sgr: s.slice(i + 2, paramEnd) };
    return { len };
  }
  if (next === ']' || next === 'P' || next === '_' || next === '^' || next === 'X') {
    // OSC / DCS / APC / PM / SOS: up to BEL or ST (ESC \)
    for (let j = i + 2; j < s.length; j++) {
      if (s[j] === '\u0007') return { len: j + 1 - i };
      if (s[j] === '\u001b' && s[j + 1] === '\\') return { len: j + 2 - i };
    }
    return { len: s.length - i };
  }
  if (next === undefined) return { len: 1 };
  // two-character escape (ESC 7, ESC c, …); ESC ( B and friends take one more
  if ('()*+-./#%'.includes(next)) return { len: Math.min(3, s.length - i) };
  return { len: 2 };
}

// ---------------------------------------------------------------------------------------------------------------
// Widths

/** Made on first use: the first Intl.Segmenter loads ICU's break-iterator data, which most frames never need. */
let segmenter: Intl.Segmenter | undefined;
const widthCache = new Map<string, number>();
const WIDTH_CACHE_MAX = 4096;

export function graphemeWidth(g: string): number {
  if (g.length === 1) {
    const c = g.charCodeAt(0);
    if (c >= 0x20 && c < 0x7f) return 1;
  }
  let w = widthCache.get(g);
  if (w === undefined) {
    w = Math.min(2, stringWidth(g));
    if (widthCache.size >= WIDTH_CACHE_MAX) widthCache.clear();
    widthCache.set(g, w);
  }
  return w;
}

/** The graphemes of text with no control characters (drawnText's). */
function graphemes(text: string): string[] {
  if (plainRun(text, 0, text.length)) return text.split('');
  const out: string[] = [];
  for (const { segment } of (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(text)) out.push(segment);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Frame → grid

export function parseFrame(frame: string, cols: number, rows: number): Grid {
  return parseFrameRows(frame, cols, rows).grid;
}

/**
 * A parsed frame with what lets the next one reuse its rows: each row's text and the SGR state it starts and ends
 * in. A row whose text and starting state are unchanged is the same cells (the very same objects); `same[r]` says
 * so, and the diff skips it. A dashboard changes a few rows a tick: most of a frame is not parsed again.
 */
export interface ParsedFrame {
  grid: Grid;
  lines: string[];
  /** styleKey of the state each row starts in */
  inKeys: string[];
  /** the look after each row (its state is never mutated) */
  outLooks: Look[];
  /** rows taken whole from the previous frame */
  same: boolean[];
}

/**
 * A style as the parser meets it: the SGR state (never mutated once made), its canonical key, and the looks each SGR
 * sequence leads to from it. The same few sequences recur in every frame, so after the first frames a row's styles
 * are map lookups: no parameter split, no state copy, no key built. Bounded like the cell table.
 */
interface Look { state: SgrState; key: string; next: Map<string, Look> }
const LOOKS_MAX = 1024;
let looks = new Map<string, Look>();

function lookOf(state: SgrState): Look {
  const key = styleKey(state);
  let look = looks.get(key);
  if (look === undefined) {
    if (looks.size >= LOOKS_MAX) looks = new Map();
    looks.set(key, look = { state, key, next: new Map() });
  }
  return look;
}

function lookAfter(look: Look, params: string): Look {
  let next = look.next.get(params);
  if (next === undefined) {
    const state = { ...look.state, attrs: new Set(look.state.attrs) };
    applySgr(state, params);
    next = lookOf(state);
    if (look.next.size >= 64) look.next.clear();
    look.next.set(params, next);
  }
  return next;
}

/**
 * `spare`: a grid no longer shown nor compared against (the writer's frame before last), filled again rather than
 * a new cols×rows array made for every frame.
 */
export function parseFrameRows(frame: string, cols: number, rows: number, prev?: ParsedFrame, spare?: Grid): ParsedFrame {
  const recycled = spare !== undefined && spare !== prev?.grid && spare.cols === cols && spare.rows === rows;
  const grid = recycled ? spare : blankGrid(cols, rows);
  const lines = frame.split('\n', rows);
  const reuse = prev !== undefined && prev.grid.cols === cols && prev.grid.rows === rows;
  const out: ParsedFrame = { grid, lines, inKeys: [], outLooks: [], same: [] };
  let look = lookOf(newState());
  for (let row = 0; row < rows; row++) {
    const line = lines[row];
    out.inKeys.push(look.key);
    if (reuse && prev.lines[row] === line && prev.inKeys[row] === look.key) {
      const base = row * cols;
      for (let c = 0; c < cols; c++) grid.cells[base + c] = prev.grid.cells[base + c]!;
      look = prev.outLooks[row]!;
      out.same.push(true);
    } else {
      if (recycled) grid.cells.fill(BLANK, row * cols, (row + 1) * cols);
      if (line !== undefined) look = parseLine(line, look, grid, row);
      out.same.push(false);
    }
    out.outLooks.push(look);
  }
  return out;
}

/**
 * One shared cell per look (style, grapheme, width): cells are never changed once made, and a frame's cells live
 * until the next frame, long enough to be promoted out of V8's young generation, so making 120 new ones for every
 * changed row fed the old generation and its major collections. Bounded: cleared when it holds too many.
 */
const INTERN_MAX = 4096;
let interned = new Map<string, Map<string, Cell>>();
let internedCount = 0;

export function cellOf(ch: string, width: 0 | 1 | 2, style: string): Cell {
  // one-column cells (nearly all) are keyed by their grapheme alone
  const key = width === 1 ? ch : `${width}\u0000${ch}`;
  let byCh = interned.get(style);
  let cell = byCh?.get(key);
  if (cell === undefined) {
    if (++internedCount > INTERN_MAX) {
      interned = new Map();
      internedCount = 1;
      byCh = undefined;
    }
    if (byCh === undefined) interned.set(style, byCh = new Map());
    cell = { ch, width, style };
    byCh.set(key, cell);
  }
  return cell;
}

/** C0 and C1 control characters (and DEL): a tab is drawn as a space, the others are dropped. */
const isControl = (c: number) => c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0);

/**
 * Whether text[from, to) is drawn one UTF-16 unit per cell as it stands: no control character to map, and every unit
 * a grapheme on its own: below U+0300 (Latin, no combining marks) or in U+2010–U+2BFF (punctuation, arrows, box
 * drawing, blocks, shapes, symbols) except combining marks for symbols. Such text (nearly all of a dashboard) skips
 * Intl.Segmenter, which is the slow part of parsing.
 */
function plainRun(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (isControl(c)) return false;
    if (c < 0x300) continue;
    if (c >= 0x2010 && c <= 0x2bff && !(c >= 0x20d0 && c <= 0x20ff)) continue;
    return false;
  }
  return true;
}

/** What a run of text draws: tabs as spaces, other control characters dropped. */
function drawnText(text: string, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x09) out += ' ';
    else if (!isControl(c)) out += text[i];
  }
  return out;
}

/** Puts one grapheme at `col` of the row at `base`; returns the next column (cols + 1: the row is closed). */
function put(grid: Grid, base: number, col: number, g: string, style: string): number {
  const cols = grid.cols;
  const w = graphemeWidth(g);
  if (w === 0) {
    // zero-width: joins the cell before it (skipping a wide character's continuation); dropped at line start
    let prev = col - 1;
    if (prev >= 0 && grid.cells[base + prev]!.width === 0) prev--;
    if (prev >= 0) {
      const cell = grid.cells[base + prev]!;
      grid.cells[base + prev] = cellOf(cell.ch + g, cell.width, cell.style);
    }
    return col;
  }
  if (w === 2 && col + 1 >= cols) {
    // a wide character that does not fit in the last column: the terminal would wrap it; draw a blank instead
    grid.cells[base + col] = cellOf(' ', 1, style);
    return cols + 1; // the row is closed: not even a zero-width character joins it now
  }
  grid.cells[base + col] = cellOf(g, w as 1 | 2, style);
  if (w === 2) grid.cells[base + col + 1] = cellOf('', 0, style);
  return col + w;
}

/** One line into `row` of the grid, from `look`; returns the look the line ends in (its SGR past the edge counts). */
function parseLine(line: string, look: Look, grid: Grid, row: number): Look {
  const cols = grid.cols;
  const base = row * cols;
  let col = 0;
  for (let i = 0; i < line.length; ) {
    if (line.charCodeAt(i) === 0x1b) {
      const { len, sgr } = escapeAt(line, i);
      if (sgr !== undefined) look = lookAfter(look, sgr);
      i += len;
      continue;
    }
    let end = line.indexOf('\u001b', i);
    if (end < 0) end = line.length;
    if (col < cols) {
      if (plainRun(line, i, end)) {
        // nearly every run: each UTF-16 unit is a grapheme, taken without splitting the run into an array
        for (let k = i; k < end; k++) {
          const g = line[k]!;
          if (col >= cols && (col > cols || graphemeWidth(g) !== 0)) break;
          col = put(grid, base, col, g, look.key);
        }
      } else {
        for (const g of graphemes(drawnText(line, i, end))) {
          if (col >= cols && (col > cols || graphemeWidth(g) !== 0)) break;
          col = put(grid, base, col, g, look.key);
        }
      }
    }
    i = end;
  }
  return look;
}

/** The grid's text, one string per row (wide characters once, continuations skipped). Handy for tests. */
export function gridText(grid: Grid): string[] {
  const lines: string[] = [];
  for (let r = 0; r < grid.rows; r++) {
    let line = '';
    for (let c = 0; c < grid.cols; c++) line += cellAt(grid, r, c).ch;
    lines.push(line);
  }
  return lines;
}
