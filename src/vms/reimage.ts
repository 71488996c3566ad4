/**
 * Reimage to golden (T3): stop the VM, move its overlay aside keeping N generations (OVERLAY.1 newest … OVERLAY.N),
 * `qemu-img create -f qcow2 -b GOLDEN -F qcow2 OVERLAY`, start it, wait for its heartbeat. Its preconditions:
 * the golden exists, no running VM writes it, its SHA-256 is the one recorded. Interrupted, it can be run again:
 * a missing overlay is not moved, an existing new one is not made twice.
 */
import { basename, dirname, join } from 'node:path';
import type { VmsData } from '../../backends/vms/types.js';
import type { CheckResult } from '../recovery/types.js';
import type { VmConfig } from '../config/vms.js';
import { waitHeartbeat } from './heartbeat.js';
import { isRunning, say, startArgv, startVm, step, StepError, stopVm, type Located, type VmOps } from './ops.js';

/** the renames that keep `keep` old overlays: [from, to] in the order they must run; the oldest is removed first */
export function rotationPlan(overlay: string, keep: number, existing: Set<string>): { remove?: string; moves: [string, string][] } {
  const gen = (i: number) => `${overlay}.${i}`;
  const plan: { remove?: string; moves: [string, string][] } = { moves: [] };
  if (!existing.has(overlay)) return plan;
  if (keep === 0) { plan.remove = overlay; return plan; }
  if (existing.has(gen(keep))) plan.remove = gen(keep);
  for (let i = keep - 1; i >= 1; i--) if (existing.has(gen(i))) plan.moves.push([gen(i), gen(i + 1)]);
  plan.moves.push([overlay, gen(1)]);
  return plan;
}

export const createOverlayArgv = (golden: string, overlay: string) => ['qemu-img', 'create', '-f', 'qcow2', '-b', golden, '-F', 'qcow2', overlay];

/** what reimage will do, for the dry run */
export function reimagePlan(cfg: VmConfig): string[] {
  const o = cfg.overlay ?? '<overlay?>';
  const g = cfg.golden ?? '<golden?>';
  const start = startArgv(cfg);
  return [
    `stop ${cfg.name} (QMP quit, or virsh destroy)`,
    cfg.keep > 0 ? `move ${o} aside as ${basename(o)}.1 (keeping ${cfg.keep} generation${cfg.keep === 1 ? '' : 's'}: ${basename(o)}.1 … .${cfg.keep})` : `remove ${o} (keep: 0)`,
    createOverlayArgv(g, o).join(' '),
    start ? `start: ${start.join(' ')}` : 'start: (no start: argv declared — it stays off)',
    cfg.heartbeat ? `wait for its heartbeat (${cfg.startTimeoutSec} s)` : 'no heartbeat declared: not waited for',
  ];
}

const realDisk = (p: string) => p.replace(/\/+$/, '');

/** preconditions of a reimage, each with its evidence */
export async function reimageChecks(o: VmOps, cfg: VmConfig | undefined, data: VmsData | undefined): Promise<CheckResult[]> {
  if (!cfg) return [{ name: 'declared', state: 'fail', detail: 'the VM has no vms: entry in the config (golden, overlay, start)' }];
  if (!cfg.golden || !cfg.overlay) return [{ name: 'declared', state: 'fail', detail: `${cfg.name} needs golden: and overlay: in the config` }];
  const golden = cfg.golden;
  const out: CheckResult[] = [];
  const info = await o.runner.run(['qemu-img', 'info', '--output=json', golden], { timeoutMs: 15_000 });
  const lockMsg = /lock/i.test(info.stderr);
  if (info.notFound) out.push({ name: 'golden exists', state: 'unknown', detail: 'qemu-img not found on PATH (install qemu-utils)' });
  else if (info.exitCode !== 0 && !lockMsg) out.push({ name: 'golden exists', state: 'fail', detail: `${golden}: ${info.stderr.trim().split('\n')[0] ?? 'cannot be read'}` });
  else out.push({ name: 'golden exists', state: 'pass', detail: golden });
  const writers = (data?.vms ?? []).filter((v) => v.state !== 'stopped' && v.disks.some((d) => realDisk(d.path) === realDisk(golden)));
  if (writers.length || lockMsg) out.push({ name: 'golden not in use', state: 'fail', detail: writers.length ? `${golden} is a disk of running ${writers.map((v) => `${v.name}${v.pid !== undefined ? ` (pid ${v.pid})` : ''}`).join(', ')}: it may be written` : `qemu-img: ${info.stderr.trim().split('\n')[0]}` });
  else out.push({ name: 'golden not in use', state: data ? 'pass' : 'unknown', detail: data ? 'no running VM has it as a writable disk, and qemu-img got its lock' : 'VMs could not be read' });
  out.push(await checksum(o, cfg));
  return out;
}

