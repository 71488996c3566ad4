/**
 * Pure, total parsers for libvirt's `virsh` (list --all, dominfo, domstats, domblklist, snapshot-list), Vagrant's
 * `status --machine-readable` and `VBoxManage list runningvms`. Nothing here throws.
 */
import type { VmSnapshot, VmState } from './types.js';

export function virshState(s: string): VmState {
  const t = s.trim().toLowerCase();
  if (t === 'running' || t === 'idle' || t === 'blocked' || t === 'no state') return 'running';
  if (t === 'paused' || t === 'pmsuspended') return t === 'paused' ? 'paused' : 'suspended';
  if (t === 'shut off' || t === 'shutoff' || t === 'in shutdown' || t === 'shutdown') return 'stopped';
  if (t === 'crashed') return 'crashed';
  return 'unknown';
}

export interface VirshListRow { id?: number; name: string; state: string }

/** `virsh list --all`: ` Id   Name   State` / `----` / ` 1    fv0    running` / ` -    web    shut off` */
export function parseVirshList(raw: string): VirshListRow[] {
  const lines = raw.replace(/\r/g, '').split('\n');
  const rule = lines.findIndex((l) => /^-{5,}\s*$/.test(l.trim()));
  if (rule < 1) return [];
  const out: VirshListRow[] = [];
  for (const l of lines.slice(rule + 1)) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(l);
    if (!m) { if (!l.trim()) break; continue; }
    out.push({ name: m[2]!, state: m[3]!, ...(m[1] !== '-' ? { id: Number(m[1]) } : {}) });
  }
  return out;
}

export interface DomInfo {
  id?: number;
  name?: string;
  uuid?: string;
  state?: string;
  vcpus?: number;
  maxMemBytes?: number;
  usedMemBytes?: number;
  persistent?: boolean;
  autostart?: boolean;
}

const kib = (v: string | undefined) => { const m = /^(\d+)\s*KiB$/.exec(v ?? ''); return m ? Number(m[1]) * 1024 : undefined; };

/** `virsh dominfo NAME`: `Key:   value` lines; the first block only (a transcript may hold several). */
export function parseDomInfo(raw: string): DomInfo {
  const kv = new Map<string, string>();
  for (const l of raw.replace(/\r/g, '').split('\n')) {
    const m = /^([A-Za-z][A-Za-z ()]*?):\s*(.*)$/.exec(l);
    if (!m) { if (!l.trim() && kv.size) break; continue; }
    if (kv.has(m[1]!)) break;
    kv.set(m[1]!, m[2]!.trim());
  }
  const d: DomInfo = {};
  const id = kv.get('Id'); if (id !== undefined && /^\d+$/.test(id)) d.id = Number(id);
  const name = kv.get('Name'); if (name) d.name = name;
  const uuid = kv.get('UUID'); if (uuid) d.uuid = uuid;
  const state = kv.get('State'); if (state) d.state = state;
  const cpus = kv.get('CPU(s)'); if (cpus !== undefined && /^\d+$/.test(cpus)) d.vcpus = Number(cpus);
  const max = kib(kv.get('Max memory')); if (max !== undefined) d.maxMemBytes = max;
  const used = kib(kv.get('Used memory')); if (used !== undefined) d.usedMemBytes = used;
  const p = kv.get('Persistent'); if (p === 'yes' || p === 'no') d.persistent = p === 'yes';
  const a = kv.get('Autostart'); if (a !== undefined) d.autostart = a === 'enable' || a === 'enabled';
  return d;
}

/** `virsh domstats [--raw]`: `Domain: 'name'` then `  key=value` lines → name → fields */
export function parseDomStats(raw: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  for (const l of raw.replace(/\r/g, '').split('\n')) {
    const d = /^Domain:\s*'(.*)'\s*$/.exec(l);
    if (d) { cur = new Map(); out.set(d[1]!, cur); continue; }
    const kv = /^\s+([\w.-]+)=(.*)$/.exec(l);
    if (kv && cur) cur.set(kv[1]!, kv[2]!);
  }
  return out;
}

