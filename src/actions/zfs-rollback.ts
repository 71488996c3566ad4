/**
 * zfs.rollback (T3; the tripcode RECOVERY:REVERT_SNAPSHOT::<pool/ds@snap> stands for it): rolls a dataset back to a
 * snapshot while keeping the state it rolls back from, findable as DATASET-sov-pre-rollback-<UTC>@sov-pre-rollback-<UTC>
 * (the plan and why it is not `zfs rollback -r`: backends/zfs/actions.ts rollbackPlan). Each step's outcome goes to
 * ctx.output; a step that fails stops the rest, and the message says what state the box is in.
 */
import { isBusy, mountpointSourceArgv, parseMountpointSource, rollbackPlan, splitSnapshot, utcStamp, type RollbackPlan } from '../../backends/zfs/actions.js';
import type { Runner } from '../../backends/types.js';
import type { CheckResult } from '../recovery/types.js';
import type { Action, ActionCtx, ActionResult } from './types.js';
import { shellLine } from '../text/shell.js';
import { argOf, needRunner, step } from './steps.js';
import { datasetCheck, headroom, snapshots, source, unknown } from './zfs.js';

/** the stamp a rollback names its keep with, fixed once per prepared run so the dry run shows the exact argv */
const stamps = new WeakMap<object, string>();
function stampFor(ctx: ActionCtx): string {
  const now = utcStamp(ctx.runner?.now() ?? Date.now());
  if (!ctx.args) return now;
  const s = stamps.get(ctx.args) ?? now;
  stamps.set(ctx.args, s);
  return s;
}

const planOf = (ctx: ActionCtx): RollbackPlan | string => rollbackPlan(argOf(ctx, 'snapshot'), stampFor(ctx));

/** the last snapshot list read through each runner: the cockpit offers it (refreshed in the background) */
const listed = new WeakMap<Runner, string[]>();

async function snapshotList(ctx: ActionCtx): Promise<string[] | string> {
  const l = await snapshots(ctx);
  if (typeof l !== 'string' && ctx.runner) listed.set(ctx.runner, l);
  return l;
}

async function checks(ctx: ActionCtx): Promise<CheckResult[]> {
  const target = argOf(ctx, 'snapshot');
  const s = splitSnapshot(target);
  if (typeof s === 'string') return [{ name: 'snapshot name', state: 'fail', detail: s }];
  const plan = planOf(ctx);
  if (typeof plan === 'string') return [{ name: 'snapshot name', state: 'pass', detail: target }, { name: 'state kept', state: 'fail', detail: plan }];
  const src = source(ctx);
  const out: CheckResult[] = [src.check, datasetCheck(src.d, s.dataset)];
  const list = await snapshotList(ctx);
  out.push(typeof list === 'string' ? unknown('snapshot exists', list) : list.includes(target) ? { name: 'snapshot exists', state: 'pass', detail: target } : { name: 'snapshot exists', state: 'fail', detail: `no snapshot ${target}` });
  if (src.d) {
    const kids = src.d.datasets.filter((d) => d.name.startsWith(`${s.dataset}/`)).map((d) => d.name);
    out.push(kids.length
      ? { name: 'no child datasets', state: 'fail', detail: `${s.dataset} has child datasets (${kids.slice(0, 4).join(', ')}): setting the current state aside would move them too` }
      : { name: 'no child datasets', state: 'pass', detail: `${s.dataset} has none` });
    const taken = [plan.keep, plan.tmp].filter((n) => src.d!.datasets.some((d) => d.name === n));
    out.push(taken.length ? { name: 'names free', state: 'fail', detail: `${taken.join(', ')} exists already` } : { name: 'names free', state: 'pass', detail: plan.keep });
  }
  const mp = await step(ctx, mountpointSourceArgv(s.dataset), 15_000);
  const m = mp.ok ? parseMountpointSource(mp.r.stdout) : undefined;
  out.push(!m ? unknown('mountpoint inherited', mp.ok ? 'zfs get printed nothing usable' : mp.text)
    : m.source === 'local' ? { name: 'mountpoint inherited', state: 'fail', detail: `${s.dataset} has its own mountpoint (${m.value}): the set-aside state would keep it and the rolled-back one would not get it; roll back by hand` }
      : { name: 'mountpoint inherited', state: 'pass', detail: `${m.value} (${m.source})` });
  out.push(headroom(ctx, src.d, s.dataset));
  return out;
}

/** what to say when step i (0-based) failed: the state the box is in now */
function afterFailure(plan: RollbackPlan, dataset: string, i: number): string {
  const pre = plan.steps[0]!.argv[2]!;
  switch (i) {
    case 0: return 'nothing was changed';
    case 1: return `only the snapshot ${pre} was taken; ${dataset} is as it was`;
    case 2: return `${dataset} is as it was; the clone ${plan.tmp} is left over (zfs destroy ${plan.tmp} removes it)`;
    case 3: return `the current state sits at ${plan.keep}; ${dataset} does not exist now`;
    default: return `the rolled-back state sits at ${plan.tmp} and the state before at ${plan.keep}; ${dataset} does not exist now (zfs rename ${plan.tmp} ${dataset} finishes it)`;
  }
}

