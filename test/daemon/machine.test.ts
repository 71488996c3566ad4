/**
 * The supervision rules (src/daemon/machine.ts) as event sequences on a fake clock: no processes, no timers.
 * The real-process tests (supervisor.test.ts, supervisor-faults.test.ts, e2e) show the runtime performs them.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, initialLife, RUNNING_STATES, step, UNKNOWN_STATE_LIMIT, type Effect, type Life, type LifeEvent, type Policy } from '../../src/daemon/machine.js';
import type { EngineHealth } from '../../src/daemon/types.js';

const policy = (o: Partial<Policy> = {}): Policy => ({
  restart: 'on-failure', backoff: { initialSec: 1, factor: 2, maxSec: 60, resetAfterSec: 300 }, crashloop: { failures: 5, withinMin: 10 },
  startupGraceSec: 300, probe: true, ...o,
});

/** a fake clock and a life: feed events, collect effects */
function sim(p: Policy = policy()) {
  let t = 1_000_000; // epoch ms
  let m = 0; // mono ms
  let life: Life = initialLife();
  const effects: Effect[] = [];
  const feed = (ev: LifeEvent) => { const r = step(life, p, ev); life = r.life; effects.push(...r.effects); return r.effects; };
  return {
    get life() { return life; },
    effects,
    advance(ms: number) { t += ms; m += ms; },
    /** the wall clock jumps (NTP, an operator); the monotonic one does not */
    jumpWall(ms: number) { t += ms; },
    feed,
    launch() { return feed({ type: 'launched', at: t }); },
    exit(code: number | null = 1, signal?: string) { return feed({ type: 'exited', exit: { code, at: t, ...(signal ? { signal } : {}) }, why: 'exited', mono: m }); },
    probe(state?: EngineHealth['state']) { return feed({ type: 'probed', health: state ? { state, at: t } : undefined, at: t, mono: m }); },
    due() { return feed({ type: 'restartDue' }); },
    launchFailed(auto: boolean) { return feed({ type: 'launchFailed', why: 'no such file', at: t, mono: m, auto }); },
  };
}

const types = (e: Effect[]) => e.map((x) => x.type);

describe('start and readiness', () => {
  it('starting → healthy on a ready probe; with no probe configured, healthy once alive (health undefined)', () => {
    const s = sim();
    s.feed({ type: 'start' });
    s.launch();
    expect(s.life).toMatchObject({ state: 'starting', message: 'waiting for the readiness probe' });
    expect(types(s.probe('ready'))).toEqual(['becameHealthy']);
    expect(s.life.state).toBe('healthy');
    expect(types(s.probe('ready'))).toEqual([]); // healthy again is no news
    const n = sim(policy({ probe: false }));
    n.launch();
    expect(n.life.message).toBeUndefined();
    n.probe();
    expect(n.life.state).toBe('healthy');
  });

  it('a failing probe inside the startup grace keeps it starting (loading says so); after the grace it is degraded', () => {
    const s = sim(policy({ startupGraceSec: 60 }));
    s.launch();
    s.advance(10_000);
    s.probe('loading');
    expect(s.life).toMatchObject({ state: 'starting', message: 'loading: loading' });
    s.probe('down');
    expect(s.life).toMatchObject({ state: 'starting', message: 'not ready yet: down' });
    s.advance(60_000);
    s.probe('down');
    expect(s.life).toMatchObject({ state: 'degraded', message: 'not ready 60 s after start: down' });
    s.probe('ready');
    expect(s.life.state).toBe('healthy');
  });

  it('probe flapping: healthy ↔ degraded, never a restart (the process is alive)', () => {
    const s = sim();
    s.launch();
    s.probe('ready');
    for (let i = 0; i < 50; i++) {
      s.advance(5000);
      s.probe(i % 2 ? 'ready' : 'error');
      expect(s.life.state).toBe(i % 2 ? 'healthy' : 'degraded');
    }
    expect(types(s.effects).filter((t) => t !== 'becameHealthy')).toEqual([]);
  });
});

