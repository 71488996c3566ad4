import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';
import { cutNarrow } from '../../src/text/cut.js';

/** The one sanitiser (escape sequences, control characters, bidi and invisible format controls): src/text/sanitize.ts */
export { sanitize } from '../../src/text/sanitize.js';

export const width = (s: string): number => stringWidth(s);

/** Cuts or pads an (ANSI-styled) line to exactly `w` columns; a cut line ends with '…'. */
export function fit(line: string, w: number): string {
  if (w <= 0) return '';
  const lw = stringWidth(line);
  if (lw === w) return line;
  if (lw < w) return line + ' '.repeat(w - lw);
  const cut = cutNarrow(line, w - 1) ?? sliceAnsi(line, 0, w - 1);
  return cut + ' '.repeat(Math.max(0, w - 1 - stringWidth(cut))) + '…';
}

export const padLeft = (s: string, w: number): string => ' '.repeat(Math.max(0, w - stringWidth(s))) + s;

/** Places `right` at the right edge of a `w`-wide line that starts with `left`. */
export function spread(left: string, right: string, w: number): string {
  const gap = w - stringWidth(left) - stringWidth(right);
  return gap >= 1 ? left + ' '.repeat(gap) + right : fit(left, w);
}