async function checksum(o: VmOps, cfg: VmConfig): Promise<CheckResult> {
  if (!cfg.goldenSha256) return { name: 'golden checksum', state: 'fail', detail: `no goldenSha256 recorded for ${cfg.name}: record it (sha256sum ${cfg.golden}) so a changed golden is caught` };
  const r = await o.runner.run(['sha256sum', '--', cfg.golden!], { timeoutMs: 600_000 });
  const got = /^([0-9a-f]{64})\b/.exec(r.stdout)?.[1];
  if (!got) return { name: 'golden checksum', state: 'unknown', detail: `sha256sum: ${r.notFound ? 'not found on PATH' : r.timedOut ? 'timed out' : r.stderr.trim().split('\n')[0] ?? `exit ${r.exitCode}`}` };
  return got === cfg.goldenSha256.toLowerCase()
    ? { name: 'golden checksum', state: 'pass', detail: `sha256 ${got.slice(0, 16)}… as recorded` }
    : { name: 'golden checksum', state: 'fail', detail: `sha256 ${got.slice(0, 16)}… differs from the recorded ${cfg.goldenSha256.slice(0, 16)}…: the golden changed` };
}

export async function reimageVm(o: VmOps, l: Located, now: () => number = Date.now): Promise<string> {
  const cfg = l.cfg;
  if (!cfg?.golden || !cfg.overlay) throw new StepError(`${l.name}: golden: and overlay: must be declared`);
  const overlay = cfg.overlay;
  say(o, `1/5 stop ${l.name}`);
  say(o, isRunning(l) ? await stopVm(o, l, 'quit') : `${l.name} is not running`);
  say(o, '2/5 move the old overlay aside');
  const dir = dirname(overlay);
  const names = (await o.runner.listDir(dir)) ?? [];
  const plan = rotationPlan(overlay, cfg.keep, new Set(names.map((n) => join(dir, n))));
  if (plan.remove) await step(o, ['rm', '-f', '--', plan.remove]);
  for (const [from, to] of plan.moves) await step(o, ['mv', '-f', '--', from, to]);
  if (!plan.moves.length && !plan.remove) say(o, `${overlay} did not exist: nothing to move`);
  say(o, '3/5 a fresh overlay on the golden');
  await step(o, createOverlayArgv(cfg.golden, overlay));
  say(o, '4/5 start');
  // the same VM, now off (a libvirt domain is started by virsh again)
  const stopped: Located = { name: l.name, cfg, image: overlay, ...(l.vm ? { vm: { ...l.vm, state: 'stopped' as const } } : {}), ...(l.qmpSocket !== undefined ? { qmpSocket: l.qmpSocket } : {}) };
  if (!cfg.start && l.vm?.kind !== 'libvirt') return `${l.name} reimaged: ${overlay} is new on ${cfg.golden}; it was not started (no start: argv)`;
  say(o, await startVm(o, stopped));
  say(o, '5/5 heartbeat');
  if (!cfg.heartbeat) return `${l.name} reimaged and started (no heartbeat declared: not waited for)`;
  const b = await waitHeartbeat(cfg.heartbeat, { runner: o.runner, ...(cfg.ssh !== undefined ? { ssh: cfg.ssh } : {}), deadlineMs: now() + cfg.startTimeoutSec * 1000, ...(o.signal ? { signal: o.signal } : {}) });
  if (!b.ok) throw new StepError(`${l.name} reimaged and started, but ${b.why}`);
  return `${l.name} reimaged, started and beating (${b.tookMs} ms)`;
}
