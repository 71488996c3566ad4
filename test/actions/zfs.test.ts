/**
 * ZFS recovery actions: argv builders and checks as pure tables; the actions through prepare()/perform() with the
 * real authority (temp state dir) against a FakeRunner that fails on any argv it was not told about; and on the
 * demo box, whose state they change.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkDatasetName, checkDeviceName, checkPoolName, deviceCheck, headroomCheck, parseMountpointSource, parseSnapshotList, rollbackPlan, scrubArgv,
  scrubCheck, SNAPSHOT_LIST, utcStamp,
} from '../../backends/zfs/actions.js';
import { createZfsSource, ZFS_GET_OPENZFS, ZPOOL_LIST_OPENZFS, ZPOOL_STATUS, ZPOOL_STATUS_JSON } from '../../backends/zfs/source.js';
import type { Pool } from '../../backends/zfs/types.js';
import { zfsClear, zfsSnapshot, ZFS_ACTIONS, ZFS_DEVICE_ACTIONS } from '../../src/actions/zfs.js';
import { zfsRollback } from '../../src/actions/zfs-rollback.js';
import type { Action, ActionCtx } from '../../src/actions/types.js';
import { createAuthority } from '../../src/recovery/authority.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';
import type { RecoveryLink, Who } from '../../src/recovery/types.js';
import { emptySamples } from '../../src/store/sample.js';
import type { Samples } from '../../src/store/types.js';
import { FakeRunner, type FakeCommand } from '../helpers/fake-runner.js';

const [scrubStart, scrubPause] = ZFS_ACTIONS as [Action, Action, Action, Action, Action];
const [deviceOffline] = ZFS_DEVICE_ACTIONS as [Action, Action];
const root = mkdtempSync(join(tmpdir(), `sov-zfs-act-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const who: Who = { uid: 0, user: 'op', via: 'cli' };
let n = 0;

function authority(): { recovery: RecoveryLink; audit: () => Record<string, unknown>[]; key: () => Buffer } {
  const dir = join(root, `a${++n}`);
  const recovery = createAuthority({ stateDir: dir });
  return {
    recovery,
    audit: () => readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>),
    key: () => { const k = readKey(join(dir, 'tripcode.key')); if (!k.ok) throw new Error(k.reason); return k.key; },
  };
}

const pool = (over: Partial<Pool> = {}): Pool => ({ name: 'tank', health: 'ONLINE', sizeBytes: 1000, freeBytes: 500, scan: { kind: 'none', state: 'none' }, vdevs: [], ...over });

describe('names, argv, plans (pure)', () => {
  it.each([
    ['tank', true], ['rpool', true], ['-f', false], ['tank/x', false], ['', false], ['a b', false], ['t'.repeat(256), false],
  ])('pool name %j → %s', (s, ok) => expect(checkPoolName(s) === true).toBe(ok));
  it.each([
    ['tank/data', true], ['tank', true], ['tank/-x', false], ['-tank', false], ['tank//x', false], ['tank/x@s', false], ['tank/x\n', false],
  ])('dataset name %j → %s', (s, ok) => expect(checkDatasetName(s) === true).toBe(ok));
  it.each([
    ['sdb', true], ['/tmp/x/m2.img', true], ['nvme0n1p3', true], ['-f', false], ['/tmp/../etc/x', false], ['a b', false],
  ])('device name %j → %s', (s, ok) => expect(checkDeviceName(s) === true).toBe(ok));

  it('scrub argv per dialect: zfs-fuse cannot pause, and says so', () => {
    expect(scrubArgv('start', 'tank', 'openzfs')).toEqual({ argv: ['zpool', 'scrub', 'tank'] });
    expect(scrubArgv('pause', 'tank', 'openzfs')).toEqual({ argv: ['zpool', 'scrub', '-p', 'tank'] });
    expect(scrubArgv('stop', 'tank', 'zfs-fuse')).toEqual({ argv: ['zpool', 'scrub', '-s', 'tank'] });
    expect(scrubArgv('pause', 'tank', 'zfs-fuse')).toMatchObject({ unsupported: expect.stringMatching(/zfs-fuse cannot pause a scrub/) });
  });

  it('the rollback keeps the current state: snapshot, set aside, clone back, promote; a pool root cannot', () => {
    const p = rollbackPlan('tank/data@s1', '20261206T071500Z');
    expect(p).toEqual({
      pre: 'tank/data-sov-pre-rollback-20261206T071500Z@sov-pre-rollback-20261206T071500Z',
      keep: 'tank/data-sov-pre-rollback-20261206T071500Z',
      tmp: 'tank/data-sov-rollback-20261206T071500Z',
      steps: [
        { argv: ['zfs', 'snapshot', 'tank/data@sov-pre-rollback-20261206T071500Z'], what: 'snapshot the current state' },
        { argv: ['zfs', 'clone', 'tank/data@s1', 'tank/data-sov-rollback-20261206T071500Z'], what: 'clone the target' },
        { argv: ['zfs', 'rename', 'tank/data', 'tank/data-sov-pre-rollback-20261206T071500Z'], what: 'set the current state aside' },
        { argv: ['zfs', 'promote', 'tank/data-sov-rollback-20261206T071500Z'], what: expect.stringMatching(/^promote/) },
        { argv: ['zfs', 'rename', 'tank/data-sov-rollback-20261206T071500Z', 'tank/data'], what: "give it the dataset's name" },
      ],
    });
    expect(rollbackPlan('tank@s1', 'T')).toMatch(/root dataset/);
    expect(rollbackPlan('tank/data', 'T')).toMatch(/not a snapshot/);
    expect(rollbackPlan('tank/data@-r', 'T')).toMatch(/not a snapshot name/);
  });

  it('parsers never throw and read what zfs prints', () => {
    expect(parseSnapshotList('tank/a@s1\ntank/a@s2\r\n\nNAME\n')).toEqual(['tank/a@s1', 'tank/a@s2']);
    expect(parseMountpointSource('/mnt/t/data\tinherited from tank\n')).toEqual({ value: '/mnt/t/data', source: 'inherited from tank' });
    expect(parseMountpointSource('garbage')).toBeUndefined();
    expect(utcStamp(Date.UTC(2026, 11, 6, 7, 15, 0))).toBe('20261206T071500Z');
    expect(SNAPSHOT_LIST).toEqual(['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation']);
  });

  it.each([
    ['start', pool(), 'pass'],
    ['start', pool({ scan: { kind: 'resilver', state: 'running', pct: 40 } }), 'fail'],
    ['start', pool({ scan: { kind: 'scrub', state: 'running', pct: 3 } }), 'fail'],
    ['start', pool({ scan: { kind: 'scrub', state: 'running', text: 'scrub paused since …' } }), 'pass'],
    ['pause', pool({ scan: { kind: 'scrub', state: 'running', pct: 3 } }), 'pass'],
    ['pause', pool({ scan: { kind: 'scrub', state: 'running', text: 'scrub paused since …' } }), 'fail'],
    ['pause', pool({ scan: { kind: 'scrub', state: 'finished' } }), 'fail'],
    ['stop', pool({ scan: { kind: 'scrub', state: 'running' } }), 'pass'],
    ['stop', pool(), 'fail'],
  ] as const)('scrub %s on %j → %s', (verb, p, state) => expect(scrubCheck(p, verb).state).toBe(state));

  it('headroom and device state', () => {
    expect(headroomCheck(pool({ sizeBytes: 1000, freeBytes: 100 }), 10)).toEqual({ name: 'disk headroom', state: 'pass', detail: 'tank has 10.0 % of tank (≥ 10 % needed)' });
    expect(headroomCheck(pool({ sizeBytes: 1000, freeBytes: 99 }), 10).state).toBe('fail');
    // a full dataset on a pool with free space (the pool's slop, a quota): the dataset's own room counts
    expect(headroomCheck(pool({ sizeBytes: 1000, freeBytes: 350 }), 10, { name: 'tank/d', availableBytes: 0 })).toEqual({ name: 'disk headroom', state: 'fail', detail: 'tank/d can use 0.0 % of tank (≥ 10 % needed)' });
    expect(headroomCheck(pool({ freeBytes: undefined }), 10).state).toBe('unknown');
    const p = pool({ vdevs: [{ name: 'mirror-0', kind: 'mirror', state: 'DEGRADED', children: [
      { name: '/tmp/m1.img', kind: 'file', state: 'ONLINE', children: [] }, { name: '/tmp/m2.img', kind: 'file', state: 'OFFLINE', children: [] },
    ] }] });
    expect(deviceCheck(p, '/tmp/m1.img', 'offline').state).toBe('pass');
    expect(deviceCheck(p, 'm2.img', 'online').state).toBe('pass');
    expect(deviceCheck(p, '/tmp/m2.img', 'offline').detail).toBe('/tmp/m2.img is OFFLINE, not ONLINE');
    expect(deviceCheck(p, 'sdq', 'offline').detail).toMatch(/no device "sdq" in tank \(devices: \/tmp\/m1.img, \/tmp\/m2.img\)/);
  });
});

// ───────────────────────────── through perform(), against a FakeRunner ─────────────────────────────

const USAGE = { stderr: "invalid option 'j'\nusage:\n\tstatus [-igLpPstvxD] [pool] ...\n", exitCode: 2 };
const statusText = (scan: string, state = 'ONLINE', dev2 = 'ONLINE') => `  pool: tank
 state: ${state}
  scan: ${scan}
config:

	NAME        STATE     READ WRITE CKSUM
	tank        ${state.padEnd(8)}     0     0     0
	  mirror-0  ${state.padEnd(8)}     0     0     0
	    sdb     ONLINE       0     0     0
	    sdc     ${dev2.padEnd(8)}     0     0     0

errors: No known data errors
`;
const FINISHED = 'scrub repaired 0B in 00:01:02 with 0 errors on Sun Nov  8 00:35:43 2026';
const RUNNING = 'scrub in progress since Sun Dec  6 07:00:00 2026\n\t1.00G / 9.00G scanned at 1.00G/s, 1.00G / 9.00G issued at 1.00G/s\n\t0B repaired, 11.11% done, 00:00:08 to go';

function fake(o: { freeBytes?: number; scan?: string } = {}) {
  const r = new FakeRunner();
  const size = 10_000_000_000;
  const free = o.freeBytes ?? 9_000_000_000;
  const status: FakeCommand = { argv: ZPOOL_STATUS, stdout: statusText(o.scan ?? FINISHED) };
  r.on({ argv: ZPOOL_LIST_OPENZFS, stdout: `tank\t${size}\t${size - free}\t${free}\t3\t${Math.floor(((size - free) / size) * 100)}\t1.00\tONLINE\n` })
    .on({ argv: ZPOOL_STATUS_JSON, ...USAGE }).on(status)
    .on({ argv: ZFS_GET_OPENZFS, stdout: ['tank', 'tank/data'].map((d) => `${d}\tused\t1000\n${d}\tavailable\t${free}\n${d}\tmountpoint\t/${d}`).join('\n') + '\n' });
  return { r, status };
}

async function samplesOf(r: FakeRunner, dialect?: 'zfs-fuse'): Promise<Samples> {
  const s = emptySamples();
  const a = await createZfsSource(r).sample();
  if (a.state !== 'ok') throw new Error(JSON.stringify(a));
  s.zfs = { state: 'ok', data: dialect ? { ...a.data, dialect } : a.data, at: 0, tookMs: 0 };
  r.calls = [];
  return s;
}

const ctxOf = (r: FakeRunner, samples: Samples, recovery: RecoveryLink, args: Record<string, string>): ActionCtx =>
  ({ readOnly: false, setLogs: () => {}, runner: r, host: 'fake', samples, recovery, who, args });
const verbs = (r: FakeRunner) => r.calls.filter((c) => !['list', 'status', 'get'].includes(c[1]!)).map((c) => c.join(' '));

describe('zfs actions through perform() against a FakeRunner', () => {
  it('scrub start: the exact argv, recorded begin and end, and the re-read shows the scrub', async () => {
    const { r, status } = fake();
    const a = authority();
    r.on({ argv: ['zpool', 'scrub', 'tank'], stdout: '' });
    const p = await prepare(scrubStart, ctxOf(r, await samplesOf(r), a.recovery, { pool: 'tank' }));
    expect(p.dryRun).toBe('start scrub: `zpool scrub tank`');
    expect(p.checks.map((c) => `${c.name}:${c.state}`)).toEqual(['pool name:pass', 'zfs source:pass', 'pool exists:pass', 'scan state:pass']);
    status.stdout = statusText(RUNNING);
    const res = await perform(p, { kind: 'yes' });
    expect(res.outcome).toBe('ok');
    expect(res.post).toEqual([{ name: 'scrub running', state: 'pass', detail: 'tank: scrub running at 11.11%' }]);
    expect(verbs(r)).toEqual(['zpool scrub tank']);
    expect(a.audit().map((e) => [e.kind, e.action, e.outcome])).toEqual([['begin', 'zfs.scrub.start', undefined], ['end', 'zfs.scrub.start', 'ok']]);
  });

  it('a postcondition that does not hold is said loudly and recorded', async () => {
    const { r } = fake();
    const a = authority();
    r.on({ argv: ['zpool', 'scrub', 'tank'], stdout: '' });
    const res = await perform(await prepare(scrubStart, ctxOf(r, await samplesOf(r), a.recovery, { pool: 'tank' })), { kind: 'yes' });
    expect(res.outcome).toBe('post-failed');
    expect(res.result.message).toMatch(/POSTCONDITION FAILED: scrub running: tank: scrub finished/);
    expect(a.audit().at(-1)).toMatchObject({ kind: 'end', outcome: 'post-failed' });
  });

  it('refused before anything runs: a resilver in progress; a pause on zfs-fuse; a bad pool name; no yes', async () => {
    const { r } = fake({ scan: 'resilver in progress since Sun Dec  6 07:00:00 2026\n\t1G scanned, 40.00% done, 00:10:00 to go' });
    const a = authority();
    const s = await samplesOf(r);
    const p = await prepare(scrubStart, ctxOf(r, s, a.recovery, { pool: 'tank' }));
    expect(p.refused?.reason).toMatch(/scan state: tank: a resilver is running \(40%\)/);
    expect((await perform(p, { kind: 'yes' })).outcome).toBe('refused');
    const fuse = await prepare(scrubPause, ctxOf(r, await samplesOf(r, 'zfs-fuse'), a.recovery, { pool: 'tank' }));
    expect(fuse.refused).toEqual({ code: 'unavailable', reason: expect.stringMatching(/zfs-fuse cannot pause a scrub/) });
    const bad = await prepare(zfsClear, ctxOf(r, s, a.recovery, { pool: '-f' }));
    expect(bad.refused?.reason).toMatch(/not a pool name/);
    const noYes = await perform(await prepare(zfsClear, ctxOf(r, s, a.recovery, { pool: 'tank' })), { kind: 'none' });
    expect(noYes.refusal?.code).toBe('confirmation');
    expect(verbs(r)).toEqual([]);
  });

  it('a failing command says what zpool said, sanitised', async () => {
    const { r } = fake();
    const a = authority();
    r.on({ argv: ['zpool', 'clear', 'tank'], stderr: "cannot clear errors for tank: \u001b[2Jpermission denied\n", exitCode: 1 });
    const res = await perform(await prepare(zfsClear, ctxOf(r, await samplesOf(r), a.recovery, { pool: 'tank' })), { kind: 'yes' });
    expect(res.outcome).toBe('failed');
    expect(res.result.message).toBe('zpool clear tank failed (exit 1): cannot clear errors for tank: permission denied');
  });

  it('snapshot refuses on a nearly full pool, with the evidence', async () => {
    const { r } = fake({ freeBytes: 400_000_000 });
    const a = authority();
    r.on({ argv: SNAPSHOT_LIST, stdout: 'tank/data@old\n' });
    const p = await prepare(zfsSnapshot, ctxOf(r, await samplesOf(r), a.recovery, { dataset: 'tank/data', name: 'x1' }));
    expect(p.refused?.reason).toBe('refused: disk headroom: tank/data can use 4.0 % of tank (≥ 10 % needed)');
    expect(verbs(r)).toEqual([]);
    // the default name is a UTC stamp, fresh each time it is asked
    expect(zfsSnapshot.argDefaults!.name).toMatch(/^sov-\d{8}T\d{6}Z$/);
  });

  it('device offline is T2: the device typed; then the exact argv', async () => {
    const { r, status } = fake();
    const a = authority();
    r.on({ argv: ['zpool', 'offline', 'tank', 'sdc'], stdout: '' });
    const p = await prepare(deviceOffline, ctxOf(r, await samplesOf(r), a.recovery, { pool: 'tank', device: 'sdc' }));
    expect(p.target).toBe('sdc');
    expect((await perform(p, { kind: 'yes' })).refusal?.reason).toMatch(/type "sdc" to confirm/);
    expect(verbs(r)).toEqual([]);
    status.stdout = statusText(FINISHED, 'DEGRADED', 'OFFLINE');
    const res = await perform(p, { kind: 'typed', text: 'sdc' });
    expect(res.outcome).toBe('ok');
    expect(res.post).toEqual([{ name: 'device OFFLINE', state: 'pass', detail: 'sdc is OFFLINE' }]);
    expect(verbs(r)).toEqual(['zpool offline tank sdc']);
  });

  it('an argv the runner was not told about fails loudly, never silently', async () => {
    const { r } = fake();
    const a = authority();
    const res = await perform(await prepare(scrubStart, ctxOf(r, await samplesOf(r), a.recovery, { pool: 'tank' })), { kind: 'yes' });
    expect(res.outcome).toBe('failed');
    expect(res.result.message).toMatch(/FakeRunner: unexpected argv \["zpool","scrub","tank"\]/);
  });
});

describe('zfs.rollback through perform() against a FakeRunner: the steps, a busy rename, a failed promote undone', () => {
  async function rollbackSetup(stamp = '20261206T080000Z') {
    const { r } = fake();
    const a = authority();
    r.on({ argv: SNAPSHOT_LIST, stdout: 'tank/data@s1\ntank/data@s2\n' })
      .on({ argv: ['zfs', 'get', '-H', '-o', 'value,source', 'mountpoint', 'tank/data'], stdout: '/tank/data\tinherited from tank\n' });
    const samples = await samplesOf(r);
    const runAt = Date.UTC(2026, 11, 6, 8, 0, 0);
    r.clock = runAt;
    const ctx = ctxOf(r, samples, a.recovery, { snapshot: 'tank/data@s1' });
    const p = await prepare(zfsRollback, ctx);
    const payload = sign(a.key(), 'RECOVERY:REVERT_SNAPSHOT::tank/data@s1', Math.floor(Date.now() / 1000));
    const keep = `tank/data-sov-pre-rollback-${stamp}`;
    const tmp = `tank/data-sov-rollback-${stamp}`;
    return { r, a, p, payload, keep, tmp };
  }

  it('runs the five steps in order, retrying a rename zfs-fuse calls busy', async () => {
    const { r, p, payload, keep, tmp } = await rollbackSetup();
    expect(p.refused, p.refused?.reason).toBeUndefined();
    r.on({ argv: ['zfs', 'snapshot', 'tank/data@sov-pre-rollback-20261206T080000Z'] }).on({ argv: ['zfs', 'clone', 'tank/data@s1', tmp] })
      .on({ argv: ['zfs', 'promote', tmp] }).on({ argv: ['zfs', 'rename', tmp, 'tank/data'] });
    let busy = 2;
    const run = r.run.bind(r);
    r.run = async (argv) => {
      if (argv.join(' ') === `zfs rename tank/data ${keep}`) {
        r.calls.push(argv);
        return busy-- > 0 ? { argv, exitCode: 1, stdout: '', stderr: "cannot rename 'tank/data': dataset is busy\n", timedOut: false, notFound: false } : { argv, exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false };
      }
      return run(argv);
    };
    // the snapshot list after it: the pre-snapshot with the kept state, the target with the dataset
    r.commands.find((c) => c.argv === SNAPSHOT_LIST)!.stdout = `tank/data@s1\n${keep}@s2\n${keep}@sov-pre-rollback-20261206T080000Z\n`;
    const res = await perform(p, { kind: 'tripcode', payload });
    expect(res.outcome, res.result.message).toBe('ok');
    expect(verbs(r)).toEqual([
      'zfs snapshot tank/data@sov-pre-rollback-20261206T080000Z', `zfs clone tank/data@s1 ${tmp}`,
      `zfs rename tank/data ${keep}`, `zfs rename tank/data ${keep}`, `zfs rename tank/data ${keep}`, `zfs promote ${tmp}`, `zfs rename ${tmp} tank/data`,
    ]);
    expect(res.post.map((c) => c.state)).toEqual(['pass', 'pass']);
  }, 20_000);

  it('a promote that fails puts the dataset back under its name, and says so', async () => {
    const { r, p, payload, keep, tmp } = await rollbackSetup();
    r.on({ argv: ['zfs', 'snapshot', 'tank/data@sov-pre-rollback-20261206T080000Z'] }).on({ argv: ['zfs', 'clone', 'tank/data@s1', tmp] })
      .on({ argv: ['zfs', 'rename', 'tank/data', keep] })
      .on({ argv: ['zfs', 'promote', tmp], stderr: "cannot promote '" + tmp + "': out of space\n", exitCode: 1 })
      .on({ argv: ['zfs', 'rename', keep, 'tank/data'] });
    const res = await perform(p, { kind: 'tripcode', payload });
    expect(res.outcome).toBe('failed');
    expect(res.result.message).toBe(`rollback failed at step 4 (promote the clone (the snapshots up to the target move with it)): cannot promote '${tmp}': out of space. tank/data is back as it was; the clone ${tmp} is left over (zfs destroy ${tmp})`);
    expect(verbs(r).at(-1)).toBe(`zfs rename ${keep} tank/data`);
  });
});
