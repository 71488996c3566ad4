/**
 * What sov's ZFS recovery actions run, and what must hold before and after: argv builders per dialect (zfs-fuse
 * lacks some verbs: they say so), name checks that keep an argument from ever reading as an option, and the
 * preconditions and postconditions as pure functions over a ZfsData reading. Nothing here runs anything.
 */
import type { Pool, Vdev, ZfsData } from './types.js';

export type Dialect = ZfsData['dialect'];

/** a precondition or postcondition (the same shape as src/recovery's CheckResult) */
export interface Check { name: string; state: 'pass' | 'fail' | 'unknown'; detail: string }

const COMPONENT = '[A-Za-z0-9][A-Za-z0-9_.:-]*';
const POOL_RE = new RegExp(`^[A-Za-z][A-Za-z0-9_.:-]*$`);
const DATASET_RE = new RegExp(`^[A-Za-z][A-Za-z0-9_.:-]*(/${COMPONENT})*$`);
const SNAPNAME_RE = new RegExp(`^${COMPONENT}$`);
const MAX_NAME = 255;
const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** true, or why it is not a pool name (never starts with "-": it could never be read as an option) */
export function checkPoolName(s: string): true | string {
  return s.length <= MAX_NAME && POOL_RE.test(s) ? true : `not a pool name: ${show(s)} (letters, digits, _ . : -, starting with a letter)`;
}
export function checkDatasetName(s: string): true | string {
  return s.length <= MAX_NAME && DATASET_RE.test(s) ? true : `not a dataset name: ${show(s)} (pool/dataset/…)`;
}
export function checkSnapName(s: string): true | string {
  return s.length <= MAX_NAME && SNAPNAME_RE.test(s) ? true : `not a snapshot name: ${show(s)} (letters, digits, _ . : -)`;
}
/** pool/dataset@snap */
export function splitSnapshot(s: string): { dataset: string; snap: string } | string {
  const at = s.indexOf('@');
  if (at < 0) return `not a snapshot: ${show(s)} (pool/dataset@snap)`;
  const dataset = s.slice(0, at);
  const snap = s.slice(at + 1);
  const d = checkDatasetName(dataset);
  if (d !== true) return d;
  const n = checkSnapName(snap);
  return n === true ? { dataset, snap } : n;
}
/** a device as zpool status names it: sdb, nvme0n1p3, a by-id name, or a file vdev's absolute path */
export function checkDeviceName(s: string): true | string {
  return s.length <= 4096 && /^(\/[^\0\n]+|[A-Za-z0-9][A-Za-z0-9_.:+-]*)$/.test(s) && !/(^|\/)\.\.(\/|$)/.test(s) ? true : `not a device name: ${show(s)}`;
}

export const poolOf = (dataset: string) => dataset.split('/')[0]!;

/** `sov-20261206T071500Z`: the default snapshot name, from a UTC instant */
export function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

export type Built = { argv: string[] } | { unsupported: string };

export function scrubArgv(verb: 'start' | 'pause' | 'stop', pool: string, dialect: Dialect): Built {
  if (verb === 'start') return { argv: ['zpool', 'scrub', pool] };
  if (verb === 'stop') return { argv: ['zpool', 'scrub', '-s', pool] };
  if (dialect === 'zfs-fuse') return { unsupported: 'zfs-fuse cannot pause a scrub (its zpool scrub has -s only): stop it instead, and start it again later (it starts over)' };
  return { argv: ['zpool', 'scrub', '-p', pool] };
}
export const clearArgv = (pool: string) => ['zpool', 'clear', pool];
export const deviceArgv = (verb: 'offline' | 'online', pool: string, device: string) => ['zpool', verb, pool, device];
export const snapshotArgv = (dataset: string, name: string) => ['zfs', 'snapshot', `${dataset}@${name}`];
/** every snapshot, oldest first (both dialects) */
export const SNAPSHOT_LIST = ['zfs', 'list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation'];
export const mountpointSourceArgv = (dataset: string) => ['zfs', 'get', '-H', '-o', 'value,source', 'mountpoint', dataset];

export function parseSnapshotList(text: string): string[] {
  return text.replace(/\r/g, '').split('\n').map((l) => l.trim()).filter((l) => /^[^\s@]+@\S+$/.test(l));
}