/** the figures sov shows from one domain's stats */
export function domStatsFigures(f: Map<string, string>): { cpuTimeNs?: number; vcpus?: number; balloonKiB?: number; rssKiB?: number } {
  const n = (k: string) => { const v = f.get(k); return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined; };
  const r: { cpuTimeNs?: number; vcpus?: number; balloonKiB?: number; rssKiB?: number } = {};
  const c = n('cpu.time'); if (c !== undefined) r.cpuTimeNs = c;
  const v = n('vcpu.current'); if (v !== undefined) r.vcpus = v;
  const b = n('balloon.current'); if (b !== undefined) r.balloonKiB = b;
  const rss = n('balloon.rss'); if (rss !== undefined) r.rssKiB = rss;
  return r;
}

/** `virsh domblklist NAME [--details]` → target and source of each disk ("-" for an empty CD-ROM is left out) */
export function parseDomBlkList(raw: string): { target: string; source: string; device?: string }[] {
  const lines = raw.replace(/\r/g, '').split('\n');
  const rule = lines.findIndex((l) => /^-{5,}\s*$/.test(l.trim()));
  if (rule < 1) return [];
  const header = lines[rule - 1]!.trim().split(/\s+/);
  const details = header[0] === 'Type';
  const out: { target: string; source: string; device?: string }[] = [];
  for (const l of lines.slice(rule + 1)) {
    const t = l.trim();
    if (!t) break;
    const f = t.split(/\s+/);
    const [target, source, device] = details ? [f[2], f.slice(3).join(' '), f[1]] : [f[0], f.slice(1).join(' '), undefined];
    if (!target || !source || source === '-') continue;
    out.push({ target, source, ...(device ? { device } : {}) });
  }
  return out;
}

/** `virsh snapshot-list NAME`: ` Name   Creation Time   State` */
export function parseSnapshotList(raw: string): VmSnapshot[] {
  const out: VmSnapshot[] = [];
  const lines = raw.replace(/\r/g, '').split('\n');
  const rule = lines.findIndex((l) => /^-{5,}\s*$/.test(l.trim()));
  if (rule < 1) return out;
  for (const l of lines.slice(rule + 1)) {
    const m = /^\s*(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: [+-]\d{4})?)\s+(\S.*?)\s*$/.exec(l);
    if (!m) { if (!l.trim()) break; continue; }
    out.push({ name: m[1]!, date: m[2]!, state: m[3]! });
  }
  return out;
}

export interface VagrantMachine { name: string; provider?: string; state?: string; stateHuman?: string }

/** `vagrant status --machine-readable`: `ts,target,type,data…` with `%!(VAGRANT_COMMA)` and literal `\n` */
export function parseVagrantStatus(raw: string): { machines: VagrantMachine[]; error?: string } {
  const byName = new Map<string, VagrantMachine>();
  let error: string | undefined;
  const unescape = (s: string) => s.replace(/%!\(VAGRANT_COMMA\)/g, ',').replace(/\\n/g, '\n').replace(/\\r/g, '');
  for (const line of raw.replace(/\r/g, '').split('\n')) {
    const f = line.split(',');
    if (f.length < 4 || !/^\d+$/.test(f[0]!)) continue;
    const [, target, type, ...data] = f as [string, string, string, ...string[]];
    if (type === 'error-exit') { error = unescape(data.slice(1).join(',')).trim(); continue; }
    if (!target) continue;
    const m = byName.get(target) ?? { name: target };
    byName.set(target, m);
    if (type === 'provider-name') m.provider = data[0];
    else if (type === 'state') m.state = data[0];
    else if (type === 'state-human-short') m.stateHuman = unescape(data.join(','));
  }
  return { machines: [...byName.values()], ...(error !== undefined ? { error } : {}) };
}

export function vagrantState(s: string | undefined): VmState {
  switch (s) {
    case 'running': return 'running';
    case 'poweroff': case 'shutoff': case 'aborted': case 'shut_off': return 'stopped';
    case 'saved': case 'suspended': return 'suspended';
    case 'paused': return 'paused';
    case 'not_created': return 'not-created';
    default: return 'unknown';
  }
}

/** `VBoxManage list runningvms`: `"name" {uuid}` */
export function parseVBoxList(raw: string): { name: string; uuid: string }[] {
  const out: { name: string; uuid: string }[] = [];
  for (const l of raw.replace(/\r/g, '').split('\n')) {
    const m = /^"(.*)"\s+\{([0-9a-fA-F-]+)\}\s*$/.exec(l);
    if (m) out.push({ name: m[1]!, uuid: m[2]! });
  }
  return out;
}
