import { describe, expect, it } from 'vitest';
import { lints } from '../../../backends/zfs/parse.js';
import type { Dataset, Pool } from '../../../backends/zfs/types.js';

const pool = (over: Partial<Pool> = {}): Pool => ({ name: 'tank', health: 'ONLINE', scan: { kind: 'none', state: 'none' }, vdevs: [], ...over });
const ds = (over: Partial<Dataset> = {}): Dataset => ({ name: 'tank/ds', recordsizeBytes: 131072, compression: 'lz4', atime: 'off', specialSmallBlocksBytes: 0, ...over });

describe('zfs lints', () => {
  it('a healthy pool and a well-set dataset give nothing', () => {
    expect(lints({ pools: [pool({ capacityPct: 50, errorsText: 'No known data errors' })], datasets: [ds()] })).toEqual([]);
  });
  it('special_small_blocks ≥ recordsize sends every block to the special vdev', () => {
    const f = lints({ pools: [], datasets: [ds({ recordsizeBytes: 65536, specialSmallBlocksBytes: 131072 }), ds({ name: 'eq', recordsizeBytes: 131072, specialSmallBlocksBytes: 131072 })] });
    expect(f).toEqual([
      { severity: 'warn', target: 'tank/ds', message: expect.stringMatching(/special_small_blocks \(128K\) ≥ recordsize \(64K\): every block of this dataset goes to the special vdev/) },
      { severity: 'warn', target: 'eq', message: expect.stringContaining('every block of this dataset goes to the special vdev') },
    ]);
    expect(lints({ pools: [], datasets: [ds({ recordsizeBytes: 1 << 20, specialSmallBlocksBytes: 65536 })] })).toEqual([]);
    expect(lints({ pools: [], datasets: [ds({ specialSmallBlocksBytes: undefined })] })).toEqual([]);
  });
  it('compression=off warns, atime=on informs', () => {
    const f = lints({ pools: [], datasets: [ds({ compression: 'off', atime: 'on' })] });
    expect(f.map((x) => [x.severity, x.message.split(':')[0]])).toEqual([['warn', 'compression=off'], ['info', 'atime=on']]);
  });
  it('capacity past 80 % warns, past 90 % is critical', () => {
    expect(lints({ pools: [pool({ capacityPct: 80 })], datasets: [] })).toEqual([]);
    expect(lints({ pools: [pool({ capacityPct: 81 })], datasets: [] })[0]).toMatchObject({ severity: 'warn', target: 'tank' });
    expect(lints({ pools: [pool({ capacityPct: 93 })], datasets: [] })[0]).toMatchObject({ severity: 'crit', message: expect.stringContaining('93%') });
  });
  it('health: DEGRADED warns, FAULTED/UNAVAIL/SUSPENDED are critical', () => {
    expect(lints({ pools: [pool({ health: 'DEGRADED', status: 'a disk is offline' })], datasets: [] })).toEqual([
      { severity: 'warn', target: 'tank', message: 'pool is DEGRADED: a disk is offline' },
    ]);
    for (const h of ['FAULTED', 'UNAVAIL', 'SUSPENDED']) expect(lints({ pools: [pool({ health: h })], datasets: [] })[0]!.severity).toBe('crit');
  });
  it('scan errors and permanent data errors are critical; device counters warn', () => {
    const f = lints({
      pools: [pool({
        scan: { kind: 'scrub', state: 'finished', errors: 375 },
        errorsText: 'Permanent errors have been detected in the following files:\n/x',
        vdevs: [{ name: 'mirror-0', kind: 'mirror', state: 'ONLINE', cksum: 3, children: [{ name: 'sda', kind: 'disk', state: 'ONLINE', read: 0, write: 0, cksum: 3, children: [] }] }],
      })], datasets: [],
    });
    expect(f.map((x) => [x.severity, x.message])).toEqual([
      ['crit', 'last scrub found 375 errors'],
      ['crit', 'data errors: Permanent errors have been detected in the following files:'],
      ['warn', 'I/O or checksum errors on sda'],
    ]);
  });
});
