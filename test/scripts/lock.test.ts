// One run of a script at a time across sov processes: a real second process holds the lock; stale locks (their
// sov is gone) are taken over; a vanished lock file or an unusable directory never stops a run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStat } from '../../src/daemon/procfs.js';
import { acquireLock, lockFileName } from '../../src/scripts/lock.js';
import { busyReason, runScript } from '../../src/scripts/run.js';
import { repoRoot } from '../helpers/samples.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), `sov-script-locks-${process.pid}-`)); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const lock = () => ({ dir: join(dir, 'locks'), id: 'same-script' });

describe('script locks', () => {
  it('a run in another sov process refuses this one, naming it; after it ends the lock is free', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'scripts', 'lock-holder.ts'), lock().dir, 'chore', '1.5'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    const ended = new Promise<void>((r) => child.once('exit', () => r()));
    const until = Date.now() + 15_000;
    while (!out.includes('running') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('running');
    const why = new RegExp(`^chore is already running since \\d\\d:\\d\\d:\\d\\d \\(from another sov, pid ${child.pid}\\)$`);
    expect(busyReason('chore', lock())).toMatch(why);
    expect(busyReason('chore')).toBeUndefined(); // without the lock: this process alone
    const refused = await runScript({ key: 'chore', lock: lock(), argv: ['sh', '-c', `touch ${join(dir, 'ran')}`], timeoutMs: 5000 });
    expect(refused).toMatchObject({ busy: true, error: expect.stringMatching(why) });
    expect(refused.pid).toBeUndefined();
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    await ended;
    expect(out).toContain('done 0');
    expect(await readdir(lock().dir)).toEqual([]);
    expect((await runScript({ key: 'chore', lock: lock(), argv: ['true'], timeoutMs: 5000 })).exitCode).toBe(0);
  }, 30_000);

  it('a stale lock (its sov died) is taken over; a half-written fresh one is respected', async () => {
    const l = lock();
    const file = join(l.dir, lockFileName('stale', l.id));
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    await mkdir(l.dir, { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify({ pid: dead.pid, startTime: '1', since: Date.now() - 60_000 }));
    expect(busyReason('stale', l)).toBeUndefined();
    const o = await runScript({ key: 'stale', lock: l, argv: ['true'], timeoutMs: 5000 });
    expect(o.exitCode).toBe(0);
    expect(existsSync(file)).toBe(false);
    // a live holder with another start time is a reused pid: stale too
    await writeFile(file, JSON.stringify({ pid: process.ppid, startTime: `${readStat(process.ppid)?.startTime}9`, since: Date.now() }));
    expect((await runScript({ key: 'stale', lock: l, argv: ['true'], timeoutMs: 5000 })).exitCode).toBe(0);
    await writeFile(file, '');
    expect(acquireLock(l, 'stale')).toMatchObject({ ok: false, reason: 'stale is being started by another sov' });
    await rm(file);
  });

  it('a lock file that vanishes mid-run, or a directory that cannot be used, never stops a run', async () => {
    const l = lock();
    const p = runScript({ key: 'vanish', lock: l, argv: ['sleep', '0.3'], timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await rm(join(l.dir, lockFileName('vanish', l.id)));
    expect(busyReason('vanish', l)).toMatch(/^vanish is already running since/); // the in-process guard stays
    expect((await p).exitCode).toBe(0);
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    const o = await runScript({ key: 'nodir', lock: { dir: join(blocker, 'locks') }, argv: ['true'], timeoutMs: 5000 });
    expect(o.exitCode).toBe(0);
    expect(o.note).toMatch(/^no guard against a run from another sov: /);
  });
});
