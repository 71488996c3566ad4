/**
 * Pure, total parsers for plain QEMU: its argv (/proc/PID/cmdline), /proc/PID/stat and status, `qemu-img info
 * --output=json`, `qemu-img snapshot -l` and the monitor's `info snapshots`. Nothing here throws; odd input becomes
 * `undefined` or a warning.
 */
import type { ChainImage, HostFwd, VmSnapshot } from './types.js';

/** what a QEMU argv says about its VM */
export interface QemuArgv {
  name?: string;
  memBytes?: number;
  vcpus?: number;
  disks: { path: string; format?: string; target?: string }[];
  hostfwd: HostFwd[];
  qmpSocket?: string;
  startPaused: boolean;
  /** libvirt started it (`-name guest=…` and a libvirt monitor): libvirt reports it, not /proc */
  libvirt: boolean;
  warnings: string[];
}

/** `/proc/PID/cmdline` → argv (NUL-separated, trailing NUL). */
export function splitCmdline(raw: string): string[] {
  return raw.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1);
}

export function isQemuArgv(argv: string[]): boolean {
  const base = (argv[0] ?? '').split('/').pop() ?? '';
  return /^qemu-system-[a-z0-9_]+$/.test(base) || base === 'qemu-kvm';
}

/**
 * QEMU's option syntax: `a=b,c=d`, a bare first value (`user,id=n0`), `,,` for a literal comma.
 * Returns the pairs in order (keys may repeat: hostfwd); a bare value has the key ''.
 */
export function splitOpts(s: string): [string, string][] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ',' && s[i + 1] === ',') { cur += ','; i++; continue; }
    if (c === ',') { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts.filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? ['', p] : [p.slice(0, eq), p.slice(eq + 1)];
  });
}

const get = (o: [string, string][], k: string) => o.find(([key]) => key === k)?.[1];

