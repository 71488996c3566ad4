/**
 * Built-in ZFS recovery actions (issue 8): scrub start/pause/stop, clear (T1), snapshot (T1), rollback (T3,
 * keeping the current state: backends/zfs/actions.ts rollbackPlan), device offline/online (T2, the device typed).
 * They run through ctx.runner (the box's, the demo box's), check their preconditions against ctx.samples (the live
 * zfs reading) and their postconditions against a fresh reading taken through the same runner.
 */
import {
  checkDatasetName, checkDeviceName, checkPoolName, checkSnapName, clearArgv, deviceArgv, deviceCheck, deviceStatePost, findPool, headroomCheck, healthPost,
  isPaused, leafDevices, parseSnapshotList, poolCheck, poolOf, scrubArgv,
  scrubCheck, scrubStartedPost, SNAPSHOT_LIST, snapshotArgv, utcStamp, type Check, type Dialect,
} from '../../backends/zfs/actions.js';
import { createZfsSource } from '../../backends/zfs/source.js';
import type { Pool, ZfsData } from '../../backends/zfs/types.js';
import type { SourceId } from '../../backends/types.js';
import { shellLine } from '../text/shell.js';
import type { CheckResult } from '../recovery/types.js';
import { dataOf } from '../store/selectors.js';
import { argOf, needRunner, step } from './steps.js';
import type { Action, ActionCtx, ActionResult } from './types.js';

const READ_TIMEOUT_MS = 15_000;

export const zfsOf = (ctx: ActionCtx): ZfsData | undefined => (ctx.samples ? dataOf(ctx.samples.zfs) : undefined);

/** the live reading, or the check that says why there is none */
export function source(ctx: ActionCtx): { d?: ZfsData; check: CheckResult } {
  const s = ctx.samples?.zfs;
  const d = zfsOf(ctx);
  if (d) return { d, check: { name: 'zfs source', state: 'pass', detail: `${d.dialect}, ${d.pools.length} pool${d.pools.length === 1 ? '' : 's'}` } };
  const why = !s ? 'no reading of the box' : s.state === 'unavailable' ? s.reason : s.state === 'error' ? s.message : 'not read yet';
  return { check: { name: 'zfs source', state: 'unknown', detail: `no zfs reading: ${why}` } };
}

const dialectOf = (ctx: ActionCtx): Dialect => zfsOf(ctx)?.dialect ?? 'openzfs';

/** a fresh reading through the action's runner (the postconditions never trust the reading from before) */
export async function resample(ctx: ActionCtx): Promise<ZfsData | string> {
  const s = createZfsSource(ctx.runner!);
  try {
    const a = await s.sample();
    return a.state === 'ok' ? a.data : a.state === 'unavailable' ? a.reason : a.message;
  } finally { s.dispose(); }
}

export async function snapshots(ctx: ActionCtx): Promise<string[] | string> {
  const s = await step(ctx, SNAPSHOT_LIST, READ_TIMEOUT_MS);
  return s.ok ? parseSnapshotList(s.r.stdout) : `zfs list -t snapshot failed: ${s.text}`;
}

export const nameCheck = (what: string, v: true | string): CheckResult => (v === true ? { name: `${what} name`, state: 'pass', detail: 'valid' } : { name: `${what} name`, state: 'fail', detail: v });
export const unknown = (name: string, detail: string): Check => ({ name, state: 'unknown', detail });

/** preconditions that every pool action shares: a valid name, a reading, the pool there */
function poolChecks(ctx: ActionCtx, pool: string): { checks: CheckResult[]; p?: Pool; d?: ZfsData } {
  const n = checkPoolName(pool);
  const src = source(ctx);
  const checks: CheckResult[] = [nameCheck('pool', n), src.check];
  if (n !== true || !src.d) return { checks };
  const pc = poolCheck(src.d, pool);
  checks.push(pc);
  const p = findPool(src.d, pool);
  return { checks, ...(p && pc.state === 'pass' ? { p } : {}), d: src.d };
}

