/**
 * The box's own console: with TERM=linux, or --ascii in any terminal, `sov --demo` draws only what the Linux
 * console font has (ASCII and ─│┌┐└┘├┤┬┴┼ ░▒▓█ ▄▀ ■): no rounded corners, no ▁▂▃▅▆▇ sparklines, no braille,
 * on every screen, and every screen is still filled. Read from a real terminal (tmux).
 */
import { execFileSync } from 'node:child_process';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_SCREENS, startDemo, type Demo, type Tmux } from './tmux.js';

let demo: Demo | undefined;
afterEach(() => { demo?.close(); demo = undefined; });

const NOT_CONSOLE = /[^\x20-\x7e\n─│┌┐└┘├┤┬┴┼░▒▓█▄▀■]/gu;

function consoleOnly(screen: string, what: string): void {
  expect([...new Set(screen.match(NOT_CONSOLE) ?? [])], `${what}:\n${screen}`).toEqual([]);
  expect(screen, what).not.toMatch(/[╭╮╰╯▁▂▃▅▆▇\u2800-\u28ff]/u);
}

// tmux gives its pane its own TERM: the shell line sets sov's, as the Linux console's getty would
/** the pane with its colours, as tmux holds them: what the terminal was told */
function styled(tm: Tmux): string {
  return execFileSync('tmux', ['-L', tm.socket, '-f', '/dev/null', 'capture-pane', '-e', '-p', '-t', 'e2e'], { encoding: 'utf8', env: { ...process.env, TMUX: '' } });
}

/** every SGR parameter on the pane outside the 16 colours, bold/dim/underline/inverse and their ends */
function not16(screen: string): string[] {
  const ok = new Set([0, 1, 2, 4, 7, 22, 24, 27, 39, 49, 30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43, 44, 45, 46, 47, 90, 91, 92, 93, 94, 95, 96, 97, 100, 101, 102, 103, 104, 105, 106, 107]);
  return [...screen.matchAll(/\u001b\[([0-9;:]*)m/g)].map((m) => m[1] || '0').filter((p) => p.split(/[;:]/).some((x) => !ok.has(Number(x))));
}

const RUNS: [string, string, string][] = [
  ['TERM=linux', 'TERM=linux ', ''],
  ['--ascii in an xterm', 'TERM=xterm-256color ', ' --ascii'],
];

for (const [name, term, flag] of RUNS) {
  for (const [cols, rows] of [[80, 24], [120, 40]] as const) {
    describe(`sov --demo${flag} with ${name} at ${cols}×${rows}`, () => {
      it('every screen is filled and drawn with the console font\'s glyphs only', async () => {
        demo = await startDemo(cols, rows, { shell: term, flags: flag });
        const { t, first } = demo;
        expect(first).toMatch(/┌─/);
        // the tty theme: the terminal is told 16 colours only (no 38;5;N)
        expect(not16(styled(t))).toEqual([]);
        for (const [key, filled] of DEMO_SCREENS) {
          t.keys(key);
          const s = await t.waitFor(filled, 10_000);
          consoleOnly(s, `screen ${key}`);
          for (const l of s.replace(/\n$/, '').split('\n')) expect(stringWidth(l), l).toBeLessThanOrEqual(cols);
          if (key === '7') t.keys('Escape');
        }
        // a chat answer streamed from the demo engine after the refusing cloud: the speaker bar and marks fold too
        t.keys('7');
        await t.waitFor('Prompt');
        t.text('hello');
        await t.waitFor('hello');
        t.keys('Enter');
        const chat = await t.waitFor(/skipped cloud: refused/, 20_000);
        expect(chat).toMatch(/simulated llama\.cpp server/);
        consoleOnly(chat, 'chat answer');
        t.keys('Escape');
        // the palette box is square too
        t.keys('1');
        await t.waitFor(/GPU0/);
        t.keys(':');
        consoleOnly(await t.waitFor(/Palette/, 20_000), 'palette');
        t.keys('Escape');
      }, 90_000);
    });
  }
}
