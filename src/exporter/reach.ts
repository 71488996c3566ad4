/**
 * Per-host reachability for the exporter (issue 10): every configured `hosts:` entry is checked on its own cadence
 * by running `true` through its SSH runner (the multiplexed master: a check costs no handshake once it is up).
 * Reachable means ssh itself did not fail and the check ended within its deadline; the far side's answer does not
 * matter (a box without `true` still answered). A scrape reads `latest()` only: it never opens a connection.
 */
import type { Runner } from '../../backends/types.js';
import { sshFailure } from '../runner/ssh.js';

export interface HostReach {
  host: string;
  up: boolean;
  /** when the newest check ended (the runner's clock) */
  at: number;
  /** how long it took */
  seconds: number;
  /** why it is not up (ssh's own words, or the deadline) */
  message?: string;
}

export interface ReachOptions {
  hosts: readonly { name: string; runner: Runner }[];
  /** how often each host is checked (default 15 s) */
  everyMs?: number;
  /** a check that has not ended by then is a failure (default 10 s) */
  timeoutMs?: number;
}

export interface Reachability {
  /** the newest check of each host that has had one, in the config's order */
  latest(): HostReach[];
  /** resolves once every host has had its first check */
  ready(): Promise<void>;
  stop(): void;
}

export const REACH_EVERY_MS = 15_000;
export const REACH_TIMEOUT_MS = 10_000;

/** One check's result → reachability (pure). */
export function reachOf(name: string, r: { exitCode: number | null; stderr: string; timedOut: boolean; notFound: boolean; spawnError?: string }, seconds: number, at: number): HostReach {
  if (r.timedOut) return { host: name, up: false, at, seconds, message: `ssh ${name}: no answer within ${seconds.toFixed(1)} s` };
  const failed = sshFailure(name, r);
  return failed ? { host: name, up: false, at, seconds, message: failed } : { host: name, up: true, at, seconds };
}

export function createReachability(o: ReachOptions): Reachability {
  const every = o.everyMs ?? REACH_EVERY_MS;
  const timeoutMs = o.timeoutMs ?? REACH_TIMEOUT_MS;
  const last = new Map<string, HostReach>();
  const busy = new Set<string>();
  let stopped = false;
  let waiters: (() => void)[] = [];
  const settle = () => {
    if (last.size < o.hosts.length && !stopped) return;
    const w = waiters; waiters = []; w.forEach((f) => f());
  };
  const check = async (h: { name: string; runner: Runner }) => {
    if (busy.has(h.name) || stopped) return;
    busy.add(h.name);
    const t0 = h.runner.now();
    try {
      const r = await h.runner.run(['true'], { timeoutMs });
      const end = h.runner.now();
      last.set(h.name, reachOf(h.name, r, (end - t0) / 1000, end));
    } catch (e) {
      const end = h.runner.now();
      last.set(h.name, { host: h.name, up: false, at: end, seconds: (end - t0) / 1000, message: `ssh ${h.name}: ${(e as Error)?.message ?? String(e)}` });
    } finally {
      busy.delete(h.name);
      settle();
    }
  };
  const round = () => { for (const h of o.hosts) void check(h); };
  round();
  const timer = setInterval(round, every);
  timer.unref();
  return {
    latest: () => o.hosts.map((h) => last.get(h.name)).filter((x): x is HostReach => x !== undefined),
    ready: () => (last.size >= o.hosts.length ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    stop() { stopped = true; clearInterval(timer); settle(); },
  };
}
