import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Attempt, Source, SourceId } from '../../backends/types.js';
import { createScheduler, MAX_BACKOFF_MS, nextDelay, UNAVAILABLE_RECHECK_MS } from '../../src/scheduler/scheduler.js';
import type { AttemptBatch } from '../../src/store/types.js';

function source(id: SourceId, results: (() => Promise<Attempt<unknown>>)[]): Source<unknown> & { calls: number; disposed: boolean } {
  const s = {
    id, calls: 0, disposed: false,
    sample() { const f = results[Math.min(s.calls, results.length - 1)]!; s.calls++; return f(); },
    dispose() { s.disposed = true; },
  };
  return s;
}
const ok = (data: unknown) => () => Promise.resolve({ state: 'ok', data } as Attempt<unknown>);
const err = (message: string) => () => Promise.resolve({ state: 'error', message } as Attempt<unknown>);

afterEach(() => { vi.useRealTimers(); });

describe('nextDelay', () => {
  it('backs off exponentially on errors, capped, and never gives up', () => {
    expect(nextDelay('ok', 0, 1000, true)).toBe(1000);
    expect(nextDelay('error', 1, 1000, true)).toBe(2000);
    expect(nextDelay('error', 3, 1000, true)).toBe(8000);
    expect(nextDelay('error', 50, 1000, true)).toBe(MAX_BACKOFF_MS);
    expect(nextDelay('unavailable', 0, 1000, true)).toBe(UNAVAILABLE_RECHECK_MS);
    expect(nextDelay('ok', 0, 1000, false)).toBe(5000);
  });
});

