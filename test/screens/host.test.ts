import { describe, expect, it } from 'vitest';
import { fromSample } from '../../screens/host.js';
import type { ScreenCtx } from '../../screens/types.js';
import { noColor } from '../../themes/index.js';

const ctx = { now: 1000, theme: noColor, staleMs: 5000 } as unknown as ScreenCtx;
const sample = { state: 'ok' as const, data: { n: 1 }, at: 1000, tookMs: 1 };

describe('panel bodies from a sample', () => {
  it('are built once per frame when a layout measures before it draws (draw without a height)', () => {
    let calls = 0;
    const body = fromSample(ctx, sample, (d, w) => { calls++; return [`n=${d.n} w=${w}`]; });
    expect(body(80, 99).lines).toEqual(['n=1 w=80']);
    expect(body(80, 12).lines).toEqual(['n=1 w=80']);
    expect(calls).toBe(1);
    body(60, 12);
    expect(calls).toBe(2);
  });
  it('are built again for another height when the drawing uses the height', () => {
    let calls = 0;
    const body = fromSample(ctx, sample, (_d, _w, h) => { calls++; return Array.from({ length: Math.min(h, 3) }, () => 'x'); });
    expect(body(80, 99).lines).toHaveLength(3);
    expect(body(80, 2).lines).toHaveLength(2);
    expect(calls).toBe(2);
  });
});