/** `-m 512`, `-m 4G`, `-m size=2048M,slots=2` (a bare number is MiB) → bytes */
export function parseMemArg(v: string): number | undefined {
  const o = splitOpts(v);
  const s = get(o, 'size') ?? get(o, '');
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(s ?? '');
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1024 ** 2, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/** `-smp 4`, `-smp cpus=4,sockets=…`, `-smp sockets=2,cores=2,threads=2` → vCPUs */
export function parseSmpArg(v: string): number | undefined {
  const o = splitOpts(v);
  const n = (k: string) => { const x = get(o, k); return x !== undefined && /^\d+$/.test(x) ? Number(x) : undefined; };
  const cpus = n('cpus') ?? n('');
  if (cpus !== undefined) return cpus;
  const parts = ['sockets', 'dies', 'clusters', 'cores', 'threads'].map(n).filter((x): x is number => x !== undefined);
  return parts.length ? parts.reduce((a, b) => a * b, 1) : undefined;
}

/** `tcp:127.0.0.1:2222-:22`, `tcp::8080-10.0.2.15:80`, `::5555-:5555` → a forwarded port */
export function parseHostFwd(v: string): HostFwd | undefined {
  const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(v);
  if (!m) return undefined;
  const f: HostFwd = { proto: (m[1] as 'tcp' | 'udp' | undefined) ?? 'tcp', hostPort: Number(m[3]), guestPort: Number(m[5]) };
  if (m[2]) f.hostAddr = m[2];
  if (m[4]) f.guestAddr = m[4];
  return f.hostPort > 0 && f.hostPort < 65536 && f.guestPort > 0 && f.guestPort < 65536 ? f : undefined;
}

function blockdevFile(v: string): { path?: string; format?: string } {
  if (v.trimStart().startsWith('{')) {
    try {
      const j = JSON.parse(v) as Record<string, unknown>;
      const file = j.file as Record<string, unknown> | string | undefined;
      const path = typeof j.filename === 'string' ? j.filename : typeof file === 'object' && file && typeof file.filename === 'string' ? file.filename : undefined;
      const fmt = typeof j.driver === 'string' && j.driver !== 'file' ? j.driver : undefined;
      return { ...(path !== undefined ? { path } : {}), ...(fmt !== undefined ? { format: fmt } : {}) };
    } catch { return {}; }
  }
  const o = splitOpts(v);
  const path = get(o, 'file.filename') ?? get(o, 'filename');
  const drv = get(o, 'driver');
  return { ...(path !== undefined ? { path } : {}), ...(drv !== undefined && drv !== 'file' ? { format: drv } : {}) };
}

/** the path of a `unix:PATH,server=on,wait=off` endpoint (QMP over TCP is not followed: only unix sockets) */
function unixPath(v: string): string | undefined {
  const m = /^unix:(.*)$/.exec(v);
  if (!m) return undefined;
  return get(splitOpts(m[1]!), '') ?? undefined;
}

/** Reads a QEMU command line. Unknown options are ignored; a value that cannot be read becomes a warning. */
export function parseQemuArgv(argv: string[]): QemuArgv {
  const r: QemuArgv = { disks: [], hostfwd: [], startPaused: false, libvirt: false, warnings: [] };
  const chardevs = new Map<string, string>();
  const monitors: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const opt = a.startsWith('--') ? a.slice(1) : a;
    const v = argv[i + 1];
    const take = () => { i++; return v ?? ''; };
    switch (opt) {
      case '-name': {
        const o = splitOpts(take());
        const guest = get(o, 'guest');
        if (guest !== undefined) r.libvirt = r.libvirt || o.some(([k]) => k === 'debug-threads');
        r.name = guest ?? get(o, '');
        break;
      }
      case '-m': { const x = take(); const b = parseMemArg(x); if (b === undefined) r.warnings.push(`-m ${x}: not a memory size`); else r.memBytes = b; break; }
      case '-smp': { const x = take(); const n = parseSmpArg(x); if (n === undefined) r.warnings.push(`-smp ${x}: no CPU count`); else r.vcpus = n; break; }
      case '-S': r.startPaused = true; break;
      case '-hda': case '-hdb': case '-hdc': case '-hdd': case '-cdrom':
        r.disks.push({ path: take(), target: opt.slice(1) });
        break;
      case '-drive': {
        const o = splitOpts(take());
        const file = get(o, 'file');
        if (file !== undefined && file !== '') {
          const fmt = get(o, 'format');
          const id = get(o, 'id');
          r.disks.push({ path: file, ...(fmt !== undefined ? { format: fmt } : {}), ...(id !== undefined ? { target: id } : {}) });
        }
        break;
      }
      case '-blockdev': {
        const b = blockdevFile(take());
        // a qcow2 node over a file node names the same path twice: keep it once, with the format
        if (b.path !== undefined) {
          const seen = r.disks.find((d) => d.path === b.path);
          if (seen) { if (b.format) seen.format = b.format; } else r.disks.push({ path: b.path, ...(b.format ? { format: b.format } : {}) });
        }
        break;
      }
      case '-netdev': case '-net': case '-nic': {
        for (const [k, x] of splitOpts(take())) {
          if (k !== 'hostfwd') continue;
          const f = parseHostFwd(x);
          if (f) r.hostfwd.push(f); else r.warnings.push(`hostfwd=${x}: not a forwarded port`);
        }
        break;
      }
      case '-qmp': case '-qmp-pretty': { const p = unixPath(take()); if (p) r.qmpSocket = p; break; }
      case '-chardev': {
        const o = splitOpts(take());
        const id = get(o, 'id');
        const path = get(o, 'path');
        if (get(o, '') === 'socket' && id !== undefined && path !== undefined) chardevs.set(id, path);
        if (id === 'charmonitor') r.libvirt = true;
        break;
      }
      case '-mon': {
        const o = splitOpts(take());
        if (get(o, 'mode') === 'control') monitors.push(get(o, 'chardev') ?? '');
        break;
      }
      default:
        // a disk image given as a bare argument (`qemu-system-x86_64 disk.qcow2`)
        if (!a.startsWith('-') && !argv[i - 1]!.startsWith('-')) r.disks.push({ path: a });
    }
  }
  if (r.qmpSocket === undefined) {
    for (const id of monitors) { const p = chardevs.get(id); if (p !== undefined) { r.qmpSocket = p; break; } }
  }
  return r;
}

/** /proc/PID/stat → the fields sov uses (the command name may hold spaces and parentheses: read after the last ')') */
export function parseProcStat(raw: string): { state: string; utimeTicks: number; stimeTicks: number; startTicks: number; rssPages: number } | undefined {
  const close = raw.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = raw.slice(close + 2).trim().split(/\s+/);
  // after the comm: state(3) … utime(14) stime(15) … starttime(22) vsize(23) rss(24); f[0] is field 3
  const n = (i: number) => { const x = f[i - 3]; return x !== undefined && /^\d+$/.test(x) ? Number(x) : undefined; };
  const [ut, st, start, rss] = [n(14), n(15), n(22), n(24)];
  if (f[0] === undefined || ut === undefined || st === undefined || start === undefined || rss === undefined) return undefined;
  return { state: f[0], utimeTicks: ut, stimeTicks: st, startTicks: start, rssPages: rss };
}

