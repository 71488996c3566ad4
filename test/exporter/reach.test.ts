/** Per-host reachability (sov_host_up, sov_host_check_duration_seconds): the rule, the checker's cadence and deadline. */
import { describe, expect, it, vi } from 'vitest';
import type { Runner, RunResult } from '../../backends/types.js';
import { buildFamilies } from '../../src/exporter/metrics.js';
import { createReachability, reachOf } from '../../src/exporter/reach.js';
import { one } from './helpers.js';

const result = (over: Partial<RunResult>): RunResult => ({ argv: ['true'], exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false, ...over });

/** a runner whose `run` answers what `answer` says, recording each argv and deadline */
function fakeRunner(host: string, answer: () => RunResult | Promise<RunResult>) {
  const calls: { argv: string[]; timeoutMs?: number }[] = [];
  const runner = {
    host, now: () => Date.now(),
    run: async (argv: string[], o?: { timeoutMs?: number }) => { calls.push({ argv, ...(o?.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) }); return answer(); },
    stream: () => { throw new Error('not used'); }, readFile: async () => undefined, listDir: async () => undefined,
  } as unknown as Runner;
  return { runner, calls };
}

/** until `ok` holds (a loaded CI machine delays timers; the cadence is what is checked, not its speed) */
const until = (ok: () => boolean) => vi.waitFor(() => { if (!ok()) throw new Error('not yet'); }, { timeout: 5000, interval: 10 });

describe('host reachability', () => {
  it('up unless ssh itself failed (exit 255) or the check ran past its deadline; the far side\'s own answer does not matter', () => {
    expect(reachOf('box', result({}), 0.02)).toEqual({ host: 'box', up: true, seconds: 0.02 });
    expect(reachOf('box', result({ exitCode: 127, stderr: 'sh: true: not found' }), 0.1).up).toBe(true);
    expect(reachOf('box', result({ exitCode: 255, stderr: 'ssh: connect to host 127.0.0.1 port 1: Connection refused\n' }), 0.1))
      .toEqual({ host: 'box', up: false, seconds: 0.1, message: 'ssh box: ssh: connect to host 127.0.0.1 port 1: Connection refused' });
    expect(reachOf('box', result({ exitCode: null, timedOut: true }), 10)).toMatchObject({ up: false, message: 'ssh box: no answer within 10.0 s' });
    expect(reachOf('box', result({ exitCode: null, notFound: true }), 0)).toMatchObject({ up: false, message: 'ssh not found on PATH (install openssh-client)' });
  });

  it('checks every host at once, then on its cadence with `true` and the deadline; one in flight per host; a throwing runner is down', async () => {
    let answer: RunResult = result({});
    const ok = fakeRunner('a', () => answer);
    let release: (() => void) | undefined;
    const slow = fakeRunner('b', () => new Promise<RunResult>((r) => { release = () => r(result({})); }));
    const broken = fakeRunner('c', () => { throw new Error('spawn EMFILE'); });
    const reach = createReachability({ hosts: [{ name: 'a', runner: ok.runner }, { name: 'b', runner: slow.runner }, { name: 'c', runner: broken.runner }], everyMs: 40, timeoutMs: 7000 });
    try {
      await until(() => reach.latest().length === 2);
      expect(reach.latest().map((h) => [h.host, h.up])).toEqual([['a', true], ['c', false]]);
      expect(reach.latest()[1]!.message).toBe('ssh c: spawn EMFILE');
      expect(ok.calls[0]).toEqual({ argv: ['true'], timeoutMs: 7000 });
      answer = result({ exitCode: 255, stderr: 'Connection closed by 127.0.0.1 port 2222' });
      await until(() => ok.calls.length >= 3);
      // a: checked again on the cadence, and now down; b: still its first check (never two at once)
      expect(slow.calls.length).toBe(1);
      expect(reach.latest().find((h) => h.host === 'a')).toMatchObject({ up: false, message: 'ssh a: Connection closed by 127.0.0.1 port 2222' });
      release!();
      await until(() => reach.latest().length === 3);
      expect(reach.latest().map((h) => h.host)).toEqual(['a', 'b', 'c']);
    } finally { reach.stop(); }
    const n = ok.calls.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(ok.calls.length).toBe(n);
  });

  it('→ sov_host_up and sov_host_check_duration_seconds per host; none without hosts', () => {
    const f = buildFamilies({ samples: {}, host: 'omni', hosts: [{ host: 'vault', up: true, seconds: 0.012 }, { host: 'forge', up: false, seconds: 10, message: 'x' }] });
    expect(one(f, 'sov_host_up', { host: 'vault' })).toBe(1);
    expect(one(f, 'sov_host_up', { host: 'forge' })).toBe(0);
    expect(one(f, 'sov_host_check_duration_seconds', { host: 'forge' })).toBe(10);
    expect(buildFamilies({ samples: {}, host: 'omni' }).has('sov_host_up')).toBe(false);
  });
});
