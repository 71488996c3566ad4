/**
 * What the VM actions do, step by step, each step said through `output`: find the VM (discovery + config),
 * snapshot, revert, stop, start. Plain QEMU through its QMP socket when it runs (savevm/loadvm via
 * human-monitor-command, quit/system_powerdown), `qemu-img snapshot` when it is off; libvirt through virsh.
 * Programs run through the Runner (argv, deadlines); a failed step throws an Error whose message says which.
 */
import { hostname } from 'node:os';
import type { Runner, RunResult } from '../../backends/types.js';
import { heartbeatFile, localQmpReader } from '../../backends/vms/index.js';
import { connectQmp, type QmpClient } from '../../backends/vms/qmp.js';
import { createVmsSource } from '../../backends/vms/source.js';
import type { Vm, VmsData } from '../../backends/vms/types.js';
import type { Config } from '../config/schema.js';
import type { VmConfig } from '../config/vms.js';

export interface VmOps {
  runner: Runner;
  config?: Config;
  output?: (line: string) => void;
  signal?: AbortSignal;
  /** how long a stop waits for the process to go (ms) */
  stopTimeoutMs?: number;
}

export interface Located {
  name: string;
  /** what discovery found (absent: not running and not known to libvirt) */
  vm?: Vm;
  cfg?: VmConfig;
  qmpSocket?: string;
  /** the qcow2 image its snapshots live in (the overlay) */
  image?: string;
}

export class StepError extends Error {}

const STEP_TIMEOUT_MS = 60_000;
export const isLocalRunner = (r: Runner) => r.host === hostname();

export function say(o: VmOps, line: string): void { o.output?.(line); }

