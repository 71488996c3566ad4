import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/app/options.js';
import { consoleGlyphs, consoleTerm, foldLine, glyphLegend, unicodeGlyphs, type Glyphs } from '../../themes/glyphs.js';
import { dark, noColor, themeByName, THEMES, tty } from '../../themes/index.js';
import { paint, type Token } from '../../themes/tokens.js';
import { meter, sparkline } from '../../widgets/primitives/charts.js';
import { frame } from '../../widgets/primitives/panel.js';
import { confirmBox } from '../../widgets/overlays/confirm.js';

const CONSOLE_OK = /^[\x20-\x7e─│┌┐└┘├┤┬┴┼░▒▓█▄▀■]*$/;

describe('the glyph sets', () => {
  it('the console set names only ASCII and the console font\'s glyphs, every one a single column', () => {
    for (const [k, v] of Object.entries(consoleGlyphs)) {
      if (k === 'fold' || k === 'name') continue;
      expect(v, k).toMatch(CONSOLE_OK);
    }
    for (const [k, v] of Object.entries(unicodeGlyphs)) {
      if (k === 'fold' || k === 'name' || k === 'spark' || k === 'degree') continue;
      expect(stringWidth(v), k).toBe(1);
      expect(stringWidth((consoleGlyphs as unknown as Record<string, string>)[k]!), k).toBe(1);
    }
    expect(Object.keys(consoleGlyphs).sort()).toEqual([...Object.keys(unicodeGlyphs), 'fold'].sort());
  });

  it('folds a styled line to the console font, column for column, leaving SGR alone', () => {
    const line = `\u001b[1;96m╭─ GPU · 45°C — ok ✓\u001b[0m ▁▃▇ ⠿ 日本 e\u0301 →`;
    const out = foldLine(line, consoleGlyphs);
    expect(stringWidth(out)).toBe(stringWidth(line));
    expect(out.startsWith('\u001b[1;96m')).toBe(true);
    expect(stripAnsi(out)).toBe('┌─ GPU - 45 C - ok + _▄█ ? ???? e >');
    expect(stripAnsi(out)).toMatch(CONSOLE_OK);
  });

  it('the unicode set folds nothing, and a pure-ASCII line is returned as it is', () => {
    const line = '╭─ ✓ ▁▂▃ · —';
    expect(foldLine(line, unicodeGlyphs)).toBe(line);
    const ascii = '\u001b[7mplain\u001b[0m';
    expect(foldLine(ascii, consoleGlyphs)).toBe(ascii);
  });

  it('knows the console terminals by TERM', () => {
    for (const t of ['linux', 'vt100', 'vt220', 'dumb', 'linux-16color', 'cons25', 'screen.linux', 'tmux.linux']) expect(consoleTerm(t), t).toBe(true);
    for (const t of [undefined, '', 'xterm-256color', 'screen', 'tmux-256color', 'xterm-linux', 'screen.xterm-256color']) expect(consoleTerm(t), String(t)).toBe(false);
  });

  it('the help legend is drawn in the set\'s glyphs', () => {
    expect(glyphLegend(consoleGlyphs)).toMatch(CONSOLE_OK);
    expect(glyphLegend(unicodeGlyphs)).toBe('Glyphs: ✓ ok  ▲ warning  ✖ critical/error  ? unavailable  … waiting  ❄ frozen. Unknown values show as —.');
  });
});

