/** The actions' one step (src/actions/steps.ts) with the real local runner: ctrl+c (ctx.signal) ends the program at once. */
import { describe, expect, it } from 'vitest';
import { step } from '../../src/actions/steps.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { createLocalRunner } from '../../src/runner/local.js';

describe('step', () => {
  it('ctrl+c during a step (a GPU reset, a compose recreate) kills it now and says so; it is not ok', async () => {
    const ac = new AbortController();
    const ctx: ActionCtx = { readOnly: false, setLogs: () => {}, runner: createLocalRunner(), signal: ac.signal };
    setTimeout(() => ac.abort(), 150);
    const t0 = Date.now();
    const s = await step(ctx, ['/bin/sleep', '30'], 60_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s.ok).toBe(false);
    expect(s.r.cancelled).toBe(true);
    expect(s.text).toBe('/bin/sleep 30 cancelled (ctrl+c): its process group was killed');
  });

  it('a step that exits 0 is ok; a non-zero exit is not, with what it said', async () => {
    const ctx: ActionCtx = { readOnly: false, setLogs: () => {}, runner: createLocalRunner() };
    expect((await step(ctx, ['/bin/sh', '-c', 'echo fine'])).ok).toBe(true);
    const bad = await step(ctx, ['/bin/sh', '-c', 'echo nope >&2; exit 3']);
    expect(bad).toMatchObject({ ok: false, text: 'nope' });
    expect(bad.r.exitCode).toBe(3);
  });
});