async function runArgv(ctx: ActionCtx, argv: string[], done: string): Promise<ActionResult> {
  ctx.output?.(`$ ${shellLine(argv)}`);
  const s = await step(ctx, argv);
  if (s.text) ctx.output?.(s.text);
  return s.ok ? { kind: 'done', message: done, exitCode: 0 } : { kind: 'error', message: `${shellLine(argv)} failed (exit ${s.r.exitCode ?? 'signal'}): ${s.text || 'no output'}`, exitCode: s.r.exitCode ?? 1 };
}

async function postPool(ctx: ActionCtx, pool: string, f: (after: Pool | undefined) => Check[]): Promise<CheckResult[]> {
  const d = await resample(ctx);
  if (typeof d === 'string') return [{ name: 'zfs reading after', state: 'unknown', detail: d }];
  return f(findPool(d, pool));
}

const POOL_ARG = { pool: 'the pool, as zpool list names it' };
const poolChoices = (ctx: ActionCtx) => zfsOf(ctx)?.pools.map((p) => p.name) ?? [];
/** their checks read the zfs reading (headless, `sov do` reads only it) */
const common = { keys: [] as string[], scope: 'recovery' as const, confirm: true, reads: ['zfs'] as SourceId[], remote: true };

function scrubAction(verb: 'start' | 'pause' | 'stop'): Action {
  const title = { start: 'Start scrub', pause: 'Pause scrub', stop: 'Stop scrub' }[verb];
  return {
    ...common, id: `zfs.scrub.${verb}`, title, tier: 'T1', args: POOL_ARG,
    description: { start: 'zpool scrub POOL: read and verify every block of the pool (a paused scrub resumes)', pause: 'zpool scrub -p POOL: pause the running scrub (OpenZFS; zfs-fuse cannot)', stop: 'zpool scrub -s POOL: cancel the running scrub' }[verb],
    argChoices: (ctx, arg) => (arg === 'pool' ? poolChoices(ctx) : []),
    when(ctx) {
      const r = needRunner(ctx);
      if (r !== true) return r;
      const b = scrubArgv(verb, argOf(ctx, 'pool') || 'POOL', dialectOf(ctx));
      return 'unsupported' in b ? b.unsupported : true;
    },
    describe(ctx) {
      const b = scrubArgv(verb, argOf(ctx, 'pool') || 'POOL', dialectOf(ctx));
      return 'argv' in b ? `${title.toLowerCase()}: \`${shellLine(b.argv)}\`` : `${title.toLowerCase()}: ${b.unsupported}`;
    },
    async checks(ctx) {
      const { checks, p } = poolChecks(ctx, argOf(ctx, 'pool'));
      if (p) checks.push(scrubCheck(p, verb));
      return checks;
    },
    async run(ctx) {
      const pool = argOf(ctx, 'pool');
      const b = scrubArgv(verb, pool, dialectOf(ctx));
      if ('unsupported' in b) return { kind: 'error', message: b.unsupported };
      return runArgv(ctx, b.argv, { start: `scrub of ${pool} started`, pause: `scrub of ${pool} paused`, stop: `scrub of ${pool} stopped` }[verb]);
    },
    verify(ctx) {
      const pool = argOf(ctx, 'pool');
      const before = zfsOf(ctx) && findPool(zfsOf(ctx)!, pool);
      return postPool(ctx, pool, (after) => {
        if (verb === 'start') return [scrubStartedPost(before, after)];
        if (verb === 'pause') return [after && isPaused(after) ? { name: 'scrub paused', state: 'pass', detail: `${pool}: ${after.scan.text?.split('\n')[0]}` } : { name: 'scrub paused', state: 'fail', detail: `${pool}: ${after?.scan.text?.split('\n')[0] ?? 'gone'}` }];
        const running = after?.scan.kind === 'scrub' && after.scan.state === 'running';
        return [running ? { name: 'scrub stopped', state: 'fail', detail: `${pool}: a scrub still runs` } : { name: 'scrub stopped', state: 'pass', detail: `${pool}: ${after?.scan.text?.split('\n')[0] ?? 'no scan'}` }];
      });
    },
  };
}

