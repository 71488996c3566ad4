/**
 * Cutting a styled line of narrow text without slice-ansi. The cockpit cuts a few long lines every frame (a GPU
 * summary wider than its panel); slice-ansi tokenises the whole line into objects to do it. Nearly every such line is
 * narrow text (src/terminal/fast-width.ts) and SGR sequences: those are cut here in one pass; anything else returns
 * undefined and the caller uses slice-ansi.
 */
import { isNarrow, sgrEnd } from '../terminal/fast-width.js';

/** The code that ends what an SGR parameter starts (bold/dim share 22; every colour ends with its default). */
function closeOf(p: number): number | undefined {
  if (p === 1 || p === 2) return 22;
  if (p === 3 || p === 4 || p === 5 || p === 7 || p === 8 || p === 9) return 20 + p;
  if (p === 53) return 55;
  if ((p >= 30 && p <= 38) || (p >= 90 && p <= 97)) return 39;
  if ((p >= 40 && p <= 48) || (p >= 100 && p <= 107)) return 49;
  if (p === 58) return 59;
  return undefined;
}

/** Updates the set of close codes the text so far needs, after one SGR's parameters. */
function track(open: Set<number>, params: string): void {
  const ps = params === '' ? [0] : params.split(/[;:]/).map(Number);
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (p === 0) open.clear();
    else if (p === 22 || p === 39 || p === 49 || p === 59 || (p >= 23 && p <= 29) || p === 55) open.delete(p);
    else {
      const c = closeOf(p);
      if (c !== undefined) open.add(c);
      // an extended colour's arguments are not parameters of their own
      if (p === 38 || p === 48 || p === 58) i += ps[i + 1] === 5 ? 2 : ps[i + 1] === 2 ? 4 : 0;
    }
  }
}

/**
 * The first `cols` columns of `line` (narrow text and SGR sequences only), its styles closed at the cut as slice-ansi
 * closes them; undefined for any other line. A line no wider than `cols` comes back whole.
 */
export function cutNarrow(line: string, cols: number): string | undefined {
  let col = 0;
  let open: Set<number> | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (isNarrow(c)) {
      if (col === cols) {
        let out = line.slice(0, i);
        if (open) for (const code of open) out += `\u001b[${code}m`;
        return out;
      }
      col++;
      continue;
    }
    const end = c === 0x1b ? sgrEnd(line, i) : -1;
    if (end < 0) return undefined;
    track(open ??= new Set(), line.slice(i + 2, end - 1));
    i = end - 1;
  }
  return line;
}
