import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { IncrementalMarkdown, renderMarkdown, StreamSanitizer } from '../../src/chat/markdown.js';
import { copyText, osc52, supportsOsc52 } from '../../src/chat/copy.js';
import { readFileSync, statSync } from 'node:fs';
import { tempDir, cleanup } from './helpers.js';
import { afterEach } from 'vitest';

afterEach(cleanup);

const doc = [
  '# Checking a pool',
  '',
  'ZFS keeps a pool healthy by scrubbing it now and then; the status command',
  'tells you how the last scrub went and whether any device has errors.',
  '',
  '1. Run the status command',
  '2. Read the **scan** line',
  '- a bullet that is long enough to wrap around at forty columns for sure',
  '',
  '```sh',
  '\tzpool status -v tank    # verbose, with the error list; this line is long and must never be wrapped',
  '```',
  '',
  '> a quote',
  'Done.',
].join('\n');

describe('markdown-lite', () => {
  it('at 40 columns', () => {
    expect(renderMarkdown(doc, 40)).toEqual([
      'Checking a pool',
      '',
      'ZFS keeps a pool healthy by scrubbing it',
      'now and then; the status command tells',
      'you how the last scrub went and whether',
      'any device has errors.',
      '',
      '1. Run the status command',
      '2. Read the **scan** line',
      '• a bullet that is long enough to wrap',
      '  around at forty columns for sure',
      '',
      '```sh',
      '    zpool status -v tank    # verbose, …',
      '```',
      '',
      '│ a quote Done.',
    ]);
  });

  it('at 80 columns', () => {
    const lines = renderMarkdown(doc, 80);
    expect(lines.slice(2, 4)).toEqual([
      'ZFS keeps a pool healthy by scrubbing it now and then; the status command tells',
      'you how the last scrub went and whether any device has errors.',
    ]);
    expect(lines).toContain('• a bullet that is long enough to wrap around at forty columns for sure');
    expect(lines).toContain('    zpool status -v tank    # verbose, with the error list; this line is long a…');
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
  });

  it('keeps code verbatim (indentation, no joining), breaks words wider than the line, handles wide characters', () => {
    const lines = renderMarkdown('```\n  a  b\n    c\n```\n' + 'x'.repeat(25) + '\n\n日本語のテキストは幅が二倍です', 10);
    expect(lines.slice(0, 4)).toEqual(['```', '  a  b', '    c', '```']);
    expect(lines.slice(4, 7)).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx']);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(10);
  });

  it('strips escape sequences and control characters from everything it draws', () => {
    const evil = '\u001b[1;31mred\u001b[0m \u001b]0;title\u0007text \u001b[2J\u001b[H\r\n```\n\u001b[31mcode\u001b[0m\u0000\n```';
    const out = renderMarkdown(evil, 40).join('\n');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('red text');
    expect(out).toContain('code');
    expect(out).not.toContain('title');
  });

  it('renders a growing text incrementally, exactly as a whole render', () => {
    for (const width of [40, 80]) {
      const inc = new IncrementalMarkdown(width);
      let out: string[] = [];
      for (let i = 1; i <= doc.length; i += 3) out = inc.update(doc.slice(0, i));
      out = inc.update(doc);
      expect(out).toEqual(renderMarkdown(doc, width));
    }
  });

  it('a 10 MB streamed text costs what was appended (no crash, bounded tail)', () => {
    const inc = new IncrementalMarkdown(80);
    let text = '';
    const word = 'lorem ipsum dolor sit amet '.repeat(40) + '\n';
    let lines: string[] = [];
    while (text.length < 10 * 1024 * 1024) { text += word.repeat(40); lines = inc.update(text); }
    expect(lines.length).toBeGreaterThan(100_000);
    // one 10 MB line without a newline: only its last part is re-rendered while it streams
    const one = new IncrementalMarkdown(80);
    const long = 'y'.repeat(10 * 1024 * 1024);
    const l2 = one.update(long);
    expect(l2.length).toBeLessThan(1000);
    expect(l2[0]!.startsWith('…')).toBe(true);
    // a correctness test over 10 MB, not a timing one: room for a busy 2-core machine
  }, 90_000);

  it('a stream sanitizer holds back an escape sequence split across pieces', () => {
    const s = new StreamSanitizer();
    const text = '\u001b[1;31mHello \u001b]0;owned\u0007world\u001b[0m\n\u001b[2Jnext';
    let out = '';
    for (const ch of text) out += s.push(ch);
    out += s.end();
    expect(out).toBe('Hello world\nnext');
  });
});

describe('copy', () => {
  it('builds OSC 52 (tmux passthrough inside tmux) and writes the plain text to a 0600 file', () => {
    expect(osc52('hi')).toBe('\u001b]52;c;aGk=\u0007');
    expect(osc52('hi', { TMUX: '/tmp/x' })).toBe('\u001bPtmux;\u001b\u001b]52;c;aGk=\u0007\u001b\\');
    expect(supportsOsc52({ TERM: 'xterm-256color' })).toBe(true);
    expect(supportsOsc52({ TERM: 'linux' })).toBe(false);
    expect(supportsOsc52({ TERM: 'xterm', SOV_CLIPBOARD: 'file' })).toBe(false);
    const dir = tempDir();
    const seqs: string[] = [];
    const r = copyText('a \u001b[31mred\u001b[0m reply\nline 2', { env: { TERM: 'xterm' }, emit: (s) => seqs.push(s), dir });
    expect(r.osc52).toBe(true);
    expect(readFileSync(r.file, 'utf8')).toBe('a red reply\nline 2');
    expect(statSync(r.file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(seqs[0]!.slice(7, -1), 'base64').toString()).toBe('a red reply\nline 2');
    const r2 = copyText('x', { env: { TERM: 'linux' }, emit: (s) => seqs.push(s), dir });
    expect(r2.osc52).toBe(false);
    expect(r2.message).toMatch(/no OSC 52/);
  });
});
