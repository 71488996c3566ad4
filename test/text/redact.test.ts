import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, redact, registerSecret, StreamRedactor } from '../../src/text/redact.js';
import { Secret } from '../../src/chat/providers.js';

afterEach(() => clearSecrets());

describe('the one redaction', () => {
  it('Authorization values, Bearer tokens and API-key headers, whatever the spelling', () => {
    expect(redact('Authorization: Bearer sk-abc123456')).toBe('Authorization: Bearer [redacted]');
    expect(redact('{"authorization":"Basic dXNlcjpwYXNz"}')).toBe('{"authorization":"Basic [redacted]"}');
    expect(redact('proxy-authorization=tok123456')).toBe('proxy-authorization=[redacted]');
    expect(redact('curl -H "x-api-key: abcdef123456"')).toBe('curl -H "x-api-key: [redacted]"');
    expect(redact('use bearer abcdef.ghijk-lmn then')).toBe('use bearer [redacted] then');
    expect(redact('the bearer of bad news')).toBe('the bearer of bad news');
    expect(redact(redact('Authorization: Bearer sk-abc123456'))).toBe('Authorization: Bearer [redacted]');
  });

  it('a registered key (every Secret registers itself) is redacted wherever it appears', () => {
    const key = 'sk-live-0123456789abcdef';
    expect(redact(`echo ${key}`)).toBe(`echo ${key}`);
    new Secret(key);
    expect(redact(`echo ${key} and ${key}`)).toBe('echo [redacted] and [redacted]');
    registerSecret('abc'); // too short to register: ordinary words stay
    expect(redact('abc')).toBe('abc');
  });

  it('a stream never lets out a key split across pieces, and loses nothing else', () => {
    const key = 'sk-split-9876543210';
    registerSecret(key);
    const text = `one two ${key} three Authorization: Bearer tok-abcdefgh four bearer`;
    for (let size = 1; size <= 7; size++) {
      const r = new StreamRedactor();
      let out = '';
      const pieces: string[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      for (const p of pieces) {
        const o = r.push(p);
        expect(o).not.toMatch(/sk-split-9|tok-ab/);
        out += o;
      }
      out += r.end();
      expect(out).toBe('one two [redacted] three Authorization: Bearer [redacted] four bearer');
    }
  });
});
