/**
 * Pure, total parsers for ZFS tools: OpenZFS (`-Hp` exact numbers, `zpool status -j`) and the old zfs-fuse dialect
 * (human sizes, `scrub:` lines). Nothing here throws: odd input becomes warnings, unknown values stay undefined.
 */
import type { Finding } from '../types.js';
import type { Arc, Dataset, Pool, Scan, Vdev, VdevClass, VdevKind, ZfsData } from './types.js';

// ───────────────────────────── numbers ─────────────────────────────

const UNITS: Record<string, number> = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6, Z: 7 };

/** `1.98G`, `63.5M`, `512`, `348K`, `1.2T`, `0B` → bytes (powers of 1024); `-`, `none`, junk → undefined. */
export function parseSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([BKMGTPEZ])?(?:i?B)?$/i.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  const exp = m[2] ? UNITS[m[2].toUpperCase()] ?? 0 : 0;
  const r = Math.round(n * 1024 ** exp);
  return Number.isFinite(r) ? r : undefined;
}

/**
 * Error counters: `0`, `12`, `1.2K` → 1229, `3M` → 3145728. zpool prints them with zfs_nicenum, which is
 * 1024-based like its sizes, and rounds to what fits the column: a suffixed value is approximate.
 */
export function parseCount(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)([KMGTPE])?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = m[2] ? 1024 ** (UNITS[m[2].toUpperCase()] ?? 0) : 1;
  const r = Math.round(Number(m[1]) * mult);
  return Number.isFinite(r) ? r : undefined;
}

/** `3%`, `41`, `-` → number | undefined */
function parsePct(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(v.trim());
  return m ? Number(m[1]) : undefined;
}

/** `1.00x`, `1.83`, `-` */
function parseRatio(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)x?$/i.exec(v.trim());
  return m ? Number(m[1]) : undefined;
}

/** `01:23:45`, `1 days 02:03:04`, `0h1m`, `2h30m`, `45s` → seconds */
export function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  let m = /^(?:(\d+)\s+days?\s+)?(\d+):(\d{1,2}):(\d{1,2})$/.exec(s);
  if (m) return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s);
  if (m && (m[1] || m[2] || m[3])) return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return undefined;
}

const clean = (s: string) => s.replace(/\r/g, '');

// ───────────────────────────── zpool list ─────────────────────────────

export type ListColumn = 'name' | 'size' | 'alloc' | 'free' | 'frag' | 'cap' | 'dedup' | 'health' | 'other';

/** Columns of `zpool list -Hp -o name,size,alloc,free,frag,cap,dedup,health` (OpenZFS). */
export const OPENZFS_LIST_COLUMNS: ListColumn[] = ['name', 'size', 'alloc', 'free', 'frag', 'cap', 'dedup', 'health'];
/** Columns of `zpool list -H -o name,size,alloc,free,cap,dedup,health` (zfs-fuse has no -p and no frag). */
export const FUSE_LIST_COLUMNS: ListColumn[] = ['name', 'size', 'alloc', 'free', 'cap', 'dedup', 'health'];

const HEADER_ALIASES: Record<string, ListColumn> = {
  NAME: 'name', SIZE: 'size', ALLOC: 'alloc', ALLOCATED: 'alloc', USED: 'alloc', FREE: 'free', AVAIL: 'free',
  FRAG: 'frag', FRAGMENTATION: 'frag', CAP: 'cap', CAPACITY: 'cap', DEDUP: 'dedup', DEDUPRATIO: 'dedup', HEALTH: 'health',
};

export interface ListedPool {
  name: string;
  health?: string;
  sizeBytes?: number;
  allocBytes?: number;
  freeBytes?: number;
  capacityPct?: number;
  fragmentationPct?: number;
  dedupRatio?: number;
}

/**
 * `zpool list` output: tab-separated `-H` rows in the given column order, or (when the text starts with a NAME
 * header, e.g. `zpool list -p -v`) the header's own columns; indented vdev rows of `-v` are skipped.
 */
