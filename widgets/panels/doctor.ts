/**
 * Doctor: the summary line and the checks (worst first: FAIL, WARN, UNKNOWN, then PASS), each with its status
 * glyph, what is checked, the evidence, and the fix beneath anything that is not a pass. Pure line builders; the
 * rows' text was sanitised when the rows were made, and is sanitised again here (a row may come from anywhere).
 */
import type { Row, Status, Summary } from '../../src/doctor/rows.js';
import type { GlyphKey } from '../../themes/glyphs.js';
import { paint, type Theme, type Token } from '../../themes/tokens.js';
import { fit, sanitize, width } from '../primitives/text.js';

const LOOK: Record<Status, [Token, GlyphKey]> = {
  FAIL: ['crit', 'crit'],
  WARN: ['warn', 'warn'],
  UNKNOWN: ['info', 'unknown'],
  PASS: ['ok', 'ok'],
};
const ORDER: Record<Status, number> = { FAIL: 0, WARN: 1, UNKNOWN: 2, PASS: 3 };

export function statusText(theme: Theme, s: Status): string {
  const [tok, g] = LOOK[s];
  return paint(theme, tok, `${theme.glyphs[g]} ${s}`.padEnd(9));
}

/** "✖ 4 fail  ▲ 0 warn  ? 4 unknown  ✓ 20 pass · 28 checks" */
export function summaryLine(theme: Theme, s: Summary): string {
  const part = (st: Status, n: number, word: string) => paint(theme, n ? LOOK[st][0] : 'muted', `${theme.glyphs[LOOK[st][1]]} ${n} ${word}`);
  return `${part('FAIL', s.fail, 'fail')}  ${part('WARN', s.warn, 'warn')}  ${part('UNKNOWN', s.unknown, 'unknown')}  ${part('PASS', s.pass, 'pass')}${paint(theme, 'muted', ` · ${s.total} check${s.total === 1 ? '' : 's'}`)}`;
}

export function summaryBadge(theme: Theme, s: Summary): string {
  if (s.fail) return paint(theme, 'crit', `${theme.glyphs.crit} ${s.fail} failing`);
  if (!s.total) return paint(theme, 'muted', 'no checks');
  return s.warn || s.unknown ? paint(theme, 'warn', `no failures · ${s.warn + s.unknown} to look at`) : paint(theme, 'ok', `${theme.glyphs.ok} all pass`);
}

export function matchesFilter(r: Row, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [r.status, r.group, r.check, r.evidence, r.hint ?? '', r.id].some((t) => t.toLowerCase().includes(f));
}

/** The checks as lines: worst first, stable within a status; a filter keeps the rows whose any text matches. */
export function doctorLines(rows: Row[], w: number, theme: Theme, filter = ''): string[] {
  const shown = rows.map((r, i) => ({ r, i })).filter(({ r }) => matchesFilter(r, filter))
    .sort((a, b) => ORDER[a.r.status] - ORDER[b.r.status] || a.i - b.i).map(({ r }) => r);
  if (!rows.length) return [paint(theme, 'muted', 'the blueprint declares no checks')];
  if (!shown.length) return [paint(theme, 'muted', `no check matches "${sanitize(filter)}" (esc clears the filter)`)];
  const groupW = w >= 100 ? 9 : 0;
  const checkW = Math.max(12, Math.min(44, Math.floor((w - 10 - groupW) * 0.45), Math.max(...shown.map((r) => width(sanitize(r.check))))));
  const out = [paint(theme, 'muted', fit(`${'STATUS'.padEnd(9)} ${groupW ? 'GROUP'.padEnd(groupW) : ''}${'CHECK'.padEnd(checkW)}  EVIDENCE`, w))];
  const evW = Math.max(8, w - 10 - groupW - checkW - 2);
  for (const r of shown) {
    const group = groupW ? paint(theme, 'muted', r.group.padEnd(groupW)) : '';
    // a pass keeps to one line; anything else shows its whole reading (up to three lines) and the fix beneath
    const ev = r.status === 'PASS' ? [sanitize(r.evidence)] : wrap(sanitize(r.evidence), evW, 3);
    out.push(fit(`${statusText(theme, r.status)} ${group}${fit(sanitize(r.check), checkW)}  ${ev[0] ?? ''}`, w));
    for (const more of ev.slice(1)) out.push(fit(`${' '.repeat(w - evW)}${more}`, w));
    if (r.hint) {
      const fix = wrap(sanitize(r.hint), Math.max(8, w - 15), 2);
      fix.forEach((l, i) => out.push(fit(paint(theme, 'muted', i ? ' '.repeat(15) : `${' '.repeat(10)}fix: `) + l, w)));
    }
  }
  return out;
}

/** Plain text cut at spaces into lines of at most `w` columns; the last of `max` lines ends in … when more is left. */
export function wrap(text: string, w: number, max: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (width(next) <= w || !line) { line = next; continue; }
    out.push(line);
    line = word;
  }
  if (line) out.push(line);
  if (out.length <= max) return out.map((l) => fit(l, w).trimEnd());
  const kept = out.slice(0, max);
  kept[max - 1] = fit(`${kept[max - 1]} ${out.slice(max).join(' ')}`, w);
  return kept;
}
