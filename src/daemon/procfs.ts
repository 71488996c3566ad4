/**
 * /proc readers for the supervisor: process identity (stat, cmdline), process trees, RSS, NUMA placement and
 * listening sockets. The parsers are pure and total (odd input → undefined or an empty result, never a throw);
 * the readers swallow ENOENT/EACCES (a process can vanish between two reads) the same way.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** the command name between the parentheses (may itself contain spaces and parentheses) */
  comm: string;
  /** R S D Z T t X I … */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** field 22: clock ticks since boot; with the pid it names one process for the life of the machine */
  startTime: string;
}

/** One line of /proc/<pid>/stat. The comm field ends at the LAST ')' (a name may be "a) (b"). */
export function parseStat(text: string): ProcStat | undefined {
  if (typeof text !== 'string') return undefined;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const comm = text.slice(open + 1, close);
  // fields 3.. (state is field 3); starttime is field 22 → index 19 here
  const rest = text.slice(close + 1).trim().split(/\s+/);
  if (rest.length < 20) return undefined;
  const state = rest[0]!;
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const sid = Number(rest[3]);
  const startTime = rest[19]!;
  if (!/^[A-Za-z]$/.test(state) || !Number.isInteger(ppid) || !Number.isInteger(pgid) || !Number.isInteger(sid) || !/^\d+$/.test(startTime)) return undefined;
  return { pid, comm, state, ppid, pgid, sid, startTime };
}

/** /proc/<pid>/cmdline: NUL-separated argv (a trailing NUL ends the last one). */
export function parseCmdline(raw: string | Uint8Array): string[] {
  const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  if (text === '') return [];
  const parts = text.split('\u0000');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** VmRSS from /proc/<pid>/status, in bytes; undefined for kernel threads and zombies (no VmRSS line). */
export function parseStatusRss(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^VmRSS:\s*(\d+)\s*kB\s*$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * /proc/<pid>/numa_maps → resident bytes per node ("0", "1" …): the `N<node>=<pages>` counts of every mapping times
 * its page size (`kernelpagesize_kB=`, else 4 KiB; huge pages say 2048).
 */
export function parseNumaMaps(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof text !== 'string') return out;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const ps = /(?:^|\s)kernelpagesize_kB=(\d+)(?:\s|$)/.exec(line);
    const pageBytes = (ps ? Number(ps[1]) : 4) * 1024;
    const re = /(?:^|\s)N(\d+)=(\d+)(?=\s|$)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      const node = String(Number(m[1]));
      out[node] = (out[node] ?? 0) + Number(m[2]) * pageBytes;
    }
  }
  return out;
}

