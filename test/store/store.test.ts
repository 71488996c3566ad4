import { describe, expect, it } from 'vitest';
import { createAppStore, viewSamples } from '../../src/store/store.js';
import { nextSample } from '../../src/store/sample.js';
import { Ring } from '../../src/store/ring.js';
import type { NvidiaData } from '../../backends/nvidia/types.js';

const gpuData = (util: number): NvidiaData => ({
  gpus: [{ index: 0, uuid: 'GPU-a', name: 'X', utilPct: util, memUsedBytes: 50, memTotalBytes: 100, pcie: {}, throttleReasons: [], processes: [] }],
  warnings: [],
});

describe('nextSample', () => {
  it('keeps the last good data and counts failures on errors', () => {
    const ok = nextSample({ state: 'pending' }, { state: 'ok', data: 1 }, 10, 3);
    expect(ok).toEqual({ state: 'ok', data: 1, at: 10, tookMs: 3 });
    const e1 = nextSample(ok, { state: 'error', message: 'boom' }, 20);
    expect(e1).toEqual({ state: 'error', message: 'boom', at: 20, failures: 1, lastGood: { data: 1, at: 10 } });
    const e2 = nextSample(e1, { state: 'error', message: 'again' }, 30);
    expect(e2).toMatchObject({ failures: 2, lastGood: { data: 1, at: 10 } });
    expect(nextSample(e2, { state: 'ok', data: 2 }, 40)).toMatchObject({ state: 'ok', data: 2 });
  });
  it('an error with no earlier data has no lastGood', () => {
    expect(nextSample({ state: 'pending' }, { state: 'error', message: 'x' }, 1)).toEqual({ state: 'error', message: 'x', at: 1, failures: 1 });
  });
  it('unavailable carries reason and hint', () => {
    expect(nextSample({ state: 'pending' }, { state: 'unavailable', reason: 'r', hint: 'h' }, 5)).toEqual({ state: 'unavailable', reason: 'r', hint: 'h', at: 5 });
  });
});

describe('Ring', () => {
  it('keeps the newest points and marks gaps', () => {
    const r = new Ring(3);
    r.push(1); r.push(undefined); r.push(3); r.push(4);
    const v = r.values();
    expect(v[0]).toBeNaN();
    expect(v.slice(1)).toEqual([3, 4]);
    expect(r.length).toBe(3);
    expect(r.last()).toBe(4);
  });
});

describe('store', () => {
  it('ingests a batch in one update and records history with gaps', () => {
    const store = createAppStore({ host: 'h' });
    let renders = 0;
    store.subscribe(() => renders++);
    store.getState().ingest('h', { nvidia: { state: 'ok', data: gpuData(40) }, system: { state: 'unavailable', reason: 'no /proc' } }, 1000);
    expect(renders).toBe(1);
    store.getState().ingest('h', { nvidia: { state: 'error', message: 'driver gone' } }, 2000);
    const h = store.getState().hosts.h!;
    expect(h.samples.nvidia).toMatchObject({ state: 'error', failures: 1, lastGood: { at: 1000 } });
    expect(h.samples.system.state).toBe('unavailable');
    const util = h.history.gpus['GPU-a']!.util.values();
    expect(util[0]).toBe(40);
    expect(util[1]).toBeNaN();
    expect(h.ticks).toBe(2);
  });
  it('freeze shows the frozen copy while sampling goes on', () => {
    const store = createAppStore({ host: 'h' });
    store.getState().ingest('h', { nvidia: { state: 'ok', data: gpuData(10) } }, 1000);
    store.getState().toggleFreeze(1500);
    store.getState().ingest('h', { nvidia: { state: 'ok', data: gpuData(90) } }, 2000);
    const view = viewSamples(store.getState()).nvidia;
    expect(view.state === 'ok' && view.data.gpus[0]!.utilPct).toBe(10);
    const live = store.getState().hosts.h!.samples.nvidia;
    expect(live.state === 'ok' && live.data.gpus[0]!.utilPct).toBe(90);
    // the sparklines hold still with the numbers beside them
    const frozenUtil = Object.values(store.getState().ui.frozen!.history.gpus)[0]!.util.values();
    const liveUtil = Object.values(store.getState().hosts.h!.history.gpus)[0]!.util.values();
    expect(frozenUtil).toEqual([10]);
    expect(liveUtil).toEqual([10, 90]);
    store.getState().toggleFreeze(2500);
    const after = viewSamples(store.getState()).nvidia;
    expect(after.state === 'ok' && after.data.gpus[0]!.utilPct).toBe(90);
  });
});
