import sliceAnsi from 'slice-ansi';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../src/terminal/cells.js';
import { cutNarrow } from '../../src/text/cut.js';

const E = '\u001b';
const pieces = ['plain ', 'GPU0 ', '█░▒', '─│', '·°…', `${E}[31m`, `${E}[39m`, `${E}[1m`, `${E}[22m`, `${E}[2m`, `${E}[7m`, `${E}[27m`,
  `${E}[0m`, `${E}[m`, `${E}[38;5;196m`, `${E}[48;2;1;2;3m`, `${E}[49m`, `${E}[1;4;32m`, `${E}[24m`, 'x'.repeat(9)];
let seed = 11;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

describe('cutNarrow', () => {
  it('cutting a line wider than the room: draws what slice-ansi draws, the cut included, and leaves the same style open after it (an outer style too)', () => {
    for (let n = 0; n < 400; n++) {
      const line = Array.from({ length: 1 + rnd(8) }, () => pieces[rnd(pieces.length)]).join('');
      const outer = rnd(3) === 0 ? `${E}[7m` : '';
      const plain = line.replace(/\u001b\[[0-9;]*m/g, '');
      if (plain.length === 0) continue;
      const cols = rnd(plain.length); // fit() cuts only lines wider than the room
      const ours = cutNarrow(line, cols);
      expect(ours, JSON.stringify(line)).toBeDefined();
      // 'X' after the cut shows the style the cut leaves behind
      const a = parseFrame(`${outer}${ours!}X`, 40, 1);
      const b = parseFrame(`${outer}${sliceAnsi(line, 0, cols)}X`, 40, 1);
      expect(a, JSON.stringify({ line, cols })).toEqual(b);
    }
  });

  it('leaves a line that fits whole, and any line with wide, combining or emoji text, or other escapes, to slice-ansi', () => {
    expect(cutNarrow(`${E}[31mabc${E}[39m`, 3)).toBe(`${E}[31mabc${E}[39m`);
    expect(cutNarrow(`${E}[31mabcdef`, 3)).toBe(`${E}[31mabc${E}[39m`);
    for (const line of ['漢字abc', 'e\u0301abc', 'ok🚀 x', `${E}]8;;x${E}\\link`, 'tab\there']) expect(cutNarrow(line, 3), line).toBeUndefined();
  });
});
