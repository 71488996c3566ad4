/**
 * VM actions (issue 9): snapshot (T1), revert (T2: the current state is snapshotted first; the VM's name is typed),
 * reimage to golden (T3: tripcode RECOVERY:REIMAGE_TO_GOLDEN::<vm>), start and stop (T1). Reached from the
 * Recovery screen, the palette and `sov do vm.… --arg vm=NAME`; every step's outcome goes to ctx.output.
 */
import type { VmsData } from '../../backends/vms/types.js';
import { discover, isLocalRunner, isRunning, locate, revertVm, snapshotName, snapshotVm, startVm, StepError, stopVm, type Located, type VmOps } from '../vms/ops.js';
import { reimageChecks, reimagePlan, reimageVm } from '../vms/reimage.js';
import type { CheckResult } from '../recovery/types.js';
import type { Action, ActionCtx, ActionResult } from './types.js';

/** VM and snapshot names reach the monitor's command line: letters, digits and . _ : - only */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

function ops(ctx: ActionCtx): VmOps {
  return { runner: ctx.runner!, ...(ctx.config ? { config: ctx.config } : {}), ...(ctx.output ? { output: ctx.output } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
}

const vmArg = (ctx: ActionCtx) => ctx.args?.vm ?? '';
const liveData = (ctx: ActionCtx): VmsData | undefined => (ctx.samples?.vms.state === 'ok' ? ctx.samples.vms.data : undefined);

function when(ctx: ActionCtx): true | string {
  if (!ctx.runner) return 'no runner for this host';
  return true;
}

function nameChecks(args: Record<string, string>, keys: string[]): CheckResult[] {
  return keys.map((k) => {
    const v = args[k] ?? '';
    return SAFE_NAME.test(v) ? { name: k, state: 'pass' as const, detail: v } : { name: k, state: 'fail' as const, detail: `${JSON.stringify(v.slice(0, 80))}: letters, digits, . _ : - (1–64), first a letter or digit` };
  });
}

async function located(ctx: ActionCtx): Promise<{ loc?: Located; check: CheckResult }> {
  const l = await locate(ops(ctx), vmArg(ctx));
  if (typeof l === 'string') return { check: { name: 'VM found', state: 'fail', detail: l } };
  const how = l.vm ? `${l.vm.kind}, ${l.vm.state}${l.vm.pid !== undefined ? `, pid ${l.vm.pid}` : ''}` : 'declared in the config, not running';
  return { loc: l, check: { name: 'VM found', state: 'pass', detail: `${l.name}: ${how}` } };
}

/** a running QEMU VM is snapshotted and reverted through its QMP socket on this machine */
function qmpCheck(ctx: ActionCtx, l: Located): CheckResult | undefined {
  if (!isRunning(l) || l.vm?.kind === 'libvirt') return undefined;
  if (l.qmpSocket === undefined) return { name: 'QMP', state: 'fail', detail: `${l.name} runs without a QMP socket (-qmp unix:PATH,server=on,wait=off, or qmp: in the config)` };
  if (!isLocalRunner(ctx.runner!)) return { name: 'QMP', state: 'fail', detail: `the QMP socket is on ${ctx.runner!.host}: sov opens QMP sockets on this machine only` };
  return { name: 'QMP', state: 'pass', detail: l.qmpSocket };
}

async function runStep(ctx: ActionCtx, fn: (o: VmOps, l: Located) => Promise<string>): Promise<ActionResult> {
  const o = ops(ctx);
  const l = await locate(o, vmArg(ctx));
  if (typeof l === 'string') return { kind: 'error', message: l, exitCode: 3 };
  try {
    return { kind: 'done', message: await fn(o, l) };
  } catch (e) {
    return { kind: 'error', message: e instanceof StepError ? e.message : `${(e as Error)?.message ?? e}` };
  }
}

/** the exact command for a snapshot or revert when the VM's reading is at hand; the three ways otherwise */
function exactly(ctx: ActionCtx, verb: 'create' | 'revert', snap: string): string {
  const vm = liveData(ctx)?.vms.find((v) => v.name === vmArg(ctx));
  const cfg = ctx.config?.vms.find((v) => v.name === vmArg(ctx));
  if (vm?.kind === 'libvirt') return `virsh ${verb === 'create' ? 'snapshot-create-as' : 'snapshot-revert'} ${vm.name} ${snap}`;
  if (vm && vm.state !== 'stopped') return `QMP ${cfg?.qmp ?? vm.qmpSocket ?? '(no socket)'}: human-monitor-command ${verb === 'create' ? 'savevm' : 'loadvm'} ${snap}`;
  const image = cfg?.overlay ?? vm?.disks[0]?.path;
  if (image !== undefined) return `qemu-img snapshot ${verb === 'create' ? '-c' : '-a'} ${snap} ${image}`;
  return verb === 'create' ? `savevm ${snap} through QMP while it runs, qemu-img snapshot -c when off, virsh snapshot-create-as for libvirt` : `loadvm ${snap} while it runs, qemu-img snapshot -a when off, virsh snapshot-revert for libvirt`;
}

function vmChoices(ctx: ActionCtx): string[] {
  const names = new Set<string>([...(liveData(ctx)?.vms.map((v) => v.name) ?? []), ...(ctx.config?.vms.map((v) => v.name) ?? [])]);
  return [...names];
}

function snapChoices(ctx: ActionCtx): string[] {
  return liveData(ctx)?.vms.find((v) => v.name === vmArg(ctx))?.snapshots.map((s) => s.name) ?? [];
}

const common = { keys: [] as string[], scope: 'vms' as const, when, argChoices: (ctx: ActionCtx, arg: string) => (arg === 'vm' ? vmChoices(ctx) : arg === 'snapshot' ? snapChoices(ctx) : arg === 'mode' ? ['powerdown', 'quit'] : []) };

export const VM_ACTIONS: Action[] = [
  {
    ...common, id: 'vm.snapshot', title: 'Snapshot VM', tier: 'T1', confirm: true,
    description: 'take a named snapshot: savevm through QMP while it runs (RAM and devices too), qemu-img snapshot -c when off, virsh snapshot-create-as for libvirt',
    args: { vm: 'the VM', name: 'the snapshot name (empty: sov-YYYYMMDD-HHMMSS)' },
    argDefaults: { name: '' },
    describe: (ctx) => { const n = ctx.args?.name || snapshotName(new Date()); return `snapshot ${vmArg(ctx)} as ${n}: ${exactly(ctx, 'create', n)}`; },
    async checks(ctx) {
      const { loc, check } = await located(ctx);
      const out = [check, ...nameChecks({ ...ctx.args, name: ctx.args?.name || 'auto' }, ['vm', 'name'])];
      const q = loc ? qmpCheck(ctx, loc) : undefined;
      return q ? [...out, q] : out;
    },
    run: (ctx) => runStep(ctx, (o, l) => snapshotVm(o, l, ctx.args?.name || snapshotName(new Date()))),
  },
  {
    ...common, id: 'vm.revert', title: 'Revert VM to a snapshot', tier: 'T2', confirm: true,
    description: 'snapshot the current state first, then go back to the named snapshot (loadvm / qemu-img snapshot -a / virsh snapshot-revert)',
    args: { vm: 'the VM', snapshot: 'the snapshot to go back to' },
    target: (ctx) => vmArg(ctx),
    describe: (ctx) => `1. snapshot the current state of ${vmArg(ctx)}: ${exactly(ctx, 'create', 'sov-before-revert-<UTC time>')}\n2. revert ${vmArg(ctx)} to ${ctx.args?.snapshot ?? '?'}: ${exactly(ctx, 'revert', ctx.args?.snapshot ?? '?')}`,
    async checks(ctx) {
      const { loc, check } = await located(ctx);
      const out = [check, ...nameChecks(ctx.args ?? {}, ['vm', 'snapshot'])];
      if (!loc) return out;
      const q = qmpCheck(ctx, loc);
      if (q) out.push(q);
      const snaps = loc.vm?.snapshots ?? [];
      const snap = ctx.args?.snapshot ?? '';
      out.push(snaps.some((s) => s.name === snap)
        ? { name: 'snapshot exists', state: 'pass', detail: snap }
        : { name: 'snapshot exists', state: loc.vm ? 'fail' : 'unknown', detail: loc.vm ? `${loc.name} has no snapshot ${snap} (has: ${snaps.map((s) => s.name).join(', ') || 'none'})` : 'the VM is off: its snapshots are checked by qemu-img when it runs' });
      return out;
    },
    unknownOk: ['snapshot exists'],
    run: (ctx) => runStep(ctx, (o, l) => revertVm(o, l, ctx.args!.snapshot!, new Date())),
  },
  {
    ...common, id: 'vm.reimage', title: 'Reimage VM to golden', tier: 'T3', confirm: true,
    description: 'stop the VM, move its overlay aside (keeping N generations), make a fresh overlay on the golden image, start it, wait for its heartbeat',
    args: { vm: 'the VM (declared in the config with golden: and overlay:)' },
    describe(ctx) {
      const cfg = ctx.config?.vms.find((v) => v.name === vmArg(ctx));
      return cfg ? reimagePlan(cfg).map((s, i) => `${i + 1}. ${s}`).join('\n') : `reimage ${vmArg(ctx)}: it is not declared in the config (vms:)`;
    },
    async checks(ctx) {
      const o = ops(ctx);
      const data = await discover(o.runner);
      const d = typeof data === 'string' ? undefined : data;
      const cfg = ctx.config?.vms.find((v) => v.name === vmArg(ctx));
      return [...nameChecks(ctx.args ?? {}, ['vm']), ...(await reimageChecks(o, cfg, d))];
    },
    run: (ctx) => runStep(ctx, (o, l) => reimageVm(o, l)),
  },
  {
    ...common, id: 'vm.start', title: 'Start VM', tier: 'T1', confirm: true,
    description: 'start a stopped VM: its declared start: argv (QEMU gets -daemonize), or virsh start',
    args: { vm: 'the VM' },
    describe(ctx) {
      const cfg = ctx.config?.vms.find((v) => v.name === vmArg(ctx));
      return cfg?.start ? `start ${vmArg(ctx)}: ${cfg.start.join(' ')}` : `start ${vmArg(ctx)} (virsh start for libvirt; otherwise a start: argv must be declared)`;
    },
    async checks(ctx) { return [(await located(ctx)).check, ...nameChecks(ctx.args ?? {}, ['vm'])]; },
    run: (ctx) => runStep(ctx, (o, l) => startVm(o, l)),
  },
  {
    ...common, id: 'vm.stop', title: 'Stop VM', tier: 'T1', confirm: true,
    description: 'stop a VM: mode=powerdown asks the guest (ACPI, QMP system_powerdown / virsh shutdown), mode=quit ends it at once (QMP quit / virsh destroy)',
    args: { vm: 'the VM', mode: 'powerdown or quit' },
    argDefaults: { mode: 'powerdown' },
    describe: (ctx) => `stop ${vmArg(ctx)}: ${ctx.args?.mode === 'quit' ? 'QMP quit (virsh destroy): at once, like pulling the plug' : 'QMP system_powerdown (virsh shutdown): the guest shuts down'}`,
    async checks(ctx) {
      const mode = ctx.args?.mode ?? 'powerdown';
      const m: CheckResult = mode === 'powerdown' || mode === 'quit' ? { name: 'mode', state: 'pass', detail: mode } : { name: 'mode', state: 'fail', detail: `${mode}: powerdown or quit` };
      return [(await located(ctx)).check, ...nameChecks(ctx.args ?? {}, ['vm']), m];
    },
    run: (ctx) => runStep(ctx, (o, l) => stopVm(o, l, ctx.args?.mode === 'quit' ? 'quit' : 'powerdown')),
  },
];
