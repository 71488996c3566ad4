import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FUSE_LIST_COLUMNS, parseArcstats, parseCount, parseDuration, parsePoolStateFile, parseScan, parseSize, parseZfsGet,
  parseZfsList, parseZpoolList, parseZpoolStatus, parseZpoolStatusJson, type ListColumn, type StatusPool,
} from '../../../backends/zfs/parse.js';
import type { Vdev } from '../../../backends/zfs/types.js';
import { haveSamples, readSample, sampleFiles } from '../../helpers/samples.js';

const leaf = (name: string, state: string, extra: Partial<Vdev> = {}) => ({ name, state, children: [], ...extra });
const pool = (pools: StatusPool[], name: string) => { const p = pools.find((x) => x.name === name); expect(p, name).toBeDefined(); return p!; };
/** name/kind/state/counters/note of a vdev tree, for compact expectations */
const shape = (v: Vdev): unknown => ({
  name: v.name, kind: v.kind, state: v.state, ...(v.class ? { class: v.class } : {}),
  ...(v.read !== undefined ? { rwc: [v.read, v.write, v.cksum] } : {}), ...(v.note ? { note: v.note } : {}),
  ...(v.children.length ? { children: v.children.map(shape) } : {}),
});

/** Concrete expectations for every file in ../shared/samples/zfs, keyed by file name. */
const EXPECT: Record<string, (text: string) => void> = {
  'jc-zpool-status-v-3pools-o3x-no-blank-lines.txt': (t) => {
    const { pools } = parseZpoolStatus(t);
    expect(pools.map((p) => [p.name, p.health])).toEqual([['zhgstera6', 'ONLINE'], ['zint500', 'ONLINE'], ['zsam53', 'ONLINE']]);
    expect(pool(pools, 'zhgstera6').scan).toMatchObject({ kind: 'scrub', state: 'canceled' });
    expect(pool(pools, 'zint500').scan).toMatchObject({ kind: 'scrub', state: 'finished', errors: 0 });
    expect(pool(pools, 'zhgstera6').vdevs.map(shape)).toEqual([{ name: '726060ALE614-K8JAPRGN:10', kind: 'disk', state: 'ONLINE', class: 'data', rwc: [0, 0, 0] }]);
    expect(pool(pools, 'zsam53').vdevs.map((v) => v.name)).toEqual(['Portable_SSD_T5-S49WNP0N120517B:8']);
    for (const p of pools) expect(p.errorsText).toBe('No known data errors');
  },
  'jc-zpool-status-v-degraded-unavail-cannot-open-solaris.txt': (t) => {
    const { pools, warnings } = parseZpoolStatus(t);
    expect(warnings).toEqual([]);
    const p = pool(pools, 'tank');
    expect(p.health).toBe('DEGRADED');
    expect(p.status).toMatch(/^One or more devices could not be opened\. Sufficient replicas exist for the pool/);
    expect(p.action).toBe("Attach the missing device and online it using 'zpool online'.");
    expect(p.scan).toMatchObject({ kind: 'none', state: 'none' });
    expect(p.vdevs.map(shape)).toEqual([{
      name: 'mirror-0', kind: 'mirror', state: 'DEGRADED', class: 'data', rwc: [0, 0, 0],
      children: [
        { name: 'c1t0d0', kind: 'disk', state: 'ONLINE', rwc: [0, 0, 0] },
        { name: 'c1t1d0', kind: 'disk', state: 'UNAVAIL', rwc: [0, 0, 0], note: 'cannot open' },
      ],
    }]);
    expect(p.errorsText).toBe('No known data errors');
  },
  'netdata-zpool-list-p-v-L-mirror-nvme.txt': (t) => {
    const { pools, warnings } = parseZpoolList(t);
    expect(warnings).toEqual([]);
    expect(pools).toEqual([{
      name: 'rpool', sizeBytes: 3985729650688, allocBytes: 1647130456064, freeBytes: 2338599194624,
      fragmentationPct: 55, capacityPct: 41, dedupRatio: 1, health: 'ONLINE',
    }]);
  },
  'node_exporter-proc-spl-kstat-zfs-pool-state-degraded.txt': (t) => {
    expect(parsePoolStateFile(t)).toBe('DEGRADED');
  },
  'telegraf-freenas-zpool-list-Hp-o-name-health-size-alloc-free-frag-cap-dedup.txt': (t) => {
    const cols: ListColumn[] = ['name', 'health', 'size', 'alloc', 'free', 'frag', 'cap', 'dedup'];
    const { pools } = parseZpoolList(t, cols);
    expect(pools.map((p) => p.name)).toEqual(['freenas-boot', 'red1', 'temp1', 'temp2']);
    expect(pools[0]).toEqual({ name: 'freenas-boot', health: 'ONLINE', sizeBytes: 30601641984, allocBytes: 2022177280, freeBytes: 28579464704, capacityPct: 6, dedupRatio: 1 });
    expect(pools[0]!.fragmentationPct).toBeUndefined();
    expect(pools[1]).toMatchObject({ sizeBytes: 8933531975680, fragmentationPct: 8, capacityPct: 12, dedupRatio: 1.83 });
    expect(pools[2]).toMatchObject({ fragmentationPct: 38, capacityPct: 54, dedupRatio: 1.28 });
  },
  'telegraf-linux-proc-spl-kstat-zfs-arcstats.txt': (t) => {
    expect(parseArcstats(t)).toEqual({
      sizeBytes: 14960038920, targetBytes: 15590628496, maxBytes: 32458756096, hits: 33266704081, misses: 30882817, hitRatioPct: 99.91,
    });
  },
  'zfsfuse-degraded-offline-zpool-status.txt': (t) => {
    const { pools, warnings } = parseZpoolStatus(t);
    expect(warnings).toEqual([]);
    const p = pool(pools, 'tank');
    expect(p.health).toBe('DEGRADED');
    expect(p.status).toBe('One or more devices has been taken offline by the administrator. Sufficient replicas exist for the pool to continue functioning in a degraded state.');
    expect(p.scan).toMatchObject({ kind: 'scrub', state: 'finished', errors: 0, pct: 100 });
    const d = '/srv/zfs/ab/disks/';
    expect(p.vdevs.map(shape)).toEqual([
      { name: 'mirror-0', kind: 'mirror', state: 'DEGRADED', class: 'data', rwc: [0, 0, 0], children: [
        { name: `${d}d1.img`, kind: 'file', state: 'ONLINE', rwc: [0, 0, 0] },
        { name: `${d}d2.img`, kind: 'file', state: 'OFFLINE', rwc: [0, 0, 0] },
      ] },
      { name: 'mirror-1', kind: 'mirror', state: 'ONLINE', class: 'data', rwc: [0, 0, 0], children: [
        { name: `${d}d3.img`, kind: 'file', state: 'ONLINE', rwc: [0, 0, 0] },
        { name: `${d}d4.img`, kind: 'file', state: 'ONLINE', rwc: [0, 0, 0] },
      ] },
      { name: `${d}d9.img`, kind: 'file', state: 'ONLINE', class: 'log', rwc: [0, 0, 0] },
      { name: 'loop0', kind: 'disk', state: 'ONLINE', class: 'cache', rwc: [0, 0, 0] },
      { name: `${d}d11.img`, kind: 'file', state: 'AVAIL', class: 'spare' },
    ]);
    expect(p.root).toMatchObject({ name: 'tank', kind: 'root', state: 'DEGRADED' });
  },
  'zfsfuse-healthy-zfs-get-Hp-all.txt': (t) => {
    const { datasets, warnings } = parseZfsGet(t);
    expect(warnings).toEqual([]);
    expect(datasets.map((d) => d.name)).toEqual(['bulk', 'tank', 'tank/datasets', 'tank/models', 'tank/vm', 'tank/vm/win11']);
    expect(datasets[0]).toEqual({
      name: 'bulk', usedBytes: 21570048, availableBytes: 452779520, recordsizeBytes: 131072, compression: 'off', atime: 'on', mountpoint: '/srv/zfs/ab/mnt/bulk',
    });
    expect(datasets.find((d) => d.name === 'tank/datasets')!.compression).toBe('gzip');
    expect(datasets.find((d) => d.name === 'tank/vm/win11')).toMatchObject({ usedBytes: 114688, availableBytes: 209600512, recordsizeBytes: 16384, compression: 'on', atime: 'off' });
    for (const d of datasets) expect(d.specialSmallBlocksBytes).toBeUndefined(); // zfs-fuse has no such property
  },
  'zfsfuse-healthy-zpool-list-H.txt': (t) => {
    const { pools } = parseZpoolList(t, FUSE_LIST_COLUMNS);
    expect(pools).toEqual([
      { name: 'bulk', sizeBytes: 1000 * 2 ** 20, allocBytes: Math.round(42.6 * 2 ** 20), freeBytes: 957 * 2 ** 20, capacityPct: 4, dedupRatio: 1, health: 'ONLINE' },
      { name: 'tank', sizeBytes: 500 * 2 ** 20, allocBytes: Math.round(67.6 * 2 ** 20), freeBytes: 432 * 2 ** 20, capacityPct: 13, dedupRatio: 1, health: 'ONLINE' },
    ]);
  },
  'zfsfuse-healthy-zpool-status.txt': (t) => {
    const { pools, warnings } = parseZpoolStatus(t);
    expect(warnings).toEqual([]);
    expect(pools.map((p) => [p.name, p.health, p.scan.kind, p.scan.state])).toEqual([['bulk', 'ONLINE', 'none', 'none'], ['tank', 'ONLINE', 'none', 'none']]);
    const bulk = pool(pools, 'bulk');
    expect(bulk.vdevs).toHaveLength(1);
    expect(bulk.vdevs[0]).toMatchObject({ name: 'raidz2-0', kind: 'raidz2', class: 'data', state: 'ONLINE' });
    expect(bulk.vdevs[0]!.children.map((c) => c.name)).toEqual(['d5', 'd6', 'd7', 'd8'].map((n) => `/srv/zfs/ab/disks/${n}.img`));
    const tank = pool(pools, 'tank');
    expect(tank.vdevs.map((v) => [v.name, v.class])).toEqual([
      ['mirror-0', 'data'], ['mirror-1', 'data'], ['/srv/zfs/ab/disks/d9.img', 'log'], ['loop0', 'cache'], ['/srv/zfs/ab/disks/d11.img', 'spare'],
    ]);
  },
  'zfsfuse-permanent-errors-zpool-status-v.txt': (t) => {
    const { pools } = parseZpoolStatus(t);
    const p = pool(pools, 'single');
    expect(p.health).toBe('ONLINE');
    expect(p.status).toMatch(/data corruption\. Applications may be affected\.$/);
    expect(p.scan).toMatchObject({ kind: 'scrub', state: 'finished', errors: 375 });
    expect(p.root).toMatchObject({ cksum: 379 });
    expect(p.vdevs.map(shape)).toEqual([{ name: '/srv/zfs/ab/disks/d12.img', kind: 'file', state: 'ONLINE', class: 'data', rwc: [0, 0, 892], note: '348K repaired' }]);
    expect(p.errorsText!.split('\n')).toEqual([
      'Permanent errors have been detected in the following files:',
      '<metadata>:<0x28>', '<metadata>:<0x29>', '<metadata>:<0x2a>', '<metadata>:<0x2b>', '/srv/zfs/ab/mnt/single/victim.bin',
    ]);
  },
  'zfsfuse-resilver-inprogress-zpool-status.txt': (t) => {
    const p = pool(parseZpoolStatus(t).pools, 'scratch');
    expect(p.health).toBe('ONLINE');
    expect(p.scan).toMatchObject({ kind: 'resilver', state: 'running', pct: 66.68, etaSeconds: 0 });
    const d = '/srv/zfs/ab/disks/';
    expect(p.vdevs.map(shape)).toEqual([{
      name: 'mirror-0', kind: 'mirror', state: 'ONLINE', class: 'data', rwc: [0, 0, 0], children: [
        { name: `${d}big1.img`, kind: 'file', state: 'ONLINE', rwc: [0, 0, 0] },
        { name: 'replacing-1', kind: 'replacing', state: 'ONLINE', rwc: [0, 0, 0], children: [
          { name: `${d}big3.img`, kind: 'file', state: 'ONLINE', rwc: [0, 0, 0] },
          { name: `${d}big4.img`, kind: 'file', state: 'ONLINE', rwc: [0, 0, 0], note: '1.30G resilvered' },
        ] },
      ],
    }]);
  },
  'zfsfuse-scrub-inprogress-zpool-status.txt': (t) => {
    const p = pool(parseZpoolStatus(t).pools, 'scratch');
    expect(p.scan).toMatchObject({ kind: 'scrub', state: 'running', pct: 38.7, etaSeconds: 0 });
    expect(p.vdevs[0]!.children).toHaveLength(2);
  },
};

