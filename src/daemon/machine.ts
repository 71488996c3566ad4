/**
 * The rules of supervision as a pure transition function: `step(life, policy, event) → { life, effects }`.
 * No timers, no processes, no I/O: the supervisor (src/daemon/supervisor.ts) feeds it what happened (a launch, an
 * exit, a probe answer, a restart coming due, an operator's start or stop) with the time it happened, and performs
 * the effects it returns (arm or cancel the restart timer, launch, give up on a runtime that cannot answer).
 *
 *   stopped ──start──▶ starting ──probe ready──▶ healthy ◀──▶ degraded (probe failing, process alive)
 *                        │  probe failures inside startupGraceSec do not count; after it: degraded
 *                        ▼ process exits (any state)
 *                      crashed ──restart policy──▶ backoff ──restart due──▶ launch → starting …
 *                        └── N failures within M minutes ──▶ crashloop (no retries until an operator starts it)
 *
 * Two clocks: `at` (epoch ms, what the status shows: next restart, grace end) and `mono` (a clock that never
 * jumps, for durations: the crash-loop window and the healthy stretch that resets the backoff). A wall clock set
 * forward would forget the failures; set back, it would count them for an hour.
 */
import type { EngineExit, EngineHealth, EngineState } from './types.js';

/** what decides: the engine's restart settings (a subset of its config) */
export interface Policy {
  restart: 'always' | 'on-failure' | 'never';
  backoff: { initialSec: number; factor: number; maxSec: number; resetAfterSec: number };
  crashloop: { failures: number; withinMin: number };
  startupGraceSec: number;
  /** it has a readiness probe (the starting message says it waits for one) */
  probe: boolean;
}

/** a container runtime or systemd that cannot say whether the engine runs: an exit after this many tries */
export const UNKNOWN_STATE_LIMIT = 3;

export interface Life {
  state: EngineState;
  message?: string;
  /** an operator's stop is under way: an exit now is the stop's, not a failure */
  stopping: boolean;
  /** mono ms of the failures inside the crash-loop window */
  failures: number[];
  /** how many backoffs in a row (the next delay is initial × factor^backoffN, capped) */
  backoffN: number;
  /** mono ms it became healthy (undefined unless healthy) */
  healthySince?: number;
  /** epoch ms until which a failing probe still counts as loading */
  graceUntil: number;
  /** epoch ms of the next restart (backoff only) */
  nextRestartAt?: number;
  /** automatic restarts (counted when the backoff's restart comes due) */
  restarts: number;
  lastExit?: EngineExit;
  /** consecutive probes where the runtime could not say whether it runs */
  unknownStates: number;
}

export type LifeEvent =
  /** an operator asks for a start: a crash loop or a pending backoff is forgotten */
  | { type: 'start' }
  /** an operator asks for a stop */
  | { type: 'stop' }
  /** the stop is done (or there was nothing to stop) */
  | { type: 'stopped'; message?: string }
  /** it is being launched (fed before the spawn, so an exit during the spawn is the run's) */
  | { type: 'launched'; at: number }
  /** it was found running (state file, marker, runtime): supervised from here on */
  | { type: 'adopted'; startedAt: number; restarts: number; message: string }
  /** it could not be launched; auto: the launch was a restart by policy */
  | { type: 'launchFailed'; why: string; at: number; mono: number; auto: boolean }
  /** the current run exited (or its runtime says it stopped running) */
  | { type: 'exited'; exit: EngineExit; why: string; mono: number }
  /** a readiness answer; undefined health: no probe configured and alive for a second */
  | { type: 'probed'; health: EngineHealth | undefined; at: number; mono: number }
  /** the runtime could not say whether it runs */
  | { type: 'unknown'; error: string }
  /** the runtime answered (running) */
  | { type: 'known' }
  /** the backoff's restart timer fired */
  | { type: 'restartDue' };

export type Effect =
  /** it crashed on its way to backoff or crashloop: show that moment (state crashed, this message) first */
  | { type: 'showCrashed'; message: string }
  /** arm the restart timer; when it fires, feed `restartDue` */
  | { type: 'armRestart'; delayMs: number }
  | { type: 'cancelRestart' }
  /** launch it again (a restart by policy) */
  | { type: 'launch' }
  /** the runtime has not answered UNKNOWN_STATE_LIMIT times: end the run as an exit with an unknown code */
  | { type: 'giveUp'; why: string }
  /** it just became healthy: read its models again */
  | { type: 'becameHealthy' };

export interface Step { life: Life; effects: Effect[] }

export const RUNNING_STATES: ReadonlySet<EngineState> = new Set(['starting', 'healthy', 'degraded']);

export function initialLife(): Life {
  return { state: 'stopped', stopping: false, failures: [], backoffN: 0, graceUntil: 0, restarts: 0, unknownStates: 0 };
}

/** "exit 1", "killed by SIGKILL", "exit code unknown" */
export function exitWords(e: EngineExit | undefined): string {
  if (!e) return 'exit unknown';
  if (e.signal) return `killed by ${e.signal}`;
  if (e.code === null) return 'exit code unknown';
  return `exit ${e.code}`;
}

