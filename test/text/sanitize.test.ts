import { describe, expect, it } from 'vitest';
import { oneLine, sanitize } from '../../src/text/sanitize.js';
import { sanitize as widgetSanitize, width } from '../../widgets/primitives/text.js';
import { oneLine as protocolOneLine } from '../../src/protocols/json.js';
import { clean } from '../../src/cli/engines.js';
import { parseHostname } from '../../backends/system/parse.js';
import { parseRedisReply } from '../../backends/services/parse.js';
import { messageLines } from '../../widgets/panels/chat.js';
import { noColor } from '../../themes/index.js';

const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u2060', '\u2061', '\u2064', '\uFEFF', '\u00AD', '\u{E0041}', '\u{E007F}'];

describe('the one sanitiser', () => {
  it('strips every bidi control and invisible format character', () => {
    for (const c of [...BIDI, ...INVISIBLE]) expect(sanitize(`a${c}b`), `U+${c.codePointAt(0)!.toString(16)}`).toBe('ab');
  });

  it('strips CSI, 8-bit CSI, OSC (BEL and ST), DCS/APC strings, two-character escapes and a lone ESC', () => {
    expect(sanitize('a\u001b[31mred\u001b[0m\u001b[2J')).toBe('ared');
    expect(sanitize('x\u009b2Jy')).toBe('xy');
    expect(sanitize('a\u001b]0;pwned\u0007b\u001b]8;;http://e\u001b\\link\u001b]8;;\u001b\\c')).toBe('ablinkc');
    expect(sanitize('a\u001bP1$r0m\u001b\\b\u001b_apc\u001b\\c')).toBe('abc');
    expect(sanitize('a\u001b(Bb\u001b7c\u001bcd\u001b')).toBe('abcd');
    expect(sanitize('a\u001b]52;c;ZXZpbA==\u0007b')).toBe('ab');
  });

  it('keeps newlines, turns tabs into spaces, drops the other C0/C1 controls and separators become spaces', () => {
    expect(sanitize('a\u0000\u0007\bb\tc\r\nd\u0085e\u2028f')).toBe('ab c\nde f');
  });

  it('leaves ordinary text alone (ASCII fast path and wide text) and is idempotent', () => {
    for (const s of ['plain ascii', 'naïve café — 漢字 🙂', 'شكرا', '']) {
      expect(sanitize(s)).toBe(s);
      expect(sanitize(sanitize(s))).toBe(sanitize(s));
    }
    const nasty = 'a\u001b[\u202E\u001b]x\u0007\u200Bb';
    expect(sanitize(sanitize(nasty))).toBe(sanitize(nasty));
  });

  it('oneLine collapses blanks, caps the length and uses the same rules', () => {
    expect(oneLine(' a \n\n b\u202E \t c ', 300)).toBe('a b c');
    expect(oneLine('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('is the sanitiser every former copy now uses: widgets, protocol parsers, the CLI, hostnames, Redis answers', () => {
    const evil = 'ok\u202Eevil\u001b[2J\u200B';
    expect(widgetSanitize(evil)).toBe('okevil');
    expect(protocolOneLine(evil)).toBe('okevil');
    expect(clean(evil)).toBe('okevil');
    expect(parseHostname(`${evil}\n`)).toBe('okevil');
    expect(parseRedisReply(`-ERR ${evil}\r\n`)).toMatchObject({ message: expect.not.stringMatching(/[\u202E\u200B\u001b]/) });
  });

  it('a reply holding U+202E no longer shifts the chat border: every line fits the width it was drawn for', () => {
    const m = { id: 'r1', role: 'assistant' as const, text: 'before \u202Eafter\u2066 and \u200Bzero-width', at: 0, provider: 'p\u202Eq' };
    const lines = messageLines(m as Parameters<typeof messageLines>[0], 40, noColor);
    expect(lines.join('\n')).not.toMatch(/[\u202E\u2066\u200B]/);
    for (const l of lines) expect(width(l)).toBeLessThanOrEqual(40);
    expect(lines.join('\n')).toContain('before after and zero-width');
  });
});