describe.runIf(haveSamples)('zfs parsers over ../shared/samples/zfs', () => {
  const files = sampleFiles('zfs');
  it('has an expectation for every sample file', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.map((f) => basename(f)).filter((f) => !EXPECT[f])).toEqual([]);
  });
  for (const f of files) {
    const name = basename(f);
    it(name, () => { EXPECT[name]?.(readSample(f)); });
  }
});

describe('numbers', () => {
  it('sizes in bytes, human or exact', () => {
    expect(parseSize('1.98G')).toBe(Math.round(1.98 * 2 ** 30));
    expect(parseSize('63.5M')).toBe(Math.round(63.5 * 2 ** 20));
    expect(parseSize('512')).toBe(512);
    expect(parseSize('0B')).toBe(0);
    expect(parseSize('1.5TiB')).toBe(Math.round(1.5 * 2 ** 40));
    expect(parseSize('-')).toBeUndefined();
    expect(parseSize('none')).toBeUndefined();
    expect(parseSize('')).toBeUndefined();
  });
  it('error counters with suffixes', () => {
    expect(parseCount('0')).toBe(0);
    expect(parseCount('1.2K')).toBe(1229);
    expect(parseCount('3M')).toBe(3 * 1024 * 1024);
    expect(parseCount('999')).toBe(999);
    expect(parseCount('-')).toBeUndefined();
  });
  it('durations', () => {
    expect(parseDuration('01:23:45')).toBe(5025);
    expect(parseDuration('1 days 02:03:04')).toBe(86400 + 7384);
    expect(parseDuration('0h1m')).toBe(60);
    expect(parseDuration('2h30m')).toBe(9000);
    expect(parseDuration('no estimated completion time')).toBeUndefined();
  });
});

