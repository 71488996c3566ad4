/**
 * One set of readings for the exporter: the host backends (BACKENDS: nvidia, numa, system, zfs, vms) run through
 * one Runner by the same scheduler the cockpit uses, at the backends' own cadences (nvidia's long-lived `-lms`
 * stream, ZFS and NUMA every 5 s), whatever Prometheus does. A scrape only reads `latest()`: it never starts a
 * tool, so ten scrapers cost what one does and a hung nvidia-smi cannot hang a scrape.
 */
import { BACKENDS } from '../../backends/index.js';
import type { Runner, Sample, SourceId } from '../../backends/types.js';
import { createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { nextSample } from '../store/sample.js';
import type { Samples } from '../store/types.js';

export interface HostSampler {
  readonly host: string;
  /** the newest reading of each host source (`pending` until its first attempt) */
  latest(): Partial<Samples>;
  /** resolves after the first reading of every source (or after `timeoutMs`) */
  ready(timeoutMs: number): Promise<void>;
  stop(): void;
}

export interface HostSamplerOptions {
  runner: Runner;
  /** the scheduler's tick (default: the fastest backend's cadence, 1 s) */
  intervalMs?: number;
  /** a sample that takes longer than this is an error (default: the scheduler's, 20 s) */
  guardMs?: number;
}

export function createHostSampler(o: HostSamplerOptions): HostSampler {
  const ids = BACKENDS.map((b) => b.id);
  const samples: Partial<Record<SourceId, Sample<unknown>>> = Object.fromEntries(ids.map((id) => [id, { state: 'pending' }]));
  const seen = new Set<SourceId>();
  let waiters: (() => void)[] = [];
  const scheduler: Scheduler = createScheduler({
    sources: BACKENDS.map((b) => b.create(o.runner)),
    intervalMs: o.intervalMs ?? Math.min(...BACKENDS.map((b) => b.intervalMs)),
    sourceIntervalMs: Object.fromEntries(BACKENDS.map((b) => [b.id, b.intervalMs])),
    now: o.runner.now,
    ...(o.guardMs !== undefined ? { guardMs: o.guardMs } : {}),
    ingest: (batch, at) => {
      for (const [id, a] of Object.entries(batch) as [SourceId, NonNullable<(typeof batch)[SourceId]>][]) {
        samples[id] = nextSample<unknown>(samples[id] ?? { state: 'pending' }, a, at, a.tookMs ?? 0);
        seen.add(id);
      }
      if (seen.size >= ids.length) { const w = waiters; waiters = []; w.forEach((f) => f()); }
    },
  });
  scheduler.start();
  return {
    host: o.runner.host,
    latest: () => ({ ...samples }) as Partial<Samples>,
    ready(timeoutMs) {
      if (seen.size >= ids.length) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        waiters.push(() => { clearTimeout(t); resolve(); });
      });
    },
    stop() {
      scheduler.stop();
      const w = waiters; waiters = []; w.forEach((f) => f());
    },
  };
}
