/**
 * The ZFS recovery actions against a REAL ZFS: a zfs-fuse daemon this test starts (and alone stops, by its pid),
 * pools on sparse files in a temp dir, each action through prepare()/perform() with the local runner and the real
 * authority (a temp state dir, a real tripcode key): scrub start, snapshot, rollback with a tripcode (the state it
 * rolled back from kept, with its pre-rollback snapshot), a snapshot refused on a nearly full pool; and `sov do`
 * (the built binary) running the scrub through a daemon it starts in a temp HOME, stopped by this test.
 * Needs root, /dev/fuse and the zfs-fuse package (.ci/run installs it). A zfs-fuse daemon already running is used
 * and never stopped; only this test's uniquely named pools are destroyed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useZfsFuse, type ZfsFuse } from '../helpers/zfs-fuse.js';
import { readSamples } from '../../src/actions/readings.js';
import { ZFS_ACTIONS, zfsSnapshot } from '../../src/actions/zfs.js';
import { zfsRollback } from '../../src/actions/zfs-rollback.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { createAuthority } from '../../src/recovery/authority.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';
import { createLocalRunner } from '../../src/runner/local.js';
import { SOV } from './tmux.js';

const execAsync = promisify(execFile);
const PATH = `/usr/local/sbin:/usr/sbin:/sbin:${process.env.PATH ?? '/usr/bin:/bin'}`;
const env = { ...process.env, PATH, LC_ALL: 'C' };
const MiB = 1024 * 1024;
const tag = `${process.pid}${Date.now() % 100000}`;
const POOL = `sova${tag}`;
const FULL = `sovf${tag}`;

let dir = '';
let zfs: ZfsFuse | undefined;
let fillStop = '';
const created: string[] = [];
const runner = createLocalRunner({ env: { PATH } });
let stateDir = '';
let recovery: ReturnType<typeof createAuthority>;

function sh(argv: string[], timeout = 30_000): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const x = e as { status?: number; stderr?: string };
    throw new Error(`${argv.join(' ')} failed (exit ${x.status}): ${x.stderr ?? ''}`);
  }
}

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; zfs-fuse said:\n${zfs?.log() ?? ''}`);
}

function sparse(name: string, bytes: number): string {
  const p = join(dir, name);
  const fd = openSync(p, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return p;
}

const mnt = (...p: string[]) => join(dir, 'mnt', ...p);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sov-zfs-act-e2e-'));
  // one file at a time uses zfs-fuse (test/helpers/zfs-fuse.ts): no other file's daemon ends under our pools
  zfs = await useZfsFuse(dir, env);
  mkdirSync(mnt());
  sh(['zpool', 'create', '-o', 'cachefile=none', '-m', mnt(POOL), POOL, 'mirror', sparse('a1.img', 192 * MiB), sparse('a2.img', 192 * MiB)]);
  created.push(POOL);
  sh(['zfs', 'create', `${POOL}/data`]);
  await waitFor('the dataset mount', () => existsSync(mnt(POOL, 'data')), 10_000);
  writeFileSync(mnt(POOL, 'data', 'v1.txt'), 'first\n');
  sh(['zfs', 'snapshot', `${POOL}/data@s1`]);
  writeFileSync(mnt(POOL, 'data', 'v2.txt'), 'second\n');
  sh(['zfs', 'snapshot', `${POOL}/data@s2`]);
  writeFileSync(mnt(POOL, 'data', 'v3.txt'), 'third\n');
  // a pool made nearly full: write until it refuses
  sh(['zpool', 'create', '-o', 'cachefile=none', '-m', mnt(FULL), FULL, sparse('f1.img', 96 * MiB)]);
  created.push(FULL);
  sh(['zfs', 'create', `${FULL}/data`]);
  await waitFor('the full pool mount', () => existsSync(mnt(FULL, 'data')), 10_000);
  const chunk = randomBytes(4 * MiB);
  for (let i = 0; i < 40; i++) { try { writeFileSync(mnt(FULL, 'data', `fill${i}`), chunk); } catch (e) { fillStop = `${i}: ${(e as Error).message}`; break; } }
  sh(['sync']);
  stateDir = join(dir, 'state');
  recovery = createAuthority({ stateDir });
}, 300_000);

afterAll(async () => {
  recovery?.close();
  for (const p of created.reverse()) {
    // unmount our datasets first, deepest first: zfs-fuse calls a pool with renamed datasets busy otherwise
    try {
      const ds = execFileSync('zfs', ['list', '-H', '-o', 'name', '-r', p], { env, encoding: 'utf8', timeout: 10_000 }).split('\n').filter(Boolean).reverse();
      for (const d of ds) { try { execFileSync('zfs', ['umount', '-f', d], { env, stdio: 'ignore', timeout: 10_000 }); } catch {} }
    } catch {}
    try { execFileSync('zpool', ['destroy', '-f', p], { env, stdio: 'ignore', timeout: 30_000 }); } catch { /* best effort */ }
  }
  await zfs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