describe('scan lines', () => {
  it('modern resilver in progress', () => {
    const s = parseScan(`resilver in progress since Sun Nov 22 21:47:10 2026
\t1.23T scanned at 1.20G/s, 800G issued at 900M/s, 4.50T total
\t130G resilvered, 45.67% done, 01:23:45 to go`);
    expect(s).toMatchObject({ kind: 'resilver', state: 'running', pct: 45.67, etaSeconds: 5025 });
    expect(s.text).toContain('130G resilvered');
  });
  it('modern scrub in progress without an estimate', () => {
    const s = parseScan('scrub in progress since Sun Nov 22\n\t10G scanned at 1G/s, 0B issued at 0B/s, 4T total\n\t0B repaired, 0.00% done, no estimated completion time');
    expect(s).toMatchObject({ kind: 'scrub', state: 'running', pct: 0 });
    expect(s.etaSeconds).toBeUndefined();
  });
  it('finished, canceled, none, old dialects', () => {
    expect(parseScan('scrub repaired 0B in 00:12:34 with 0 errors on Sun Nov  9 00:36:35 2025')).toMatchObject({ kind: 'scrub', state: 'finished', errors: 0 });
    expect(parseScan('scrub repaired 12K in 0 days 01:25:43 with 3 errors on Mon Aug 15 01:26:46 2022')).toMatchObject({ kind: 'scrub', state: 'finished', errors: 3 });
    expect(parseScan('resilvered 1.23T in 05:12:11 with 0 errors on Sun Nov  9 00:36:35 2025')).toMatchObject({ kind: 'resilver', state: 'finished' });
    expect(parseScan('scrub canceled on Fri Aug 19 15:33:19 2022')).toMatchObject({ kind: 'scrub', state: 'canceled' });
    expect(parseScan('none requested')).toMatchObject({ kind: 'none', state: 'none' });
    expect(parseScan('scrub in progress for 0h0m, 12.34% done, 0h1m to go')).toMatchObject({ kind: 'scrub', state: 'running', pct: 12.34, etaSeconds: 60 });
    expect(parseScan('resilver completed after 0h3m with 0 errors on Sun Nov 22 10:03:01 2026')).toMatchObject({ kind: 'resilver', state: 'finished', errors: 0 });
    expect(parseScan('scrub stopped after 0h1m with 0 errors on Sun Nov 22 10:03:01 2026')).toMatchObject({ state: 'canceled' });
    expect(parseScan('resilver in progress since Sun Jul 29 2012\n    1.2G scanned out of 4.5G at 10M/s, 0h5m to go\n    300M resilvered, 26.67% done'))
      .toMatchObject({ kind: 'resilver', state: 'running', pct: 26.67, etaSeconds: 300 });
    expect(parseScan('')).toEqual({ kind: 'none', state: 'none' });
  });
});

