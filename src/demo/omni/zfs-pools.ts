/**
 * SYNTHETIC: the demo box's pools as state that `zpool scrub / clear / offline / online` change (one copy per demo
 * runner). `zpool status -v` and `zpool list` are rendered from it in the OpenZFS 2.2 text format, so the real
 * backend parses what an action did: a started scrub advances with demo time and finds (and repairs) two checksum
 * errors on nvme1n1p3 at 60 %, which `zpool clear` then clears; an offlined disk degrades its pool.
 */
import type { DemoReply } from '../types.js';

export const GiB = 1024 ** 3;
export const TiB = 1024 ** 4;

/** the demo's wall clock (the same instant as the demo GPUs' timestamp) */
const EPOCH = Date.UTC(2026, 10, 23, 9, 0, 0);
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** zpool's date: `Sun Nov 23 09:00:05 2026` (%a %b %e %H:%M:%S %Y) */
export function demoDate(tSec: number): string {
  const d = new Date(EPOCH + Math.floor(tSec) * 1000);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

export function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2)}${units[i]}`;
}

export function hms(s: number): string {
  const t = Math.max(0, Math.round(s));
  return `${pad2(Math.floor(t / 3600))}:${pad2(Math.floor((t % 3600) / 60))}:${pad2(t % 60)}`;
}

/** A vdev of the layout: leaves are devices (their state lives in the pool's `devs`), or fixed (a missing disk). */
export interface Node { name: string; children?: Node[]; fixed?: { state: string; note: string }; note?: string; header?: string }

export type Scrub =
  | { kind: 'history'; text: string }
  | { kind: 'running'; startT: number; resumedT: number; issuedBefore: number }
  | { kind: 'paused'; startT: number; pausedT: number; issued: number }
  | { kind: 'canceled'; at: number }
  | { kind: 'resilvered'; at: number };

export interface DemoPool {
  name: string;
  sizeBytes: number;
  allocBytes: number;
  frag: number;
  layout: Node[];
  devs: Map<string, { offline: boolean; cksum: number }>;
  scrub: Scrub;
  /** a resilver the pool runs on its own (ember): scrubs are refused meanwhile */
  resilver?: (tSec: number) => string;
  /** a device whose bad blocks a scrub finds and repairs at 60 % */
  flaky?: string;
  /** the current scrub found them */
  found?: boolean;
  scrubRate: number;
}

export interface ScrubView { state: 'running' | 'paused' | 'finished' | 'canceled' | 'history' | 'resilvered'; issued: number; endT?: number }

/** Where a scrub stands at tSec (it finishes on its own when everything allocated was issued). */
export function scrubAt(p: DemoPool, t: number): ScrubView {
  const s = p.scrub;
  if (s.kind === 'paused') return { state: 'paused', issued: s.issued };
  if (s.kind !== 'running') return { state: s.kind, issued: 0 };
  const issued = s.issuedBefore + Math.max(0, t - s.resumedT) * p.scrubRate;
  if (issued < p.allocBytes) return { state: 'running', issued };
  return { state: 'finished', issued: p.allocBytes, endT: s.resumedT + (p.allocBytes - s.issuedBefore) / p.scrubRate };
}

const errCols = (r: number, w: number, c: number) => `${String(r).padStart(5)} ${String(w).padStart(5)} ${String(c).padStart(5)}`;
const row = (indent: number, name: string, state: string, cksum: number, note?: string) =>
  `\t${' '.repeat(indent)}${name.padEnd(27 - indent)} ${state.padEnd(8)} ${errCols(0, 0, cksum)}${note ? `  ${note}` : ''}`;

const redundancy = (n: Node) => (/^mirror|^replacing/.test(n.name) ? (n.children?.length ?? 1) - 1 : /^raidz(\d)/.exec(n.name) ? Number(/^raidz(\d)/.exec(n.name)![1]) : 0);

/** a vdev's state from its children: ONLINE, DEGRADED while its redundancy covers what is missing, else UNAVAIL */
export function nodeState(p: DemoPool, n: Node, devs = p.devs): string {
  if (n.fixed) return n.fixed.state;
  if (!n.children) return devs.get(n.name)?.offline ? 'OFFLINE' : 'ONLINE';
  const missing = n.children.filter((c) => nodeState(p, c, devs) !== 'ONLINE').length;
  if (!missing) return 'ONLINE';
  return missing <= redundancy(n) ? 'DEGRADED' : 'UNAVAIL';
}

export function poolState(p: DemoPool, devs = p.devs): string {
  const top = p.layout.map((n) => nodeState(p, n, devs));
  return top.some((s) => s === 'UNAVAIL') ? 'UNAVAIL' : top.some((s) => s !== 'ONLINE') ? 'DEGRADED' : 'ONLINE';
}

/**
 * Materialises what time did: a scrub that got past 60 % found (and repaired) two checksum errors on the flaky
 * device, once per scrub; from then on they are the device's counters, until `zpool clear`.
 */
export function tick(p: DemoPool, t: number): void {
  if (!p.flaky || p.found || (p.scrub.kind !== 'running' && p.scrub.kind !== 'paused')) return;
  if (scrubAt(p, t).issued < 0.6 * p.allocBytes) return;
  p.found = true;
  const d = p.devs.get(p.flaky);
  if (d) d.cksum += 2;
}

const cksumOf = (p: DemoPool, n: Node) => p.devs.get(n.name)?.cksum ?? 0;

function renderNode(p: DemoPool, n: Node, indent: number, out: string[]): void {
  if (n.header) out.push(`\t${n.header}`);
  const st = nodeState(p, n);
  out.push(row(indent, n.name, st, n.children ? 0 : cksumOf(p, n), n.fixed?.note ?? n.note));
  for (const c of n.children ?? []) renderNode(p, c, indent + 2, out);
}

function scanText(p: DemoPool, t: number): string {
  if (p.resilver) return p.resilver(t);
  const s = p.scrub;
  const v = scrubAt(p, t);
  const total = human(p.allocBytes);
  const repaired = p.found ? '128K' : '0B';
  if (s.kind === 'history') return s.text;
  if (s.kind === 'canceled') return `scrub canceled on ${demoDate(s.at)}`;
  if (s.kind === 'resilvered') return `resilvered 1.20M in 00:00:01 with 0 errors on ${demoDate(s.at)}`;
  if (s.kind === 'paused') {
    return `scrub paused since ${demoDate(s.pausedT)}\n\tscrub started on ${demoDate(s.startT)}\n\t${human(s.issued)} / ${total} scanned, ${human(s.issued)} / ${total} issued, ${repaired} repaired, ${((s.issued / p.allocBytes) * 100).toFixed(2)}% done`;
  }
  if (v.state === 'finished') return `scrub repaired ${repaired} in ${hms(v.endT! - s.startT)} with 0 errors on ${demoDate(v.endT!)}`;
  const rate = human(p.scrubRate);
  return `scrub in progress since ${demoDate(s.startT)}\n\t${human(Math.min(p.allocBytes, v.issued * 1.1))} / ${total} scanned at ${rate}/s, ${human(v.issued)} / ${total} issued at ${rate}/s\n\t${repaired} repaired, ${((v.issued / p.allocBytes) * 100).toFixed(2)}% done, ${hms((p.allocBytes - v.issued) / p.scrubRate)} to go`;
}

const OFFLINE_STATUS = `status: One or more devices has been taken offline by the administrator.
	Sufficient replicas exist for the pool to continue functioning in a
	degraded state.