/** the devices whose read/write/checksum counters are not zero */
function erring(vs: Pool['vdevs'], out: string[] = []): string[] {
  for (const v of vs) { if ((v.read ?? 0) + (v.write ?? 0) + (v.cksum ?? 0) > 0 && !v.children.length) out.push(v.name); erring(v.children, out); }
  return out;
}

export const zfsClear: Action = {
  ...common, id: 'zfs.clear', title: 'Clear pool errors', tier: 'T1', args: POOL_ARG,
  description: 'zpool clear POOL: reset the error counters (and resume a pool suspended by I/O errors)',
  argChoices: (ctx, arg) => (arg === 'pool' ? poolChoices(ctx) : []),
  when: needRunner,
  describe: (ctx) => `clear the error counters of ${argOf(ctx, 'pool') || 'POOL'}: \`${shellLine(clearArgv(argOf(ctx, 'pool') || 'POOL'))}\``,
  async checks(ctx) { return poolChecks(ctx, argOf(ctx, 'pool')).checks; },
  run: (ctx) => runArgv(ctx, clearArgv(argOf(ctx, 'pool')), `errors of ${argOf(ctx, 'pool')} cleared`),
  verify(ctx) {
    return postPool(ctx, argOf(ctx, 'pool'), (after) => {
      const counting = after ? erring(after.vdevs) : [];
      return [healthPost(after), counting.length ? { name: 'error counters zero', state: 'fail', detail: `${counting.slice(0, 4).join(', ')} still count errors` } : { name: 'error counters zero', state: 'pass', detail: 'every device at 0 0 0' }];
    });
  },
};

/** the pool a dataset or snapshot writes to, with its headroom against recovery.diskHeadroomPct */
export function headroom(ctx: ActionCtx, d: ZfsData | undefined, dataset: string): CheckResult {
  const pct = ctx.config?.recovery.diskHeadroomPct ?? 10;
  const p = d && findPool(d, poolOf(dataset));
  if (!p) return unknown('disk headroom', `pool ${poolOf(dataset)} not in the reading`);
  return headroomCheck(p, pct, d.datasets.find((x) => x.name === dataset));
}

export function datasetCheck(d: ZfsData | undefined, ds: string): CheckResult {
  if (!d) return unknown('dataset exists', 'no zfs reading');
  const hit = d.datasets.find((x) => x.name === ds);
  return hit ? { name: 'dataset exists', state: 'pass', detail: `${ds}${hit.mountpoint ? ` (${hit.mountpoint})` : ''}` } : { name: 'dataset exists', state: 'fail', detail: `no dataset "${ds}"` };
}

