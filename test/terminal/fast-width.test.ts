import realStringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import fastWidth, { NARROW_RANGES } from '../../src/terminal/fast-width.js';

describe('fast string width', () => {
  it('every code point of the fast set is exactly one column for string-width too', () => {
    const wrong: string[] = [];
    for (const [a, b] of NARROW_RANGES) {
      for (let cp = a; cp <= b; cp++) {
        const ch = String.fromCodePoint(cp);
        if (realStringWidth(ch) !== 1) wrong.push(`U+${cp.toString(16)} ${ch} → ${realStringWidth(ch)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('agrees with string-width on text the cockpit draws and on text it must not fast-path', () => {
    const cases = [
      '', 'plain ascii', '╭─ GPU ─╮│█░▲✓✖·°…≥', '\u001b[31mred\u001b[39m ok', '\u001b[1;38;2;1;2;3mrgb\u001b[0m',
      '漢字 wide', 'emoji 🚀 and ✅', 'e\u0301 combining', 'zero\u200bwidth', 'tab\there', '\u001b]0;title\u0007osc',
      '◽◾ emoji squares', '\u00ad soft hyphen',
    ];
    for (const c of cases) expect(fastWidth(c), JSON.stringify(c)).toBe(realStringWidth(c));
  });
});