/** `zfs get -H -o value,source mountpoint DS` → { value, source: 'local' | 'default' | 'inherited from …' } */
export function parseMountpointSource(text: string): { value: string; source: string } | undefined {
  const line = text.replace(/\r/g, '').split('\n').find((l) => l.trim());
  const f = line?.split('\t');
  return f && f.length >= 2 ? { value: f[0]!.trim(), source: f[1]!.trim() } : undefined;
}

export interface RollbackPlan {
  /** the snapshot of the current state, taken first: the state the rollback leaves behind stays findable here */
  pre: string;
  /** the dataset that keeps the current state (and, after the promote, the snapshots newer than the target) */
  keep: string;
  /** the clone of the target, under a temporary name until the last step */
  tmp: string;
  steps: { argv: string[]; what: string }[];
}

/**
 * A rollback that keeps what it rolls back from. `zfs rollback -r` would destroy every newer snapshot, the
 * pre-rollback one included; instead: snapshot the current state, clone the target, set the dataset aside under a
 * new name, promote the clone, give it the dataset's name. After it, DATASET holds the target's state with the
 * snapshots up to the target; DATASET-sov-pre-rollback-T holds the state before, with the newer snapshots and
 * @sov-pre-rollback-T. No step renames a clone (zfs-fuse refuses that as "dataset is busy"), and each rename is of
 * a dataset that has a clone, which zfs-fuse allows.
 */
export function rollbackPlan(snapshot: string, stamp: string): RollbackPlan | string {
  const s = splitSnapshot(snapshot);
  if (typeof s === 'string') return s;
  if (!s.dataset.includes('/')) return `${s.dataset} is a pool's root dataset: it cannot be renamed, so a rollback cannot keep its current state (zfs rollback -r ${snapshot} would, destroying every newer snapshot)`;
  const tag = `sov-pre-rollback-${stamp}`;
  const keep = `${s.dataset}-${tag}`;
  const tmp = `${s.dataset}-sov-rollback-${stamp}`;
  return {
    pre: `${keep}@${tag}`, keep, tmp,
    steps: [
      { argv: ['zfs', 'snapshot', `${s.dataset}@${tag}`], what: 'snapshot the current state' },
      { argv: ['zfs', 'clone', snapshot, tmp], what: 'clone the target' },
      { argv: ['zfs', 'rename', s.dataset, keep], what: 'set the current state aside' },
      { argv: ['zfs', 'promote', tmp], what: 'promote the clone (the snapshots up to the target move with it)' },
      { argv: ['zfs', 'rename', tmp, s.dataset], what: 'give it the dataset\'s name' },
    ],
  };
}

/** zfs-fuse answers a rename of a dataset it still holds with "dataset is busy" for a moment: worth a retry */
export const isBusy = (stderr: string) => /dataset is busy/i.test(stderr);

// ───────────────────────────── preconditions and postconditions ─────────────────────────────

const pass = (name: string, detail: string): Check => ({ name, state: 'pass', detail });
const fail = (name: string, detail: string): Check => ({ name, state: 'fail', detail });

export function findPool(d: ZfsData, pool: string): Pool | undefined {
  return d.pools.find((p) => p.name === pool);
}

export function poolCheck(d: ZfsData, pool: string): Check {
  const p = findPool(d, pool);
  if (!p) return fail('pool exists', `no pool "${pool}" (pools: ${d.pools.map((x) => x.name).join(', ') || 'none'})`);
  return /^(UNAVAIL|FAULTED|SUSPENDED|UNKNOWN)$/.test(p.health) ? fail('pool exists', `${pool} is ${p.health}`) : pass('pool exists', `${pool} is ${p.health}`);
}

export const isPaused = (p: Pool) => p.scan.state === 'running' && /paused/i.test(p.scan.text ?? '');
const scanWords = (p: Pool) => (p.scan.kind === 'none' ? 'no scrub or resilver running' : `${p.scan.kind} ${isPaused(p) ? 'paused' : p.scan.state}${p.scan.pct !== undefined && p.scan.state === 'running' ? ` at ${p.scan.pct}%` : ''}`);

