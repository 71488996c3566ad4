import { describe, expect, it } from 'vitest';
import { applySgr, cellAt, cellOf, gridText, parseFrame, parseFrameRows } from '../../src/terminal/cells.js';

const ESC = '\u001b';

describe('parseFrame', () => {
  it('pads missing columns and rows with blanks', () => {
    const g = parseFrame('ab\nc', 4, 3);
    expect(gridText(g)).toEqual(['ab  ', 'c   ', '    ']);
    expect(g.cells).toHaveLength(12);
    expect(cellAt(g, 2, 3)).toEqual({ ch: ' ', width: 1, style: '' });
  });

  it('clips extra columns and lines', () => {
    const g = parseFrame('abcdef\n123456\nxyz', 3, 2);
    expect(gridText(g)).toEqual(['abc', '123']);
  });

  it('keeps SGR styles per cell, in a canonical form', () => {
    const g = parseFrame(`${ESC}[31mr${ESC}[39m ${ESC}[1m${ESC}[38;5;196mb${ESC}[22m${ESC}[48;2;1;2;3mx${ESC}[0my`, 6, 1);
    expect(g.cells.map((c) => c.style)).toEqual(['31', '', '1;38;5;196', '38;5;196;48;2;1;2;3', '', '']);
    expect(gridText(g)).toEqual(['r bxy ']);
  });

  it('treats 22 as bold-and-dim off, 39/49 as default colours, and an empty SGR as a reset', () => {
    const s = { attrs: new Set<number>() } as Parameters<typeof applySgr>[0];
    applySgr(s, '1;2;4;32;44');
    applySgr(s, '22;39');
    expect([...s.attrs]).toEqual([4]);
    expect(s.fg).toBeUndefined();
    expect(s.bg).toBe('44');
    applySgr(s, '');
    expect(s.attrs.size).toBe(0);
    expect(s.bg).toBeUndefined();
  });

  it('gives wide characters two cells (the second a continuation)', () => {
    const g = parseFrame('中文a', 5, 1);
    expect(g.cells.map((c) => [c.ch, c.width])).toEqual([
      ['中', 2],
      ['', 0],
      ['文', 2],
      ['', 0],
      ['a', 1],
    ]);
    const e = parseFrame('👍🏽!', 3, 1);
    expect(e.cells.map((c) => c.width)).toEqual([2, 0, 1]);
    expect(e.cells[0]!.ch).toBe('👍🏽');
  });

  it('draws a blank for a wide character that does not fit in the last column', () => {
    const g = parseFrame('ab中', 3, 1);
    expect(g.cells.map((c) => [c.ch, c.width])).toEqual([
      ['a', 1],
      ['b', 1],
      [' ', 1],
    ]);
  });

  it('joins zero-width characters to the cell before them', () => {
    const g = parseFrame('e\u0301x\u200by', 4, 1);
    expect(g.cells.map((c) => c.ch)).toEqual(['e\u0301', 'x\u200b', 'y', ' ']);
    expect(parseFrame('\u200bab', 3, 1).cells.map((c) => c.ch)).toEqual(['a', 'b', ' ']);
  });

  it('drops escape sequences that are not SGR, and control characters', () => {
    const frame = `${ESC}[2J${ESC}[3J${ESC}[Ha${ESC}]8;;https://x.test${ESC}\\b${ESC}]8;;${ESC}\\${ESC}[5Cc\r\u0007d${ESC}(B${ESC}7e`;
    expect(gridText(parseFrame(frame, 6, 1))).toEqual(['abcde ']);
    const g = parseFrame(`${ESC}[1mx${ESC}[?25ly\tz`, 5, 1);
    expect(g.cells.map((c) => [c.ch, c.style])).toEqual([['x', '1'], ['y', '1'], [' ', '1'], ['z', '1'], [' ', '']]);
  });

  it('at the right edge: a zero-width character still joins the last cell, but not the blank drawn for a wide character that did not fit', () => {
    expect(parseFrame('abc\u0301', 3, 1).cells.map((c) => c.ch)).toEqual(['a', 'b', 'c\u0301']);
    expect(parseFrame('ab\u2060', 2, 1).cells.map((c) => c.ch)).toEqual(['a', 'b\u2060']);
    expect(parseFrame('ab中\u0301', 3, 1).cells.map((c) => c.ch)).toEqual(['a', 'b', ' ']);
    // past the edge, a later run (after an SGR) draws nothing, its SGR still counts for the next row
    const g = parseFrame(`abc${ESC}[31m\u0301d\ne`, 3, 2);
    expect(g.cells.map((c) => c.ch)).toEqual(['a', 'b', 'c', 'e', ' ', ' ']);
    expect(cellAt(g, 1, 0).style).toBe('31');
  });

  it('survives truncated escapes at the end of a frame', () => {
    expect(gridText(parseFrame(`ab${ESC}[3`, 3, 1))).toEqual(['ab ']);
    expect(gridText(parseFrame(`ab${ESC}`, 3, 1))).toEqual(['ab ']);
    expect(gridText(parseFrame(`ab${ESC}]8;;x`, 3, 1))).toEqual(['ab ']);
  });
});

