import { describe, expect, it } from 'vitest';
import {
  ARCSTATS, createZfsSource, ZFS_GET_OPENZFS, ZFS_LIST_FUSE, zfsGetArgv, ZPOOL_LIST_FUSE, ZPOOL_LIST_OPENZFS, ZPOOL_STATUS, ZPOOL_STATUS_JSON,
} from '../../../backends/zfs/source.js';
import { zfsBackend } from '../../../backends/zfs/index.js';
import { FakeRunner } from '../../helpers/fake-runner.js';

const OPENZFS_LIST = 'rpool\t1992864825344\t441036935168\t1551827890176\t11\t22\t1.00\tONLINE\n';
const STATUS = `  pool: rpool
 state: ONLINE
  scan: scrub repaired 0B in 00:11:42 with 0 errors on Sun Nov  8 00:35:43 2026
config:

\tNAME           STATE     READ WRITE CKSUM
\trpool          ONLINE       0     0     0
\t  mirror-0     ONLINE       0     0     0
\t    nvme0n1p3  ONLINE       0     0     0
\t    nvme1n1p3  ONLINE       0     0     0

errors: No known data errors
`;
const GET = 'rpool\tused\t441000000000\nrpool\tcompression\tlz4\nrpool\tatime\toff\nrpool\trecordsize\t131072\n';
const USAGE_J = "invalid option 'j'\nusage:\n\tstatus [-c [script1,script2,...]] [-igLpPstvxD]  [-T d|u] [pool] ...\n";
const FUSE_USAGE_P = "invalid option 'p'\nusage:\n\tlist [-H] [-o property[,...]] [pool] ...\n";
const FUSE_DOWN = 'connect: No such file or directory\nPlease make sure that the zfs-fuse daemon is running.\ninternal error: failed to initialize ZFS library\n';
const ARC = 'name type data\nhits 4 970\nmisses 4 30\nsize 4 1000\nc 4 2000\nc_max 4 4000\n';

const openzfs = () => new FakeRunner()
  .on({ argv: ZPOOL_LIST_OPENZFS, stdout: OPENZFS_LIST })
  .on({ argv: ZPOOL_STATUS_JSON, stderr: USAGE_J, exitCode: 2 })
  .on({ argv: ZPOOL_STATUS, stdout: STATUS })
  .on({ argv: ZFS_GET_OPENZFS, stdout: GET })
  .file(ARCSTATS, ARC);

const noSnapshots = (calls: string[][]) => {
  for (const c of calls) {
    expect(c.join(' ')).not.toMatch(/snapshot/);
    if (c[0] === 'zfs') expect(c.slice(-2)).toEqual(['-t', 'filesystem,volume']);
  }
};