function text(r: RunResult): string {
  if (r.notFound) return `${r.argv[0]} not found on PATH`;
  if (r.timedOut) return 'timed out';
  return (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ').slice(0, 400) || `exit ${r.exitCode ?? 'signal'}`;
}

/** runs one step; a non-zero exit throws with what the program said */
export async function step(o: VmOps, argv: string[], timeoutMs = STEP_TIMEOUT_MS): Promise<RunResult> {
  if (o.signal?.aborted) throw new StepError('cancelled');
  say(o, `$ ${argv.join(' ')}`);
  const r = await o.runner.run(argv, { timeoutMs });
  if (r.exitCode !== 0) throw new StepError(`${argv.slice(0, 3).join(' ')} failed: ${text(r)}`);
  return r;
}

/** one discovery reading through the runner (QMP only on this machine) */
export async function discover(runner: Runner, env: NodeJS.ProcessEnv = process.env): Promise<VmsData | string> {
  const src = createVmsSource(runner, { heartbeatFile: heartbeatFile({ env }), ...(isLocalRunner(runner) ? { qmp: localQmpReader } : {}) });
  const a = await src.sample();
  src.dispose();
  return a.state === 'ok' ? a.data : a.state === 'unavailable' ? a.reason : a.message;
}

export async function locate(o: VmOps, name: string, data?: VmsData): Promise<Located | string> {
  const d = data ?? await discover(o.runner);
  if (typeof d === 'string') return `VMs could not be read: ${d}`;
  const vm = d.vms.find((v) => v.name === name);
  const cfg = o.config?.vms.find((v) => v.name === name);
  if (!vm && !cfg) return `no VM named ${name} (running QEMU processes, libvirt domains and the config's vms: were searched)`;
  const loc: Located = { name };
  if (vm) loc.vm = vm;
  if (cfg) loc.cfg = cfg;
  const qmp = cfg?.qmp ?? vm?.qmpSocket;
  if (qmp !== undefined) loc.qmpSocket = qmp;
  const image = cfg?.overlay ?? vm?.disks.find((x) => x.format === 'qcow2' || x.chain[0]?.format === 'qcow2')?.path;
  if (image !== undefined) loc.image = image;
  return loc;
}

export const isRunning = (l: Located) => l.vm !== undefined && l.vm.state !== 'stopped' && l.vm.state !== 'not-created';

async function qmp<T>(o: VmOps, l: Located, fn: (c: QmpClient) => Promise<T>): Promise<T> {
  if (l.qmpSocket === undefined) throw new StepError(`${l.name} runs without a QMP socket: sov cannot talk to it (start it with -qmp unix:PATH,server=on,wait=off, or declare qmp: in the config)`);
  if (!isLocalRunner(o.runner)) throw new StepError(`${l.name}'s QMP socket is on ${o.runner.host}: sov opens QMP sockets on this machine only`);
  const c = await connectQmp(l.qmpSocket, 5000).catch((e: Error) => { throw new StepError(e.message); });
  try { return await fn(c); } finally { c.close(); }
}

/** the monitor answers errors as text: "Error: Snapshot 'x' does not exist…" */
async function hmpStep(o: VmOps, l: Located, line: string, timeoutMs = 120_000): Promise<string> {
  say(o, `QMP ${l.qmpSocket}: human-monitor-command ${line}`);
  const out = await qmp(o, l, (c) => c.hmp(line, timeoutMs)).catch((e: Error) => { throw new StepError(`${line}: ${e.message}`); });
  const t = out.replace(/\r/g, '').trim();
  if (/^Error\b|error:/im.test(t)) throw new StepError(`${line}: ${t.split('\n')[0]!.slice(0, 300)}`);
  return t;
}

const libvirt = (l: Located) => l.vm?.kind === 'libvirt';

export function snapshotName(now: Date, prefix = 'sov'): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${prefix}-${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

/** snapshot names reach the monitor's command line: checked here too, whoever calls */
const SNAP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
function safe(snap: string): void {
  if (!SNAP_NAME.test(snap)) throw new StepError(`${JSON.stringify(snap.slice(0, 80))} is not a snapshot name sov passes on (letters, digits, . _ : -)`);
}

export async function snapshotVm(o: VmOps, l: Located, snap: string): Promise<string> {
  safe(snap);
  if (libvirt(l)) { await step(o, ['virsh', 'snapshot-create-as', l.name, snap]); return `snapshot ${snap} of ${l.name} taken (libvirt)`; }
  if (isRunning(l)) { await hmpStep(o, l, `savevm ${snap}`); return `snapshot ${snap} of ${l.name} taken (savevm, with its RAM and device state)`; }
  if (l.image === undefined) throw new StepError(`${l.name} is off and sov knows no qcow2 image of it (declare overlay: in the config)`);
  await step(o, ['qemu-img', 'snapshot', '-c', snap, l.image]);
  return `snapshot ${snap} of ${l.name} taken (qemu-img, disk only: it was off)`;
}

/** reverts to `snap` after snapshotting the current state (its name is returned in the message) */
export async function revertVm(o: VmOps, l: Located, snap: string, now: Date): Promise<string> {
  safe(snap);
  const before = snapshotName(now, 'sov-before-revert');
  say(o, `1/2 snapshot of the current state: ${before}`);
  await snapshotVm(o, l, before);
  say(o, `2/2 revert to ${snap}`);
  if (libvirt(l)) await step(o, ['virsh', 'snapshot-revert', l.name, snap]);
  else if (isRunning(l)) await hmpStep(o, l, `loadvm ${snap}`);
  else if (l.image !== undefined) await step(o, ['qemu-img', 'snapshot', '-a', snap, l.image]);
  else throw new StepError(`${l.name} is off and sov knows no qcow2 image of it`);
  return `${l.name} reverted to ${snap} (the state before is kept as ${before})`;
}

async function pidGone(o: VmOps, pid: number, deadlineMs: number): Promise<boolean> {
  while (Date.now() < deadlineMs) {
    const st = await o.runner.readFile(`/proc/${pid}/stat`).catch(() => undefined);
    if (st === undefined || / Z /.test(st.slice(st.lastIndexOf(')')))) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** `quit` ends QEMU at once (reimage, or mode=quit); `powerdown` asks the guest (ACPI) and waits */
export async function stopVm(o: VmOps, l: Located, mode: 'powerdown' | 'quit'): Promise<string> {
  if (!isRunning(l)) return `${l.name} is not running`;
  const timeoutMs = o.stopTimeoutMs ?? 30_000;
  if (libvirt(l)) { await step(o, ['virsh', mode === 'quit' ? 'destroy' : 'shutdown', l.name]); return `${l.name}: ${mode === 'quit' ? 'destroyed' : 'shutdown asked'} (libvirt)`; }
  const pid = l.vm?.pid;
  if (l.qmpSocket !== undefined && isLocalRunner(o.runner)) {
    const cmd = mode === 'quit' ? 'quit' : 'system_powerdown';
    say(o, `QMP ${l.qmpSocket}: ${cmd}`);
    await qmp(o, l, (c) => c.execute(cmd, undefined, 5000)).catch((e: Error) => { if (!/closed/.test(e.message)) throw new StepError(`${cmd}: ${e.message}`); });
  } else if (pid !== undefined) {
    await step(o, ['kill', '-TERM', String(pid)]);
  } else throw new StepError(`${l.name}: no QMP socket and no pid: sov cannot stop it`);
  if (pid === undefined) return `${l.name}: ${mode} sent`;
  if (await pidGone(o, pid, Date.now() + timeoutMs)) return `${l.name} stopped (pid ${pid} is gone)`;
  throw new StepError(`${l.name} still runs ${Math.round(timeoutMs / 1000)} s after ${mode === 'quit' ? 'quit' : 'system_powerdown (a guest without ACPI ignores it: use mode=quit)'} (pid ${pid})`);
}

/** the declared start argv; a QEMU argv gets -daemonize so the step ends when the VM is up (and its error shows) */
export function startArgv(cfg: VmConfig): string[] | undefined {
  if (!cfg.start) return undefined;
  const a = [...cfg.start];
  if (/(^|\/)qemu-system-[a-z0-9_]+$|(^|\/)qemu-kvm$/.test(a[0] ?? '') && !a.includes('-daemonize')) a.push('-daemonize');
  return a;
}

export async function startVm(o: VmOps, l: Located): Promise<string> {
  if (isRunning(l)) return `${l.name} already runs${l.vm?.pid !== undefined ? ` (pid ${l.vm.pid})` : ''}`;
  if (libvirt(l)) { await step(o, ['virsh', 'start', l.name]); return `${l.name} started (libvirt)`; }
  const argv = l.cfg ? startArgv(l.cfg) : undefined;
  if (!argv) throw new StepError(`${l.name}: no start: argv in the config: sov does not guess how to start it`);
  await step(o, argv, 60_000);
  return `${l.name} started`;
}