/** A hex address from /proc/net/tcp{,6} ("0100007F", 32 hex digits for v6; 32-bit words in host order). */
export function decodeHexAddress(hex: string): string | undefined {
  if (typeof hex !== 'string') return undefined;
  const h = hex.trim();
  if (!/^[0-9A-Fa-f]+$/.test(h)) return undefined;
  const le = isLittleEndian();
  const word = (w: string): number[] => {
    const bytes = [0, 2, 4, 6].map((i) => parseInt(w.slice(i, i + 2), 16));
    return le ? bytes.reverse() : bytes;
  };
  if (h.length === 8) return word(h).join('.');
  if (h.length !== 32) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...word(h.slice(i, i + 8)));
  // v4-mapped ::ffff:a.b.c.d
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return formatIpv6(groups);
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** RFC 5952: lower case, the longest run (≥ 2) of zero groups as "::". */
function formatIpv6(groups: number[]): string {
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

export function isLoopback(address: string): boolean {
  if (/^127\./.test(address)) return true;
  if (address === '::1') return true;
  return /^::ffff:127\./i.test(address);
}

export interface NetListen {
  address: string;
  port: number;
  inode: number;
  loopback: boolean;
}

/** /proc/net/tcp or tcp6: the sockets in state LISTEN (0A) with their inode. */
export function parseNetTcp(text: string): NetListen[] {
  const out: NetListen[] = [];
  if (typeof text !== 'string') return out;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length < 10 || !/^\d+:$/.test(f[0]!)) continue;
    if (f[3] !== '0A') continue;
    const [hexAddr, hexPort] = f[1]!.split(':');
    if (hexAddr === undefined || hexPort === undefined || !/^[0-9A-Fa-f]{4}$/.test(hexPort)) continue;
    const address = decodeHexAddress(hexAddr);
    const inode = Number(f[9]);
    if (address === undefined || !Number.isInteger(inode)) continue;
    out.push({ address, port: parseInt(hexPort, 16), inode, loopback: isLoopback(address) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// readers

const PROC = '/proc';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readStat(pid: number): ProcStat | undefined {
  const t = readText(`${PROC}/${pid}/stat`);
  return t === undefined ? undefined : parseStat(t);
}

export function readCmdline(pid: number): string[] | undefined {
  try {
    return parseCmdline(readFileSync(`${PROC}/${pid}/cmdline`));
  } catch {
    return undefined;
  }
}

/** Alive = /proc/<pid> exists and is neither a zombie (Z) nor dead (X). */
export function isAlive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

export interface ProcIdentity { startTime: string; cmdline: string[] }

/** Alive and started when we recorded it: pid + start time name one process (liveness of an engine we run). */
export function sameStart(pid: number, startTime: string): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X' && s.startTime === startTime;
}

/**
 * The process is the one we recorded (adoption): alive, same start time, and the same argv, or the recorded argv
 * ending with the current one: a wrapper such as `numactl --interleave=all` that exec'd into the engine.
 */
export function sameProcess(pid: number, id: ProcIdentity): boolean {
  if (!sameStart(pid, id.startTime)) return false;
  const c = readCmdline(pid);
  if (c === undefined || c.length === 0 || c.length > id.cmdline.length) return false;
  const tail = id.cmdline.slice(id.cmdline.length - c.length);
  return c.every((a, i) => a === tail[i]);
}

/** Every live process's stat (zombies included; callers filter). */
export function allStats(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync(PROC);
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const s = readStat(Number(n));
    if (s) out.push(s);
  }
  return out;
}

/**
 * The process tree under `root` (root first): descendants by ppid, plus the members of root's process group when
 * root leads one (a double-forked helper that left the tree still belongs to the engine). Zombies excluded.
 */
export function processTree(root: number, stats: ProcStat[] = allStats()): number[] {
  const rootStat = stats.find((s) => s.pid === root);
  if (!rootStat || rootStat.state === 'Z' || rootStat.state === 'X') return [];
  const kids = new Map<number, number[]>();
  for (const s of stats) {
    const l = kids.get(s.ppid);
    if (l) l.push(s.pid);
    else kids.set(s.ppid, [s.pid]);
  }
  const live = new Set(stats.filter((s) => s.state !== 'Z' && s.state !== 'X').map((s) => s.pid));
  const out: number[] = [root];
  const seen = new Set<number>([root]);
  for (let i = 0; i < out.length; i++) {
    for (const c of kids.get(out[i]!) ?? []) {
      if (!seen.has(c) && live.has(c)) { seen.add(c); out.push(c); }
    }
  }
  if (rootStat.pgid === root) {
    for (const s of stats) if (s.pgid === root && !seen.has(s.pid) && live.has(s.pid)) { seen.add(s.pid); out.push(s.pid); }
  }
  return out;
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number, stats: ProcStat[] = allStats()): number[] {
  return stats.filter((s) => s.pgid === pgid && s.state !== 'Z' && s.state !== 'X').map((s) => s.pid);
}

/** The state letter of every thread of a process (/proc/<pid>/task/<tid>/stat); empty when it is gone. */
export function threadStates(pid: number): string[] {
  let tids: string[];
  try {
    tids = readdirSync(`${PROC}/${pid}/task`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const t of tids) {
    const s = readText(`${PROC}/${pid}/task/${t}/stat`);
    const st = s === undefined ? undefined : parseStat(s);
    if (st) out.push(st.state);
  }
  return out;
}

export function treeRss(pids: number[]): number | undefined {
  let sum = 0;
  let any = false;
  for (const p of pids) {
    const t = readText(`${PROC}/${p}/status`);
    const r = t === undefined ? undefined : parseStatusRss(t);
    if (r !== undefined) { sum += r; any = true; }
  }
  return any ? sum : undefined;
}

export function treeNuma(pids: number[]): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  let any = false;
  for (const p of pids) {
    const t = readText(`${PROC}/${p}/numa_maps`);
    if (t === undefined) continue;
    any = true;
    for (const [n, b] of Object.entries(parseNumaMaps(t))) out[n] = (out[n] ?? 0) + b;
  }
  return any ? out : undefined;
}

/** Inodes of the sockets the processes hold open (/proc/<pid>/fd/* → "socket:[N]"). */
export function socketInodes(pids: number[]): Set<number> {
  const out = new Set<number>();
  for (const p of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${PROC}/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${PROC}/${p}/fd/${fd}`));
        if (m) out.add(Number(m[1]));
      } catch {}
    }
  }
  return out;
}

/**
 * The TCP sockets the tree listens on. Read from /proc/<root>/net/ so that an engine in its own network namespace
 * (a container) is seen from its side.
 */
// /proc/<pid>/net/tcp lists every socket of the namespace (TIME_WAIT ones included) and is the costly read of a
// probe; engines in one namespace share the table, so a reading is reused for a second, keyed by namespace.
const netCache = new Map<string, { at: number; text: string | undefined }>();
function netTable(path: string): string | undefined {
  let ns: string | undefined;
  try { ns = readlinkSync(path.replace(/\/net\/tcp6?$/, '/ns/net')) + path.slice(path.lastIndexOf('/')); } catch { ns = undefined; }
  const key = ns ?? path;
  const hit = netCache.get(key);
  if (hit && Date.now() - hit.at < 1000) return hit.text;
  const text = readText(path);
  if (netCache.size > 64) netCache.clear();
  netCache.set(key, { at: Date.now(), text });
  return text;
}

export function listenSockets(pids: number[]): NetListen[] {
  const root = pids[0];
  if (root === undefined) return [];
  const inodes = socketInodes(pids);
  if (inodes.size === 0) return [];
  const out: NetListen[] = [];
  const seen = new Set<string>();
  for (const f of ['tcp', 'tcp6']) {
    const t = netTable(`${PROC}/${root}/net/${f}`) ?? netTable(`${PROC}/net/${f}`);
    for (const l of parseNetTcp(t ?? '')) {
      const k = `${l.address}|${l.port}`;
      if (inodes.has(l.inode) && !seen.has(k)) { seen.add(k); out.push(l); }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// markers: an engine is spawned with SOV_ENGINE=<name> and SOV_BOX=<id of this state dir> in its environment; every
// descendant inherits them (a setsid'd helper too), and they outlive any state file. /proc/<pid>/environ is the
// environment the process was exec'd with.

/** /proc/<pid>/environ (NUL-separated KEY=VALUE) → a map; odd entries are skipped, never a throw. */
export function parseEnviron(raw: string | Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  for (const kv of text.split('\u0000')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    out.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return out;
}

export function readEnviron(pid: number): Map<string, string> | undefined {
  try {
    return parseEnviron(readFileSync(`${PROC}/${pid}/environ`));
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) processes whose environment holds every `want` KEY=VALUE, oldest first. */
export function findByEnv(want: Record<string, string>, stats: ProcStat[] = allStats()): ProcStat[] {
  const keys = Object.entries(want);
  const out: ProcStat[] = [];
  for (const s of stats) {
    if (s.state === 'Z' || s.state === 'X' || s.pid === process.pid) continue;
    const env = readEnviron(s.pid);
    if (env && keys.every(([k, v]) => env.get(k) === v)) out.push(s);
  }
  return out.sort((a, b) => Number(BigInt(a.startTime) - BigInt(b.startTime)) || a.pid - b.pid);
}

/** btime from /proc/stat: the boot time in epoch ms. */
export function bootTimeMs(): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(readText(`${PROC}/stat`) ?? '');
  return m ? Number(m[1]) * 1000 : undefined;
}

/** A start time (clock ticks since boot, USER_HZ = 100 on Linux) as epoch ms. */
export function startedAtMs(startTime: string, bootMs = bootTimeMs()): number | undefined {
  const t = Number(startTime);
  return bootMs === undefined || !Number.isFinite(t) ? undefined : bootMs + t * 10;
}
