/**
 * `sov vms ls|snapshots|snapshot|revert|reimage|ssh` and `sov ssh NAME`, headless. Reading is direct (discovery
 * through the runner, the config joined by name); changes go through `sov do` (the same prepare/perform path,
 * confirmations by tier, the audit log); ssh is the user's own, in this TTY, and its exit code is ours.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { parseArgs } from 'node:util';
import type { Runner } from '../../backends/types.js';
import { offlineSnapshots } from '../../backends/vms/source.js';
import type { Vm, VmSnapshot } from '../../backends/vms/types.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { heartbeatText, sshArgv } from '../config/vms.js';
import { resolvePaths } from '../daemon/paths.js';
import { runnerFor } from '../hosts/runner.js';
import { createLocalRunner } from '../runner/local.js';
import { probeHeartbeat } from '../vms/heartbeat.js';
import { discover } from '../vms/ops.js';
import { joinRows, sshTargetOf, type VmRow } from '../vms/rows.js';
import { fmtDuration } from './daemon.js';
import { clean, fmtBytes } from './engines.js';

export const VMS_USAGE = `usage:
  sov vms ls [--json]                              every VM: state, CPU, memory, disks (backing chain), SSH, heartbeat
  sov vms snapshots NAME [--json]
  sov vms snapshot NAME [SNAPSHOT] [--dry-run]     T1
  sov vms revert NAME SNAPSHOT --confirm NAME      T2: the current state is snapshotted first
  sov vms reimage NAME --tripcode PAYLOAD          T3: code RECOVERY:REIMAGE_TO_GOLDEN::NAME (--dry-run shows the plan)
  sov vms ssh NAME [-- COMMAND…]                   your own ssh (config, agent, known_hosts) in this terminal
  sov ssh NAME [-- COMMAND…]
every command takes --config PATH and --demo (the demo box).

exit codes: 0 ok · 1 failed or refused · 2 bad arguments · 3 no such VM · 4 no SSH target · ssh: ssh's own code`;

export const VMS_EXIT = { ok: 0, failed: 1, usage: 2, noVm: 3, noSsh: 4 } as const;

export interface VmsIo { out?: (s: string) => void; err?: (s: string) => void; env?: NodeJS.ProcessEnv }
interface Io { out: (s: string) => void; err: (s: string) => void; env: NodeJS.ProcessEnv }

function diskText(vm: Vm | undefined): string {
  const d = vm?.disks[0];
  if (!d) return '—';
  if (!d.chain.length) return `${clean(d.path)}${d.chainError ? ' (chain unknown)' : ''}`;
  return d.chain.map((c) => `${clean(c.filename.split('/').pop() ?? c.filename)} ${fmtBytes(c.actualSizeBytes)}`).join(' → ');
}

export function formatVmTable(rows: VmRow[]): string {
  const header = ['NAME', 'KIND', 'STATE', 'PID', 'VCPU', 'MEM', 'USED', 'CPU%', 'UPTIME', 'SSH', 'HEARTBEAT', 'DISK (top → base)'];
  const cells = rows.map((r) => [
    clean(r.name), r.vm?.kind ?? 'config', r.vm ? `${r.vm.state}${r.vm.stateDetail && r.vm.stateDetail !== r.vm.state ? ` (${clean(r.vm.stateDetail)})` : ''}` : 'not running',
    r.vm?.pid !== undefined ? String(r.vm.pid) : '—', r.vm?.vcpus !== undefined ? String(r.vm.vcpus) : '—', fmtBytes(r.vm?.memBytes), fmtBytes(r.vm?.memUsedBytes),
    r.vm?.cpuPct !== undefined ? r.vm.cpuPct.toFixed(1) : '—', r.vm?.uptimeSec !== undefined ? fmtDuration(r.vm.uptimeSec * 1000) : '—',
    clean(r.ssh ?? '—'), r.heartbeat ? r.heartbeat.state : '—', diskText(r.vm),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => [...(c[i] ?? '')].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x + ' '.repeat(widths[i]! - [...x].length))).join('  ').trimEnd();
  const out = [line(header), ...cells.map(line)];
  for (const r of rows) {
    for (const n of r.vm?.notes ?? []) out.push(`  ${clean(r.name)}: ${clean(n)}`);
    for (const d of r.vm?.disks ?? []) if (d.chainError) out.push(`  ${clean(r.name)}: ${clean(d.path)}: ${clean(d.chainError)}`);
    if (r.heartbeat && 'detail' in r.heartbeat) out.push(`  ${clean(r.name)}: heartbeat ${clean(r.heartbeat.detail)}`);
  }
  if (!rows.length) out.push('(no VMs found and none declared)');
  return out.join('\n');
}

async function probeRows(rows: VmRow[], runner: Runner): Promise<void> {
  await Promise.all(rows.map(async (r) => {
    if (r.heartbeat || !r.cfg?.heartbeat) return;
    const b = await probeHeartbeat(r.cfg.heartbeat, { runner, ...(r.cfg.ssh !== undefined ? { ssh: r.cfg.ssh } : {}) });
    r.heartbeat = { state: b.ok ? 'ok' : 'missing', detail: `${heartbeatText(r.cfg.heartbeat)}: ${b.ok ? `answered in ${b.tookMs} ms` : b.why} (probed now; no watchdog state)` };
  }));
}

interface Common { io: Io; runner: Runner; config?: Config; json: boolean }

async function ls(c: Common): Promise<number> {
  const d = await discover(c.runner);
  if (typeof d === 'string') { c.io.err(`sov vms: ${clean(d)}`); return VMS_EXIT.failed; }
  const rows = joinRows(d, c.config);
  if (!/demo/.test(c.runner.host)) await probeRows(rows, c.runner);
  if (c.json) { c.io.out(JSON.stringify({ vms: rows, routes: d.routes, warnings: d.warnings }, null, 2)); return VMS_EXIT.ok; }
  c.io.out(formatVmTable(rows));
  for (const r of d.routes) if (r.state !== 'ok') c.io.out(`${r.name}: ${r.state}${r.detail ? ` — ${clean(r.detail)}` : ''}`);
  for (const w of d.warnings) c.io.out(`warning: ${clean(w)}`);
  return VMS_EXIT.ok;
}

async function snapshots(c: Common, name: string): Promise<number> {
  const d = await discover(c.runner);
  if (typeof d === 'string') { c.io.err(`sov vms: ${clean(d)}`); return VMS_EXIT.failed; }
  const row = joinRows(d, c.config).find((r) => r.name === name);
  if (!row) { c.io.err(`sov vms: no VM named ${clean(name)}`); return VMS_EXIT.noVm; }
  let list: VmSnapshot[] = row.vm?.snapshots ?? [];
  let from = row.vm?.qmpSocket !== undefined ? 'QMP info snapshots' : 'the disk';
  if (!row.vm || row.vm.state === 'stopped') {
    const image = row.cfg?.overlay ?? row.vm?.disks[0]?.path;
    if (image === undefined) { c.io.err(`sov vms: ${clean(name)} is off and no overlay: is declared: no image to read snapshots from`); return VMS_EXIT.failed; }
    const r = await offlineSnapshots(c.runner, image);
    if (r.error) { c.io.err(`sov vms: ${clean(r.error)}`); return VMS_EXIT.failed; }
    list = r.snapshots; from = `qemu-img snapshot -l ${image}`;
  }
  if (c.json) { c.io.out(JSON.stringify({ vm: name, from, snapshots: list }, null, 2)); return VMS_EXIT.ok; }
  c.io.out(`${clean(name)}: ${list.length} snapshot${list.length === 1 ? '' : 's'} (${clean(from)})`);
  for (const s of list) c.io.out(`  ${clean(s.name).padEnd(24)} ${s.date ?? '—'}  ${fmtBytes(s.vmStateBytes)}${s.state ? `  ${clean(s.state)}` : ''}`);
  return VMS_EXIT.ok;
}

/** runs the user's ssh in this terminal; resolves with its exit code */
/** a child ended by a signal exits as a shell reports it: 128 + the signal's number (SIGINT 130, SIGKILL 137) */
export function signalExitCode(signal: NodeJS.Signals | null): number {
  const n = signal ? osConstants.signals[signal] : undefined;
  return n !== undefined ? 128 + n : 255;
}

