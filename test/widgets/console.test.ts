import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import { afterEach, describe, expect, it } from 'vitest';
import { composeFrame } from '../../src/app/frame.js';
import type { ScreenId } from '../../src/store/types.js';
import { CONSOLE_EXTRA, consoleGlyphs, unicodeGlyphs } from '../../themes/glyphs.js';
import { demoStore } from '../helpers/demo-state.js';

const SCREENS: ScreenId[] = ['overview', 'gpu', 'storage', 'numa', 'help', 'engines', 'chat', 'recovery', 'doctor', 'vms'];
const SIZES: [number, number][] = [[80, 24], [120, 40]];
const ALLOWED_CHARS = new Set([...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)), ...CONSOLE_EXTRA]);
// reset, bold, dim, underline, inverse and their ends; the 16 colours and their defaults
const ALLOWED_SGR = new Set([0, 1, 2, 4, 7, 22, 24, 27, 39, 49, ...range(30, 37), ...range(40, 47), ...range(90, 97), ...range(100, 107)]);
// what widgets draw as tokens: the fold must never be what turns these into the console's glyphs
const STRUCTURAL = [unicodeGlyphs.tl, unicodeGlyphs.tr, unicodeGlyphs.bl, unicodeGlyphs.br, ...unicodeGlyphs.spark.slice(0, 7),
  unicodeGlyphs.ok, unicodeGlyphs.warn, unicodeGlyphs.crit, unicodeGlyphs.info, unicodeGlyphs.frozen, unicodeGlyphs.select,
  unicodeGlyphs.up, unicodeGlyphs.down, unicodeGlyphs.speaker, unicodeGlyphs.system, unicodeGlyphs.follow];

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** every character and every SGR parameter that is not in the console's sets, with the line it is on */
function offences(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    for (const c of stripAnsi(l)) if (!ALLOWED_CHARS.has(c)) out.push(`char U+${c.codePointAt(0)!.toString(16)} "${c}" in: ${stripAnsi(l)}`);
    for (const m of l.matchAll(/\u001b\[([0-9;:]*)m/g)) {
      for (const p of (m[1] || '0').split(/[;:]/)) if (!ALLOWED_SGR.has(Number(p))) out.push(`SGR ${m[1]} in: ${stripAnsi(l)}`);
    }
    if (/\u001b(?!\[[0-9;:]*m)/.test(l)) out.push(`escape other than SGR in: ${JSON.stringify(l)}`);
  }
  return out;
}

async function consoleFrame(screen: ScreenId, cols: number, rows: number, theme: 'tty' | 'dark' = 'tty'): Promise<string[]> {
  const { store, now } = await demoStore(cols, rows);
  store.setState({ ui: { ...store.getState().ui, theme, glyphs: 'console' } });
  store.getState().setScreen(screen);
  return composeFrame(store.getState(), now, 1000).lines;
}

describe('the console set on every screen of the demo box', () => {
  const fold = consoleGlyphs.fold;
  afterEach(() => { consoleGlyphs.fold = fold; });

  for (const [cols, rows] of SIZES) {
    for (const screen of SCREENS) {
      it(`${screen} at ${cols}×${rows}: only the console font's characters and 16-colour SGR`, async () => {
        // record what the frame had to fold: structure must already come from the glyph tokens
        const folded = new Set<string>();
        consoleGlyphs.fold = new Proxy(fold!, { get: (t, k: string) => { folded.add(k); return t[k]; } });
        const lines = await consoleFrame(screen, cols, rows);
        expect(lines).toHaveLength(rows);
        for (const l of lines) expect(stringWidth(l), stripAnsi(l)).toBe(cols);
        expect(offences(lines)).toEqual([]);
        const text = lines.map((l) => stripAnsi(l)).join('\n');
        expect(text).toMatch(/┌─/);
        expect(text).not.toContain('failed to draw');
        expect(STRUCTURAL.filter((g) => folded.has(g))).toEqual([]);
      });
    }
  }

  it('the demo is still filled: the overview shows its GPUs, pools, NUMA nodes and CPU history', async () => {
    const text = (await consoleFrame('overview', 120, 40)).map((l) => stripAnsi(l)).join('\n');
    for (const s of ['GPU0', 'GPU1', 'rpool', 'node3', 'cpu', 'mem', 'resilver']) expect(text).toContain(s);
    expect(text).toMatch(/[_░▒▓█]{8}/);
    expect(text).not.toMatch(/[▁▂▃▅▆▇╭╮╰╯\u2800-\u28ff]/u);
  });

  it('--theme still picks the colours: dark with console glyphs keeps its 256-colour codes', async () => {
    const lines = await consoleFrame('overview', 80, 24, 'dark');
    expect(lines.join('\n')).toContain('38;5;');
    expect(lines.map((l) => stripAnsi(l)).join('')).not.toMatch(/[╭▁▂▃▅▆▇✓▲✖]/);
  });
});

describe('the unicode set is today\'s look', () => {
  it('rounded corners and sparkline blocks, nothing folded', async () => {
    const { store, now } = await demoStore(120, 40);
    const text = composeFrame(store.getState(), now, 1000).lines.map((l) => stripAnsi(l)).join('\n');
    expect(text).toContain('╭─');
    expect(text).toMatch(/[▁▂▃▄▅▆▇█]{8}/);
    expect(text).not.toContain('┌');
  });
});