export function parseZpoolList(text: string, columns: ListColumn[] = OPENZFS_LIST_COLUMNS): { pools: ListedPool[]; warnings: string[] } {
  const pools: ListedPool[] = [];
  const warnings: string[] = [];
  let cols = columns;
  for (const raw of clean(text).split('\n')) {
    if (!raw.trim()) continue;
    if (/^no pools available/i.test(raw.trim())) continue;
    const fields = raw.includes('\t') ? raw.split('\t').map((f) => f.trim()) : raw.trim().split(/\s+/);
    if (fields[0] === 'NAME') {
      cols = fields.map((f) => HEADER_ALIASES[f.toUpperCase()] ?? 'other');
      continue;
    }
    if (/^\s/.test(raw)) continue; // a vdev row of `zpool list -v`
    if (fields.length < 2) { warnings.push(`zpool list: odd line: ${raw.slice(0, 120)}`); continue; }
    const p: ListedPool = { name: '' };
    cols.forEach((c, i) => {
      const v = fields[i];
      if (v === undefined) return;
      switch (c) {
        case 'name': p.name = v; break;
        case 'health': if (/^[A-Z]+$/.test(v)) p.health = v; break;
        case 'size': p.sizeBytes = parseSize(v); break;
        case 'alloc': p.allocBytes = parseSize(v); break;
        case 'free': p.freeBytes = parseSize(v); break;
        case 'cap': p.capacityPct = parsePct(v); break;
        case 'frag': p.fragmentationPct = parsePct(v); break;
        case 'dedup': p.dedupRatio = parseRatio(v); break;
        default: break;
      }
    });
    if (!p.name) { warnings.push(`zpool list: line without a pool name: ${raw.slice(0, 120)}`); continue; }
    for (const k of Object.keys(p) as (keyof ListedPool)[]) if (p[k] === undefined) delete p[k];
    pools.push(p);
  }
  return { pools, warnings };
}

/** `/proc/spl/kstat/zfs/<pool>/state`: one word such as ONLINE or DEGRADED. */
export function parsePoolStateFile(text: string): string | undefined {
  const s = clean(text).trim();
  return /^[A-Z]+$/.test(s) ? s : undefined;
}

// ───────────────────────────── zpool status (text) ─────────────────────────────

const NO_SCAN: Scan = { kind: 'none', state: 'none' };

/** One `scan:` (OpenZFS) or `scrub:` (zfs-fuse / Solaris) paragraph → Scan. */
export function parseScan(text: string): Scan {
  const t = clean(text).split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
  if (!t) return { ...NO_SCAN };
  const one = t.replace(/\n/g, ' ');
  if (/^none requested/i.test(one)) return { kind: 'none', state: 'none', text: t };
  const kind: Scan['kind'] = /resilver/i.test(one) ? 'resilver' : /scrub|repaired/i.test(one) ? 'scrub' : 'none';
  const scan: Scan = { kind, state: 'none', text: t };
  const pct = /(\d+(?:\.\d+)?)%\s+done/i.exec(one);
  const errs = /with\s+(\d+)\s+errors?/i.exec(one);
  if (errs) scan.errors = Number(errs[1]);
  if (/in progress|paused/i.test(one)) {
    scan.state = 'running';
    if (pct) scan.pct = Number(pct[1]);
    const eta = /,\s*([^,]*?)\s+to go/i.exec(one);
    const secs = parseDuration(eta?.[1]);
    if (secs !== undefined) scan.etaSeconds = secs;
  } else if (/canceled|cancelled|stopped/i.test(one)) {
    scan.state = 'canceled';
  } else if (/completed|repaired|resilvered\s+\S+\s+in|with\s+\d+\s+errors?\s+on/i.test(one)) {
    scan.state = 'finished';
    scan.pct = 100;
  }
  if (scan.kind === 'none' && scan.state === 'none') return { kind: 'none', state: 'none', text: t };
  return scan;
}

