/**
 * Cutting a styled line of narrow text without slice-ansi. The cockpit cuts a few long lines every frame (a GPU
 * summary wider than its panel); slice-ansi tokenises the whole line into objects to do it. Nearly every such line is
 * narrow text (src/terminal/fast-width.ts) and SGR sequences: those are cut here in one pass; anything else returns
 * undefined and the caller uses slice-ansi.
 */
import { applySgr, closingSgr, newState, type SgrState } from '../terminal/cells.js';
import { isNarrow, sgrEnd } from '../terminal/fast-width.js';

/**
 * The first `cols` columns of `line` (narrow text and SGR sequences only), its styles closed at the cut as slice-ansi
 * closes them; undefined for any other line. A line no wider than `cols` comes back whole.
 */
export function cutNarrow(line: string, cols: number): string | undefined {
  let col = 0;
  let state: SgrState | undefined; // the styles the line has opened so far (the writer's own SGR reading)
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (isNarrow(c)) {
      if (col === cols) return line.slice(0, i) + (state ? closingSgr(state) : '');
      col++;
      continue;
    }
    const end = c === 0x1b ? sgrEnd(line, i) : -1;
    if (end < 0) return undefined;
    applySgr(state ??= newState(), line.slice(i + 2, end - 1));
    i = end - 1;
  }
  return line;
}
