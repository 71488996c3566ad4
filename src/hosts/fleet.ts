/**
 * The cockpit's other hosts: one scheduler per host (its own cadence, backoff and in-flight guard), each ingesting
 * into the store under the host's name. The host on screen samples at full rate; the others as hidden sources do
 * (slower), so a fleet costs little more than one box. A host that cannot be reached keeps its last good data
 * (the store's error + lastGood), backs off, and comes back by itself when its commands answer again.
 */
import { BACKENDS } from '../../backends/index.js';
import type { Runner, Source, SourceId } from '../../backends/types.js';
import type { HostConfig } from '../config/hosts.js';
import { createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { newHost, type Store } from '../store/store.js';
import { hostRunners, REMOTE_SKIPPED, type HostRunner } from './runner.js';

export interface Fleet {
  refreshNow(): void;
  stop(): void;
  /** the runner of another host (its SSH connection; the demo's simulated box): remote actions act through it */
  runnerOf(host: string): Runner | undefined;
}

const NONE: ReadonlySet<SourceId> = new Set();

export function startFleet(o: {
  /** the cockpit's own runner (this machine, or the demo's first box): sampled by run.tsx's scheduler, not here */
  primary: Runner;
  demo: boolean; demoSpeed: number; hosts?: HostConfig[]; intervalMs: number; store: Store;
  /** what the current screen shows (sampled at full rate on the current host) */
  visible: () => ReadonlySet<SourceId>;
}): Fleet {
  const others: HostRunner[] = hostRunners({ demo: o.demo, demoSpeed: o.demoSpeed, primary: o.primary, ...(o.hosts ? { hosts: o.hosts } : {}) }).slice(1);
  // the switcher's order: the cockpit's host, then the others as configured
  const hosts = { ...o.store.getState().hosts };
  for (const h of others) hosts[h.name] ??= newHost(h.name);
  o.store.setState({ hosts });
  const schedulers: Scheduler[] = others.map((h) => {
    const backends = BACKENDS.filter((b) => !h.only || h.only.includes(b.id));
    // what is not sampled there says why (as in `sov status`), rather than waiting forever
    const skipped = BACKENDS.filter((b) => !backends.includes(b));
    if (skipped.length) o.store.getState().ingest(h.name, Object.fromEntries(skipped.map((b) => [b.id, REMOTE_SKIPPED])), h.runner.now());
    return createScheduler({
      sources: backends.map((b) => b.create(h.runner) as Source<unknown>),
      intervalMs: o.intervalMs, now: h.runner.now,
      sourceIntervalMs: Object.fromEntries(backends.map((b) => [b.id, b.intervalMs])),
      ingest: (batch, at) => o.store.getState().ingest(h.name, batch, at),
      visible: () => (o.store.getState().current === h.name ? o.visible() : NONE),
    });
  });
  for (const s of schedulers) s.start();
  return {
    refreshNow() { for (const s of schedulers) void s.refreshNow(); },
    runnerOf: (host) => others.find((h) => h.name === host)?.runner,
    stop() {
      for (const s of schedulers) s.stop();
      // synchronously: the cockpit exits right after
      for (const h of others) h.closeSync();
    },
  };
}