const CLASS_HEADERS: Record<string, VdevClass> = { special: 'special', dedup: 'dedup', logs: 'log', log: 'log', cache: 'cache', spares: 'spare' };

/** The kind of a vdev from its name; leaves are `disk` unless they are plain files. */
export function vdevKind(name: string, hasChildren: boolean): VdevKind {
  if (/^mirror(-\d+)?$/.test(name)) return 'mirror';
  const rz = /^raidz([123])?(-\d+)?$/.exec(name);
  if (rz) return (`raidz${rz[1] ?? '1'}`) as VdevKind;
  if (/^draid\d?(:[\w:]+)?(-\d+)?$/.test(name)) return 'draid';
  if (/^replacing(-\d+)?$/.test(name)) return 'replacing';
  if (/^spare(-\d+)?$/.test(name)) return 'spare';
  if (hasChildren) return 'group';
  if (name.startsWith('/') && !name.startsWith('/dev/')) return 'file';
  return 'disk';
}

const STATE_RE = /^(ONLINE|DEGRADED|FAULTED|OFFLINE|UNAVAIL|REMOVED|AVAIL|INUSE|SUSPENDED|SPLIT|UNKNOWN|HEALTHY)$/;

interface Row { indent: number; vdev: Vdev }

function indentOf(line: string): number {
  let col = 0;
  for (const ch of line) {
    if (ch === ' ') col++;
    else if (ch === '\t') col = (Math.floor(col / 8) + 1) * 8;
    else break;
  }
  return col;
}

/** The `config:` table → root row and the top-level vdevs (with their class). */
export function parseConfig(lines: string[], warnings: string[]): { root?: Vdev; vdevs: Vdev[] } {
  const vdevs: Vdev[] = [];
  let root: Vdev | undefined;
  let base = -1;
  let cls: VdevClass = 'data';
  const stack: Row[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const ind = indentOf(line);
    const tokens = line.trim().split(/\s+/);
    const name = tokens[0] ?? '';
    if (base < 0) {
      if (name === 'NAME') base = ind;
      continue;
    }
    if (tokens.length === 1 && CLASS_HEADERS[name] !== undefined && ind <= base + 1) {
      cls = CLASS_HEADERS[name]!;
      stack.length = 0;
      continue;
    }
    const state = tokens[1] ?? '';
    if (!STATE_RE.test(state)) { warnings.push(`zpool status: odd config line: ${line.trim().slice(0, 120)}`); continue; }
    const v: Vdev = { name, kind: 'disk', state: state === 'HEALTHY' ? 'ONLINE' : state, children: [] };
    let rest = tokens.slice(2);
    if (rest.length >= 3 && rest.slice(0, 3).every((x) => parseCount(x) !== undefined || x === '-')) {
      v.read = parseCount(rest[0]); v.write = parseCount(rest[1]); v.cksum = parseCount(rest[2]);
      if (v.read === undefined) delete v.read;
      if (v.write === undefined) delete v.write;
      if (v.cksum === undefined) delete v.cksum;
      rest = rest.slice(3);
    }
    if (rest.length) v.note = rest.join(' ');
    if (ind <= base && !root && cls === 'data') { root = v; v.kind = 'root'; stack.length = 0; stack.push({ indent: ind, vdev: v }); continue; }
    while (stack.length && stack[stack.length - 1]!.indent >= ind) stack.pop();
    const parent = stack[stack.length - 1];
    if (!parent || parent.vdev === root) {
      v.class = cls;
      vdevs.push(v);
    } else {
      parent.vdev.children.push(v);
    }
    stack.push({ indent: ind, vdev: v });
  }
  const fix = (v: Vdev) => { if (v.kind !== 'root') v.kind = vdevKind(v.name, v.children.length > 0); v.children.forEach(fix); };
  vdevs.forEach(fix);
  return { ...(root ? { root } : {}), vdevs };
}

const KEYS = new Set(['pool', 'state', 'status', 'action', 'see', 'scan', 'scrub', 'config', 'errors', 'remove', 'checkpoint', 'id', 'dedup']);