export function runSsh(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env });
    child.on('error', (e: NodeJS.ErrnoException) => { process.stderr.write(`sov ssh: ${e.code === 'ENOENT' ? 'ssh not found on PATH' : e.message}\n`); resolve(255); });
    child.on('exit', (code, signal) => resolve(code ?? signalExitCode(signal)));
  });
}

async function ssh(c: Common, name: string, command: string[]): Promise<number> {
  const cfg = c.config?.vms.find((v) => v.name === name);
  let target = cfg?.ssh;
  if (target === undefined) {
    const d = await discover(c.runner);
    const vm = typeof d === 'string' ? undefined : d.vms.find((v) => v.name === name);
    if (!vm && !cfg) { c.io.err(`sov ssh: no VM named ${clean(name)}`); return VMS_EXIT.noVm; }
    target = sshTargetOf(vm, cfg);
    // no SSH: libvirt's serial console, in this terminal (ctrl+] leaves it)
    if (target === undefined && vm?.kind === 'libvirt' && !command.length) { c.io.err(`sov ssh: ${clean(name)} has no SSH target: virsh console ${clean(name)} (ctrl+] leaves it)`); return runSsh(['virsh', 'console', name], c.io.env); }
  }
  if (target === undefined) { c.io.err(`sov ssh: ${clean(name)} has no SSH target: declare ssh: (an ssh_config alias or host/port/user) in its vms: entry, or forward a port to its 22 (hostfwd)`); return VMS_EXIT.noSsh; }
  return runSsh(sshArgv(target, command.length ? ['--', ...command] : []), c.io.env);
}

