/**
 * string-width with a fast path. Measuring text is the cockpit's hottest code (Ink measures and slices every line
 * of every frame; string-width segments graphemes with Intl.Segmenter). Nearly all of our text is ASCII, box
 * drawing, block elements and a few symbols, all one column wide, so for those the width is the length; anything
 * else (CJK, emoji, combining marks, escape sequences other than SGR) goes to string-width itself.
 * The bundle (scripts/build.mjs) routes every `import 'string-width'` (Ink's included) here.
 * test/terminal/fast-width.test.ts checks every code point of the fast set against string-width.
 */
import realStringWidth from 'string-width';

/** One column each, never combining, never emoji-presentation: checked code point by code point in the tests. */
export const NARROW_RANGES: [number, number][] = [
  [0x20, 0x7e], // ASCII printable
  [0xa0, 0xac], [0xae, 0x2ff], // Latin-1 (minus the soft hyphen) and Latin extended, spacing modifiers
  [0x2010, 0x2027], [0x2030, 0x205e], // dashes, quotes, bullets, ellipsis, primes
  [0x2190, 0x21ff], // arrows
  [0x2200, 0x22ff], // mathematical operators (≥ ≤ × …)
  [0x2500, 0x25fc], // box drawing, block elements, geometric shapes (◽◾ are emoji-wide: left out)
  [0x2713, 0x2717], // ✓ ✔ ✕ ✖ ✗
];

/** NARROW_RANGES as a table, for the code units below its end (all of the ranges) */
const TABLE_END = 0x2800;
const NARROW_TABLE = new Uint8Array(TABLE_END);
for (const [a, b] of NARROW_RANGES) NARROW_TABLE.fill(1, a, b + 1);

/** Whether UTF-16 unit c is one column wide for certain (in NARROW_RANGES). */
export const isNarrow = (c: number): boolean => c < TABLE_END && NARROW_TABLE[c] === 1;

/** The end (index past the final 'm') of the SGR sequence starting at s[i] === ESC, or -1 when it is not one. */
export function sgrEnd(s: string, i: number): number {
  if (s.charCodeAt(i + 1) !== 0x5b) return -1;
  let j = i + 2;
  for (; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (!((d >= 0x30 && d <= 0x39) || d === 0x3b || d === 0x3a)) break;
  }
  return s.charCodeAt(j) === 0x6d ? j + 1 : -1;
}

const SGR = /\u001b\[[0-9;:]*m/g;
const NARROW = new RegExp(`^[${NARROW_RANGES.map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join('')}]*$`, 'u');

export interface Options { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }

export default function stringWidth(input: string, options?: Options): number {
  if (typeof input !== 'string' || input.length === 0) return 0;
  if (options?.countAnsiEscapeCodes || options?.ambiguousIsNarrow === false) return realStringWidth(input, options);
  // native regex work only: a JS loop over the characters is 4-6 times slower until TurboFan optimises it, which a
  // cockpit redrawing once a second may never make it do (measured: docs/bench.md)
  const plain = input.includes('\u001b') ? input.replace(SGR, '') : input;
  return NARROW.test(plain) ? plain.length : realStringWidth(input, options);
}