const BUSY_TRIES = 10;
const BUSY_WAIT_MS = 1000;

/** one step; a rename zfs-fuse calls busy is tried again for a few seconds */
async function runStep(ctx: ActionCtx, argv: string[]): ReturnType<typeof step> {
  let s = await step(ctx, argv);
  for (let i = 1; !s.ok && argv[1] === 'rename' && isBusy(s.r.stderr) && i < BUSY_TRIES && !ctx.signal?.aborted; i++) {
    ctx.output?.(`   busy, trying again (${i}/${BUSY_TRIES - 1})`);
    await new Promise((r) => setTimeout(r, BUSY_WAIT_MS));
    s = await step(ctx, argv);
  }
  return s;
}

async function run(ctx: ActionCtx): Promise<ActionResult> {
  const plan = planOf(ctx);
  if (typeof plan === 'string') return { kind: 'error', message: plan };
  const dataset = (splitSnapshot(argOf(ctx, 'snapshot')) as { dataset: string }).dataset;
  for (const [i, st] of plan.steps.entries()) {
    if (ctx.signal?.aborted && i < 3) return { kind: 'error', message: `cancelled before step ${i + 1}: ${afterFailure(plan, dataset, i)}` };
    ctx.output?.(`${i + 1}/${plan.steps.length} ${st.what}: $ ${shellLine(st.argv)}`);
    const s = await runStep(ctx, st.argv);
    ctx.output?.(s.ok ? `   ok${s.text ? `: ${s.text}` : ''}` : `   FAILED (exit ${s.r.exitCode ?? 'signal'}): ${s.text || 'no output'}`);
    if (s.ok) continue;
    let state = afterFailure(plan, dataset, i);
    if (i === 3) {
      // the dataset must not stay missing: put the current state back under its name
      const back = await runStep(ctx, ['zfs', 'rename', plan.keep, dataset]);
      ctx.output?.(`   undo: $ zfs rename ${plan.keep} ${dataset}: ${back.ok ? 'ok' : `FAILED: ${back.text}`}`);
      state = back.ok ? `${dataset} is back as it was; the clone ${plan.tmp} is left over (zfs destroy ${plan.tmp})` : `${state}; putting it back failed too: zfs rename ${plan.keep} ${dataset} by hand`;
    }
    return { kind: 'error', message: `rollback failed at step ${i + 1} (${st.what}): ${s.text || `exit ${s.r.exitCode}`}. ${state}`, exitCode: s.r.exitCode ?? 1 };
  }
  return { kind: 'done', message: `${dataset} rolled back to ${argOf(ctx, 'snapshot')}; the state before is kept at ${plan.keep} (snapshot ${plan.pre})`, exitCode: 0 };
}

export const zfsRollback: Action = {
  id: 'zfs.rollback', title: 'Roll back to snapshot', tier: 'T3', keys: [], scope: 'recovery', confirm: true, reads: ['zfs'], remote: true,
  args: { snapshot: 'the snapshot to go back to (pool/dataset@snap)' },
  description: 'roll a dataset back to a snapshot, keeping the current state as DATASET-sov-pre-rollback-<UTC> with a snapshot of the same name (tripcode RECOVERY:REVERT_SNAPSHOT::<snap>)',
  argChoices(ctx, arg) {
    if (arg !== 'snapshot' || !ctx.runner) return [];
    void snapshotList(ctx).catch(() => {}); // fresh for the next time it is asked
    return listed.get(ctx.runner) ?? [];
  },
  when: needRunner,
  describe(ctx) {
    const plan = planOf(ctx);
    if (typeof plan === 'string') return `roll back to ${argOf(ctx, 'snapshot') || 'SNAPSHOT'}: ${plan}`;
    const steps = plan.steps.map((s, i) => `  ${i + 1}. ${shellLine(s.argv)}   (${s.what})`).join('\n');
    return `roll back to ${argOf(ctx, 'snapshot')}, keeping the current state (a snapshot of it first, findable as ${plan.pre}):\n${steps}`;
  },
  checks,
  run,
  async verify(ctx) {
    const plan = planOf(ctx);
    if (typeof plan === 'string') return [{ name: 'rolled back', state: 'fail', detail: plan }];
    const list = await snapshotList(ctx);
    if (typeof list === 'string') return [unknown('pre-rollback snapshot kept', list)];
    const target = argOf(ctx, 'snapshot');
    return [
      list.includes(plan.pre) ? { name: 'pre-rollback snapshot kept', state: 'pass', detail: plan.pre } : { name: 'pre-rollback snapshot kept', state: 'fail', detail: `${plan.pre} is not listed` },
      list.includes(target) ? { name: 'target is the dataset\'s', state: 'pass', detail: `${target} belongs to the rolled-back dataset` } : { name: 'target is the dataset\'s', state: 'fail', detail: `${target} is not listed` },
    ];
  },
};