/** whether the pool's scan state allows a scrub start, pause or stop */
export function scrubCheck(p: Pool, verb: 'start' | 'pause' | 'stop'): Check {
  const name = 'scan state';
  const resilvering = p.scan.kind === 'resilver' && p.scan.state === 'running';
  const scrubbing = p.scan.kind === 'scrub' && p.scan.state === 'running';
  if (verb === 'start') {
    if (resilvering) return fail(name, `${p.name}: a resilver is running${p.scan.pct !== undefined ? ` (${p.scan.pct}%)` : ''}; a scrub waits for it`);
    if (scrubbing && !isPaused(p)) return fail(name, `${p.name}: a scrub is already running${p.scan.pct !== undefined ? ` (${p.scan.pct}%)` : ''}`);
    return pass(name, `${p.name}: ${scanWords(p)}${isPaused(p) ? ' (start resumes it)' : ''}`);
  }
  if (!scrubbing) return fail(name, `${p.name}: no scrub running (${scanWords(p)})`);
  if (verb === 'pause' && isPaused(p)) return fail(name, `${p.name}: the scrub is already paused`);
  return pass(name, `${p.name}: ${scanWords(p)}`);
}

/**
 * Room to write, at least pct % of the pool's size: what the dataset can still use (its `available`, which counts
 * the pool's reserved slop and any quota) when known, else the pool's free space.
 */
export function headroomCheck(p: Pool, pct: number, dataset?: { name: string; availableBytes?: number }): Check {
  const name = 'disk headroom';
  const avail = dataset?.availableBytes ?? p.freeBytes;
  const who = dataset?.availableBytes !== undefined ? `${dataset.name} can use` : `${p.name} has`;
  if (avail === undefined || !p.sizeBytes) return { name, state: 'unknown', detail: `${p.name}: free space not known` };
  const freePct = (avail / p.sizeBytes) * 100;
  const text = `${who} ${freePct.toFixed(1)} % of ${p.name} (≥ ${pct} % needed)`;
  return freePct >= pct ? pass(name, text) : fail(name, text);
}

function walk(vs: Vdev[], f: (v: Vdev) => void): void { for (const v of vs) { f(v); walk(v.children, f); } }

/** a leaf device of the pool by name (or by the last component of a path) */
export function findDevice(p: Pool, device: string): Vdev | undefined {
  let hit: Vdev | undefined;
  walk(p.vdevs, (v) => { if (!hit && !v.children.length && (v.name === device || v.name.split('/').pop() === device)) hit = v; });
  return hit;
}

export function leafDevices(p: Pool): string[] {
  const out: string[] = [];
  walk(p.vdevs, (v) => { if (!v.children.length) out.push(v.name); });
  return out;
}

/** the device exists in the pool and is in the state the verb acts on */
export function deviceCheck(p: Pool, device: string, verb: 'offline' | 'online'): Check {
  const name = 'device state';
  const v = findDevice(p, device);
  if (!v) return fail(name, `no device "${device}" in ${p.name} (devices: ${leafDevices(p).slice(0, 12).join(', ')})`);
  if (verb === 'offline') return v.state === 'ONLINE' ? pass(name, `${device} is ONLINE in ${p.name}`) : fail(name, `${device} is ${v.state}, not ONLINE`);
  return v.state === 'ONLINE' ? fail(name, `${device} is already ONLINE`) : pass(name, `${device} is ${v.state} in ${p.name}`);
}

/** after a scrub start: a scrub runs, or one finished that was not there before */
export function scrubStartedPost(before: Pool | undefined, after: Pool | undefined): Check {
  const name = 'scrub running';
  if (!after) return fail(name, 'the pool is gone');
  if (after.scan.kind === 'scrub' && after.scan.state === 'running' && !isPaused(after)) return pass(name, `${after.name}: ${scanWords(after)}`);
  if (after.scan.kind === 'scrub' && after.scan.state === 'finished' && after.scan.text !== before?.scan.text) return pass(name, `${after.name}: scrub finished already (${after.scan.text?.split('\n')[0]})`);
  return fail(name, `${after.name}: ${scanWords(after)}`);
}

export function healthPost(after: Pool | undefined, want = 'ONLINE'): Check {
  const name = `pool ${want}`;
  if (!after) return fail(name, 'the pool is gone');
  return after.health === want ? pass(name, `${after.name} is ${want}`) : fail(name, `${after.name} is ${after.health}${after.status ? `: ${after.status}` : ''}`);
}

export function deviceStatePost(after: Pool | undefined, device: string, want: string): Check {
  const name = `device ${want}`;
  const v = after && findDevice(after, device);
  if (!v) return fail(name, `${device} not found in ${after?.name ?? 'the pool'}`);
  return v.state === want ? pass(name, `${device} is ${want}`) : fail(name, `${device} is ${v.state}`);
}