describe('zpool status, modern dialect (inline)', () => {
  const modern = `  pool: big
 state: DEGRADED
status: One or more devices could not be used because the label is missing or
\tinvalid.  Sufficient replicas exist for the pool to continue
\tfunctioning in a degraded state.
action: Replace the device using 'zpool replace'.
   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-4J
  scan: resilver in progress since Sun Nov 22 21:47:10 2026
\t10.1T scanned at 2.2G/s, 9.0T issued at 2.0G/s, 40.0T total
\t1.1T resilvered, 22.50% done, 04:18:02 to go
config:

\tNAME                         STATE     READ WRITE CKSUM
\tbig                          DEGRADED     0     0     0
\t  raidz2-0                   DEGRADED     0     0     0
\t    sda                      ONLINE       0     0     0
\t    sdb                      ONLINE    1.2K     0     3
\t    spare-2                  DEGRADED     0     0     0
\t      1234567890123456789    UNAVAIL      0     0     0  was /dev/sdc1
\t      sdz                    ONLINE       0     0     0  (resilvering)
\t  draid2:4d:12c:1s-1         ONLINE       0     0     0
\t    sdd                      ONLINE       0     0     0
\tspecial
\t  mirror-2                   ONLINE       0     0     0
\t    nvme0n1                  ONLINE       0     0     0
\t    nvme1n1                  ONLINE       0     0     0
\tdedup
\t  mirror-3                   ONLINE       0     0     0
\t    nvme2n1                  ONLINE       0     0     0
\t    nvme3n1                  ONLINE       0     0     0
\tlogs
\t  mirror-4                   ONLINE       0     0     0
\t    nvme4n1p1                ONLINE       0     0     0
\t    nvme5n1p1                ONLINE       0     0     0
\tcache
\t  nvme6n1                    ONLINE       0     0     0
\tspares
\t  sdz                        INUSE     currently in use
\t  sdy                        AVAIL

errors: No known data errors
`;
  it('classes, draid, spares, replacing/spare groups, K counters', () => {
    const { pools, warnings } = parseZpoolStatus(modern);
    expect(warnings).toEqual([]);
    const p = pool(pools, 'big');
    expect(p.status).toBe('One or more devices could not be used because the label is missing or invalid. Sufficient replicas exist for the pool to continue functioning in a degraded state.');
    expect(p.scan).toMatchObject({ kind: 'resilver', state: 'running', pct: 22.5, etaSeconds: 4 * 3600 + 18 * 60 + 2 });
    expect(p.vdevs.map((v) => [v.name, v.kind, v.class])).toEqual([
      ['raidz2-0', 'raidz2', 'data'], ['draid2:4d:12c:1s-1', 'draid', 'data'], ['mirror-2', 'mirror', 'special'], ['mirror-3', 'mirror', 'dedup'],
      ['mirror-4', 'mirror', 'log'], ['nvme6n1', 'disk', 'cache'], ['sdz', 'disk', 'spare'], ['sdy', 'disk', 'spare'],
    ]);
    const rz = p.vdevs[0]!;
    expect(rz.children[1]).toMatchObject(leaf('sdb', 'ONLINE', { read: 1229, write: 0, cksum: 3 }));
    expect(shape(rz.children[2]!)).toEqual({
      name: 'spare-2', kind: 'spare', state: 'DEGRADED', rwc: [0, 0, 0], children: [
        { name: '1234567890123456789', kind: 'disk', state: 'UNAVAIL', rwc: [0, 0, 0], note: 'was /dev/sdc1' },
        { name: 'sdz', kind: 'disk', state: 'ONLINE', rwc: [0, 0, 0], note: '(resilvering)' },
      ],
    });
    expect(p.vdevs[6]).toMatchObject({ state: 'INUSE', note: 'currently in use' });
    expect(p.vdevs[6]!.read).toBeUndefined();
    expect(p.vdevs[7]).toMatchObject({ state: 'AVAIL' });
  });
  it('raidz without parity suffix is raidz1; raidz3-0', () => {
    const t = 'pool: a\n state: ONLINE\nconfig:\n\tNAME STATE READ WRITE CKSUM\n\ta ONLINE 0 0 0\n\t  raidz-0 ONLINE 0 0 0\n\t    x ONLINE 0 0 0\n\t  raidz3-1 ONLINE 0 0 0\n\t    y ONLINE 0 0 0\nerrors: No known data errors\n';
    expect(pool(parseZpoolStatus(t).pools, 'a').vdevs.map((v) => v.kind)).toEqual(['raidz1', 'raidz3']);
  });
  it('no pools available', () => {
    expect(parseZpoolStatus('no pools available\n')).toEqual({ pools: [], warnings: [] });
  });
});