/** `VmRSS:   123456 kB` from /proc/PID/status */
export function parseVmRssBytes(raw: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(raw);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** /proc/uptime → seconds since boot */
export function parseUptimeSec(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s/.exec(raw);
  return m ? Number(m[1]) : undefined;
}

const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown) => (typeof x === 'string' ? x : undefined);

function pad2(n: number): string { return String(n).padStart(2, '0'); }

function snapFromJson(s: Record<string, unknown>): VmSnapshot | undefined {
  const name = str(s.name);
  if (name === undefined) return undefined;
  const snap: VmSnapshot = { name };
  const id = str(s.id); if (id !== undefined) snap.id = id;
  const size = num(s['vm-state-size']); if (size !== undefined) snap.vmStateBytes = size;
  const sec = num(s['date-sec']);
  if (sec !== undefined) { const d = new Date(sec * 1000); snap.date = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`; }
  const clk = num(s['vm-clock-sec']);
  if (clk !== undefined) snap.vmClock = `${pad2(Math.floor(clk / 3600))}:${pad2(Math.floor((clk % 3600) / 60))}:${pad2(clk % 60)}`;
  return snap;
}

/**
 * `qemu-img info [--backing-chain] --output=json`: one object, or an array (the image first, its base last).
 * Returns the chain and the top image's internal snapshots; `undefined` when it is not that JSON.
 */
export function parseImgInfoJson(raw: string): { chain: ChainImage[]; snapshots: VmSnapshot[] } | undefined {
  let j: unknown;
  try { j = JSON.parse(raw); } catch { return undefined; }
  const list = Array.isArray(j) ? j : [j];
  const chain: ChainImage[] = [];
  let snapshots: VmSnapshot[] = [];
  for (const [i, x] of list.entries()) {
    if (typeof x !== 'object' || x === null) return undefined;
    const o = x as Record<string, unknown>;
    const filename = str(o.filename);
    if (filename === undefined) return undefined;
    const img: ChainImage = { filename };
    const fmt = str(o.format); if (fmt !== undefined) img.format = fmt;
    const vs = num(o['virtual-size']); if (vs !== undefined) img.virtualSizeBytes = vs;
    const as = num(o['actual-size']); if (as !== undefined) img.actualSizeBytes = as;
    const bf = str(o['full-backing-filename']) ?? str(o['backing-filename']); if (bf !== undefined) img.backingFilename = bf;
    if (typeof o['dirty-flag'] === 'boolean') img.dirty = o['dirty-flag'];
    chain.push(img);
    if (i === 0 && Array.isArray(o.snapshots)) {
      snapshots = o.snapshots.map((s) => (typeof s === 'object' && s ? snapFromJson(s as Record<string, unknown>) : undefined)).filter((s): s is VmSnapshot => s !== undefined);
    }
  }
  return chain.length ? { chain, snapshots } : undefined;
}

/** "1.29 MiB", "0 B", "1.2M", "0" → bytes */
export function parseHumanBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGTP]?)(i?B)?$/i.exec(s.trim());
  if (!m) return undefined;
  const e = ['', 'K', 'M', 'G', 'T', 'P'].indexOf(m[2]!.toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** e);
}

const SNAP_ROW = /^(\S+)\s+(.+?)\s+(\d+(?:\.\d+)?\s*(?:[KMGTP]i?B|[KMGTP]|B)?)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(\S+)(?:\s+(\S+))?\s*$/i;

/**
 * `qemu-img snapshot -l IMG` and the monitor's `info snapshots` (a running VM: IDs are "--" on the list of
 * snapshots present on all disks). "There is no snapshot available." → []. Rows that do not read are warnings.
 */
export function parseSnapshotTable(raw: string): { snapshots: VmSnapshot[]; warnings: string[] } {
  const snapshots: VmSnapshot[] = [];
  const warnings: string[] = [];
  for (const line of raw.replace(/\r/g, '').split('\n')) {
    const t = line.trim();
    if (!t || /^(Snapshot list:|List of snapshots|ID\s+TAG|There is no snapshot|No available block device)/i.test(t)) continue;
    if (/^None$/.test(t)) continue;
    const m = SNAP_ROW.exec(t);
    if (!m) { warnings.push(`snapshot list: not a snapshot row: ${t.slice(0, 120)}`); continue; }
    const s: VmSnapshot = { name: m[2]!, date: m[4]!, vmClock: m[5]! };
    if (m[1] !== '--') s.id = m[1]!;
    const b = parseHumanBytes(m[3]!); if (b !== undefined) s.vmStateBytes = b;
    snapshots.push(s);
  }
  return { snapshots, warnings };
}
