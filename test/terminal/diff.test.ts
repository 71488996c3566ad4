import { describe, expect, it } from 'vitest';
import { parseFrame, type Grid } from '../../src/terminal/cells.js';
import { diffGrids, SYNC_BEGIN, SYNC_END } from '../../src/terminal/diff.js';
import { VirtualTerminal } from './vt.js';

const ESC = '\u001b';
const lines = (...l: string[]) => l.join('\n');

/** Strips the synchronized-output brackets, checking they are there. */
function body(bytes: string): string {
  expect(bytes.startsWith(SYNC_BEGIN)).toBe(true);
  expect(bytes.endsWith(SYNC_END)).toBe(true);
  return bytes.slice(SYNC_BEGIN.length, -SYNC_END.length);
}

describe('diffGrids', () => {
  const a = parseFrame(lines('hello world', 'second line', 'third'), 20, 4);

  it('writes nothing when nothing changed', () => {
    expect(diffGrids(a, parseFrame(lines('hello world', 'second line', 'third'), 20, 4))).toEqual({ bytes: '', full: false });
  });

  it('sends one changed cell as a cursor move and the character', () => {
    const b = parseFrame(lines('hello world', 'second Line', 'third'), 20, 4);
    const out = body(diffGrids(a, b).bytes);
    expect(out).toBe(`${ESC}[2;8H${ESC}[0mL`);
  });

  it('emits SGR only where the style changes', () => {
    const b = parseFrame(lines(`hello ${ESC}[1;31mworld${ESC}[0m`, 'second line', 'third'), 20, 4);
    const out = body(diffGrids(a, b).bytes);
    expect(out).toBe(`${ESC}[1;7H${ESC}[0;1;31mworld${ESC}[0m`);
  });

  it('redraws a short gap instead of jumping over it when that is cheaper', () => {
    const b = parseFrame(lines('hellO wOrld', 'second line', 'third'), 20, 4);
    expect(body(diffGrids(a, b).bytes)).toBe(`${ESC}[1;5H${ESC}[0mO wO`);
    const c = parseFrame(lines('hellO world  x', 'second line', 'third'), 20, 4);
    expect(body(diffGrids(a, c).bytes)).toBe(`${ESC}[1;5H${ESC}[0mO${ESC}[8Cx`);
  });

  it('repaints fully (ESC[2J, never ESC[3J) without a previous grid or after a resize', () => {
    for (const d of [diffGrids(undefined, a), diffGrids(a, parseFrame('hello', 30, 5))]) {
      expect(d.full).toBe(true);
      expect(body(d.bytes).startsWith(`${ESC}[0m${ESC}[H${ESC}[2J`)).toBe(true);
      expect(d.bytes).not.toContain(`${ESC}[3J`);
    }
  });

  it('skips blank cells on a full repaint', () => {
    const out = body(diffGrids(undefined, parseFrame(lines('ab', '', '   c'), 10, 3)).bytes);
    expect(out).toBe(`${ESC}[0m${ESC}[H${ESC}[2Jab${ESC}[3;4Hc`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Replay: whatever sequence of frames, the diffs applied to a virtual terminal reproduce each frame exactly.

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STYLES = ['', '1', '31', '1;32', '38;5;208', '48;2;10;20;30', '7', '2;4'];
const GLYPHS = ['a', 'b', 'x', ' ', ' ', '─', '█', '中', '界', '👍', 'é', '.', '9'];

function randomFrame(rnd: () => number, cols: number, rows: number, prev?: string[]): string[] {
  const out: string[] = [];
  for (let r = 0; r < rows + 1; r++) {
    if (prev && prev[r] !== undefined && rnd() < 0.7) {
      out.push(prev[r]!); // most lines stay as they were
      continue;
    }
    let line = '';
    const len = Math.floor(rnd() * (cols + 3));
    for (let i = 0; i < len; i++) {
      if (rnd() < 0.2) line += `${ESC}[${STYLES[Math.floor(rnd() * STYLES.length)] || '0'}m`;
      line += GLYPHS[Math.floor(rnd() * GLYPHS.length)];
    }
    out.push(line + `${ESC}[0m`);
  }
  return out;
}

function expectSameScreen(vt: VirtualTerminal, grid: Grid): void {
  expect(vt.cols).toBe(grid.cols);
  expect(vt.rows).toBe(grid.rows);
  expect(vt.grid().cells).toEqual(grid.cells);
  expect(vt.syncDepth).toBe(0);
}

describe('diff replayed on a virtual terminal', () => {
  it('reproduces every frame of a random sequence exactly, across resizes', () => {
    const rnd = prng(42);
    let cols = 24;
    let rows = 6;
    const vt = new VirtualTerminal(cols, rows);
    let prev: Grid | undefined;
    let lastLines: string[] | undefined;
    let changedBytes = 0;
    for (let step = 0; step < 300; step++) {
      if (step % 60 === 59) {
        cols = 10 + Math.floor(rnd() * 30);
        rows = 3 + Math.floor(rnd() * 8);
        vt.resize(cols, rows);
      }
      lastLines = randomFrame(rnd, cols, rows, lastLines);
      const next = parseFrame(lastLines.join('\n'), cols, rows);
      const { bytes } = diffGrids(prev, next);
      vt.write(bytes);
      expectSameScreen(vt, next);
      if (prev && prev.cols === cols && prev.rows === rows) changedBytes += bytes.length;
      prev = next;
    }
    expect(changedBytes).toBeGreaterThan(0);
  });

  it('handles wide characters replacing narrow ones and the other way round', () => {
    const vt = new VirtualTerminal(6, 2);
    const frames = ['ab中d', '中中x', 'a中bc', '  中 中', '中中中', 'abcdef'];
    let prev: Grid | undefined;
    for (const f of frames) {
      const next = parseFrame(f, 6, 2);
      vt.write(diffGrids(prev, next).bytes);
      expectSameScreen(vt, next);
      prev = next;
    }
  });
});
