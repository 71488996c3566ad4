// A tiny virtual terminal for tests: enough of xterm to replay what diff.ts emits (CUP, CUF, SGR reset+set,
// ESC[2J, synchronized-output brackets, text with wide characters and pending wrap) and to fail loudly on anything
// else, ESC[3J above all.
import stringWidth from 'string-width';
import type { Cell, Grid } from '../../src/terminal/cells.js';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export class VirtualTerminal {
  cells: Cell[];
  row = 0;
  col = 0;
  pendingWrap = false;
  style = '';
  syncDepth = 0;
  lastPrinted: number | undefined;

  constructor(
    public cols: number,
    public rows: number,
  ) {
    this.cells = this.blank();
  }

  private blank(): Cell[] {
    return Array.from({ length: this.cols * this.rows }, () => ({ ch: ' ', width: 1 as const, style: this.style }));
  }

  resize(cols: number, rows: number): void {
    // a real terminal keeps (or reflows) old content; we keep the overlap so a missing repaint shows up as a bug
    const old = this.cells;
    const oldCols = this.cols;
    this.cols = cols;
    this.rows = rows;
    this.cells = Array.from({ length: cols * rows }, (_, i) => {
      const r = Math.floor(i / cols);
      const c = i % cols;
      return c < oldCols && old[r * oldCols + c] ? { ...old[r * oldCols + c]! } : { ch: '?', width: 1 as const, style: '' };
    });
    this.row = Math.min(this.row, rows - 1);
    this.col = Math.min(this.col, cols - 1);
  }

  write(data: string): void {
    let i = 0;
    while (i < data.length) {
      if (data[i] === '\u001b') {
        if (data[i + 1] !== '[') throw new Error(`unsupported escape at ${i}: ${JSON.stringify(data.slice(i, i + 8))}`);
        let j = i + 2;
        while (j < data.length && /[0-9;?]/.test(data[j]!)) j++;
        this.csi(data.slice(i + 2, j), data[j]!);
        i = j + 1;
        continue;
      }
      let j = i;
      while (j < data.length && data[j] !== '\u001b') j++;
      for (const { segment } of segmenter.segment(data.slice(i, j))) this.print(segment);
      i = j;
    }
  }

  private csi(params: string, final: string): void {
    this.lastPrinted = undefined;
    if (params === '3' && final === 'J') throw new Error('ESC[3J (clear scrollback) must never be sent');
    if (final === 'H') {
      const [r, c] = params.split(';').map((p) => (p === '' ? 1 : Number(p)));
      this.row = (r ?? 1) - 1;
      this.col = (c ?? 1) - 1;
      this.pendingWrap = false;
    } else if (final === 'C') {
      this.col = Math.min(this.cols - 1, this.col + (params === '' ? 1 : Number(params)));
      this.pendingWrap = false;
    } else if (final === 'J' && params === '2') {
      this.cells = this.blank();
    } else if (final === 'm') {
      if (params === '' || params === '0') this.style = '';
      else if (params.startsWith('0;')) this.style = params.slice(2);
      else throw new Error(`SGR without reset: ${params}`);
    } else if (params === '?2026' && final === 'h') this.syncDepth++;
    else if (params === '?2026' && final === 'l') this.syncDepth--;
    else if (/^\?(1049|25)$/.test(params)) {
      // alt screen / cursor visibility: no effect on the grid
    } else throw new Error(`unsupported CSI ${params}${final}`);
  }

  private print(g: string): void {
    const w = Math.min(2, stringWidth(g));
    if (w === 0) {
      // zero-width: joins the cell printed last, as terminals do with combining marks
      if (this.lastPrinted === undefined) throw new Error(`zero-width grapheme with nothing before it: ${JSON.stringify(g)}`);
      this.cells[this.lastPrinted]!.ch += g;
      return;
    }
    if (this.pendingWrap || this.col + w > this.cols) {
      if (this.row === this.rows - 1) throw new Error('printing would scroll the screen');
      this.row++;
      this.col = 0;
      this.pendingWrap = false;
    }
    const i = this.row * this.cols + this.col;
    // overwriting half of a wide character blanks its other half, as xterm does
    for (const k of w === 2 ? [i, i + 1] : [i]) {
      const cell = this.cells[k]!;
      if (cell.width === 2) this.cells[k + 1] = { ch: ' ', width: 1, style: cell.style };
      if (cell.width === 0 && k > 0) this.cells[k - 1] = { ch: ' ', width: 1, style: this.cells[k - 1]!.style };
    }
    this.cells[i] = { ch: g, width: w as 1 | 2, style: this.style };
    this.lastPrinted = i;
    if (w === 2) this.cells[i + 1] = { ch: '', width: 0, style: this.style };
    if (this.col + w >= this.cols) {
      this.col = this.cols - 1;
      this.pendingWrap = true;
    } else this.col += w;
  }

  grid(): Grid {
    return { cols: this.cols, rows: this.rows, cells: this.cells.map((c) => ({ ...c })) };
  }
}