/** "0.5 s", "4 s", "60 s" */
export function fmtSec(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${Math.round(s * 10) / 10} s` : `${Math.round(s)} s`;
}

/** the delay before the next restart: initial × factor^n seconds, at most maxSec */
export function backoffDelayMs(p: Policy, n: number): number {
  const b = p.backoff;
  return Math.min(b.maxSec, b.initialSec * Math.pow(b.factor, n)) * 1000;
}

/** a state and its message; leaving backoff forgets the next restart time */
function enter(l: Life, state: EngineState, message?: string): Life {
  const out: Life = { ...l, state };
  if (message === undefined) delete out.message;
  else out.message = message;
  if (state !== 'backoff') delete out.nextRestartAt;
  if (state !== 'healthy') delete out.healthySince;
  return out;
}

/** It failed (exited, or could not be launched): stopped, crashed, crashloop or backoff, by policy. */
function failed(l: Life, p: Policy, exit: EngineExit, why: string, mono: number): Step {
  const clean = exit.code === 0 && !exit.signal;
  const base = { ...l, lastExit: exit, unknownStates: 0 };
  if (clean && p.restart !== 'always') return { life: enter(base, 'stopped', `${why}: exit 0`), effects: [] };
  const windowMs = p.crashloop.withinMin * 60_000;
  const failures = [...l.failures, mono].filter((x) => mono - x <= windowMs);
  const crashed = { ...base, failures };
  const said = `${why} (${exitWords(exit)})`;
  if (failures.length >= p.crashloop.failures) {
    return { life: enter(crashed, 'crashloop', `${failures.length} failures within ${p.crashloop.withinMin} min; last ${exitWords(exit)}`), effects: [{ type: 'showCrashed', message: said }] };
  }
  if (p.restart === 'never') return { life: enter(crashed, 'crashed', said), effects: [] };
  const delayMs = backoffDelayMs(p, l.backoffN);
  const life = enter({ ...crashed, backoffN: l.backoffN + 1 }, 'backoff', `restart in ${fmtSec(delayMs)} (${exitWords(exit)})`);
  life.nextRestartAt = exit.at + delayMs;
  return { life, effects: [{ type: 'showCrashed', message: said }, { type: 'armRestart', delayMs }] };
}

/** a readiness answer: healthy (and, after a long enough healthy stretch, the backoff forgotten), or not ready */
function probed(l: Life, p: Policy, h: EngineHealth | undefined, at: number, mono: number): Step {
  if (h === undefined || h.state === 'ready') {
    const effects: Effect[] = [];
    let life = l;
    if (l.state !== 'healthy') {
      life = { ...enter(l, 'healthy'), healthySince: mono };
      effects.push({ type: 'becameHealthy' });
    }
    if (life.healthySince !== undefined && mono - life.healthySince >= p.backoff.resetAfterSec * 1000 && life.backoffN !== 0) life = { ...life, backoffN: 0 };
    return { life, effects };
  }
  const said = h.message ?? h.state;
  if (l.state === 'starting') {
    if (at < l.graceUntil) return { life: enter(l, 'starting', h.state === 'loading' ? `loading: ${said}` : `not ready yet: ${said}`), effects: [] };
    return { life: enter(l, 'degraded', `not ready ${p.startupGraceSec} s after start: ${said}`), effects: [] };
  }
  return { life: enter(l, 'degraded', `readiness probe failing: ${said}`), effects: [] };
}

/** The one transition function. Events that do not apply in the current state change nothing. */
export function step(l: Life, p: Policy, ev: LifeEvent): Step {
  const none = { life: l, effects: [] };
  const running = RUNNING_STATES.has(l.state);
  switch (ev.type) {
    case 'start':
      return { life: { ...l, failures: [], backoffN: 0 }, effects: [{ type: 'cancelRestart' }] };
    case 'stop':
      return { life: { ...l, stopping: running, failures: [], backoffN: 0 }, effects: [{ type: 'cancelRestart' }] };
    case 'stopped':
      return { life: { ...enter(l, 'stopped', ev.message), stopping: false, unknownStates: 0 }, effects: [] };
    case 'launched': {
      const life = enter({ ...l, stopping: false, unknownStates: 0, graceUntil: ev.at + p.startupGraceSec * 1000 },
        'starting', p.probe ? 'waiting for the readiness probe' : undefined);
      return { life, effects: [] };
    }
    case 'adopted':
      return { life: enter({ ...l, stopping: false, unknownStates: 0, restarts: ev.restarts, graceUntil: ev.startedAt + p.startupGraceSec * 1000 }, 'starting', ev.message), effects: [] };
    case 'launchFailed':
      if (!ev.auto) return { life: enter(l, 'crashed', `failed to start: ${ev.why}`), effects: [] };
      return failed(l, p, { code: null, at: ev.at }, ev.why, ev.mono);
    case 'exited':
      if (l.stopping) return { life: { ...l, lastExit: ev.exit }, effects: [] }; // the stop finishes the transition
      if (!running) return none;
      return failed(l, p, ev.exit, ev.why, ev.mono);
    case 'probed':
      if (!running || l.stopping) return none;
      return probed(l, p, ev.health, ev.at, ev.mono);
    case 'unknown': {
      if (!running || l.stopping) return none;
      const n = l.unknownStates + 1;
      if (n >= UNKNOWN_STATE_LIMIT) return { life: { ...l, unknownStates: 0 }, effects: [{ type: 'giveUp', why: `its state could not be read ${n} times: ${ev.error}` }] };
      return { life: enter({ ...l, unknownStates: n }, 'degraded', `cannot read its state (${n}/${UNKNOWN_STATE_LIMIT}): ${ev.error}`), effects: [] };
    }
    case 'known':
      return l.unknownStates ? { life: { ...l, unknownStates: 0 }, effects: [] } : none;
    case 'restartDue':
      return l.state === 'backoff' ? { life: { ...l, restarts: l.restarts + 1 }, effects: [{ type: 'launch' }] } : none;
  }
}