async function ctxOf(args: Record<string, string>): Promise<ActionCtx> {
  return { readOnly: false, setLogs: () => {}, runner, host: runner.host, samples: await readSamples(runner), recovery, who: { uid: 0, user: 'root', via: 'cli' }, args };
}
const key = () => { const k = readKey(join(stateDir, 'tripcode.key')); if (!k.ok) throw new Error(k.reason); return k.key; };
const snapshots = () => sh(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation']).trim().split('\n');
const audit = () => readFileSync(join(stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('zfs recovery actions on a real zfs-fuse', () => {
  it('scrub start: zfs-fuse finishes a small pool at once; the postcondition sees the new scrub', async () => {
    const p = await prepare(ZFS_ACTIONS[0]!, await ctxOf({ pool: POOL }));
    expect(p.checks.map((c) => `${c.name}:${c.state}`)).toEqual(['pool name:pass', 'zfs source:pass', 'pool exists:pass', 'scan state:pass']);
    expect(p.checks[1]!.detail).toMatch(/^zfs-fuse, /);
    const r = await perform(p, { kind: 'yes' });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(r.post[0]).toMatchObject({ name: 'scrub running', state: 'pass' });
    expect(sh(['zpool', 'status', POOL])).toMatch(/scrub: scrub (completed|in progress)/);
    expect(audit().slice(-2).map((e) => [e.kind, e.action])).toEqual([['begin', 'zfs.scrub.start'], ['end', 'zfs.scrub.start']]);
  }, 60_000);

  it('scrub pause is refused on zfs-fuse, saying why', async () => {
    const p = await prepare(ZFS_ACTIONS[1]!, await ctxOf({ pool: POOL }));
    expect(p.refused?.reason).toMatch(/zfs-fuse cannot pause a scrub/);
  }, 60_000);

  it('snapshot: taken and listed', async () => {
    const r = await perform(await prepare(zfsSnapshot, await ctxOf({ dataset: `${POOL}/data`, name: 'by-sov' })), { kind: 'yes' });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(r.post).toEqual([{ name: 'snapshot exists', state: 'pass', detail: `${POOL}/data@by-sov` }]);
    expect(snapshots()).toContain(`${POOL}/data@by-sov`);
  }, 60_000);

  it('rollback with a tripcode: the data is as it was at s1, the state before is kept with its pre-rollback snapshot', async () => {
    const target = `${POOL}/data@s1`;
    const p = await prepare(zfsRollback, await ctxOf({ snapshot: target }));
    expect(p.refused, p.refused?.reason).toBeUndefined();
    expect(p.dryRun).toMatch(/zfs snapshot .*@sov-pre-rollback-\d{8}T\d{6}Z/);
    const refused = await perform(p, { kind: 'yes' });
    expect(refused.refusal?.code).toBe('confirmation');
    const payload = sign(key(), `RECOVERY:REVERT_SNAPSHOT::${target}`, Math.floor(Date.now() / 1000));
    const r = await perform(p, { kind: 'tripcode', payload });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(r.post.map((c) => c.state)).toEqual(['pass', 'pass']);
    expect(readdirSync(mnt(POOL, 'data')).sort()).toEqual(['v1.txt']);
    const m = /kept at (\S+) \(snapshot (\S+)\)/.exec(r.result.message ?? '');
    const [keptAt, pre] = [m?.[1] ?? '?', m?.[2] ?? '?'];
    const list = snapshots();
    expect(list).toContain(pre);
    expect(pre).toMatch(new RegExp(`^${POOL}/data-sov-pre-rollback-\\d{8}T\\d{6}Z@sov-pre-rollback-\\d{8}T\\d{6}Z$`));
    expect(list).toContain(target);
    expect(list).toContain(`${keptAt}@s2`);
    expect(readdirSync(mnt(POOL, keptAt.split('/')[1] ?? '?')).sort()).toEqual(['v1.txt', 'v2.txt', 'v3.txt']);
    expect(audit().at(-1)).toMatchObject({ kind: 'end', action: 'zfs.rollback', outcome: 'ok' });
    // the same tripcode cannot be used twice. The set-aside name is stamped to the second: a second rollback within
    // the same second is refused first for 'names free' (the keep exists), so this one starts in the next second
    await new Promise((r) => setTimeout(r, 1100));
    const again = await perform(await prepare(zfsRollback, await ctxOf({ snapshot: target })), { kind: 'tripcode', payload });
    expect(again.refusal?.code, JSON.stringify(again.refusal)).toBe('tripcode-replayed');
  }, 120_000);

  it('a snapshot on a nearly full pool is refused with the evidence, and nothing is taken', async () => {
    const before = snapshots();
    const p = await prepare(zfsSnapshot, await ctxOf({ dataset: `${FULL}/data`, name: 'nope' }));
    expect(p.refused, `${JSON.stringify(p.checks)}\n${sh(['zpool', 'list', '-H', FULL])}\n${sh(['zfs', 'list', '-H', '-o', 'name,used,avail', '-r', FULL])}\nfill stopped at ${fillStop}`).toBeDefined();
    expect(p.refused?.reason, JSON.stringify(p.checks)).toMatch(new RegExp(`disk headroom: ${FULL}/data can use \\d+\\.\\d % of ${FULL} \\(≥ 10 % needed\\)`));
    const r = await perform(p, { kind: 'yes' });
    expect(r.outcome).toBe('refused');
    expect(snapshots()).toEqual(before);
    expect(audit().at(-1)).toMatchObject({ kind: 'refused', code: 'precondition' });
  }, 60_000);

  it('sov do (the built binary) scrubs, and rolls back with a tripcode from sov tripcode sign, through the daemon it starts', async () => {
    if (!existsSync(SOV)) throw new Error(`${SOV} is missing: run npm run build first`);
    const home = join(dir, 'home');
    mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
    const henv = { ...env, HOME: home, XDG_RUNTIME_DIR: join(home, 'run'), XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'config') };
    try {
      const { stdout } = await execAsync(process.execPath, [SOV, 'do', 'zfs.scrub.start', '--arg', `pool=${POOL}`, '--json'], { env: henv, timeout: 90_000 });
      const doc = JSON.parse(stdout) as { outcome: string; post: { state: string }[]; auditId?: string };
      expect(doc.outcome).toBe('ok');
      expect(doc.post.map((c) => c.state)).toEqual(['pass']);
      expect(doc.auditId).toBeDefined();
      const ls = await execAsync(process.execPath, [SOV, 'audit', 'ls', '--json'], { env: henv, timeout: 30_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
      expect(ls.stdout).toContain('zfs.scrub.start');
      // a rollback through sov do with a tripcode signed by sov tripcode sign (the daemon's key)
      sh(['zfs', 'snapshot', `${POOL}/data@cli1`]);
      writeFileSync(mnt(POOL, 'data', 'v4.txt'), 'fourth\n');
      const code = `RECOVERY:REVERT_SNAPSHOT::${POOL}/data@cli1`;
      const payload = (await execAsync(process.execPath, [SOV, 'tripcode', 'sign', code], { env: henv, timeout: 30_000 })).stdout.trim();
      expect(payload).toMatch(new RegExp(`^\\d+\\|${code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\|`));
      const rb = await execAsync(process.execPath, [SOV, 'do', 'zfs.rollback', '--arg', `snapshot=${POOL}/data@cli1`, '--tripcode', payload, '--json'], { env: henv, timeout: 90_000 })
        .catch((e: { stdout?: string; stderr?: string }) => { throw new Error(`sov do zfs.rollback failed: ${e.stderr}\n${e.stdout}`); });
      const rdoc = JSON.parse(rb.stdout) as { outcome: string; post: { state: string }[] };
      expect(rdoc.outcome).toBe('ok');
      expect(rdoc.post.map((c) => c.state)).toEqual(['pass', 'pass']);
      expect(readdirSync(mnt(POOL, 'data')).sort()).toEqual(['v1.txt']);
    } finally {
      // the daemon sov do started: asked to stop, then, if its pid file still names a live process, ended by that pid
      const pidFile = join(home, 'run', 'sov', 'sovd.pid');
      let pid: number | undefined;
      try { pid = (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid?: number }).pid; } catch {}
      await execAsync(process.execPath, [SOV, 'daemon', 'stop'], { env: henv, timeout: 30_000 }).catch(() => {});
      if (pid !== undefined && pid !== process.pid) {
        await new Promise((r) => setTimeout(r, 500));
        let cmd = '';
        try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* gone, as it should be */ }
        if (cmd.includes(SOV) && cmd.includes('daemon')) { try { process.kill(pid, 'SIGTERM'); } catch {} }
      }
    }
  }, 150_000);
});