export const zfsSnapshot: Action = {
  ...common, id: 'zfs.snapshot', title: 'Snapshot dataset', tier: 'T1',
  args: { dataset: 'the dataset (pool/name)', name: 'the snapshot name (default sov-<UTC timestamp>)' },
  description: 'zfs snapshot DATASET@NAME: a point to come back to (name defaults to sov-<UTC timestamp>)',
  // a getter: each use gets the time it is asked at
  get argDefaults() { return { name: `sov-${utcStamp(Date.now())}` }; },
  argChoices: (ctx, arg) => (arg === 'dataset' ? zfsOf(ctx)?.datasets.map((x) => x.name) ?? [] : []),
  when: needRunner,
  describe: (ctx) => `snapshot ${argOf(ctx, 'dataset') || 'DATASET'}: \`${shellLine(snapshotArgv(argOf(ctx, 'dataset') || 'DATASET', argOf(ctx, 'name') || 'NAME'))}\``,
  async checks(ctx) {
    const ds = argOf(ctx, 'dataset');
    const name = argOf(ctx, 'name');
    const checks: CheckResult[] = [nameCheck('dataset', checkDatasetName(ds)), nameCheck('snapshot', checkSnapName(name))];
    if (checks.some((c) => c.state !== 'pass')) return checks;
    const src = source(ctx);
    checks.push(src.check, datasetCheck(src.d, ds), headroom(ctx, src.d, ds));
    const list = await snapshots(ctx);
    checks.push(typeof list === 'string' ? unknown('name free', list) : list.includes(`${ds}@${name}`) ? { name: 'name free', state: 'fail', detail: `${ds}@${name} exists already` } : { name: 'name free', state: 'pass', detail: `${ds}@${name} is new` });
    return checks;
  },
  run: (ctx) => runArgv(ctx, snapshotArgv(argOf(ctx, 'dataset'), argOf(ctx, 'name')), `${argOf(ctx, 'dataset')}@${argOf(ctx, 'name')} taken`),
  async verify(ctx) {
    const want = `${argOf(ctx, 'dataset')}@${argOf(ctx, 'name')}`;
    const list = await snapshots(ctx);
    if (typeof list === 'string') return [unknown('snapshot exists', list)];
    return [list.includes(want) ? { name: 'snapshot exists', state: 'pass', detail: want } : { name: 'snapshot exists', state: 'fail', detail: `${want} is not listed` }];
  },
};

function deviceAction(verb: 'offline' | 'online'): Action {
  return {
    ...common, id: `zfs.device.${verb}`, title: verb === 'offline' ? 'Take device offline' : 'Bring device online', tier: 'T2',
    args: { pool: 'the pool', device: 'the device, as zpool status names it' },
    description: verb === 'offline' ? 'zpool offline POOL DEVICE: stop using a disk (the pool runs degraded on its redundancy)' : 'zpool online POOL DEVICE: use the disk again (it resilvers what it missed)',
    argChoices(ctx, arg) {
      if (arg === 'pool') return poolChoices(ctx);
      const p = zfsOf(ctx) && findPool(zfsOf(ctx)!, argOf(ctx, 'pool'));
      return arg === 'device' && p ? leafDevices(p) : [];
    },
    when: needRunner,
    target: (ctx) => argOf(ctx, 'device'),
    describe: (ctx) => `${verb} ${argOf(ctx, 'device') || 'DEVICE'} in ${argOf(ctx, 'pool') || 'POOL'}: \`${shellLine(deviceArgv(verb, argOf(ctx, 'pool') || 'POOL', argOf(ctx, 'device') || 'DEVICE'))}\``,
    async checks(ctx) {
      const { checks, p } = poolChecks(ctx, argOf(ctx, 'pool'));
      checks.push(nameCheck('device', checkDeviceName(argOf(ctx, 'device'))));
      if (p && checks.every((c) => c.state === 'pass')) checks.push(deviceCheck(p, argOf(ctx, 'device'), verb));
      return checks;
    },
    run: (ctx) => runArgv(ctx, deviceArgv(verb, argOf(ctx, 'pool'), argOf(ctx, 'device')), `${argOf(ctx, 'device')} ${verb === 'offline' ? 'taken offline' : 'brought online'} in ${argOf(ctx, 'pool')}`),
    verify: (ctx) => postPool(ctx, argOf(ctx, 'pool'), (after) => verb === 'offline'
      ? [deviceStatePost(after, argOf(ctx, 'device'), 'OFFLINE')]
      : [deviceStatePost(after, argOf(ctx, 'device'), 'ONLINE'), healthPost(after)]),
  };
}

export const ZFS_ACTIONS: Action[] = [
  scrubAction('start'), scrubAction('pause'), scrubAction('stop'), zfsClear, zfsSnapshot,
];
export const ZFS_DEVICE_ACTIONS: Action[] = [deviceAction('offline'), deviceAction('online')];