export interface StatusPool extends Omit<Pool, 'sizeBytes' | 'allocBytes' | 'freeBytes' | 'capacityPct' | 'fragmentationPct' | 'dedupRatio'> {
  /** the root row of the config table (pool-wide READ/WRITE/CKSUM) */
  root?: Vdev;
}

/** `zpool status [-v]` text, any dialect, any number of pools, with or without blank lines between them. */
export function parseZpoolStatus(text: string): { pools: StatusPool[]; warnings: string[] } {
  const pools: StatusPool[] = [];
  const warnings: string[] = [];
  let cur: { name: string; sections: Map<string, string[]> } | undefined;
  let key = '';
  const finish = () => {
    if (!cur) return;
    const s = cur.sections;
    const para = (k: string) => {
      const v = s.get(k);
      if (!v) return undefined;
      const joined = v.map((l) => l.trim()).filter(Boolean).join(' ').replace(/\s+/g, ' ').trim();
      return joined || undefined;
    };
    const scanLines = s.get('scan') ?? s.get('scrub');
    const cfg = parseConfig(s.get('config') ?? [], warnings);
    const errLines = (s.get('errors') ?? []).map((l) => l.trim()).filter(Boolean);
    const p: StatusPool = {
      name: cur.name,
      health: para('state') ?? 'UNKNOWN',
      scan: scanLines ? parseScan(scanLines.join('\n')) : { ...NO_SCAN },
      vdevs: cfg.vdevs,
    };
    const status = para('status');
    const action = para('action');
    if (status) p.status = status;
    if (action) p.action = action;
    if (errLines.length) p.errorsText = errLines.join('\n');
    if (cfg.root) p.root = cfg.root;
    pools.push(p);
    cur = undefined;
  };
  for (const raw of clean(text).split('\n')) {
    const m = /^\s*([a-z]+):(?:\s(.*)|$)/.exec(raw);
    if (m && KEYS.has(m[1]!)) {
      const k = m[1]!;
      const rest = (m[2] ?? '').trim();
      if (k === 'pool') {
        finish();
        cur = { name: rest, sections: new Map() };
        key = 'pool';
        continue;
      }
      if (!cur) { warnings.push(`zpool status: "${k}:" before any "pool:" line`); continue; }
      key = k;
      const list = cur.sections.get(k) ?? [];
      if (rest) list.push(rest);
      cur.sections.set(k, list);
      continue;
    }
    if (!cur) {
      if (raw.trim() && !/^no pools available/i.test(raw.trim())) warnings.push(`zpool status: odd line: ${raw.trim().slice(0, 120)}`);
      continue;
    }
    if (!key || key === 'pool') continue;
    const list = cur.sections.get(key) ?? [];
    // text paragraphs end at a blank line, the config table and the error list run to the next key
    if (!raw.trim() && key !== 'config' && key !== 'errors') { key = ''; continue; }
    list.push(raw);
    cur.sections.set(key, list);
  }
  finish();
  return { pools: pools.filter((p) => p.name), warnings };
}

// ───────────────────────────── zpool status -j (OpenZFS ≥ 2.3) ─────────────────────────────

type J = Record<string, unknown>;
const obj = (v: unknown): J | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
/** `--json-int` numbers, or the strings plain `-j` prints ("0", "1.2K", "62.6G") */
const jnum = (v: unknown, size = false): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return size ? parseSize(v) : parseCount(v);
  return undefined;
};

const JSON_CLASSES: [string, VdevClass][] = [['special', 'special'], ['dedup', 'dedup'], ['logs', 'log'], ['l2cache', 'cache'], ['cache', 'cache'], ['spares', 'spare']];