describe('failure, backoff and crash loop', () => {
  it('crash during start: backoff with the first delay, then a restart when due (counted), starting again', () => {
    const s = sim();
    s.launch();
    s.advance(200);
    const e = s.exit(1);
    expect(e).toEqual([{ type: 'showCrashed', message: 'exited (exit 1)' }, { type: 'armRestart', delayMs: 1000 }]);
    expect(s.life).toMatchObject({ state: 'backoff', message: 'restart in 1 s (exit 1)', nextRestartAt: 1_000_200 + 1000, lastExit: { code: 1 } });
    s.advance(1000);
    expect(types(s.due())).toEqual(['launch']);
    expect(s.life.restarts).toBe(1);
    s.launch();
    expect(s.life.state).toBe('starting');
    expect(s.life.nextRestartAt).toBeUndefined();
  });

  it('the delays grow by the factor up to the cap: 1, 2, 4, 8, 16, 32, 60, 60 s', () => {
    const s = sim(policy({ crashloop: { failures: 100, withinMin: 10 } }));
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      s.launch();
      s.advance(10);
      const arm = s.exit(137, 'SIGKILL').find((x) => x.type === 'armRestart');
      delays.push((arm as { delayMs: number }).delayMs / 1000);
      s.due();
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    expect(s.life.message).toBe('restart in 60 s (killed by SIGKILL)');
  });

  it('N failures inside the window: crashloop, no restart armed, until an operator starts it', () => {
    const s = sim(policy({ crashloop: { failures: 3, withinMin: 10 } }));
    for (let i = 0; i < 2; i++) { s.launch(); s.advance(1000); s.exit(2); s.due(); }
    s.launch();
    s.advance(1000);
    const last = s.exit(2);
    expect(types(last)).toEqual(['showCrashed']);
    expect(s.life).toMatchObject({ state: 'crashloop', message: '3 failures within 10 min; last exit 2' });
    expect(s.due()).toEqual([]); // a stray timer does nothing
    s.feed({ type: 'start' });
    expect(s.life.failures).toEqual([]);
    s.launch();
    s.advance(1000);
    expect(s.exit(2).find((x) => x.type === 'armRestart')).toEqual({ type: 'armRestart', delayMs: 1000 }); // the backoff starts over
  });

  it('failures spread wider than the window never make a crash loop', () => {
    const s = sim(policy({ crashloop: { failures: 3, withinMin: 1 } }));
    for (let i = 0; i < 20; i++) {
      s.launch();
      s.advance(31_000);
      s.exit(1);
      expect(s.life.state).toBe('backoff');
      s.due();
    }
  });

  it('the crash-loop window runs on the monotonic clock: a wall clock set an hour forward does not forget failures', () => {
    const s = sim(policy({ crashloop: { failures: 3, withinMin: 10 } }));
    for (let i = 0; i < 3; i++) { s.launch(); s.jumpWall(3_600_000); s.exit(1); s.due(); }
    expect(s.life.state).toBe('crashloop');
  });

  it('a healthy stretch of resetAfterSec forgets the backoff; a shorter one does not', () => {
    const s = sim(policy({ backoff: { initialSec: 1, factor: 2, maxSec: 60, resetAfterSec: 300 }, crashloop: { failures: 100, withinMin: 10 } }));
    for (let i = 0; i < 3; i++) { s.launch(); s.exit(1); s.due(); }
    expect(s.life.backoffN).toBe(3);
    s.launch();
    s.probe('ready');
    s.advance(299_000);
    s.probe('ready');
    expect(s.life.backoffN).toBe(3);
    s.exit(1);
    expect(s.life.message).toMatch(/restart in 8 s/);
    s.due();
    s.launch();
    s.probe('ready');
    s.advance(150_000);
    s.probe('error'); // the stretch is broken: it starts over
    s.advance(150_000);
    s.probe('ready');
    s.advance(299_000);
    s.probe('ready');
    expect(s.life.backoffN).toBe(4);
    s.advance(1000);
    s.probe('ready');
    expect(s.life.backoffN).toBe(0);
    s.exit(1);
    expect(s.life.message).toMatch(/restart in 1 s/);
  });

  it('restart policies: on-failure stops on exit 0; always restarts on exit 0; never stays crashed', () => {
    const a = sim(policy({ restart: 'on-failure' }));
    a.launch();
    expect(a.exit(0)).toEqual([]);
    expect(a.life).toMatchObject({ state: 'stopped', message: 'exited: exit 0' });
    const b = sim(policy({ restart: 'always' }));
    b.launch();
    expect(types(b.exit(0))).toEqual(['showCrashed', 'armRestart']);
    expect(b.life.state).toBe('backoff');
    const c = sim(policy({ restart: 'never' }));
    c.launch();
    expect(c.exit(1)).toEqual([]);
    expect(c.life).toMatchObject({ state: 'crashed', message: 'exited (exit 1)' });
    expect(c.due()).toEqual([]);
  });

  it('a launch that fails: an operator sees "failed to start"; a restart by policy counts as a failure and backs off', () => {
    const s = sim();
    s.feed({ type: 'launchFailed', why: 'ENOENT llama-server', at: 0, mono: 0, auto: false });
    expect(s.life).toMatchObject({ state: 'crashed', message: 'failed to start: ENOENT llama-server' });
    s.launch();
    s.exit(1);
    s.due();
    const e = s.launchFailed(true);
    expect(types(e)).toEqual(['showCrashed', 'armRestart']);
    expect(s.life).toMatchObject({ state: 'backoff', message: 'restart in 2 s (exit code unknown)' });
  });
});