describe('scheduler', () => {
  it('samples a source with a slower cadence of its own (ZFS every 5 s) less often than the fast ones', async () => {
    vi.useFakeTimers();
    const fast = source('nvidia', [ok(1)]);
    const slow = source('zfs', [ok(2)]);
    const sch = createScheduler({ sources: [fast, slow], intervalMs: 1000, sourceIntervalMs: { zfs: 5000 }, now: () => Date.now(), ingest: () => {} });
    sch.start();
    await vi.advanceTimersByTimeAsync(10_500);
    sch.stop();
    expect(fast.calls).toBeGreaterThanOrEqual(10);
    expect(slow.calls).toBe(3); // at 0, 5 and 10 s
  });
  it('ingests all results of a tick in one batch', async () => {
    vi.useFakeTimers();
    const batches: AttemptBatch[] = [];
    const a = source('nvidia', [ok(1)]);
    const b = source('zfs', [ok(2)]);
    const sch = createScheduler({ sources: [a, b], intervalMs: 1000, now: () => Date.now(), ingest: (x) => batches.push(x) });
    sch.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(batches).toHaveLength(1);
    expect(Object.keys(batches[0]!).sort()).toEqual(['nvidia', 'zfs']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches).toHaveLength(2);
    sch.stop();
    expect(a.disposed && b.disposed).toBe(true);
  });

  it('a slow source does not hold the tick; its result joins the next batch, and it is never run twice at once', async () => {
    vi.useFakeTimers();
    const batches: AttemptBatch[] = [];
    let release: (v: Attempt<unknown>) => void = () => {};
    const slow = source('zfs', [() => new Promise((r) => { release = r; }), ok('later')]);
    const fast = source('system', [ok('x')]);
    const sch = createScheduler({ sources: [slow, fast], intervalMs: 1000, now: () => Date.now(), ingest: (x) => batches.push(x) });
    sch.start();
    await vi.advanceTimersByTimeAsync(900);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.zfs).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(slow.calls).toBe(1);
    release({ state: 'ok', data: 'slow done' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches.some((x) => x.zfs?.state === 'ok')).toBe(true);
    sch.stop();
  });

  it('keeps retrying a failing source with exponential backoff', async () => {
    vi.useFakeTimers();
    const t0 = Date.now();
    const at: number[] = [];
    const results = [err('a'), err('b'), err('c'), ok('back')];
    const s: Source<unknown> = { id: 'nvidia', dispose() {}, sample: () => { at.push(Date.now() - t0); return results[Math.min(at.length - 1, 3)]!(); } };
    const batches: AttemptBatch[] = [];
    const sch = createScheduler({ sources: [s], intervalMs: 1000, now: () => Date.now(), ingest: (x) => batches.push(x) });
    sch.start();
    await vi.advanceTimersByTimeAsync(16_500);
    expect(at.slice(0, 5)).toEqual([0, 2000, 6000, 14000, 15000]);
    expect(batches.at(-1)!.nvidia?.state).toBe('ok');
    sch.stop();
  });

  it('a sampler that throws or hangs becomes an error, not a crash', async () => {
    vi.useFakeTimers();
    const thrower = source('numa', [() => Promise.reject(new Error('kaboom'))]);
    const hanger = source('zfs', [() => new Promise(() => {})]);
    const batches: AttemptBatch[] = [];
    const sch = createScheduler({ sources: [thrower, hanger], intervalMs: 1000, guardMs: 3000, now: () => Date.now(), ingest: (x) => batches.push(x) });
    sch.start();
    await vi.advanceTimersByTimeAsync(4000);
    const all = Object.assign({}, ...batches) as AttemptBatch;
    expect(all.numa).toMatchObject({ state: 'error', message: expect.stringContaining('kaboom') });
    expect(all.zfs).toMatchObject({ state: 'error', message: expect.stringContaining('no answer') });
    sch.stop();
  });

  it('refreshNow samples everything whatever its cadence', async () => {
    vi.useFakeTimers();
    const s = source('zfs', [() => Promise.resolve({ state: 'unavailable', reason: 'no zpool' })]);
    const sch = createScheduler({ sources: [s], intervalMs: 1000, now: () => Date.now(), ingest: () => {} });
    sch.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.calls).toBe(1);
    await sch.refreshNow();
    expect(s.calls).toBe(2);
    sch.stop();
  });

  it('a wall clock stepped back an hour (or ahead two) neither stops nor hurries sampling; `at` follows the wall clock', async () => {
    vi.useFakeTimers();
    const t0 = Date.parse('2026-06-01T12:00:00Z');
    vi.setSystemTime(t0);
    const a = source('nvidia', [ok(1)]);
    const z = source('zfs', [ok(2)]);
    const ats: number[] = [];
    const sch = createScheduler({ sources: [a, z], intervalMs: 1000, sourceIntervalMs: { zfs: 5000 }, now: () => Date.now(), ingest: (_b, at) => ats.push(at) });
    sch.start();
    await vi.advanceTimersByTimeAsync(2500);
    const before = [a.calls, z.calls];
    vi.setSystemTime(Date.now() - 3_600_000); // NTP steps the wall clock back an hour; the loop's clock does not move
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.calls - before[0]!).toBe(2); // at 3 s and 4 s
    expect(z.calls - before[1]!).toBe(0); // zfs was sampled at 0 s: next due at 5 s, not an hour later
    await vi.advanceTimersByTimeAsync(1000);
    expect(z.calls - before[1]!).toBe(1);
    expect(ats.at(-1)!).toBeLessThan(t0); // the readings are stamped with the wall clock as it is now
    const mid = [a.calls, z.calls];
    vi.setSystemTime(Date.now() + 7_200_000); // and two hours ahead: nothing is sampled early
    await vi.advanceTimersByTimeAsync(6000);
    expect(a.calls - mid[0]!).toBe(6);
    expect(z.calls - mid[1]!).toBe(1);
    sch.stop();
  });

  it('a source sampled at the hidden cadence is sampled at the next tick once its screen shows it', async () => {
    vi.useFakeTimers();
    const vms = source('vms', [ok(1)]);
    let shown = new Set<SourceId>(['nvidia']);
    const sch = createScheduler({ sources: [vms], intervalMs: 1000, sourceIntervalMs: { vms: 5000 }, now: () => Date.now(), ingest: () => {}, visible: () => shown });
    sch.start();
    await vi.advanceTimersByTimeAsync(2_500);
    expect(vms.calls).toBe(1); // at 0; hidden, next due at 25 s
    shown = new Set<SourceId>(['vms']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vms.calls).toBe(2); // pulled in at the next tick, not 22 s later
    await vi.advanceTimersByTimeAsync(3_000);
    expect(vms.calls).toBe(2); // then at its own (visible) cadence
    sch.stop();
  });
});
