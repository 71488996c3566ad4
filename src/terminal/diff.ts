// Pure: previous grid (or none) + next grid → the bytes that turn the one into the other on a real terminal.
// Only changed runs are drawn (cursor moves, SGR only where the style changes); a missing previous grid or a new
// size means a full repaint (ESC[H ESC[2J, never ESC[3J, which would wipe a tmux pane's scrollback).
import { blankGrid, type Cell, type Grid } from './cells.js';

export const CSI = '\u001b[';
export const SYNC_BEGIN = `${CSI}?2026h`;
export const SYNC_END = `${CSI}?2026l`;
export const SGR_RESET = `${CSI}0m`;
export const CLEAR_SCREEN = `${CSI}H${CSI}2J`;

/** Where the terminal's cursor is, or null when we do not know (start, or after printing in the last column). */
type Cursor = { row: number; col: number } | null;

export function sgr(style: string): string {
  return style === '' ? SGR_RESET : `${CSI}0;${style}m`;
}

/** The shortest sequence that moves the cursor to (row, col), both 0-based. */
export function moveTo(cursor: Cursor, row: number, col: number): string {
  if (cursor && cursor.row === row) {
    if (cursor.col === col) return '';
    if (col > cursor.col) {
      const n = col - cursor.col;
      return n === 1 ? `${CSI}C` : `${CSI}${n}C`;
    }
  }
  if (row === 0 && col === 0) return `${CSI}H`;
  return col === 0 ? `${CSI}${row + 1}H` : `${CSI}${row + 1};${col + 1}H`;
}

function sameCell(a: Cell, b: Cell): boolean {
  return a === b || (a.ch === b.ch && a.style === b.style && a.width === b.width);
}

interface Run {
  start: number;
  /** exclusive */
  end: number;
}

/** Changed column ranges of one row, widened so a wide character is always drawn whole. */
export function changedRuns(prev: Grid, next: Grid, row: number): Run[] {
  const runs: Run[] = [];
  const base = row * next.cols;
  let c = 0;
  while (c < next.cols) {
    if (sameCell(prev.cells[base + c]!, next.cells[base + c]!)) {
      c++;
      continue;
    }
    let start = c;
    if (next.cells[base + start]!.width === 0 && start > 0) start--;
    while (c < next.cols && !sameCell(prev.cells[base + c]!, next.cells[base + c]!)) c++;
    if (c < next.cols && next.cells[base + c - 1]!.width === 2) c++;
    const last = runs[runs.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, c);
    else runs.push({ start, end: c });
  }
  return runs;
}

interface Pen {
  cursor: Cursor;
  /** null: unknown (nothing emitted yet in this diff) */
  style: string | null;
}

/** Draws cells [start, end) of one row from the pen's state; returns the bytes and moves the pen. */
function drawCells(grid: Grid, row: number, start: number, end: number, pen: Pen): string {
  let out = '';
  const base = row * grid.cols;
  for (let c = start; c < end; c++) {
    const cell = grid.cells[base + c]!;
    if (cell.width === 0) continue; // drawn with its wide character
    if (cell.style !== pen.style) {
      out += sgr(cell.style);
      pen.style = cell.style;
    }
    out += cell.ch;
    const col = c + cell.width;
    pen.cursor = col >= grid.cols ? null : { row, col };
  }
  return out;
}

/** Largest gap of unchanged cells worth redrawing instead of moving the cursor over it. */
const MAX_MERGE_GAP = 8;

function drawRow(grid: Grid, row: number, runs: Run[], pen: Pen): string {
  let out = '';
  let i = 0;
  while (i < runs.length) {
    const run = runs[i]!;
    out += moveTo(pen.cursor, row, run.start);
    pen.cursor = { row, col: run.start };
    out += drawCells(grid, row, run.start, run.end, pen);
    // merge the following runs while redrawing the gap costs fewer bytes than jumping over it
    while (i + 1 < runs.length) {
      const nextRun = runs[i + 1]!;
      const gapStart = runs[i]!.end;
      if (nextRun.start - gapStart > MAX_MERGE_GAP || pen.cursor === null) break;
      const through: Pen = { cursor: pen.cursor, style: pen.style };
      const gapBytes = drawCells(grid, row, gapStart, nextRun.start, through);
      const firstStyle = grid.cells[row * grid.cols + nextRun.start]!.style;
      const styleCost = (from: string | null) => (from === firstStyle ? 0 : sgr(firstStyle).length);
      const viaGap = Buffer.byteLength(gapBytes) + styleCost(through.style);
      const viaMove = moveTo(pen.cursor, row, nextRun.start).length + styleCost(pen.style);
      if (viaGap >= viaMove) break;
      out += gapBytes;
      pen.cursor = through.cursor;
      pen.style = through.style;
      i++;
      out += drawCells(grid, row, nextRun.start, nextRun.end, pen);
    }
    i++;
  }
  return out;
}

export interface DiffResult {
  /** The bytes to write ('' when nothing changed). */
  bytes: string;
  /** Whether this was a full repaint. */
  full: boolean;
}

/**
 * The minimal-ish byte string that turns what `prev` shows into `next`.
 * No previous grid, or a different size: clear and draw everything that is not blank. `same[r]`: row r is known to
 * be unchanged (its cells are prev's), so it is not compared.
 */
export function diffGrids(prev: Grid | undefined, next: Grid, same?: readonly boolean[]): DiffResult {
  const full = !prev || prev.cols !== next.cols || prev.rows !== next.rows;
  const base = full ? blankGrid(next.cols, next.rows) : prev;
  const pen: Pen = { cursor: null, style: null };
  let body = '';
  if (full) {
    body = SGR_RESET + CLEAR_SCREEN; // reset first: ESC[2J fills with the current background colour
    pen.cursor = { row: 0, col: 0 };
    pen.style = '';
  }
  for (let r = 0; r < next.rows; r++) {
    // a row the parser took whole from `prev` (same text, same starting style) cannot differ
    if (!full && same?.[r]) continue;
    const runs = changedRuns(base, next, r);
    if (runs.length > 0) body += drawRow(next, r, runs, pen);
  }
  if (body === '') return { bytes: '', full };
  if (pen.style !== '') body += SGR_RESET; // leave the terminal in the default style
  return { bytes: SYNC_BEGIN + body + SYNC_END, full };
}