describe('stop', () => {
  it('an operator stop cancels a pending restart and clears the crash count', () => {
    const s = sim();
    s.launch();
    s.exit(1);
    expect(types(s.feed({ type: 'stop' }))).toEqual(['cancelRestart']);
    expect(s.life.stopping).toBe(false); // nothing runs: no stop under way
    s.feed({ type: 'stopped' });
    expect(s.life).toMatchObject({ state: 'stopped', failures: [], backoffN: 0 });
    expect(s.life.message).toBeUndefined();
    expect(s.due()).toEqual([]);
  });

  it('crash during stop: the exit is the stop\'s (no failure, no restart); stopped says what the stop saw', () => {
    const s = sim();
    s.launch();
    s.probe('ready');
    s.feed({ type: 'stop' });
    expect(s.life.stopping).toBe(true);
    expect(s.exit(null, 'SIGTERM')).toEqual([]);
    expect(s.life).toMatchObject({ state: 'healthy', failures: [], lastExit: { signal: 'SIGTERM' } });
    s.probe('error'); // a probe landing mid-stop changes nothing
    expect(s.life.state).toBe('healthy');
    s.feed({ type: 'stopped', message: 'did not stop within 30 s of SIGTERM: killed' });
    expect(s.life).toMatchObject({ state: 'stopped', stopping: false, message: 'did not stop within 30 s of SIGTERM: killed' });
  });
});

describe('adoption and runtimes that cannot answer', () => {
  it('an adopted engine starts in "starting" with its recorded restarts and a grace counted from its own start', () => {
    const s = sim(policy({ startupGraceSec: 100 }));
    s.feed({ type: 'adopted', startedAt: 1_000_000 - 200_000, restarts: 4, message: 'adopted; waiting for the readiness probe' });
    expect(s.life).toMatchObject({ state: 'starting', restarts: 4, message: 'adopted; waiting for the readiness probe' });
    s.probe('down'); // its grace ended long ago
    expect(s.life.state).toBe('degraded');
  });

  it(`a runtime that cannot say whether it runs: degraded ${UNKNOWN_STATE_LIMIT - 1} times, then give up (an exit); an answer in between resets the count`, () => {
    const s = sim();
    s.launch();
    s.probe('ready');
    expect(s.feed({ type: 'unknown', error: 'dockerd busy' })).toEqual([]);
    expect(s.life).toMatchObject({ state: 'degraded', message: `cannot read its state (1/${UNKNOWN_STATE_LIMIT}): dockerd busy` });
    s.feed({ type: 'known' });
    for (let i = 1; i < UNKNOWN_STATE_LIMIT; i++) expect(s.feed({ type: 'unknown', error: 'x' })).toEqual([]);
    expect(types(s.feed({ type: 'unknown', error: 'x' }))).toEqual(['giveUp']);
  });
});