function jsonVdev(o: J, cls?: VdevClass): Vdev {
  const name = str(o.name) ?? '?';
  const kids = obj(o.vdevs);
  const children = kids ? Object.values(kids).map(obj).filter((x): x is J => !!x).map((c) => jsonVdev(c)) : [];
  const type = str(o.vdev_type) ?? '';
  let kind = vdevKind(name, children.length > 0);
  if (type === 'file') kind = 'file';
  else if (type === 'disk') kind = 'disk';
  else if (type === 'raidz' && !kind.startsWith('raidz')) kind = 'raidz1';
  const rawState = str(o.state) ?? 'UNKNOWN';
  const v: Vdev = { name, kind, state: rawState === 'HEALTHY' ? 'ONLINE' : rawState, children };
  if (cls) v.class = cls;
  const r = jnum(o.read_errors), w = jnum(o.write_errors), c = jnum(o.checksum_errors);
  if (r !== undefined) v.read = r;
  if (w !== undefined) v.write = w;
  if (c !== undefined) v.cksum = c;
  const notes: string[] = [];
  if (str(o.was)) notes.push(`was ${str(o.was)}`);
  if (str(o.aux)) notes.push(str(o.aux)!);
  if (str(o.resilvering) === 'true' || o.resilvering === true) notes.push('(resilvering)');
  if (notes.length) v.note = notes.join(' ');
  return v;
}

function jsonScan(o: J | undefined, nowSec?: number): Scan {
  if (!o) return { ...NO_SCAN };
  const fn = (str(o.function) ?? '').toUpperCase();
  const st = (str(o.state) ?? '').toUpperCase();
  const kind: Scan['kind'] = fn === 'RESILVER' ? 'resilver' : fn.includes('SCRUB') ? 'scrub' : 'none';
  const state: Scan['state'] = st === 'SCANNING' || st.startsWith('ERRORSCRUB') ? 'running' : st === 'FINISHED' ? 'finished' : st === 'CANCELED' ? 'canceled' : 'none';
  if (kind === 'none' || state === 'none') return { ...NO_SCAN };
  const scan: Scan = { kind, state, text: `${kind} ${state.toLowerCase()}` };
  const errors = jnum(o.errors);
  if (errors !== undefined) scan.errors = errors;
  const total = jnum(o.to_examine, true);
  const issued = jnum(o.issued, true);
  if (state === 'finished') scan.pct = 100;
  if (state === 'running' && total && issued !== undefined) {
    scan.pct = Math.min(100, Math.round((issued / total) * 10000) / 100);
    const passStart = jnum(o.pass_start);
    const paused = jnum(o.scrub_spent_paused) ?? 0;
    const passIssued = jnum(o.issued_bytes_per_scan, true);
    if (nowSec !== undefined && passStart && passIssued) {
      const elapsed = Math.max(1, nowSec - passStart - paused);
      const rate = passIssued / elapsed;
      if (rate > 0) scan.etaSeconds = Math.round((total - issued) / rate);
    }
  }
  return scan;
}

/** `zpool status -j --json-int` (OpenZFS ≥ 2.3). Returns undefined when the text is not that JSON. */
export function parseZpoolStatusJson(text: string, nowMs?: number): { pools: StatusPool[]; warnings: string[] } | undefined {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { return undefined; }
  const poolsObj = obj(obj(doc)?.pools);
  if (!poolsObj) return undefined;
  const warnings: string[] = [];
  const pools: StatusPool[] = [];
  for (const [key, val] of Object.entries(poolsObj)) {
    const o = obj(val);
    if (!o) { warnings.push(`zpool status -j: pool ${key} is not an object`); continue; }
    const name = str(o.name) ?? key;
    const vdevs: Vdev[] = [];
    let root: Vdev | undefined;
    const rootObj = obj(obj(o.vdevs)?.[name]) ?? Object.values(obj(o.vdevs) ?? {}).map(obj).find(Boolean);
    if (rootObj) {
      root = jsonVdev(rootObj);
      root.kind = 'root';
      for (const v of root.children) { v.class = 'data'; vdevs.push(v); }
      root.children = [];
    }
    for (const [k, cls] of JSON_CLASSES) {
      const group = obj(o[k]);
      if (!group) continue;
      for (const g of Object.values(group)) { const go = obj(g); if (go) vdevs.push(jsonVdev(go, cls)); }
    }
    const state = str(o.state) ?? 'UNKNOWN';
    const p: StatusPool = { name, health: state, scan: jsonScan(obj(o.scan_stats), nowMs === undefined ? undefined : nowMs / 1000), vdevs };
    const status = str(o.status);
    if (status && status !== 'OK' && /\s/.test(status)) p.status = status;
    const action = str(o.action);
    if (action) p.action = action;
    const ec = jnum(o.error_count);
    if (ec !== undefined) p.errorsText = ec === 0 ? 'No known data errors' : `${ec} data errors, use '-v' for a list`;
    if (root) p.root = root;
    pools.push(p);
  }
  return { pools, warnings };
}

