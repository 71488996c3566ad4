/**
 * What a newcomer meets first: `sov --demo` fills every screen, at 80×24 and 120×40, in a real terminal (tmux).
 * The engines screen shows the demo's engines (healthy on both cards, one in backoff, one in crashloop) and its
 * actions work on them (recorded in the demo's audit log); the chat answers over real HTTP from the simulated
 * engine after the "cloud" provider refuses, so the fallback is visible.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_FILE } from '../../src/recovery/audit.js';
import { demoStateDir } from '../../src/recovery/authority.js';
import { DEMO_SCREENS, startDemo, type Demo } from './tmux.js';

let demo: Demo | undefined;
afterEach(() => { demo?.close(); demo = undefined; });

/** the demo box's audit log (its state dir under the demo's private TMPDIR) */
const audit = (d: Demo) => readFileSync(join(demoStateDir({ TMPDIR: d.tmp }), AUDIT_FILE), 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.parse(l) as { kind: string; seq: number; begin?: string; action?: string; tier?: string; args?: Record<string, string>; outcome?: string });

const fits = (s: string, cols: number, rows: number) => {
  const lines = s.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(cols);
};

describe('sov --demo --demo-scale 8 (the bench\'s scale run) at 120×40', () => {
  it('every screen is filled with the ×8 box (8 NUMA nodes, 3 pools, 20 engines), and none draws past the edges', async () => {
    demo = await startDemo(120, 40, { flags: ' --demo-scale 8' });
    const { t } = demo;
    const sized: Record<string, RegExp> = { '1': /8 nodes[\s\S]*3 pools/, '6': /18\/20 healthy/, '4': /node7/, '2': /GPU7/ };
    for (const [key, filled] of DEMO_SCREENS) {
      t.keys(key);
      const s = await t.waitFor((x) => filled.test(x) && (sized[key]?.test(x) ?? true), 10_000);
      fits(s, 120, 40);
      if (key === '7') t.keys('Escape');
    }
  });
});

for (const [cols, rows] of [[80, 24], [120, 40]] as const) {
  describe(`sov --demo at ${cols}×${rows}`, () => {
    it('every screen is filled, and none draws past the edges', async () => {
      demo = await startDemo(cols, rows);
      const { t } = demo;
      for (const [key, filled] of DEMO_SCREENS) {
        t.keys(key);
        const s = await t.waitFor(filled, 10_000);
        expect(s, `screen ${key}`).not.toMatch(/the demo box has no daemon|has no providers/);
        fits(s, cols, rows);
        // the chat's prompt takes digits as text: esc leaves it
        if (key === '7') t.keys('Escape');
      }
    });

    it('engine actions work on the demo engines; the chat falls back from a refusing cloud to the local engine', async () => {
      demo = await startDemo(cols, rows);
      const { t } = demo;
      t.keys('6');
      await t.waitFor(/crashloop/);
      // restart llama (selected first): T1 asks, then the demo engine reloads
      t.keys('r');
      await t.waitFor(/y\/enter run it/);
      t.keys('y');
      await t.waitFor(/llama: restart → starting/);
      await t.waitFor(/llama\s+✓ healthy/, 15_000);
      // the demo's authority recorded it: a begin (T1, confirmed with y) and its end, in the demo state dir's log
      const restart = audit(demo).filter((e) => e.action === 'engine.restart');
      expect(restart).toMatchObject([
        { kind: 'begin', tier: 'T1', args: { name: 'llama' }, confirmation: { kind: 'yes' } },
        { kind: 'end', outcome: 'ok', begin: String(restart[0]?.seq) },
      ]);
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