describe('widgets draw the theme\'s glyphs', () => {
  const con = themeByName('no-color', 'console');
  const box = (g: Glyphs) => frame({ title: 'T', lines: ['a', 'b', 'c'], width: 12, height: 4, theme: { ...noColor, glyphs: g } }).map((l) => stripAnsi(l));

  it('a panel: square corners in the console set, rounded in the unicode set, the scroll arrows too', () => {
    expect(box(consoleGlyphs)).toEqual(['┌─ T ──────┐', '│a         │', '│b         │', '└ v1 more ─┘']);
    expect(box(unicodeGlyphs)).toEqual(['╭─ T ──────╮', '│a         │', '│b         │', '╰ ↓1 more ─╯']);
  });

  it('a sparkline on the console ramp: lowest to highest, a gap stays blank', () => {
    expect(sparkline([0, 25, 50, 75, 100, NaN], 6, 100, con.glyphs.spark)).toBe('_░▒▓█ ');
    expect(sparkline([0, 100], 2, 100)).toBe('▁█');
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8, 7)).toBe(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8, 7, unicodeGlyphs.spark));
  });

  it('a meter: filled, empty and unknown cells from the set', () => {
    expect(meter(con, 50, 4)).toBe('██░░');
    expect(meter(con, undefined, 4)).toBe('...-');
    expect(meter(noColor, undefined, 4)).toBe('···—');
  });

  it('the confirm box: square corners and console marks', () => {
    const rows = confirmBox(con, { title: 'Reset GPU1', tier: 'T2', pending: false, text: 'nvidia-smi -r -i 1', kind: 'yes', input: '',
      checks: [{ name: 'idle', state: 'pass', detail: 'no processes' }, { name: 'mig', state: 'fail', detail: 'on' }] }, 80, 20).map((l) => stripAnsi(l));
    expect(rows[0]).toMatch(/^┌─ Confirm: Reset GPU1 ─+┐$/);
    expect(rows.at(-1)).toMatch(/^└─+┘$/);
    expect(rows.join('\n')).toContain('+ idle: no processes');
    expect(rows.join('\n')).toContain('x mig: on');
  });
});

describe('the tty theme and its choice', () => {
  it('paints with 16-colour SGR only', () => {
    const tokens = Object.keys(tty.styles) as Token[];
    for (const t of tokens) {
      for (const m of paint(tty, t, 'x').matchAll(/\u001b\[([0-9;]*)m/g)) {
        for (const p of m[1]!.split(';')) expect([0, 1, 2, 4, 7, 30, 31, 32, 33, 34, 35, 36, 37, 90, 91, 92, 93, 94, 95, 96, 97], `${t}: ${m[1]}`).toContain(Number(p));
      }
    }
    expect(paint(tty, 'crit', 'x')).toBe('\u001b[1;91mx\u001b[0m');
  });

  it('one theme object per colours and glyphs, sharing the styles', () => {
    expect(themeByName('dark')).toBe(dark);
    const d = themeByName('dark', 'console');
    expect(d).toBe(themeByName('dark', 'console'));
    expect(d.styles).toBe(dark.styles);
    expect(d.glyphs).toBe(consoleGlyphs);
    expect(THEMES.map((t) => t.name)).toContain('tty');
  });

  it('--ascii or a console TERM picks the console glyphs and the tty theme; --theme and NO_COLOR keep the colours', () => {
    expect(parseOptions([], {})).toMatchObject({ glyphs: 'unicode', theme: undefined });
    expect(parseOptions([], { TERM: 'xterm-256color' })).toMatchObject({ glyphs: 'unicode', theme: undefined });
    expect(parseOptions(['--ascii'], { TERM: 'xterm-256color' })).toMatchObject({ glyphs: 'console', theme: 'tty' });
    expect(parseOptions([], { TERM: 'linux' })).toMatchObject({ glyphs: 'console', theme: 'tty' });
    expect(parseOptions([], { TERM: 'vt220' })).toMatchObject({ glyphs: 'console', theme: 'tty' });
    expect(parseOptions(['--theme', 'dark'], { TERM: 'linux' })).toMatchObject({ glyphs: 'console', theme: 'dark' });
    expect(parseOptions([], { TERM: 'linux', NO_COLOR: '1' })).toMatchObject({ glyphs: 'console', theme: 'no-color' });
    expect(parseOptions(['--theme', 'tty'], {})).toMatchObject({ glyphs: 'unicode', theme: 'tty' });
  });
});
