import type { Attempt, Source, SourceId } from '../../backends/types.js';
import type { AttemptBatch } from '../store/types.js';

export interface SchedulerOptions {
  sources: Source<unknown>[];
  /** called once per tick with every result that arrived since the last call */
  ingest(batch: AttemptBatch, at: number): void;
  /** the wall clock: only the ingest's `at` (a reading's time as shown) */
  now(): number;
  /**
   * the clock of due times, deadlines and the loop: monotonic, so a wall clock stepped back (NTP, a resumed VM)
   * neither holds sampling back nor hurries it; default performance.now
   */
  monotonicNow?: () => number;
  intervalMs: number;
  /** a source's own slower cadence (ZFS, NUMA, services: 5 s), never faster than intervalMs */
  sourceIntervalMs?: Partial<Record<SourceId, number>>;
  /** which sources are on screen now; hidden ones sample slower */
  visible?: () => ReadonlySet<SourceId>;
  /** a sample that takes longer than this is reported as an error (it may still finish later) */
  guardMs?: number;
}

interface Slot {
  source: Source<unknown>;
  nextDue: number;
  inFlight: boolean;
  failures: number;
  /** attempts that fail wait longer (capped); unavailable sources are probed rarely */
  lastState?: Attempt<unknown>['state'];
  /** the last due time was set at the hidden cadence */
  scheduledHidden?: boolean;
}

export const HIDDEN_FACTOR = 5;
export const UNAVAILABLE_RECHECK_MS = 30_000;
export const MAX_BACKOFF_MS = 30_000;

/** Next wait after an attempt: interval when ok, exponential backoff on error, rare rechecks when unavailable. */
export function nextDelay(state: Attempt<unknown>['state'], failures: number, intervalMs: number, visible: boolean): number {
  const base = visible ? intervalMs : intervalMs * HIDDEN_FACTOR;
  if (state === 'unavailable') return Math.max(base, UNAVAILABLE_RECHECK_MS);
  if (state === 'error') return Math.min(MAX_BACKOFF_MS, base * 2 ** Math.min(failures, 10));
  return base;
}

/**
 * Cadence, an in-flight guard, backoff that never gives up, and one ingest per tick:
 * results that arrive between ticks wait for the next tick, so the UI renders once per data tick.
 */
export function createScheduler(o: SchedulerOptions) {
  const guardMs = o.guardMs ?? 20_000;
  const slots: Slot[] = o.sources.map((source) => ({ source, nextDue: 0, inFlight: false, failures: 0 }));
  let pending: AttemptBatch = {};
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let waiters: (() => void)[] = [];
  const mono = o.monotonicNow ?? (() => performance.now());

  async function attempt(slot: Slot): Promise<void> {
    slot.inFlight = true;
    const t0 = mono();
    let guard: NodeJS.Timeout | undefined;
    const timeout = new Promise<Attempt<unknown>>((resolve) => {
      guard = setTimeout(() => resolve({ state: 'error', message: `no answer within ${Math.round(guardMs / 1000)} s` }), guardMs);
    });
    let result: Attempt<unknown>;
    try {
      result = await Promise.race([slot.source.sample(), timeout]);
    } catch (e) {
      result = { state: 'error', message: `sampler crashed: ${(e as Error)?.message ?? String(e)}` };
    } finally {
      clearTimeout(guard);
    }
    slot.inFlight = false;
    slot.failures = result.state === 'error' ? slot.failures + 1 : 0;
    slot.lastState = result.state;
    const visible = o.visible ? o.visible().has(slot.source.id) : true;
    const every = Math.max(o.intervalMs, o.sourceIntervalMs?.[slot.source.id] ?? 0);
    slot.nextDue = mono() + nextDelay(result.state, slot.failures, every, visible);
    slot.scheduledHidden = !visible;
    (pending as Record<string, unknown>)[slot.source.id] = { ...result, tookMs: mono() - t0 };
  }

  /** Starts due samples, waits up to most of an interval for them, then ingests everything in one batch. */
  async function tick(force = false): Promise<void> {
    const now = mono();
    // a source scheduled at the hidden (slow) cadence that is on screen now is due now: a screen switched to shows
    // fresh data at the next tick, not data a hidden cadence old (drawn as stale)
    if (o.visible) {
      const shown = o.visible();
      for (const s of slots) if (s.scheduledHidden && shown.has(s.source.id) && s.nextDue > now) s.nextDue = now;
    }
    const started = slots.filter((s) => !s.inFlight && (force || s.nextDue <= now)).map(attempt);
    if (started.length) {
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(started), new Promise<void>((r) => { wait = setTimeout(r, Math.max(50, o.intervalMs * 0.8)); })]);
      clearTimeout(wait);
    }
    flush();
  }

  function flush(): void {
    if (stopped || !Object.keys(pending).length) return;
    const batch = pending;
    pending = {};
    o.ingest(batch, o.now());
    const w = waiters; waiters = []; w.forEach((f) => f());
  }

  function loop(): void {
    if (stopped) return;
    const t0 = mono();
    void tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, Math.max(1, t0 + o.intervalMs - mono()));
    });
  }

  return {
    start(): void { stopped = false; loop(); },
    /** `r`: sample everything now, whatever its cadence */
    refreshNow: (): Promise<void> => tick(true),
    /** resolves after the next ingest (for headless one-shot use) */
    nextIngest: (): Promise<void> => new Promise<void>((r) => waiters.push(r)),
    /** every source's state after at least one attempt each (for the headless `status`) */
    async once(): Promise<void> {
      await Promise.all(slots.map(attempt));
      flush();
    },
    stop(): void {
      stopped = true;
      clearTimeout(timer);
      for (const s of slots) s.source.dispose();
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