describe('invariants over random event sequences (fake clock)', () => {
  /** a small deterministic PRNG: the same cases every run */
  const rng = (seed: number) => () => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
  const EVENTS = ['start', 'stop', 'stopped', 'launched', 'exit0', 'exit1', 'sigkill', 'ready', 'down', 'loading', 'due', 'unknown', 'known', 'launchFailed', 'advance'] as const;

  it('500 sequences × 60 events: states stay consistent with the rules', () => {
    for (let c = 0; c < 500; c++) {
      const r = rng(c + 1);
      const p = policy({
        restart: (['always', 'on-failure', 'never'] as const)[c % 3]!,
        crashloop: { failures: 1 + (c % 6), withinMin: 1 + (c % 4) },
        backoff: { initialSec: 0.5 + (c % 3), factor: 1 + (c % 3), maxSec: 30, resetAfterSec: 60 },
        startupGraceSec: 10 * (c % 4),
      });
      const s = sim(p);
      for (let i = 0; i < 60; i++) {
        const name = EVENTS[Math.floor(r() * EVENTS.length)]!;
        const before = s.life;
        let e: Effect[] = [];
        switch (name) {
          case 'advance': s.advance(Math.floor(r() * 120_000)); break;
          case 'launched': e = s.launch(); break;
          case 'exit0': e = s.exit(0); break;
          case 'exit1': e = s.exit(1); break;
          case 'sigkill': e = s.exit(null, 'SIGKILL'); break;
          case 'ready': case 'down': case 'loading': e = s.probe(name); break;
          case 'due': e = s.due(); break;
          case 'unknown': e = s.feed({ type: 'unknown', error: 'e' }); break;
          case 'launchFailed': e = s.launchFailed(r() < 0.5); break;
          default: e = s.feed({ type: name }); break;
        }
        const l = s.life;
        const why = `case ${c} event ${i} ${name}: ${before.state} → ${l.state}`;
        // a restart is armed exactly when it enters backoff, with a delay inside [initial, max]
        const arm = e.find((x) => x.type === 'armRestart') as { delayMs: number } | undefined;
        expect(arm !== undefined, why).toBe(l.state === 'backoff' && before.state !== 'backoff' || (arm !== undefined && l.state === 'backoff'));
        if (arm) {
          expect(arm.delayMs, why).toBeGreaterThanOrEqual(p.backoff.initialSec * 1000);
          expect(arm.delayMs, why).toBeLessThanOrEqual(p.backoff.maxSec * 1000);
          expect(p.restart, why).not.toBe('never');
        }
        expect(l.nextRestartAt !== undefined, why).toBe(l.state === 'backoff');
        expect(l.healthySince !== undefined, why).toBe(l.state === 'healthy');
        // only a restart that came due launches, and only from backoff
        if (e.some((x) => x.type === 'launch')) { expect(before.state, why).toBe('backoff'); expect(l.restarts, why).toBe(before.restarts + 1); }
        else expect(l.restarts, why).toBe(before.restarts);
        // a crash loop is entered only with enough failures inside the window
        if (l.state === 'crashloop' && before.state !== 'crashloop') expect(l.failures.length, why).toBeGreaterThanOrEqual(p.crashloop.failures);
        // a failure is only counted for a run that was running and not being stopped (or a launch by policy that failed)
        if (l.failures.length > before.failures.length) expect(RUNNING_STATES.has(before.state) && !before.stopping || name === 'launchFailed', why).toBe(true);
        // an exit while stopping is never a failure
        if (before.stopping && ['exit0', 'exit1', 'sigkill'].includes(name)) expect(l.state, why).toBe(before.state);
        expect(l.failures.every((x, k, a) => k === 0 || a[k - 1]! <= x), why).toBe(true);
      }
    }
  });

  it('backoffDelayMs: initial × factor^n, capped', () => {
    const p = policy({ backoff: { initialSec: 0.5, factor: 3, maxSec: 10, resetAfterSec: 1 } });
    expect([0, 1, 2, 3, 4].map((n) => backoffDelayMs(p, n))).toEqual([500, 1500, 4500, 10_000, 10_000]);
  });
});
