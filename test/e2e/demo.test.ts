/**
 * What a newcomer meets first: `sov --demo` fills every screen, at 80×24 and 120×40, in a real terminal (tmux).
 * The engines screen shows the demo's engines (healthy on both cards, one in backoff, one in crashloop) and its
 * actions work on them (recorded in the demo's audit log); the chat answers over real HTTP from the simulated
 * engine after the "cloud" provider refuses, so the fallback is visible.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { SOV, Tmux } from './tmux.js';

let t: Tmux | undefined;
let tmp: string | undefined;
afterEach(() => { t?.kill(); t = undefined; if (tmp) rmSync(tmp, { recursive: true, force: true }); tmp = undefined; });

const fits = (s: string, cols: number, rows: number) => {
  const lines = s.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(cols);
};

/** every screen's key, and what shows it is filled (not an "unavailable" or "no daemon" placeholder) */
const SCREENS: [string, RegExp][] = [
  ['1', /GPU0[\s\S]*rpool/], ['2', /pcie\s+Gen/], ['3', /ember[\s\S]*resilver/], ['4', /node3/], ['5', /Keys/],
  ['6', /healthy[\s\S]*(backoff|starting)[\s\S]*crashloop/], ['7', /Prompt/], ['8', /script\.pcie-recheck/], ['9', /FAIL/], ['0', /green-1/],
];

for (const [cols, rows] of [[80, 24], [120, 40]] as const) {
  describe(`sov --demo at ${cols}×${rows}`, () => {
    it('every screen is filled, and none draws past the edges', async () => {
      tmp = mkdtempSync(join(tmpdir(), 'sov-e2e-demo-'));
      t = new Tmux().start(cols, rows, { TMPDIR: tmp });
      t.typeLine(`node ${SOV} --demo`);
      await t.waitFor((s) => s.includes('GPU0') && s.includes('rpool'), 15_000);
      for (const [key, filled] of SCREENS) {
        t.keys(key);
        const s = await t.waitFor(filled, 10_000);
        expect(s, `screen ${key}`).not.toMatch(/the demo box has no daemon|has no providers/);
        fits(s, cols, rows);
        // the chat's prompt takes digits as text: esc leaves it
        if (key === '7') t.keys('Escape');
      }
    });

    it('engine actions work on the demo engines; the chat falls back from a refusing cloud to the local engine', async () => {
      tmp = mkdtempSync(join(tmpdir(), 'sov-e2e-demo-'));
      t = new Tmux().start(cols, rows, { TMPDIR: tmp });
      t.typeLine(`node ${SOV} --demo`);
      await t.waitFor('GPU0', 15_000);
      t.keys('6');
      await t.waitFor(/crashloop/);
      // restart llama (selected first): T1 asks, then the demo engine reloads
      t.keys('r');
      await t.waitFor(/y\/enter run it/);
      t.keys('y');
      await t.waitFor(/llama: restart → starting/);
      await t.waitFor(/llama\s+✓ healthy/, 15_000);
      t.keys('7');
      await t.waitFor('Prompt');
      t.text('hello');
      await t.waitFor('hello');
      t.keys('Enter');
      const s = await t.waitFor(/skipped cloud: refused/, 20_000);
      expect(s).toMatch(/simulated llama\.cpp server/);
      fits(s, cols, rows);
    });
  });
}