describe('zpool status -j --json-int (OpenZFS 2.3)', () => {
  const doc = {
    output_version: { command: 'zpool status', vers_major: 0, vers_minor: 1 },
    pools: {
      tank: {
        name: 'tank', state: 'DEGRADED', status: 'One or more devices is currently being resilvered.', action: 'Wait for the resilver to complete.',
        scan_stats: {
          function: 'RESILVER', state: 'SCANNING', start_time: 1_800_000_000, end_time: 0, to_examine: 4000, examined: 1200, skipped: 0,
          processed: 100, errors: 0, bytes_per_scan: 1200, pass_start: 1_800_000_000, scrub_pause: 0, scrub_spent_paused: 0, issued_bytes_per_scan: 1000, issued: 1000,
        },
        vdevs: {
          tank: {
            name: 'tank', vdev_type: 'root', state: 'DEGRADED', read_errors: 0, write_errors: 0, checksum_errors: 0,
            vdevs: {
              'raidz2-0': {
                name: 'raidz2-0', vdev_type: 'raidz', state: 'DEGRADED', read_errors: 0, write_errors: 0, checksum_errors: 0,
                vdevs: {
                  sda: { name: 'sda', vdev_type: 'disk', path: '/dev/sda1', state: 'HEALTHY', read_errors: 0, write_errors: 0, checksum_errors: 0 },
                  sdb: { name: 'sdb', vdev_type: 'disk', path: '/dev/sdb1', state: 'FAULTED', read_errors: 5, write_errors: '1.2K', checksum_errors: 0 },
                },
              },
            },
          },
        },
        special: { 'mirror-1': { name: 'mirror-1', vdev_type: 'mirror', state: 'ONLINE', vdevs: { n0: { name: 'n0', vdev_type: 'disk', state: 'ONLINE' } } } },
        logs: { f: { name: '/var/log.img', vdev_type: 'file', state: 'ONLINE' } },
        l2cache: { c: { name: 'nvme9n1', vdev_type: 'disk', state: 'ONLINE' } },
        spares: { s: { name: 'sdq', vdev_type: 'disk', state: 'AVAIL' } },
        error_count: '0',
      },
    },
  };
  it('maps pools, classes, counters and scan progress', () => {
    const r = parseZpoolStatusJson(JSON.stringify(doc), (1_800_000_000 + 100) * 1000)!;
    expect(r.warnings).toEqual([]);
    const p = pool(r.pools, 'tank');
    expect(p.health).toBe('DEGRADED');
    expect(p.scan).toMatchObject({ kind: 'resilver', state: 'running', pct: 25, etaSeconds: 300 });
    expect(p.vdevs.map((v) => [v.name, v.kind, v.class])).toEqual([
      ['raidz2-0', 'raidz2', 'data'], ['mirror-1', 'mirror', 'special'], ['/var/log.img', 'file', 'log'], ['nvme9n1', 'disk', 'cache'], ['sdq', 'disk', 'spare'],
    ]);
    expect(p.vdevs[0]!.children.map(shape)).toEqual([
      { name: 'sda', kind: 'disk', state: 'ONLINE', rwc: [0, 0, 0] },
      { name: 'sdb', kind: 'disk', state: 'FAULTED', rwc: [5, 1229, 0] },
    ]);
    expect(p.errorsText).toBe('No known data errors');
  });
  it('is undefined for text that is not that JSON', () => {
    expect(parseZpoolStatusJson('  pool: x')).toBeUndefined();
    expect(parseZpoolStatusJson('{"a":1}')).toBeUndefined();
    expect(parseZpoolStatusJson('{"pools":{}}')).toEqual({ pools: [], warnings: [] });
  });
});

