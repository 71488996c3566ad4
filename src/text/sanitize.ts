/**
 * THE sanitiser: every piece of text that comes from outside sov (tool output, log lines, model output, names from
 * a config, hostnames, HTTP bodies) passes here before it is drawn or printed. It removes
 * - terminal escape sequences: CSI (ESC [ … and the 8-bit CSI), OSC (titles, hyperlinks, clipboard: ESC ] … BEL/ST),
 *   DCS/SOS/PM/APC strings, and the two-character ESC sequences (charset switches, keypad modes, RIS…);
 * - C0 and C1 control characters (a tab becomes a space; a newline is kept: callers split lines themselves);
 * - Unicode format controls (general category Cf): the bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069,
 *   LRM/RLM/ALM) that reorder what follows them and shift the columns after them, zero-width spaces and joiners,
 *   the word joiner, the BOM, soft hyphens, and the tag characters (U+E0000 block) that can smuggle invisible text;
 *   and the line/paragraph separators U+2028/U+2029 (a space).
 * Pure, total, idempotent. Text with nothing to remove is returned after one scan.
 */

/**
 * Unicode general category Cf (format controls), spelled out (a non-`u` regex is several times faster than \p{Cf}
 * here): soft hyphen, Arabic/Syriac format marks, ALM, Mongolian vowel separator, zero-width space/joiners,
 * LRM/RLM, the bidi embeddings/overrides/isolates, word joiner and invisible operators, BOM, interlinear
 * annotation marks; astral ones as surrogate pairs: Kaithi, Egyptian hieroglyph and shorthand format controls,
 * musical symbol beams, and the tag characters.
 */
const FORMAT_SRC = '\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb';
const FORMAT_ASTRAL_SRC = '\ud804[\udcbd\udccd]|\ud80d[\udc30-\udc3f]|\ud82f[\udca0-\udca3]|\ud834[\udd73-\udd7a]|\udb40[\udc01\udc20-\udc7f]';
/**
 * Quick pre-checks (most text has nothing to remove): a Latin-1 class V8 scans fast (every escape sequence starts
 * with a control character), then, only for text with characters from U+0600 up, the format controls (the astral
 * ones caught by their lead surrogates, an over-approximation the full pass settles).
 */
const LATIN1_WORK = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad]/;
const HIGH = /[\u0600-\uffff]/;
const HIGH_WORK = new RegExp(`[\u2028\u2029${FORMAT_SRC}\ud804\ud80d\ud82f\ud834\udb40]`);
const ESCAPES = new RegExp([
  '\\u001b\\[[0-?]*[ -/]*[@-~]', // CSI
  '\\u009b[0-?]*[ -/]*[@-~]', // 8-bit CSI
  '(?:\\u001b\\]|\\u009d)[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?', // OSC … BEL / ST
  '(?:\\u001b[P^_X]|[\\u0090\\u0098\\u009e\\u009f])[^\\u001b\\u009c]*(?:\\u001b\\\\|\\u009c)?', // DCS, SOS, PM, APC
  '\\u001b[ -/]*[0-~]', // ESC ( B, ESC 7, ESC c …
  '\\u001b', // a lone ESC at the end
].join('|'), 'g');
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const FORMAT = new RegExp(`[${FORMAT_SRC}]|${FORMAT_ASTRAL_SRC}`, 'g');
const SEPARATORS = /[\u2028\u2029]/g;

/** Outside text made safe to draw: no escape sequences, no control characters, no invisible format controls. */
export function sanitize(text: string): string {
  if (!LATIN1_WORK.test(text) && !(HIGH.test(text) && HIGH_WORK.test(text))) return text;
  return text.replace(ESCAPES, '').replace(/\t/g, ' ').replace(CONTROLS, '').replace(FORMAT, '').replace(SEPARATORS, ' ');
}

/** One printable line: sanitized, every run of blanks (newlines included) one space, trimmed, cut to `max` with '…'. */
export function oneLine(text: string, max = 300): string {
  const t = sanitize(text.replace(/[\r\n\t\v\f]+/g, ' ')).replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
