/**
 * The Recovery and Doctor screens as a person meets them on the demo box, in a real terminal (tmux), at 80×24 and
 * 120×40: the palette runs a host script whose output streams into the Run panel; a T1 script asks y/N and lands
 * in the audit log; a T3 action asks for a tripcode and refuses a bad one (recorded); a signed RECOVERY:LOCKDOWN
 * pasted with p puts the box in lockdown (the header says so) and UNLOCK lifts it. The demo's audit log and key
 * live in a private TMPDIR, never the real box's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { demoStateDir } from '../../src/recovery/authority.js';
import { KEY_FILE, sign } from '../../src/recovery/tripcode.js';
import { startDemo, type Demo, type Tmux } from './tmux.js';

let demo: Demo | undefined;
afterEach(() => { demo?.close(); demo = undefined; });

function expectFits(screen: string, cols: number, rows: number): void {
  const lines = screen.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(cols);
}

async function openDemo(cols: number, rows: number): Promise<Tmux> {
  demo = await startDemo(cols, rows);
  return demo.t;
}

const audit = () => readFileSync(join(demoStateDir({ TMPDIR: demo!.tmp }), 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; action?: string; code?: string });

for (const [cols, rows] of [[80, 24], [120, 40]] as const) {
  describe(`Recovery and Doctor in tmux at ${cols}×${rows}`, () => {
    it('palette → script → live output; T1 asks y/N and is recorded; T3 refuses a bad tripcode', async () => {
      const tm = await openDemo(cols, rows);
      tm.keys('8');
      let s = await tm.waitFor((x) => x.includes('Actions') && x.includes('Audit log') && x.includes('script.pcie-recheck'));
      expectFits(s, cols, rows);
      // the palette finds a script from any screen; its output streams into the Run panel
      tm.keys(':');
      tm.text('pcie');
      // a person sees what they typed before pressing enter (keys sent in one burst arrive as one chunk)
      await tm.waitFor(':pcie');
      tm.keys('Enter');
      s = await tm.waitFor(/GPU1: Gen4 x16/, 15_000);
      expect(s).toMatch(/T0 script\.pcie-recheck/);
      expectFits(s, cols, rows);
      // a T1 script: its argument takes its default (docker), checked against its choices; then y/N with the exact command
      tm.keys(':');
      tm.text('open-webui');
      await tm.waitFor(':open-webui');
      tm.keys('Enter');
      s = await tm.waitFor(/y\/enter run it/);
      expect(s).toMatch(/T1 · easy to undo/);
      expect(s).toMatch(/✓ input via: "docker" is one of its choices/);
      expectFits(s, cols, rows);
      tm.keys('y');
      await tm.waitFor(/end\s+script\.restart-open-webui/, 15_000);
      expect(audit().map((e) => `${e.kind} ${e.action}`)).toEqual(['begin script.restart-open-webui', 'end script.restart-open-webui']);
      // a T3 action asks for a tripcode; a forged one is refused, with its reason, and recorded
      tm.keys(':');
      tm.text('lockdown');
      await tm.waitFor(':lockdown');
      tm.keys('Enter');
      s = await tm.waitFor(/needs a tripcode for ACTION::box\.lockdown::/);
      expect(s).toMatch(/T3 · destructive/);
      expectFits(s, cols, rows);
      tm.text(`${Math.floor(Date.now() / 1000)}|RECOVERY:LOCKDOWN|deadbeef.${'0'.repeat(64)}`);
      await tm.waitFor(/chars\)/);
      tm.keys('Enter');
      await tm.waitFor(/refused/);
      expect(audit().at(-1)).toMatchObject({ kind: 'refused' });
      expect(tm.screen()).not.toMatch(/LOCKDOWN\s/);
    });

    it('a signed RECOVERY:LOCKDOWN pasted with p locks the box; UNLOCK lifts it; the Doctor screen fails GPU1 honestly', async () => {
      const tm = await openDemo(cols, rows);
      tm.keys('8');
      await tm.waitFor('Audit log');
      // the demo authority made its key on first use, in the private TMPDIR
      const key = Buffer.from(readFileSync(join(demoStateDir({ TMPDIR: demo!.tmp }), KEY_FILE), 'utf8').trim(), 'hex');
      tm.keys('p');
      await tm.waitFor('Tripcode');
      tm.text(sign(key, 'RECOVERY:LOCKDOWN', Math.floor(Date.now() / 1000)));
      await tm.waitFor(/\(\d+\)/);
      tm.keys('Enter');
      let s = await tm.waitFor((x) => x.split('\n')[0]!.includes('LOCKDOWN'));
      expectFits(s, cols, rows);
      tm.keys('p');
      await tm.waitFor('Tripcode');
      tm.text(sign(key, 'RECOVERY:UNLOCK', Math.floor(Date.now() / 1000)));
      await tm.waitFor(/\(\d+\)/);
      tm.keys('Enter');
      await tm.waitFor((x) => !x.split('\n')[0]!.includes('LOCKDOWN'));
      expect(audit().map((e) => e.kind)).toEqual(['lockdown', 'unlock']);
      tm.keys('9');
      s = await tm.waitFor(/FAIL/);
      expect(s).toMatch(/GPU1 PCIe/);
      expectFits(s, cols, rows);
    });
  });
}
