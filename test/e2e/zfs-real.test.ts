/**
 * The built `sov status --json --require zfs` against a REAL ZFS: a zfs-fuse daemon this test starts (and alone
 * stops, by its pid), two pools on sparse files in a temp dir, one of them degraded by `zpool offline`.
 * Needs root, /dev/fuse and the zfs-fuse package (.ci/run installs it). A zfs-fuse daemon that is already running
 * is used and never stopped; only this test's uniquely named pools are destroyed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useZfsFuse, type ZfsFuse } from '../helpers/zfs-fuse.js';
import { statusSchema } from '../../src/cli/schema.js';
import { SOV } from './tmux.js';

const run = promisify(execFile);
const PATH = `/usr/local/sbin:/usr/sbin:/sbin:${process.env.PATH ?? '/usr/bin:/bin'}`;
const env = { ...process.env, PATH, LC_ALL: 'C' };
const FILE_BYTES = 192 * 1024 * 1024;
const MiB = 1024 * 1024;

const tag = `${process.pid}${Date.now() % 100000}`;
const MIRROR = `sovm${tag}`;
const RAIDZ = `sovr${tag}`;

let dir = '';
let zfs: ZfsFuse | undefined;
const created: string[] = [];

function sh(argv: string[], timeout = 30_000): string {
  const [cmd, ...args] = argv;
  try {
    return execFileSync(cmd!, args, { env, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const x = e as { status?: number; stderr?: string; stdout?: string };
    throw new Error(`${argv.join(' ')} failed (exit ${x.status}): ${x.stderr ?? ''}${x.stdout ?? ''}`);
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

function sparse(name: string): string {
  const p = join(dir, name);
  const fd = openSync(p, 'w');
  ftruncateSync(fd, FILE_BYTES);
  closeSync(fd);
  return p;
}

beforeAll(async () => {
  if (!existsSync(SOV)) throw new Error(`${SOV} is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'sov-zfs-e2e-'));
  // one file at a time; a daemon already running is used as it is and never stopped (our pools have unique names)
  zfs = await useZfsFuse(dir, env);

  const [f1, f2, f3, f4, f5] = ['m1.img', 'm2.img', 'r1.img', 'r2.img', 'r3.img'].map(sparse) as [string, string, string, string, string];
  mkdirSync(join(dir, 'mnt'));
  sh(['zpool', 'create', '-o', 'cachefile=none', '-m', join(dir, 'mnt', MIRROR), MIRROR, 'mirror', f1, f2]);
  created.push(MIRROR);
  sh(['zpool', 'create', '-o', 'cachefile=none', '-m', join(dir, 'mnt', RAIDZ), RAIDZ, 'raidz', f3, f4, f5]);
  created.push(RAIDZ);
  sh(['zfs', 'create', `${MIRROR}/data`]);
  await waitFor('the dataset mount', () => existsSync(join(dir, 'mnt', MIRROR, 'data')), 10_000);
  writeFileSync(join(dir, 'mnt', MIRROR, 'data', 'blob.bin'), randomBytes(4 * MiB));
  sh(['sync']);
  sh(['zpool', 'offline', MIRROR, f2]);
}, 300_000);

afterAll(async () => {
  for (const p of created.reverse()) {
    try { execFileSync('zpool', ['destroy', '-f', p], { env, stdio: 'ignore', timeout: 30_000 }); } catch { /* best effort */ }
  }
  await zfs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

describe('sov status against a real zfs-fuse', () => {
  it('reports the degraded mirror, the offline file vdev and the healthy raidz', async () => {
    let stdout = '';
    let code = 0;
    try {
      stdout = (await run(process.execPath, [SOV, 'status', '--json', '--require', 'zfs'], { env, timeout: 60_000 })).stdout;
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      code = x.code; stdout = x.stdout;
      throw new Error(`sov status exited ${code}: ${x.stderr}\n${x.stdout.slice(0, 2000)}`);
    }
    const doc = statusSchema.parse(JSON.parse(stdout));
    const zfs = doc.samples.zfs;
    expect(zfs.state, JSON.stringify(zfs).slice(0, 500)).toBe('ok');
    if (zfs.state !== 'ok') return;
    const raw = (JSON.parse(stdout) as { samples: { zfs: { data: { dialect: string; warnings: string[] } } } }).samples.zfs.data;
    expect(raw.dialect).toBe('zfs-fuse');
    expect(raw.warnings).toEqual([]);

    const m = zfs.data.pools.find((p) => p.name === MIRROR);
    const r = zfs.data.pools.find((p) => p.name === RAIDZ);
    expect(m, `pools: ${zfs.data.pools.map((p) => p.name).join(', ')}`).toBeDefined();
    expect(r).toBeDefined();

    expect(m!.health).toBe('DEGRADED');
    expect(m!.vdevs).toHaveLength(1);
    const mirror = m!.vdevs[0]!;
    expect(mirror).toMatchObject({ name: 'mirror-0', kind: 'mirror', state: 'DEGRADED' });
    expect(mirror.children.map((c) => [c.name, c.kind, c.state])).toEqual([
      [join(dir, 'm1.img'), 'file', 'ONLINE'],
      [join(dir, 'm2.img'), 'file', 'OFFLINE'],
    ]);
    // a two-way mirror of 192 MiB files: a bit less than one file (labels and reserved space)
    expect(m!.sizeBytes!).toBeGreaterThan(0.8 * FILE_BYTES);
    expect(m!.sizeBytes!).toBeLessThanOrEqual(FILE_BYTES);
    expect(m!.allocBytes!).toBeGreaterThan(0);
    expect(m!.capacityPct).toBeDefined();

    expect(r!.health).toBe('ONLINE');
    expect(r!.vdevs.map((v) => [v.name, v.kind, v.state, v.children.length])).toEqual([['raidz1-0', 'raidz1', 'ONLINE', 3]]);
    // raidz SIZE counts parity: about three files
    expect(r!.sizeBytes!).toBeGreaterThan(2.4 * FILE_BYTES);
    expect(r!.sizeBytes!).toBeLessThanOrEqual(3 * FILE_BYTES);

    const data = zfs.data.datasets.find((d) => d.name === `${MIRROR}/data`) as { usedBytes?: number; mountpoint?: string } | undefined;
    expect(data?.usedBytes).toBeGreaterThan(3 * MiB);
    expect(data?.mountpoint).toBe(join(dir, 'mnt', MIRROR, 'data'));
    expect(zfs.data.datasets.some((d) => d.name.includes('@'))).toBe(false);
  });
});