// ───────────────────────────── datasets ─────────────────────────────

function setProp(ds: Dataset, prop: string, value: string): void {
  const v = value.trim();
  const none = v === '-' || v === '';
  switch (prop) {
    case 'used': ds.usedBytes = parseSize(v); break;
    case 'available': case 'avail': ds.availableBytes = parseSize(v); break;
    case 'recordsize': case 'recsize': ds.recordsizeBytes = parseSize(v); break;
    case 'special_small_blocks': ds.specialSmallBlocksBytes = parseSize(v); break;
    case 'compression': case 'compress': if (!none) ds.compression = v; break;
    case 'atime': if (!none) ds.atime = v; break;
    case 'mountpoint': if (!none) ds.mountpoint = v; break;
    default: break;
  }
}

function tidy(ds: Dataset): Dataset {
  for (const k of Object.keys(ds) as (keyof Dataset)[]) if (ds[k] === undefined) delete ds[k];
  return ds;
}

/**
 * `zfs get -Hp -o name,property,value …` (3 columns) or `zfs get -Hp all` (4 columns, with source); exact or
 * human values. Snapshots (`@`) and bookmarks (`#`) are skipped.
 */
export function parseZfsGet(text: string): { datasets: Dataset[]; warnings: string[] } {
  const map = new Map<string, Dataset>();
  const warnings: string[] = [];
  for (const raw of clean(text).split('\n')) {
    if (!raw.trim()) continue;
    const f = raw.split('\t');
    if (f.length < 3) { warnings.push(`zfs get: odd line: ${raw.slice(0, 120)}`); continue; }
    const [name, prop, value] = f as [string, string, string];
    if (!name || name.includes('@') || name.includes('#')) continue;
    let ds = map.get(name);
    if (!ds) { ds = { name }; map.set(name, ds); }
    setProp(ds, prop, value);
  }
  return { datasets: [...map.values()].map(tidy), warnings };
}

/** Columns of the zfs-fuse dataset listing (its `zfs get` has no `-t`, so snapshots could not be left out). */
export const FUSE_ZFS_LIST_COLUMNS = ['name', 'used', 'available', 'recordsize', 'compression', 'atime', 'mountpoint'];

/** `zfs list -H -o name,used,available,recordsize,compression,atime,mountpoint -t filesystem,volume` */
export function parseZfsList(text: string, columns: string[] = FUSE_ZFS_LIST_COLUMNS): { datasets: Dataset[]; warnings: string[] } {
  const datasets: Dataset[] = [];
  const warnings: string[] = [];
  for (const raw of clean(text).split('\n')) {
    if (!raw.trim() || /^no datasets available/i.test(raw.trim())) continue;
    const f = raw.split('\t');
    if (f.length < 2 || !f[0]) { warnings.push(`zfs list: odd line: ${raw.slice(0, 120)}`); continue; }
    if (f[0].includes('@')) continue;
    const ds: Dataset = { name: f[0] };
    columns.forEach((c, i) => { if (i > 0 && f[i] !== undefined) setProp(ds, c, f[i]!); });
    datasets.push(tidy(ds));
  }
  return { datasets, warnings };
}

// ───────────────────────────── ARC ─────────────────────────────

