// The script runner with real processes: exit codes, sanitised output, deadlines and cancel that end the whole
// process group (checked by pid), one run at a time, bounded output, the exit hook.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyReason, killAll, outcomeSummary, runScript, runningSince, type ScriptRun } from '../../src/scripts/run.js';
import { gone } from '../helpers/proc.js';
import { repoRoot } from '../helpers/samples.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), `sov-scripts-${process.pid}-`)); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
const key = () => `t${process.pid}-${n++}`;
const run = (argv: string[], o: Partial<ScriptRun> = {}) => runScript({ key: key(), argv, timeoutMs: 10_000, ...o });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** the pids a script printed (one per line) */
const pidsIn = (lines: string[]) => lines.filter((l) => /^\d+$/.test(l)).map(Number);

describe('runScript', () => {
  it('reports the exit code, both streams line by line, and a one-line summary', async () => {
    const seen: string[] = [];
    const o = await run(['sh', '-c', 'echo one; echo two >&2; printf "no newline"; exit 3'], { onLine: (l) => seen.push(l) });
    expect(o.exitCode).toBe(3);
    expect(o.signal).toBeNull();
    expect(o.timedOut || o.cancelled).toBe(false);
    expect(seen.sort()).toEqual(['no newline', 'one', 'two']);
    expect(o.lines).toBe(3);
    expect(outcomeSummary(o)).toMatch(/^exit 3 in \d+\.\d s, 3 lines$/);
    const ok = await run(['true']);
    expect(ok.exitCode).toBe(0);
    expect(outcomeSummary(ok)).toMatch(/^exit 0 in \d+\.\d s, 0 lines$/);
  });

  it('runs with LC_ALL=C, its env and cwd, stdin closed, in its own process group', async () => {
    const o = await run(['sh', '-c', 'echo "$LC_ALL $FOO"; pwd; cat; ps -o pgid= -p $$ | tr -d " "; echo $$'], { env: { FOO: 'bar baz' }, cwd: dir });
    expect(o.exitCode).toBe(0);
    expect(o.tail[0]).toBe('C bar baz');
    expect(o.tail[1]).toBe(dir);
    // pgid == its own pid: detached into its own group (cat read /dev/null and ended at once)
    expect(o.tail[2]).toBe(String(o.pid));
    expect(o.tail[3]).toBe(String(o.pid));
  });

  it('strips CSI, OSC, C1 and bidi controls from every line; a progress bar shows its last state', async () => {
    const script = String.raw`printf '\033[31mred\033[0m \033[2J\033[3Jcleared\n'
printf 'title\033]0;pwned\007 link \033]8;;http://x\033\\here\033]8;;\033\\ end\n'
printf 'bidi \342\200\256evil\342\200\254 \342\201\246iso\342\201\251 mark\342\200\217\n'
printf 'bell\007 back\010 c1\302\233 31m done\n'
printf '10%%\r50%%\r100%%\r\n'
printf 'crlf\r\n'`;
    const o = await run(['sh', '-c', script]);
    expect(o.exitCode).toBe(0);
    for (const l of o.tail) expect(l).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(o.tail).toEqual([
      'red cleared',
      'title link here end',
      'bidi evil iso mark',
      'bell back c1 31m done', // the C1 CSI introducer is gone; what followed it is plain text
      '100%',
      'crlf',
    ]);
  });

  it('a deadline ends the whole group, grandchild included: SIGTERM first', async () => {
    const o = await run(['sh', '-c', 'sleep 100 & echo $!; sleep 100'], { timeoutMs: 500, graceMs: 1000 });
    expect(o.timedOut).toBe(true);
    expect(o.killed).toBe(false);
    expect(o.signal).toBe('SIGTERM');
    const pids = [o.pid!, ...pidsIn(o.tail)];
    expect(pids).toHaveLength(2);
    expect(await gone(pids)).toEqual([]);
    expect(o.durationMs).toBeGreaterThanOrEqual(450);
    expect(o.durationMs).toBeLessThan(2500);
    expect(outcomeSummary(o, 500)).toMatch(/^timed out after 0.5 s: SIGTERM to its process group, 1 line$/);
  });

  it('a group that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const o = await run(['sh', '-c', `trap '' TERM; sleep 100 & echo $!; while :; do sleep 0.05; done`], { timeoutMs: 300, graceMs: 400 });
    expect(o.timedOut).toBe(true);
    expect(o.killed).toBe(true);
    expect(o.signal).toBe('SIGKILL');
    expect(await gone([o.pid!, ...pidsIn(o.tail)])).toEqual([]);
    expect(outcomeSummary(o, 300)).toMatch(/SIGTERM to its process group, then SIGKILL/);
  });

  it('cancel (an AbortSignal) ends the group the same way; cancelled before start never spawns', async () => {
    const ac = new AbortController();
    const o = await run(['sh', '-c', 'sleep 100 & echo $!; sleep 100'], { signal: ac.signal, onLine: () => ac.abort() });
    expect(o.cancelled).toBe(true);
    expect(o.timedOut).toBe(false);
    expect(await gone([o.pid!, ...pidsIn(o.tail)])).toEqual([]);
    expect(outcomeSummary(o)).toMatch(/^cancelled after \d+\.\d s: SIGTERM to its process group, 1 line$/);
    const marker = join(dir, 'never');
    const pre = await run(['sh', '-c', `touch ${marker}`], { signal: AbortSignal.abort() });
    expect(pre.cancelled).toBe(true);
    expect(pre.pid).toBeUndefined();
    await expect(import('node:fs/promises').then((f) => f.access(marker))).rejects.toThrow();
  });

  it('processes left in its group when it exits are ended (no orphans)', async () => {
    const o = await run(['sh', '-c', 'sleep 100 & echo $!; exit 0'], { graceMs: 1000 });
    expect(o.exitCode).toBe(0);
    expect(o.leftovers).toBe(1);
    expect(await gone(pidsIn(o.tail))).toEqual([]);
    expect(outcomeSummary(o)).toMatch(/1 process it left behind ended/);
  });

  it('a process that left its group (setsid) and holds the output open is not waited for', async () => {
    const o = await run(['sh', '-c', 'setsid sleep 30 & echo $!; echo main done']);
    const escaped = pidsIn(o.tail);
    try {
      expect(o.exitCode).toBe(0);
      expect(o.durationMs).toBeLessThan(5000);
      expect(o.note).toBe('a process outside its process group still holds its output open: not waited for');
      expect(o.tail).toContain('main done');
    } finally {
      for (const p of escaped) try { process.kill(p, 'SIGKILL'); } catch {}
    }
  });

  it('one run per key at a time: a second is refused with "already running since"', async () => {
    const k = key();
    const first = runScript({ key: k, argv: ['sh', '-c', 'echo started; sleep 0.5'], timeoutMs: 10_000 });
    await sleep(100);
    expect(runningSince(k)?.pid).toBeGreaterThan(0);
    const second = await runScript({ key: k, argv: ['sh', '-c', 'echo second'], timeoutMs: 10_000 });
    expect(second.busy).toBe(true);
    expect(second.pid).toBeUndefined();
    expect(second.error).toMatch(new RegExp(`^${k} is already running since \\d\\d:\\d\\d:\\d\\d \\(pid \\d+\\)$`));
    expect((await first).exitCode).toBe(0);
    expect(busyReason(k)).toBeUndefined();
    expect((await runScript({ key: k, argv: ['true'], timeoutMs: 10_000 })).exitCode).toBe(0);
  });

  it('huge output stays bounded: the tail keeps the last lines, the rest is counted', async () => {
    const total = 100_000;
    let seen = 0;
    const o = await run(['sh', '-c', `seq 1 ${total}`], { onLine: () => { seen++; } });
    expect(o.exitCode).toBe(0);
    expect(seen).toBe(total);
    expect(o.lines).toBe(total);
    expect(o.tail).toHaveLength(2000);
    expect(o.droppedLines).toBe(total - 2000);
    expect(o.tail[0]).toBe(String(total - 1999));
    expect(o.tail.at(-1)).toBe(String(total));
    // one 8 MB line with no newline: cut into bounded pieces, the tail within its byte bound
    const big = await run(['sh', '-c', 'head -c 8000000 /dev/zero | tr "\\0" x'], { tail: { lines: 100, bytes: 64 * 1024 } });
    expect(big.exitCode).toBe(0);
    expect(big.lines).toBeGreaterThan(100);
    expect(Math.max(...big.tail.map((l) => l.length))).toBeLessThanOrEqual(4097);
    expect(big.tail.reduce((a, l) => a + l.length + 1, 0)).toBeLessThanOrEqual(64 * 1024);
    expect(big.droppedLines).toBe(big.lines - big.tail.length);
  });

  it('says clearly why it could not run: not found, not executable, no such cwd', async () => {
    const nf = await run(['sov-no-such-program-xyz']);
    expect(nf.pid).toBeUndefined();
    expect(nf.error).toBe('sov-no-such-program-xyz: not found on PATH');
    expect(outcomeSummary(nf)).toBe(nf.error);
    const file = join(dir, 'not-exec.sh');
    await writeFile(file, '#!/bin/sh\necho hi\n');
    await chmod(file, 0o644);
    expect((await run([file])).error).toBe(`${file}: permission denied (not executable?)`);
    expect((await run(['true'], { cwd: join(dir, 'gone') })).error).toBe(`cwd ${join(dir, 'gone')}: does not exist`);
    expect((await run(['nul\u0000byte'])).error).toMatch(/^cannot run/);
  });

  it('killAll ends every running group at once (SIGKILL)', async () => {
    const p = run(['sh', '-c', 'sleep 100 & echo $!; sleep 100']);
    await sleep(200);
    expect(killAll()).toBeGreaterThanOrEqual(1);
    const o = await p;
    expect(o.signal).toBe('SIGKILL');
    expect(await gone([o.pid!, ...pidsIn(o.tail)])).toEqual([]);
  });

  it("sov's exit kills the groups still running (the exit hook)", async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'scripts', 'exit-child.ts')], { cwd: repoRoot, timeout: 20_000 }, (err, stdout) => {
        if (err) reject(err); else resolve(String(stdout));
      });
    });
    const m = /^(\d+) (\d+)$/m.exec(out);
    expect(m, out).not.toBeNull();
    expect(await gone([Number(m![1]), Number(m![2])])).toEqual([]);
  });
});