describe('parseFrameRows: rows reused from the previous frame', () => {
  const E = '\u001b';
  const pieces = ['plain ', `${E}[31m`, `${E}[1m`, `${E}[0m`, `${E}[38;5;196m`, `${E}[39m`, '中文', 'e\u0301', '█░▒', `${E}[48;2;1;2;3m`, `${E}[22m`, 'x'.repeat(12)];
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const line = () => Array.from({ length: rnd(6) }, () => pieces[rnd(pieces.length)]).join('');

  it('equals a full parse, frame after frame, whatever changed (styles left open across lines included), parsed into the grid before last; unchanged rows are marked same', () => {
    let lines = Array.from({ length: 12 }, line);
    let prev = parseFrameRows(lines.join('\n'), 16, 10);
    let spare: ReturnType<typeof parseFrame> | undefined; // the grid before prev, parsed into again as the writer does
    for (let i = 0; i < 300; i++) {
      const next = [...lines];
      for (let k = rnd(4); k >= 0; k--) next[rnd(next.length)] = line();
      if (rnd(10) === 0) next.pop();
      const frame = next.join('\n');
      const p = parseFrameRows(frame, 16, 10, prev, spare);
      if (spare) expect(p.grid).toBe(spare);
      spare = prev.grid;
      expect(p.grid).toEqual(parseFrame(frame, 16, 10));
      for (let r = 0; r < 10; r++) if (p.same[r]) expect(p.grid.cells.slice(r * 16, r * 16 + 16)).toEqual(prev.grid.cells.slice(r * 16, r * 16 + 16));
      prev = p;
      lines = next;
    }
    // a frame equal to the last one: every row reused
    expect(parseFrameRows(lines.join('\n'), 16, 10, prev).same.every(Boolean)).toBe(true);
  });

  it('cells of one look are one shared object, frame after frame (nothing new to promote); the table is bounded', () => {
    const a = parseFrame(`ab${E}[31mab${E}[0m\n中e\u0301`, 6, 2);
    const b = parseFrame(`${E}[31mab${E}[0mab\n中e\u0301`, 6, 2);
    expect(cellAt(a, 0, 0)).toBe(cellAt(b, 0, 2)); // 'a', no style
    expect(cellAt(a, 0, 2)).toBe(cellAt(b, 0, 0)); // 'a', red
    expect(cellAt(a, 0, 0)).not.toBe(cellAt(a, 0, 2));
    expect(cellAt(a, 1, 0)).toBe(cellAt(b, 1, 0)); // the wide character
    expect(cellAt(a, 1, 1)).toEqual({ ch: '', width: 0, style: '' }); // its continuation
    expect(cellAt(a, 1, 2)).toEqual({ ch: 'e\u0301', width: 1, style: '' }); // a combining mark joins the cell
    // past the bound the table starts again: a cell still looks the same, it is just a new object
    const first = cellOf('q', 1, '7');
    for (let i = 0; i < 5000; i++) cellOf(String(i), 1, '');
    const again = cellOf('q', 1, '7');
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(cellOf('q', 1, '7')).toBe(again);
  });

  it('a row with the same text but a different style coming in from the row above is parsed again', () => {
    const a = parseFrameRows(`x\ny`, 4, 2);
    const b = parseFrameRows(`x${E}[31m\ny`, 4, 2, a);
    expect(b.same).toEqual([false, false]);
    expect(b.grid.cells[4]!.style).toBe('31');
  });
});
