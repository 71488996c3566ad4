import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHeartbeatFile } from '../../backends/vms/source.js';
import { vmSchema } from '../../src/config/vms.js';
import { createLocalRunner } from '../../src/runner/local.js';
import { startVmWatchdog, storyOf, whyOf, writeDue, WRITE_EVERY_MS } from '../../src/vms/watch-runtime.js';
import { initialWatch, recoveryAction, stepWatch, type WatchEffect, type WatchEvent, type WatchPolicy, type WatchState } from '../../src/vms/watchdog.js';

const P: WatchPolicy = { missLimit: 3, cooldownMs: 600_000, recovery: 'revert:clean' };

/** runs events through the transition function with a fake clock; returns every state and every effect */
type Ev = WatchEvent extends infer E ? (E extends WatchEvent ? Omit<E, 'at'> & { dt?: number } : never) : never;
function run(events: Ev[], p = P, s0 = initialWatch()) {
  let s: WatchState = s0;
  let t = 0;
  const phases: string[] = [];
  const effects: WatchEffect[] = [];
  for (const e of events) {
    t += e.dt ?? 10_000;
    const r = stepWatch(p, s, { ...e, at: t } as WatchEvent);
    s = r.state;
    phases.push(s.phase);
    effects.push(...r.effects);
  }
  return { s, phases, effects };
}
const beat = { kind: 'beat' as const };
const miss = { kind: 'miss' as const, why: 'tcp 127.0.0.1:2222: ECONNREFUSED' };
const ok = { kind: 'recovered' as const, ok: true, message: 'reverted' };

describe('the watchdog as event sequences (fake clock)', () => {
  it('N misses start the declared recovery once; misses while it runs do not start another', () => {
    const r = run([beat, miss, miss, miss, miss, miss]);
    expect(r.phases).toEqual(['ok', 'missing', 'missing', 'recovering', 'recovering', 'recovering']);
    expect(r.effects).toEqual([{ kind: 'recover', action: 'revert:clean' }]);
  });

  it('a beat between misses starts the count again', () => {
    expect(run([miss, miss, beat, miss, miss]).effects).toEqual([]);
  });

  it('recovered, then failing again right after (within the cooldown) → failed, no second recovery, no loop', () => {
    const r = run([miss, miss, miss, ok, beat, miss, miss, miss, miss, miss, miss]);
    expect(r.effects.filter((e) => e.kind === 'recover')).toHaveLength(1);
    expect(r.s.phase).toBe('failed');
    expect(r.s.failedWhy).toMatch(/^failed again 40 s after revert:clean \(cooldown 600 s\): the operator decides$/);
    expect(r.effects.at(-1)).toEqual({ kind: 'alert', message: r.s.failedWhy });
    // beats are counted but failed stays failed until the operator resets it
    const after = run([beat, beat], P, r.s);
    expect(after.s.phase).toBe('failed');
    expect(after.s.beats).toBe(r.s.beats + 2);
    expect(run([{ kind: 'reset' }, beat], P, r.s).s.phase).toBe('ok');
  });

  it('failing again after the cooldown has passed recovers again (once per cooldown)', () => {
    const r = run([miss, miss, miss, ok, beat, { ...miss, dt: 700_000 }, miss, miss]);
    expect(r.effects.filter((e) => e.kind === 'recover')).toHaveLength(2);
    expect(r.s.phase).toBe('recovering');
  });

  it('a recovery that fails → failed with its words; no recovery declared → alert only', () => {
    const r = run([miss, miss, miss, { kind: 'recovered', ok: false, message: 'loadvm clean: Snapshot does not exist' }]);
    expect(r.s).toMatchObject({ phase: 'failed', failedWhy: 'revert:clean failed: loadvm clean: Snapshot does not exist', lastRecovery: { outcome: 'failed' } });
    const w = run([miss, miss, miss, miss], { missLimit: 3, cooldownMs: 1000 });
    expect(w.effects).toEqual([{ kind: 'alert', message: '3 heartbeats missed (tcp 127.0.0.1:2222: ECONNREFUSED); no recovery declared' }]);
    expect(w.s.phase).toBe('missing');
  });

  it('a stray recovered event (not recovering) changes nothing', () => {
    const r = run([beat, ok]);
    expect(r.phases).toEqual(['ok', 'ok']);
  });

  it('declared recoveries map onto the VM actions', () => {
    expect(recoveryAction('reimage', 'g')).toEqual([{ id: 'vm.reimage', args: { vm: 'g' } }]);
    expect(recoveryAction('revert:clean', 'g')).toEqual([{ id: 'vm.revert', args: { vm: 'g', snapshot: 'clean' } }]);
    expect(recoveryAction('restart', 'g').map((a) => a.id)).toEqual(['vm.stop', 'vm.start']);
  });
});