describe('zfs source', () => {
  it('is the registered backend', () => {
    expect(zfsBackend).toMatchObject({ id: 'zfs', title: 'ZFS', intervalMs: 5000 });
    expect(zfsBackend.create(new FakeRunner()).id).toBe('zfs');
  });

  it('OpenZFS 2.2: exact argv; asks for -j once, then uses the text form', async () => {
    const r = openzfs();
    const s = createZfsSource(r);
    const a = await s.sample();
    expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS, ZPOOL_STATUS_JSON, ZPOOL_STATUS, ZFS_GET_OPENZFS]);
    expect(ZPOOL_LIST_OPENZFS).toEqual(['zpool', 'list', '-Hp', '-o', 'name,size,alloc,free,frag,cap,dedup,health']);
    expect(ZFS_GET_OPENZFS).toEqual(['zfs', 'get', '-Hp', '-o', 'name,property,value', 'used,available,recordsize,compression,atime,special_small_blocks,mountpoint', '-t', 'filesystem,volume']);
    expect(a.state).toBe('ok');
    if (a.state !== 'ok') return;
    expect(a.data.dialect).toBe('openzfs');
    expect(a.data.pools).toHaveLength(1);
    expect(a.data.pools[0]).toMatchObject({ name: 'rpool', health: 'ONLINE', sizeBytes: 1992864825344, capacityPct: 22, fragmentationPct: 11, scan: { kind: 'scrub', state: 'finished' } });
    expect(a.data.pools[0]!.vdevs[0]!.children.map((c) => c.name)).toEqual(['nvme0n1p3', 'nvme1n1p3']);
    expect(a.data.datasets).toEqual([{ name: 'rpool', usedBytes: 441000000000, compression: 'lz4', atime: 'off', recordsizeBytes: 131072 }]);
    expect(a.data.arc).toMatchObject({ sizeBytes: 1000, targetBytes: 2000, maxBytes: 4000, hitRatioPct: 97 });
    expect(a.data.warnings).toEqual([]);
    r.calls = [];
    r.file(ARCSTATS, ARC.replace('hits 4 970', 'hits 4 1070').replace('misses 4 30', 'misses 4 130'));
    const b = await s.sample();
    expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS, ZPOOL_STATUS, ZFS_GET_OPENZFS]);
    // the hit ratio is the one since the last reading: 100 hits, 100 misses
    expect(b.state === 'ok' && b.data.arc).toMatchObject({ hitRatioPct: 50, hitRatioSinceBootPct: 89.17 });
    // no reads since (an idle box): the ratio since the last reading is unknown, not the since-boot one renamed
    const c = await s.sample();
    expect(c.state === 'ok' && c.data.arc?.hitRatioPct).toBeUndefined();
    expect(c.state === 'ok' && c.data.arc?.hitRatioSinceBootPct).toBe(89.17);
    noSnapshots(r.calls);
  });

  it("the pool's own READ/WRITE/CKSUM row reaches the sample (status --json); 1.2K is 1024-based", async () => {
    const status = STATUS.replace('rpool          ONLINE       0     0     0', 'rpool          DEGRADED     2  1.2K     7');
    expect(status).not.toBe(STATUS);
    const r = new FakeRunner()
      .on({ argv: ZPOOL_LIST_OPENZFS, stdout: OPENZFS_LIST })
      .on({ argv: ZPOOL_STATUS_JSON, stderr: USAGE_J, exitCode: 2 })
      .on({ argv: ZPOOL_STATUS, stdout: status })
      .on({ argv: ZFS_GET_OPENZFS, stdout: GET })
      .file(ARCSTATS, ARC);
    const a = await createZfsSource(r).sample();
    expect(a.state).toBe('ok');
    if (a.state !== 'ok') return;
    expect(a.data.pools[0]).toMatchObject({ name: 'rpool', read: 2, write: 1229, cksum: 7 });
    expect(JSON.parse(JSON.stringify(a.data.pools[0]))).toMatchObject({ read: 2, write: 1229, cksum: 7 });
  });

  it('OpenZFS 2.3: uses zpool status -j and keeps using it', async () => {
    const json = JSON.stringify({ pools: { rpool: { name: 'rpool', state: 'ONLINE', vdevs: { rpool: { name: 'rpool', vdev_type: 'root', state: 'ONLINE', vdevs: { 'mirror-0': { name: 'mirror-0', vdev_type: 'mirror', state: 'ONLINE', read_errors: 0, write_errors: 0, checksum_errors: 0 } } } }, error_count: 0 } } });
    const r = new FakeRunner().on({ argv: ZPOOL_LIST_OPENZFS, stdout: OPENZFS_LIST }).on({ argv: ZPOOL_STATUS_JSON, stdout: json }).on({ argv: ZFS_GET_OPENZFS, stdout: GET });
    const s = createZfsSource(r);
    const a = await s.sample();
    await s.sample();
    expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS, ZPOOL_STATUS_JSON, ZFS_GET_OPENZFS, ZPOOL_LIST_OPENZFS, ZPOOL_STATUS_JSON, ZFS_GET_OPENZFS]);
    expect(a.state === 'ok' && a.data.pools[0]!.vdevs.map((v) => [v.name, v.kind, v.class])).toEqual([['mirror-0', 'mirror', 'data']]);
    expect(a.state === 'ok' && a.data.arc).toBeUndefined();
  });

  it('zfs-fuse: detected once by the usage error, then its own argv', async () => {
    const r = new FakeRunner()
      .on({ argv: ZPOOL_LIST_OPENZFS, stderr: FUSE_USAGE_P, exitCode: 2 })
      .on({ argv: ZPOOL_LIST_FUSE, stdout: 'tank\t500M\t67.6M\t432M\t13%\t1.00x\tDEGRADED\n' })
      .on({ argv: ZPOOL_STATUS, stdout: '  pool: tank\n state: DEGRADED\n scrub: none requested\nconfig:\n\n\tNAME STATE READ WRITE CKSUM\n\ttank DEGRADED 0 0 0\n\t  mirror-0 DEGRADED 0 0 0\n\t    /f/1 ONLINE 0 0 0\n\t    /f/2 OFFLINE 0 0 0\n\nerrors: No known data errors\n' })
      .on({ argv: ZFS_LIST_FUSE, stdout: 'tank\t5.85M\t85.2M\t128K\toff\ton\t/mnt/tank\n' });
    const s = createZfsSource(r);
    const a = await s.sample();
    expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS, ZPOOL_LIST_FUSE, ZPOOL_STATUS, ZFS_LIST_FUSE]);
    expect(ZPOOL_LIST_FUSE).toEqual(['zpool', 'list', '-H', '-o', 'name,size,alloc,free,cap,dedup,health']);
    expect(ZFS_LIST_FUSE).toEqual(['zfs', 'list', '-H', '-o', 'name,used,available,recordsize,compression,atime,mountpoint', '-t', 'filesystem,volume']);
    expect(a.state).toBe('ok');
    if (a.state !== 'ok') return;
    expect(a.data.dialect).toBe('zfs-fuse');
    expect(a.data.pools[0]).toMatchObject({ name: 'tank', health: 'DEGRADED', sizeBytes: 500 * 2 ** 20, capacityPct: 13, dedupRatio: 1 });
    expect(a.data.pools[0]!.fragmentationPct).toBeUndefined();
    expect(a.data.pools[0]!.vdevs[0]!.children.map((c) => [c.name, c.kind, c.state])).toEqual([['/f/1', 'file', 'ONLINE'], ['/f/2', 'file', 'OFFLINE']]);
    expect(a.data.datasets[0]).toMatchObject({ name: 'tank', recordsizeBytes: 131072, compression: 'off' });
    expect(a.data.lints.map((l) => l.severity)).toContain('warn');
    r.calls = [];
    await s.sample();
    expect(r.calls).toEqual([ZPOOL_LIST_FUSE, ZPOOL_STATUS, ZFS_LIST_FUSE]);
    noSnapshots(r.calls);
  });

  it('zpool not on PATH → unavailable with a hint', async () => {
    const r = new FakeRunner().on({ argv: ZPOOL_LIST_OPENZFS, notFound: true });
    const a = await createZfsSource(r).sample();
    expect(a).toEqual({ state: 'unavailable', reason: 'zpool not found on PATH', hint: expect.stringContaining('zfs-fuse') });
    expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS]);
  });

  it('zfs-fuse daemon not running → unavailable; the dialect is probed again next time', async () => {
    const r = new FakeRunner().on({ argv: ZPOOL_LIST_OPENZFS, stderr: FUSE_DOWN, exitCode: 1 });
    const s = createZfsSource(r);
    const a = await s.sample();
    expect(a).toMatchObject({ state: 'unavailable', reason: 'the zfs-fuse daemon is not running', hint: expect.stringContaining('connect: No such file or directory') });
    await s.sample();
    expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS, ZPOOL_LIST_OPENZFS]);
  });

  it.each([
    ["The ZFS modules are not loaded.\nTry running '/sbin/modprobe zfs' as root to load them.\n"],
    ['Unable to open /dev/zfs: No such file or directory.\n'],
  ])('kernel module missing → unavailable (%s)', async (stderr) => {
    const a = await createZfsSource(new FakeRunner().on({ argv: ZPOOL_LIST_OPENZFS, stderr, exitCode: 1 })).sample();
    expect(a).toMatchObject({ state: 'unavailable', reason: 'the ZFS kernel module is not loaded', hint: expect.stringContaining('modprobe zfs') });
  });

  it('no pools available → ok with no pools, nothing else run', async () => {
    for (const out of [{ stdout: 'no pools available\n' }, { stderr: 'no pools available\n' }, { stdout: '' }]) {
      const r = new FakeRunner().on({ argv: ZPOOL_LIST_OPENZFS, ...out });
      const a = await createZfsSource(r).sample();
      expect(a).toMatchObject({ state: 'ok', data: { pools: [], datasets: [], lints: [] } });
      expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS]);
    }
  });

  it('a timeout or an unknown failure is an error, never a throw', async () => {
    expect(await createZfsSource(new FakeRunner().on({ argv: ZPOOL_LIST_OPENZFS, timedOut: true, exitCode: null })).sample())
      .toEqual({ state: 'error', message: expect.stringContaining('timed out') });
    expect(await createZfsSource(new FakeRunner().on({ argv: ZPOOL_LIST_OPENZFS, stderr: 'something odd\n', exitCode: 1 })).sample())
      .toEqual({ state: 'error', message: expect.stringContaining('something odd') });
    // FakeRunner throws on an unknown argv: the source turns it into an error
    expect(await createZfsSource(new FakeRunner()).sample()).toMatchObject({ state: 'error' });
  });

  it('status, datasets and ARC failures become warnings beside the data', async () => {
    const r = new FakeRunner()
      .on({ argv: ZPOOL_LIST_OPENZFS, stdout: OPENZFS_LIST })
      .on({ argv: ZPOOL_STATUS_JSON, stderr: USAGE_J, exitCode: 2 })
      .on({ argv: ZPOOL_STATUS, stderr: 'boom\n', exitCode: 1 })
      .on({ argv: ZFS_GET_OPENZFS, stderr: 'bang\n', exitCode: 1 })
      .file(ARCSTATS, Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    const a = await createZfsSource(r).sample();
    expect(a.state).toBe('ok');
    if (a.state !== 'ok') return;
    expect(a.data.pools[0]).toMatchObject({ name: 'rpool', health: 'ONLINE', vdevs: [], scan: { kind: 'none', state: 'none' } });
    expect(a.data.warnings).toEqual(['zpool status: boom', 'zfs get: bang', `${ARCSTATS}: EACCES: permission denied`]);
  });

  it('OpenZFS < 0.8 without special_small_blocks: asks again without it, and remembers', async () => {
    const older = zfsGetArgv(['used', 'available', 'recordsize', 'compression', 'atime', 'mountpoint']);
    const r = openzfs().on({ argv: ZFS_GET_OPENZFS, stderr: "bad property list: invalid property 'special_small_blocks'\nusage:\n", exitCode: 2 });
    r.commands = r.commands.filter((c, i, all) => !(c.argv === ZFS_GET_OPENZFS && all.findIndex((x) => x.argv === ZFS_GET_OPENZFS) === i));
    r.on({ argv: older, stdout: GET });
    const s = createZfsSource(r);
    const a = await s.sample();
    expect(a.state === 'ok' && a.data.datasets).toHaveLength(1);
    r.calls = [];
    await s.sample();
    expect(r.calls).toEqual([ZPOOL_LIST_OPENZFS, ZPOOL_STATUS, older]);
  });
});