action: Online the device using 'zpool online' or replace the device with
	'zpool replace'.`;
const CKSUM_STATUS = `status: One or more devices has experienced an unrecoverable error.  An
	attempt was made to correct the error.  Applications are unaffected.
action: Determine if the device needs to be replaced, and clear the errors
	using 'zpool clear' or replace the device with 'zpool replace'.
   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-9P`;
export const RESILVER_STATUS = `status: One or more devices is currently being resilvered.  The pool will
	continue to function, possibly in a degraded state.
action: Wait for the resilver to complete.`;

function leaves(n: Node[], out: Node[] = []): Node[] {
  for (const x of n) { if (x.children) leaves(x.children, out); else if (!x.fixed) out.push(x); }
  return out;
}

/** One pool's paragraph of `zpool status -v`. */
export function renderPool(p: DemoPool, t: number): string {
  const state = poolState(p);
  const errs = leaves(p.layout).some((l) => cksumOf(p, l) > 0);
  const offline = leaves(p.layout).some((l) => p.devs.get(l.name)?.offline);
  const status = p.resilver ? RESILVER_STATUS : offline ? OFFLINE_STATUS : errs ? CKSUM_STATUS : undefined;
  const cfg: string[] = [];
  cfg.push(row(0, p.name, state, 0));
  for (const n of p.layout) renderNode(p, n, 2, cfg);
  return `  pool: ${p.name}\n state: ${state}\n${status ? `${status}\n` : ''}  scan: ${scanText(p, t)}\nconfig:\n\n\tNAME                        STATE     READ WRITE CKSUM\n${cfg.join('\n')}\n\nerrors: No known data errors\n`;
}

const fail = (stderr: string, exitCode = 1): DemoReply => ({ stdout: '', stderr: `${stderr}\n`, exitCode });
const ok: DemoReply = { stdout: '' };

/** `zpool scrub [-p|-s] POOL`, `zpool clear POOL`, `zpool offline|online POOL DEV`: as OpenZFS answers them. */
export function handleZpool(pools: DemoPool[], argv: string[], t: number): DemoReply | undefined {
  if (argv[0] !== 'zpool') return undefined;
  for (const p of pools) tick(p, t);
  const [, verb, ...rest] = argv;
  const flags = rest.filter((a) => a.startsWith('-'));
  const names = rest.filter((a) => !a.startsWith('-'));
  const pool = pools.find((p) => p.name === names[0]);
  const noPool = () => fail(`cannot open '${names[0] ?? ''}': no such pool`);
  if (verb === 'scrub') {
    if (names.length !== 1 || flags.some((f) => f !== '-p' && f !== '-s') || flags.length > 1) return fail(`usage:\n\tscrub [-s | -p] [-w] <pool> ...`, 2);
    if (!pool) return noPool();
    const v = scrubAt(pool, t);
    const s = pool.scrub;
    if (flags[0] === '-s') {
      if (v.state !== 'running' && v.state !== 'paused') return fail(`cannot cancel scrubbing ${pool.name}: there is no active scrub`);
      pool.scrub = { kind: 'canceled', at: t };
      return ok;
    }
    if (flags[0] === '-p') {
      if (v.state === 'paused') return fail(`cannot pause scrubbing ${pool.name}: scrub already paused`);
      if (v.state !== 'running' || s.kind !== 'running') return fail(`cannot pause scrubbing ${pool.name}: there is no active scrub`);
      pool.scrub = { kind: 'paused', startT: s.startT, pausedT: t, issued: v.issued };
      return ok;
    }
    if (pool.resilver) return fail(`cannot scrub ${pool.name}: currently resilvering`);
    if (v.state === 'running') return fail(`cannot scrub ${pool.name}: currently scrubbing; use 'zpool scrub -s' to cancel current scrub`);
    // a paused scrub resumes where it stood
    if (s.kind !== 'paused') pool.found = false;
    pool.scrub = s.kind === 'paused' ? { kind: 'running', startT: s.startT, resumedT: t, issuedBefore: s.issued } : { kind: 'running', startT: t, resumedT: t, issuedBefore: 0 };
    return ok;
  }
  if (verb === 'clear') {
    if (!pool) return noPool();
    for (const d of pool.devs.values()) d.cksum = 0;
    return ok;
  }
  if (verb === 'offline' || verb === 'online') {
    if (names.length !== 2) return fail(`usage:\n\t${verb} ${verb === 'offline' ? '[-f] [-t] ' : '[-e] '}<pool> <device> ...`, 2);
    if (!pool) return noPool();
    const dev = pool.devs.get(names[1]!);
    if (!dev) return fail(`cannot ${verb} ${names[1]}: no such device in pool`);
    if (verb === 'online') {
      if (dev.offline) { dev.offline = false; if (!pool.resilver) pool.scrub = { kind: 'resilvered', at: t }; }
      return ok;
    }
    const after = new Map([...pool.devs].map(([k, d]) => [k, { ...d, offline: k === names[1] ? true : d.offline }]));
    if (poolState(pool, after) === 'UNAVAIL') return fail(`cannot offline ${names[1]}: no valid replicas`);
    dev.offline = true;
    return ok;
  }
  return undefined;
}

/** `zpool list -Hp -o name,size,alloc,free,frag,cap,dedup,health` rows */
export function renderList(pools: DemoPool[]): string {
  return pools.map((p) => [p.name, p.sizeBytes, p.allocBytes, p.sizeBytes - p.allocBytes, p.frag, Math.floor((p.allocBytes / p.sizeBytes) * 100), '1.00', poolState(p)].join('\t')).join('\n') + '\n';
}