/** /proc/spl/kstat/zfs/arcstats → size, c, c_max, hits, misses and the hit ratio since boot. */
export function parseArcstats(text: string): Arc | undefined {
  const vals = new Map<string, number>();
  for (const raw of clean(text).split('\n')) {
    const m = /^(\w+)\s+\d+\s+(-?\d+)\s*$/.exec(raw);
    if (m) vals.set(m[1]!, Number(m[2]));
  }
  if (!vals.size) return undefined;
  const arc: Arc = {};
  const set = (k: keyof Arc, name: string) => { const v = vals.get(name); if (v !== undefined && Number.isFinite(v)) arc[k] = v; };
  set('sizeBytes', 'size'); set('targetBytes', 'c'); set('maxBytes', 'c_max'); set('hits', 'hits'); set('misses', 'misses');
  const ratio = hitRatio(arc.hits, arc.misses);
  if (ratio !== undefined) arc.hitRatioPct = ratio;
  return Object.keys(arc).length ? arc : undefined;
}

export function hitRatio(hits: number | undefined, misses: number | undefined): number | undefined {
  if (hits === undefined || misses === undefined || hits < 0 || misses < 0 || hits + misses <= 0) return undefined;
  return Math.round((hits / (hits + misses)) * 10000) / 100;
}

// ───────────────────────────── lints ─────────────────────────────

const fmtBytes = (n: number) => (n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)}M` : n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : `${n}B`);

function walk(vs: Vdev[], f: (v: Vdev) => void): void { for (const v of vs) { f(v); walk(v.children, f); } }

/** Findings about pools and datasets: health, capacity, scan errors, and dataset settings that hurt AI workloads. */
export function lints(d: Pick<ZfsData, 'pools' | 'datasets'>): Finding[] {
  const out: Finding[] = [];
  for (const p of d.pools) {
    const h = p.health.toUpperCase();
    if (h !== 'ONLINE') {
      out.push({ severity: h === 'DEGRADED' ? 'warn' : 'crit', target: p.name, message: `pool is ${h}${p.status ? `: ${p.status}` : ''}` });
    }
    if (p.capacityPct !== undefined && p.capacityPct > 80) {
      out.push({ severity: p.capacityPct >= 90 ? 'crit' : 'warn', target: p.name, message: `pool is ${p.capacityPct}% full: ZFS slows down and fragments past 80%` });
    }
    if (p.scan.errors) out.push({ severity: 'crit', target: p.name, message: `last ${p.scan.kind} found ${p.scan.errors} errors` });
    if (p.errorsText && !/^no known data errors/i.test(p.errorsText.trim())) {
      out.push({ severity: 'crit', target: p.name, message: `data errors: ${p.errorsText.split('\n')[0]}` });
    }
    const bad: string[] = [];
    walk(p.vdevs, (v) => { if ((v.read ?? 0) + (v.write ?? 0) + (v.cksum ?? 0) > 0 && !v.children.length) bad.push(v.name); });
    if (bad.length) out.push({ severity: 'warn', target: p.name, message: `I/O or checksum errors on ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}` });
  }
  for (const ds of d.datasets) {
    if (ds.specialSmallBlocksBytes && ds.recordsizeBytes && ds.specialSmallBlocksBytes >= ds.recordsizeBytes) {
      out.push({
        severity: 'warn', target: ds.name,
        message: `special_small_blocks (${fmtBytes(ds.specialSmallBlocksBytes)}) ≥ recordsize (${fmtBytes(ds.recordsizeBytes)}): every block of this dataset goes to the special vdev`,
      });
    }
    if (ds.compression === 'off') out.push({ severity: 'warn', target: ds.name, message: 'compression=off: lz4 (or zstd) costs almost nothing and saves space and I/O' });
    if (ds.atime === 'on') out.push({ severity: 'info', target: ds.name, message: 'atime=on: every read also writes; set atime=off (or relatime=on) for model and data sets' });
  }
  return out;
}