describe('the runtime with a heartbeat served by a real TCP server on loopback', () => {
  const dir = mkdtempSync(`/tmp/sov-watch-${process.pid}-`);
  let server: Server | undefined;
  afterAll(() => { server?.close(() => {}); rmSync(dir, { recursive: true, force: true }); });
  const listen = (port: number) => new Promise<Server>((r) => { const s = createServer((c) => c.end()); s.listen(port, '127.0.0.1', () => r(s)); });
  const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));
  const until = async (ok: () => boolean, ms = 15_000) => { const end = Date.now() + ms; while (!ok()) { if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 50)); } };

  it('stop the server → after 2 misses the recovery runs once; it comes back; stop it again at once → failed, not a loop', async () => {
    server = await listen(0);
    const port = (server.address() as { port: number }).port;
    const vm = vmSchema.parse({ name: 'g1', heartbeat: { tcp: `127.0.0.1:${port}`, intervalSec: 1, misses: 2, timeoutSec: 1 }, watchdog: { policy: 'restart', cooldownSec: 60 } });
    const recoveries: string[] = [];
    const alerts: string[] = [];
    const stateFile = join(dir, 'vms-watch.json');
    const w = startVmWatchdog({
      vms: [vm], runner: createLocalRunner(), stateFile,
      async recover(v, action) { recoveries.push(`${v.name}:${action}`); server = await listen(port); return { ok: true, message: 'restarted' }; },
      alert: (_n, m) => alerts.push(m),
    });
    try {
      await until(() => w.states().g1!.phase === 'ok');
      await close(server);
      await until(() => w.states().g1!.phase === 'cooldown');
      expect(recoveries).toEqual(['g1:restart']);
      await until(() => w.states().g1!.beats >= 2);
      await close(server);
      await until(() => w.states().g1!.phase === 'failed');
      await new Promise((r) => setTimeout(r, 2500));
      expect(recoveries).toEqual(['g1:restart']);
      expect(alerts.at(-1)).toMatch(/failed again \d+ s after restart \(cooldown 60 s\)/);
      await w.flushed();
      const file = parseHeartbeatFile(readFileSync(stateFile, 'utf8'))!;
      expect(file.vms.g1).toMatchObject({ state: 'failed', kind: 'tcp', missLimit: 2, lastRecovery: { action: 'restart', outcome: 'ok: restarted' }, why: expect.stringMatching(/^failed again \d+ s after restart/) });
    } finally { w.stop(); }
  }, 30_000);
});

describe('the state file is written when the story changes, or at most every 30 s for beats', () => {
  /** each event's state through stepWatch, then whether the runtime writes, with the clock it would have */
  function writes(events: Ev[]): { phase: string; why?: string; wrote: boolean }[] {
    let s = initialWatch();
    let t = 0;
    let last: { at: number; stories: string[] } | undefined = { at: 0, stories: [storyOf(s)] };
    return events.map((e) => {
      t += e.dt ?? 10_000;
      s = stepWatch(P, s, { ...e, at: t } as WatchEvent).state;
      const stories = [storyOf(s)];
      const wrote = writeDue(last, stories, t);
      if (wrote) last = { at: t, stories };
      return { phase: s.phase, ...(whyOf(s) !== undefined ? { why: whyOf(s)! } : {}), wrote };
    });
  }
  it('beats in a steady phase skip the write until 30 s have passed; a miss, a recovery and failed write at once, with why', () => {
    const r = writes([beat, beat, beat, beat, miss, miss, miss, { kind: 'recovered', ok: false, message: 'no start argv' }, beat, beat]);
    expect(r.map((x) => x.wrote)).toEqual([true, false, false, true, true, true, true, true, true, false]);
    expect(r[4]).toEqual({ phase: 'missing', why: miss.why, wrote: true });
    expect(r[7]).toEqual({ phase: 'failed', why: 'revert:clean failed: no start argv', wrote: true });
    // a beat while failed keeps failed and its why (the operator decides); the misses going to 0 is written once
    expect(r[8]).toMatchObject({ phase: 'failed', why: 'revert:clean failed: no start argv' });
    expect(r[9]).toMatchObject({ phase: 'failed', why: 'revert:clean failed: no start argv', wrote: false });
    expect(writeDue(undefined, ['x'], 0)).toBe(true);
    expect(writeDue({ at: 0, stories: ['x'] }, ['x'], WRITE_EVERY_MS - 1)).toBe(false);
    expect(writeDue({ at: 0, stories: ['x'] }, ['x'], WRITE_EVERY_MS)).toBe(true);
  });
});

describe('the watchdog\'s recovery goes through the actions, the authority and the audit log', () => {
  it('revert:<snap> runs vm.revert (T2, confirmed by the declared policy) and is recorded as asked by the daemon; reimage needs a tripcode', async () => {
    const { createAuthority, initKey } = await import('../../src/recovery/authority.js');
    const { configSchema } = await import('../../src/config/schema.js');
    const { createDemoRunner } = await import('../../src/runner/demo.js');
    const { omniDemo } = await import('../../src/demo/omni/index.js');
    const { recoverThroughActions } = await import('../../src/vms/watch-recover.js');
    const stateDir = mkdtempSync(`/tmp/sov-watch-auth-${process.pid}-`);
    try {
      initKey(stateDir);
      const authority = createAuthority({ stateDir });
      const config = configSchema.parse({ vms: [{ name: 'workstation_agent', ssh: 'agent-ws', heartbeat: { ssh: ['true'] }, watchdog: { policy: 'revert:provisioned' } }] });
      const lines: string[] = [];
      const recover = recoverThroughActions({ config, runner: createDemoRunner(omniDemo), recovery: authority, who: { uid: 0, user: 'root', via: 'daemon' }, output: (vm, l) => lines.push(`${vm}: ${l}`) });
      const ok = await recover(config.vms[0]!, 'revert:provisioned');
      expect(ok).toEqual({ ok: true, message: expect.stringMatching(/^workstation_agent reverted to provisioned \(the state before is kept as sov-before-revert-\d{8}-\d{6}\)$/) });
      expect(lines).toContain('workstation_agent: $ virsh snapshot-revert workstation_agent provisioned');
      const audit = JSON.stringify(await authority.recent(10));
      expect(audit).toContain('"vm.revert"');
      expect(audit).toContain('"daemon"');
      const no = await recover(config.vms[0]!, 'reimage');
      expect(no).toMatchObject({ ok: false, message: expect.stringContaining('needs a tripcode') });
      authority.close();
    } finally { rmSync(stateDir, { recursive: true, force: true }); }
  });
});