describe('datasets', () => {
  it('zfs get -Hp, OpenZFS', () => {
    const t = ['ember/vm\tused\t2140000000000', 'ember/vm\tavailable\t8165', 'ember/vm\trecordsize\t65536', 'ember/vm\tcompression\tlz4',
      'ember/vm\tatime\toff', 'ember/vm\tspecial_small_blocks\t131072', 'ember/vm\tmountpoint\t/ember/vm', 'zv\tmountpoint\t-', 'zv\trecordsize\t-'].join('\n');
    expect(parseZfsGet(t).datasets).toEqual([
      { name: 'ember/vm', usedBytes: 2140000000000, availableBytes: 8165, recordsizeBytes: 65536, compression: 'lz4', atime: 'off', specialSmallBlocksBytes: 131072, mountpoint: '/ember/vm' },
      { name: 'zv' },
    ]);
  });
  it('zfs list -H, zfs-fuse (human sizes)', () => {
    const t = 'zxa\t5.85M\t85.2M\t128K\toff\ton\t/tmp/zx/mnt\nzxa/data\t5.20M\t85.2M\t128K\ton\ton\t/tmp/zx/mnt/data\n';
    expect(parseZfsList(t).datasets).toEqual([
      { name: 'zxa', usedBytes: Math.round(5.85 * 2 ** 20), availableBytes: Math.round(85.2 * 2 ** 20), recordsizeBytes: 131072, compression: 'off', atime: 'on', mountpoint: '/tmp/zx/mnt' },
      { name: 'zxa/data', usedBytes: Math.round(5.2 * 2 ** 20), availableBytes: Math.round(85.2 * 2 ** 20), recordsizeBytes: 131072, compression: 'on', atime: 'on', mountpoint: '/tmp/zx/mnt/data' },
    ]);
  });
});

describe('zpool list dialects', () => {
  it('zfs-fuse: human sizes, capacity with %, `-` values', () => {
    expect(parseZpoolList('p\t1.98G\t63.5M\t-\t3%\t1.00x\tONLINE\n', FUSE_LIST_COLUMNS).pools).toEqual([
      { name: 'p', sizeBytes: Math.round(1.98 * 2 ** 30), allocBytes: Math.round(63.5 * 2 ** 20), capacityPct: 3, dedupRatio: 1, health: 'ONLINE' },
    ]);
  });
  it('OpenZFS -Hp exact numbers', () => {
    expect(parseZpoolList('rpool\t1992864825344\t441036935168\t1551827890176\t11\t22\t1.00\tONLINE\n').pools[0]).toEqual({
      name: 'rpool', sizeBytes: 1992864825344, allocBytes: 441036935168, freeBytes: 1551827890176, fragmentationPct: 11, capacityPct: 22, dedupRatio: 1, health: 'ONLINE',
    });
  });
});
