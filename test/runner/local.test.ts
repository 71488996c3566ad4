import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gone } from '../helpers/proc.js';
import { CLOSE_GRACE_MS, createLocalRunner, killAllChildren, liveChildGroups } from '../../src/runner/local.js';

const pidsIn = (file: string): number[] => (existsSync(file) ? readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number) : []);

let dirs: string[] = [];
let escaped: number[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sov-runner-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  // only what these tests started, by pid
  for (const p of escaped) { try { process.kill(p, 'SIGKILL'); } catch {} }
  escaped = [];
  killAllChildren();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('local runner: process groups and deadlines', () => {
  it('a tool whose child keeps stdout open answers at once; the child goes with it', async () => {
    const d = tmp();
    const pf = join(d, 'pids');
    const r = createLocalRunner();
    const t0 = performance.now();
    const res = await r.run(['/bin/sh', '-c', `/bin/sleep 1000 & echo $! > ${pf}; echo partial`], { timeoutMs: 10_000 });
    const tookMs = performance.now() - t0;
    expect(res.stdout).toBe('partial\n');
    expect(res.exitCode).toBe(0);
    expect(res.timedOut).toBe(false);
    expect(tookMs).toBeLessThan(3000);
    const [sleeper] = pidsIn(pf);
    expect(sleeper).toBeGreaterThan(1);
    expect(await gone([sleeper!])).toEqual([]);
    expect(liveChildGroups()).toEqual([]);
  });

  it('a tool that hangs is killed at its deadline with its whole group, and says it timed out', async () => {
    const d = tmp();
    const pf = join(d, 'pids');
    const r = createLocalRunner();
    const t0 = performance.now();
    const res = await r.run(['/bin/sh', '-c', `/bin/sleep 1000 & echo $! $$ > ${pf}; echo partial; /bin/sleep 1000`], { timeoutMs: 400 });
    const tookMs = performance.now() - t0;
    expect(res.timedOut).toBe(true);
    expect(res.stdout).toBe('partial\n');
    expect(tookMs).toBeGreaterThanOrEqual(390);
    expect(tookMs).toBeLessThan(400 + CLOSE_GRACE_MS + 1500);
    const pids = pidsIn(pf);
    expect(pids).toHaveLength(2);
    expect(await gone(pids)).toEqual([]);
  });

  it('cancelled (ctrl+c on a running action): the whole group is killed at once, long before its deadline, and the result says so', async () => {
    const d = tmp();
    const pf = join(d, 'pids');
    const r = createLocalRunner();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const res = await r.run(['/bin/sh', '-c', `/bin/sleep 1000 & echo $! $$ > ${pf}; echo partial; /bin/sleep 1000`], { timeoutMs: 60_000, signal: ac.signal });
    expect(res).toMatchObject({ cancelled: true, timedOut: false, stdout: 'partial\n' });
    const pids = pidsIn(pf);
    expect(pids).toHaveLength(2);
    expect(await gone(pids)).toEqual([]);
    // aborted before it starts: it never runs
    const again = await r.run(['/bin/sh', '-c', `echo ran > ${join(d, 'ran')}`], { signal: ac.signal });
    expect(again.cancelled).toBe(true);
    expect(existsSync(join(d, 'ran'))).toBe(false);
  });

  it('a child that escaped the group (setsid) and holds the pipe cannot hold the answer past deadline + grace', async () => {
    const d = tmp();
    const pf = join(d, 'pids');
    const r = createLocalRunner();
    const t0 = performance.now();
    const res = await r.run(['/bin/sh', '-c', `setsid /bin/sh -c 'echo $$ > ${pf}; exec /bin/sleep 1000' & echo out; /bin/sleep 1000`], { timeoutMs: 300 });
    const tookMs = performance.now() - t0;
    escaped = pidsIn(pf);
    expect(escaped).toHaveLength(1);
    expect(res.timedOut).toBe(true);
    expect(res.stdout).toBe('out\n');
    expect(tookMs).toBeLessThan(300 + CLOSE_GRACE_MS + 1500);
  });

  it('a missing program is notFound; a file that is not executable is a spawn error', async () => {
    const d = tmp();
    const r = createLocalRunner();
    const missing = await r.run([join(d, 'nope')]);
    expect(missing).toMatchObject({ notFound: true, exitCode: null, timedOut: false });
    const f = join(d, 'not-exec');
    writeFileSync(f, 'echo hi\n');
    chmodSync(f, 0o644);
    const bad = await r.run([f]);
    expect(bad.notFound).toBe(false);
    expect(bad.spawnError).toMatch(/EACCES/);
  });

  it('forces LC_ALL=C and passes the exit code and stderr', async () => {
    const r = createLocalRunner();
    const res = await r.run(['/bin/sh', '-c', 'echo "$LC_ALL" ; echo oops >&2; exit 3']);
    expect(res).toMatchObject({ exitCode: 3, stdout: 'C\n', stderr: 'oops\n' });
  });

  it('stream: lines as they come; stop() kills the whole group, and no onExit follows', async () => {
    const d = tmp();
    const pf = join(d, 'pids');
    const r = createLocalRunner();
    const lines: string[] = [];
    let exited = false;
    const h = r.stream(['/bin/sh', '-c', `/bin/sleep 1000 & echo $! $$ > ${pf}; while :; do echo tick; /bin/sleep 0.05; done`], {
      onLine: (l) => lines.push(l), onExit: () => { exited = true; },
    });
    const t0 = Date.now();
    while (lines.length < 3 && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 20));
    expect(lines.slice(0, 3)).toEqual(['tick', 'tick', 'tick']);
    const pids = pidsIn(pf);
    expect(pids).toHaveLength(2);
    h.stop();
    expect(await gone(pids)).toEqual([]);
    await new Promise((res) => setTimeout(res, 100));
    expect(exited).toBe(false);
  });

  it('stream: a leader that exits takes its background children with it and reports the exit', async () => {
    const d = tmp();
    const pf = join(d, 'pids');
    const r = createLocalRunner();
    const exit = await new Promise<{ code: number | null; lines: string[] }>((resolve) => {
      const lines: string[] = [];
      r.stream(['/bin/sh', '-c', `/bin/sleep 1000 & echo $! > ${pf}; echo one; echo bad >&2; exit 4`], {
        onLine: (l) => lines.push(l), onExit: (e) => resolve({ code: e.exitCode, lines }),
      });
    });
    expect(exit).toEqual({ code: 4, lines: ['one'] });
    expect(await gone(pidsIn(pf))).toEqual([]);
  });

  it('killAllChildren ends every running group (what the exit hook runs)', async () => {
    const d = tmp();
    const r = createLocalRunner();
    const files = [join(d, 'a'), join(d, 'b')];
    r.stream(['/bin/sh', '-c', `echo $$ > ${files[0]}; exec /bin/sleep 1000`], { onLine: () => {}, onExit: () => {} });
    const running = r.run(['/bin/sh', '-c', `echo $$ > ${files[1]}; exec /bin/sleep 1000`], { timeoutMs: 60_000 });
    const t0 = Date.now();
    while (files.some((f) => pidsIn(f).length === 0) && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 20));
    const pids = files.flatMap(pidsIn);
    expect(pids).toHaveLength(2);
    expect(liveChildGroups().sort()).toEqual([...pids].sort());
    expect(killAllChildren()).toBe(2);
    expect(await gone(pids)).toEqual([]);
    const res = await running;
    expect(res.exitCode).toBeNull();
  });

  it('a process that uses the runner and exits leaves nothing behind (the exit hook)', () => {
    const d = tmp();
    const pf = join(d, 'pids');
    const script = join(d, 'use-runner.ts');
    writeFileSync(script, [
      "import { readFileSync } from 'node:fs';",
      `import { createLocalRunner } from ${JSON.stringify(join(process.cwd(), 'src/runner/local.ts'))};`,
      `createLocalRunner().stream(['/bin/sh', '-c', 'echo $$ > ${pf}; exec /bin/sleep 1000'], { onLine() {}, onExit() {} });`,
      `const t = setInterval(() => { try { if (readFileSync('${pf}', 'utf8').trim()) { clearInterval(t); process.exit(0); } } catch {} }, 20);`,
    ].join('\n'));
    const res = spawnSync(process.execPath, ['--import', 'tsx', script], { timeout: 20_000, encoding: 'utf8' });
    expect(res.status).toBe(0);
    const [pid] = pidsIn(pf);
    expect(pid).toBeGreaterThan(1);
    return gone([pid!]).then((left) => expect(left).toEqual([]));
  });

  /** a process that runs a sleeping tool through the runner, with `extra` code, until it is signalled */
  async function signalled(sig: NodeJS.Signals, extra = ''): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; tool: number }> {
    const d = tmp();
    const pf = join(d, 'pids');
    const script = join(d, 'use-runner.ts');
    writeFileSync(script, [
      `import { createLocalRunner } from ${JSON.stringify(join(process.cwd(), 'src/runner/local.ts'))};`,
      extra,
      `void createLocalRunner().run(['/bin/sh', '-c', 'echo $$ > ${pf}; exec /bin/sleep 1000'], { timeoutMs: 60_000 });`,
      // run() has spawned and tracked the group (its guard installed) by the time it returns: only then is it signalled
      "process.stdout.write('tracked\\n');",
      'setInterval(() => {}, 1000);',
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const t0 = Date.now();
    while ((pidsIn(pf).length === 0 || !out.includes('tracked\n')) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    const [tool] = pidsIn(pf);
    expect(tool).toBeGreaterThan(1);
    escaped.push(tool!);
    child.kill(sig);
    const e = await exited;
    return { ...e, out, tool: tool! };
  }

  it.each([['SIGHUP', 129], ['SIGINT', 130], ['SIGTERM', 143]] as const)('a %s that nothing else handles kills the groups, then exits %i (a signal death skipped the exit hook)', async (sig, code) => {
    const r = await signalled(sig);
    expect(r.code).toBe(code);
    expect(await gone([r.tool])).toEqual([]);
  });

  it('a signal the command handles is left to it (the guard neither exits nor kills)', async () => {
    const r = await signalled('SIGHUP', "process.on('SIGHUP', () => { process.stdout.write('handled\\n'); setTimeout(() => process.exit(7), 300); });");
    expect(r.code).toBe(7);
    expect(r.out).toBe('tracked\nhandled\n');
    expect(await gone([r.tool])).toEqual([]); // then the exit hook
  });
});