export async function runVmsCli(argv: string[], ioIn: VmsIo = {}, opts: { sshOnly?: boolean } = {}): Promise<number> {
  const io: Io = {
    out: ioIn.out ?? ((s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); }),
    err: ioIn.err ?? ((s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); }),
    env: ioIn.env ?? process.env,
  };
  const dash = argv.indexOf('--');
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  let v;
  try {
    v = parseArgs({ args: dash >= 0 ? argv.slice(0, dash) : argv, allowPositionals: true, strict: true, options: {
      json: { type: 'boolean' }, config: { type: 'string' }, demo: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
      confirm: { type: 'string' }, tripcode: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } });
  } catch (e) { io.err(`sov vms: ${(e as Error).message}\n\n${VMS_USAGE}`); return VMS_EXIT.usage; }
  const pos = opts.sshOnly ? ['ssh', ...v.positionals] : v.positionals;
  const [sub, name, extra] = pos;
  if (v.values.help) { io.out(VMS_USAGE); return VMS_EXIT.ok; }
  const need = (n: number) => pos.length - 1 >= n;
  const bad = (m: string) => { io.err(`sov vms: ${m}\n\n${VMS_USAGE}`); return VMS_EXIT.usage; };
  if (sub === undefined) return bad('which command?');
  const paths = resolvePaths({ ...(v.values.config !== undefined ? { config: v.values.config } : {}), env: io.env });
  const demo = v.values.demo === true;
  // passed on to `sov do` for the commands that change something
  const doFlags = [...(v.values.json ? ['--json'] : []), ...(v.values['dry-run'] ? ['--dry-run'] : []), ...(demo ? ['--demo'] : []), ...(v.values.config !== undefined ? ['--config', v.values.config] : []),
    ...(v.values.confirm !== undefined ? ['--confirm', v.values.confirm] : []), ...(v.values.tripcode !== undefined ? ['--tripcode', v.values.tripcode] : [])];
  const viaDo = async (id: string, args: Record<string, string>) => {
    const { runDoCli } = await import('./do.js');
    return runDoCli([id, ...Object.entries(args).flatMap(([k, x]) => ['--arg', `${k}=${x}`]), ...doFlags], ioIn);
  };
  switch (sub) {
    case 'snapshot': return need(1) ? viaDo('vm.snapshot', { vm: name!, ...(extra !== undefined ? { name: extra } : {}) }) : bad('snapshot NAME [SNAPSHOT]');
    case 'revert': return need(2) ? viaDo('vm.revert', { vm: name!, snapshot: extra! }) : bad('revert NAME SNAPSHOT --confirm NAME');
    case 'reimage': return need(1) ? viaDo('vm.reimage', { vm: name! }) : bad('reimage NAME --tripcode PAYLOAD');
  }
  const local = demo ? undefined : await loadConfig(paths.configPath);
  if (local && !local.ok && local.text && !/ENOENT|no such file|not found/i.test(local.text)) io.err(`sov vms: note: the config could not be loaded: ${clean(local.text.split('\n')[0] ?? '')}`);
  // the environment handed in (tests, wrappers) decides where programs are found
  const runner = demo ? runnerFor({ demo, demoSpeed: 1 }) : createLocalRunner(io.env.PATH !== undefined ? { env: { PATH: io.env.PATH } } : {});
  const c: Common = { io, runner, json: v.values.json === true, ...(local?.ok ? { config: local.config } : {}) };
  switch (sub) {
    case 'ls': return ls(c);
    case 'snapshots': return need(1) ? snapshots(c, name!) : bad('snapshots NAME');
    case 'ssh': return need(1) ? ssh(c, name!, command) : bad('ssh NAME');
    default: return bad(`unknown command ${JSON.stringify(sub)}`);
  }
}
