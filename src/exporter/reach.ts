/**
 * Per-host reachability for the exporter (issue 10): every configured `hosts:` entry is checked on its own cadence
 * by running `true` through its SSH runner (the multiplexed master: a check costs no handshake once it is up; the
 * runner gives it a process group and the deadline). Reachable means ssh itself did not fail and the check ended
 * within its deadline; the far side's answer does not matter (a box without `true` still answered). A scrape reads
 * `latest()` only: it never opens a connection.
 */
import type { Runner } from '../../backends/types.js';
import { sshFailure } from '../runner/ssh.js';

export interface HostReach {
  host: string;
  up: boolean;
  /** how long the newest check took */
  seconds: number;
  /** why it is not up (ssh's own words, or the deadline) */
  message?: string;
}

export interface Reachability {
  /** the newest check of each host that has had one, in the config's order */
  latest(): HostReach[];
  stop(): void;
}

export const REACH_EVERY_MS = 15_000;
export const REACH_TIMEOUT_MS = 10_000;

/** One check's result → reachability (pure). */
export function reachOf(name: string, r: { exitCode: number | null; stderr: string; timedOut: boolean; notFound: boolean; spawnError?: string }, seconds: number): HostReach {
  if (r.timedOut) return { host: name, up: false, seconds, message: `ssh ${name}: no answer within ${seconds.toFixed(1)} s` };
  const failed = sshFailure(name, r);
  return failed ? { host: name, up: false, seconds, message: failed } : { host: name, up: true, seconds };
}

export function createReachability(o: { hosts: readonly { name: string; runner: Runner }[]; everyMs?: number; timeoutMs?: number }): Reachability {
  const timeoutMs = o.timeoutMs ?? REACH_TIMEOUT_MS;
  const last = new Map<string, HostReach>();
  const busy = new Set<string>();
  let stopped = false;
  const check = async (h: { name: string; runner: Runner }) => {
    if (busy.has(h.name) || stopped) return;
    busy.add(h.name);
    const t0 = h.runner.now();
    const took = () => (h.runner.now() - t0) / 1000;
    try {
      last.set(h.name, reachOf(h.name, await h.runner.run(['true'], { timeoutMs }), took()));
    } catch (e) {
      last.set(h.name, { host: h.name, up: false, seconds: took(), message: `ssh ${h.name}: ${(e as Error)?.message ?? String(e)}` });
    } finally {
      busy.delete(h.name);
    }
  };
  const round = () => { for (const h of o.hosts) void check(h); };
  round();
  const timer = setInterval(round, o.everyMs ?? REACH_EVERY_MS);
  timer.unref();
  return {
    latest: () => o.hosts.map((h) => last.get(h.name)).filter((x): x is HostReach => x !== undefined),
    stop() { stopped = true; clearInterval(timer); },
  };
}
