/** The VMs screen's panels (pure drawing): the list, each VM in detail, and what sov can and cannot see. */
import type { Heartbeat, Vm, VmsData } from '../../backends/vms/types.js';
import { sshShownOf } from '../../src/vms/rows.js';
import { paint, type Level, type Theme } from '../../themes/tokens.js';
import { age, bytes, DASH, duration } from '../primitives/format.js';
import { fit, sanitize } from '../primitives/text.js';

export function stateLevel(s: Vm['state']): Level {
  return s === 'running' ? 'ok' : s === 'paused' || s === 'suspended' || s === 'unknown' ? 'warn' : s === 'crashed' ? 'crit' : 'info';
}

export function beatLevel(h: Heartbeat | undefined): Level {
  if (!h) return 'info';
  return h.state === 'ok' ? 'ok' : h.state === 'failed' || h.state === 'missing' ? 'crit' : 'warn';
}

/** ages from another clock (the demo's state file) never go negative */
const ago = (ms: number) => age(Math.max(0, ms));

const glyph = (theme: Theme, l: Level): string => theme.glyphs[l];

function beatText(h: Heartbeat | undefined): string {
  if (!h) return DASH;
  const m = h.misses !== undefined && h.missLimit !== undefined && h.state !== 'ok' ? ` ${h.misses}/${h.missLimit}` : '';
  return `${h.state}${m}`;
}

const matches = (vm: Vm, filter: string) => !filter || vm.name.toLowerCase().includes(filter.toLowerCase());

/** the heartbeat right after the state: at 80 columns both stay visible */
const COLS = [['NAME', 18], ['STATE', 10], ['HEARTBEAT', 13], ['VCPU', 4], ['MEM', 7], ['USED', 7], ['CPU%', 6], ['UPTIME', 8], ['SSH', 18], ['KIND', 18]] as const;
const cell = (s: string, n: number) => fit(s, n);

/** one row per VM: state, vCPUs, memory, CPU %, uptime, SSH target, heartbeat */
/** the VMs as a table; `selected` (the VMs screen's j/k selection, enter attaches over SSH) is marked › */
export function vmListLines(d: VmsData, w: number, theme: Theme, filter = '', selected?: string): string[] {
  const vms = d.vms.filter((v) => matches(v, filter));
  if (!d.vms.length) return [paint(theme, 'muted', 'no VMs found'), ...routeHints(d, theme)];
  const head = '  ' + COLS.map(([h, n]) => cell(h, n)).join(' ');
  const out = [fit(paint(theme, 'muted', head), w)];
  for (const vm of vms) {
    const h = d.heartbeats[vm.name];
    const sl = stateLevel(vm.state);
    const row = [
      cell(sanitize(vm.name), 18), paint(theme, sl, cell(`${glyph(theme, sl)} ${vm.state}`, 10)), paint(theme, beatLevel(h), cell(h ? `${glyph(theme, beatLevel(h))} ${beatText(h)}` : DASH, 13)),
      cell(vm.vcpus !== undefined ? String(vm.vcpus) : DASH, 4), cell(bytes(vm.memBytes), 7), cell(bytes(vm.memUsedBytes), 7),
      cell(vm.cpuPct !== undefined ? vm.cpuPct.toFixed(1) : DASH, 6), cell(duration(vm.uptimeSec), 8), cell(sanitize(sshShownOf(vm, undefined, h) ?? DASH), 18), cell(vm.via ?? vm.kind, 18),
    ];
    out.push(fit((vm.name === selected ? paint(theme, 'selected', theme.glyphs.select) + ' ' : '  ') + row.join(' '), w));
  }
  if (vms.length < d.vms.length) out.push(paint(theme, 'muted', `${d.vms.length - vms.length} hidden by the filter`));
  return out;
}

function routeHints(d: VmsData, theme: Theme): string[] {
  return d.routes.filter((r) => r.state !== 'ok').map((r) => paint(theme, 'muted', `${r.name}: ${sanitize(r.detail ?? r.state)}`));
}

function heartbeatLines(h: Heartbeat, theme: Theme, now: number, w: number): string[] {
  const l = beatLevel(h);
  const parts = [`${glyph(theme, l)} heartbeat ${beatText(h)}`];
  if (h.kind && h.target) parts.push(`${h.kind} ${sanitize(h.target)}`);
  if (h.beats !== undefined) parts.push(`${h.beats} beats`);
  if (h.lastBeatAt !== undefined) parts.push(`last ${ago(now - h.lastBeatAt)} ago`);
  const out = [fit(paint(theme, l, parts.join(' · ')), w)];
  if (typeof h.why === 'string' && h.why !== '') out.push(fit(paint(theme, l, `  why: ${sanitize(h.why)}`), w));
  if (h.lastRecovery) out.push(fit(paint(theme, 'muted', `  last recovery: ${sanitize(h.lastRecovery.action)} ${ago(now - h.lastRecovery.at)} ago ${theme.glyphs.arrow} ${sanitize(h.lastRecovery.outcome)}`), w));
  return out;
}

/** an engine as the config declares where it listens */
export interface EngineAddr { name: string; host?: string; port?: number; openai?: string }

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\]|0\.0\.0\.0)$/;

/** engines whose address is one of the VM's forwarded host ports: they run inside it */
export function enginesInto(vm: Vm, engines: EngineAddr[]): string[] {
  const out: string[] = [];
  for (const e of engines) {
    let host = e.host ?? '127.0.0.1';
    let port = e.port;
    if (e.openai) { try { const u = new URL(e.openai); host = u.hostname; port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80; } catch {} }
    const f = vm.hostfwd.find((x) => x.proto === 'tcp' && x.hostPort === port && (x.hostAddr === undefined || x.hostAddr === host || (LOOPBACK.test(host) && LOOPBACK.test(x.hostAddr))));
    if (f && LOOPBACK.test(host)) out.push(`${e.name} (:${f.hostPort}→${f.guestPort})`);
  }
  return out;
}

/** every VM in detail: disks with their backing chain, snapshots, forwarded ports, engines inside, heartbeat, what sov cannot see */
export function vmDetailLines(d: VmsData, w: number, theme: Theme, now: number, filter = '', engines: EngineAddr[] = []): string[] {
  const out: string[] = [];
  for (const vm of d.vms.filter((v) => matches(v, filter))) {
    if (out.length) out.push('');
    const sl = stateLevel(vm.state);
    const head = `${sanitize(vm.name)}  ${paint(theme, sl, `${glyph(theme, sl)} ${vm.state}${vm.stateDetail && vm.stateDetail !== vm.state ? ` (${sanitize(vm.stateDetail)})` : ''}`)}`;
    out.push(fit(`${head}${paint(theme, 'muted', `  ${vm.via ?? vm.kind}${vm.pid !== undefined ? ` · pid ${vm.pid}` : ''}`)}`, w));
    for (const disk of vm.disks) {
      if (!disk.chain.length) { out.push(fit(`  disk ${sanitize(disk.path)}${disk.chainError ? paint(theme, 'warn', `  ${theme.glyphs.warn} ${sanitize(disk.chainError)}`) : ''}`, w)); continue; }
      disk.chain.forEach((c, i) => {
        const role = i === 0 ? (disk.chain.length > 1 ? 'overlay' : 'disk') : i === disk.chain.length - 1 ? 'golden' : 'backing';
        out.push(fit(`  ${i === 0 ? '' : '  '.repeat(i - 1) + theme.glyphs.branch + ' '}${paint(theme, 'muted', role)} ${sanitize(c.filename)} ${paint(theme, 'muted', `${bytes(c.actualSizeBytes)} of ${bytes(c.virtualSizeBytes)}${c.format ? ` ${c.format}` : ''}`)}`, w));
      });
    }
    if (vm.hostfwd.length) out.push(fit(paint(theme, 'muted', `  ports ${vm.hostfwd.map((f) => `${f.hostAddr ?? '*'}:${f.hostPort}${theme.glyphs.arrow}${f.guestPort}/${f.proto}`).join('  ')}`), w));
    const inside = enginesInto(vm, engines);
    if (inside.length) out.push(fit(`  engines in it ${sanitize(inside.join(', '))}`, w));
    const snaps = vm.snapshots;
    out.push(fit(snaps.length ? `  snapshots ${snaps.map((s) => `${sanitize(s.name)}${s.date ? paint(theme, 'muted', ` ${s.date}`) : ''}`).join(', ')}` : paint(theme, 'muted', '  no snapshots'), w));
    const h = d.heartbeats[vm.name];
    if (h) out.push(...heartbeatLines(h, theme, now, w - 2).map((l) => fit(`  ${l}`, w)));
    for (const n of vm.notes) out.push(fit(paint(theme, 'muted', `  ${theme.glyphs.info} ${sanitize(n)}`), w));
  }
  return out.length ? out : [paint(theme, 'muted', d.vms.length ? 'no VM matches the filter' : 'no VMs found')];
}

/** what sov can and cannot see here, and why; the watchdog's file */
export function vmRouteLines(d: VmsData, w: number, theme: Theme, now: number): string[] {
  const out = d.routes.map((r) => {
    const l: Level = r.state === 'ok' ? 'ok' : r.state === 'error' ? 'warn' : 'info';
    return fit(`${paint(theme, l, `${glyph(theme, l)} ${r.name}`)} ${paint(theme, 'muted', sanitize(r.detail ?? r.state))}`, w);
  });
  out.push(fit(d.heartbeatsAt !== undefined
    ? paint(theme, now - d.heartbeatsAt > 60_000 ? 'warn' : 'muted', `watchdog: written ${ago(now - d.heartbeatsAt)} ago`)
    : paint(theme, 'muted', 'watchdog: no state (the daemon watches VMs that declare a heartbeat)'), w));
  for (const x of d.warnings.slice(0, 5)) out.push(fit(paint(theme, 'warn', `${theme.glyphs.warn} ${sanitize(x)}`), w));
  out.push(fit(paint(theme, 'muted', 'sov ssh NAME · sov vms snapshot|revert|reimage NAME · actions: 8 / :'), w));
  return out;
}
