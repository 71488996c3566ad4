/**
 * SYNTHETIC: the demo box's datasets and snapshots as state that `zfs snapshot / rollback / clone / rename /
 * promote` change (one copy per demo runner), answered as OpenZFS answers them; `zfs get` and the snapshot list
 * are rendered from it.
 */
import type { DemoReply } from '../types.js';

export interface DemoDataset {
  name: string;
  used: (tSec: number) => number;
  available: number;
  recordsize: number;
  compression: string;
  atime: string;
  specialSmallBlocks: number;
  /** undefined: inherited (parent's mountpoint + the last component) */
  mountpoint?: string;
  /** a clone's origin snapshot */
  origin?: string;
}

export interface DemoSnapshot { name: string; seq: number }

export interface DemoZfs { datasets: DemoDataset[]; snapshots: DemoSnapshot[]; seq: number }

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9][A-Za-z0-9_.:-]*)*$/;
const SNAP = /^([^@]+)@([A-Za-z0-9_.:-]+)$/;

const fail = (stderr: string, exitCode = 1): DemoReply => ({ stdout: '', stderr: `${stderr}\n`, exitCode });
const ok: DemoReply = { stdout: '' };
const parentOf = (n: string) => (n.includes('/') ? n.slice(0, n.lastIndexOf('/')) : undefined);
const dsOf = (snap: string) => snap.slice(0, snap.indexOf('@'));

/**
 * The datasets' mountpoints: a dataset's own, else its parent's plus its name. Each is worked out once for the
 * lifetime of the returned function (a 500-dataset `zfs get` must not cost 500² lookups).
 */
export function mountpoints(z: DemoZfs): (name: string) => string {
  const byName = new Map(z.datasets.map((d) => [d.name, d]));
  const known = new Map<string, string>();
  const of = (name: string): string => {
    let mp = known.get(name);
    if (mp === undefined) {
      const own = byName.get(name)?.mountpoint;
      const parent = parentOf(name);
      const pm = own === undefined && parent !== undefined ? of(parent) : undefined;
      mp = own ?? (parent === undefined ? `/${name}` : pm === 'none' ? 'none' : `${pm === '/' ? '' : pm}/${name.slice(name.lastIndexOf('/') + 1)}`);
      known.set(name, mp);
    }
    return mp;
  };
  return of;
}

/** `zfs get -Hp -o name,property,value used,…,mountpoint -t filesystem,volume` */
export function renderZfsGet(z: DemoZfs, t: number): string {
  const row = (...f: (string | number)[]) => f.join('\t');
  const mountpointOf = mountpoints(z);
  return z.datasets.map((d) => [
    row(d.name, 'used', Math.round(d.used(t))), row(d.name, 'available', d.available), row(d.name, 'recordsize', d.recordsize),
    row(d.name, 'compression', d.compression), row(d.name, 'atime', d.atime), row(d.name, 'special_small_blocks', d.specialSmallBlocks),
    row(d.name, 'mountpoint', mountpointOf(d.name)),
  ].join('\n')).join('\n') + '\n';
}

/** `zfs list -H -t snapshot -o name -s creation` */
export const renderSnapshots = (z: DemoZfs) => [...z.snapshots].sort((a, b) => a.seq - b.seq).map((s) => `${s.name}\n`).join('');

function snapshot(z: DemoZfs, arg: string): DemoReply {
  const m = SNAP.exec(arg);
  if (!m || !NAME.test(m[1]!)) return fail(`cannot create snapshot '${arg}': invalid character in name`);
  if (!z.datasets.some((d) => d.name === m[1])) return fail(`cannot open '${m[1]}': dataset does not exist\nusage:\n\tsnapshot [-r] [-o property=value] ... <filesystem|volume>@<snap> ...`);
  if (z.snapshots.some((s) => s.name === arg)) return fail(`cannot create snapshot '${arg}': dataset already exists`);
  z.snapshots.push({ name: arg, seq: ++z.seq });
  return ok;
}

function rollback(z: DemoZfs, arg: string): DemoReply {
  const snap = z.snapshots.find((s) => s.name === arg);
  if (!snap) return fail(`cannot open '${arg}': dataset does not exist`);
  const newer = z.snapshots.filter((s) => dsOf(s.name) === dsOf(arg) && s.seq > snap.seq);
  if (newer.length) return fail(`cannot rollback to '${arg}': more recent snapshots or bookmarks exist\nuse '-r' to force deletion of the following snapshots and bookmarks:\n${newer.map((s) => s.name).join('\n')}`);
  return ok;
}

function clone(z: DemoZfs, origin: string, target: string): DemoReply {
  const snap = z.snapshots.find((s) => s.name === origin);
  if (!snap) return fail(`cannot open '${origin}': dataset does not exist`);
  if (!NAME.test(target)) return fail(`cannot create '${target}': invalid character in name`);
  if (z.datasets.some((d) => d.name === target)) return fail(`cannot create '${target}': dataset already exists`);
  const parent = parentOf(target);
  if (!parent || !z.datasets.some((d) => d.name === parent)) return fail(`cannot create '${target}': parent does not exist`);
  const src = z.datasets.find((d) => d.name === dsOf(origin))!;
  z.datasets.push({ ...src, name: target, origin, used: () => 8192, mountpoint: undefined });
  return ok;
}

function rename(z: DemoZfs, from: string, to: string): DemoReply {
  if (from.includes('@')) return fail(`cannot rename '${from}': snapshots are renamed with zfs rename POOL/DS@A POOL/DS@B (not in this demo)`);
  if (!z.datasets.some((d) => d.name === from)) return fail(`cannot open '${from}': dataset does not exist`);
  if (!parentOf(from)) return fail(`cannot rename '${from}': cannot rename to/from a pool`);
  if (!NAME.test(to) || parentOf(to) !== parentOf(from) && !z.datasets.some((d) => d.name === parentOf(to))) return fail(`cannot rename to '${to}': parent does not exist`);
  if (z.datasets.some((d) => d.name === to)) return fail(`cannot rename to '${to}': dataset already exists`);
  const move = (n: string) => (n === from ? to : n.startsWith(`${from}/`) ? to + n.slice(from.length) : n.startsWith(`${from}@`) ? to + n.slice(from.length) : n);
  for (const d of z.datasets) { d.name = move(d.name); if (d.origin) d.origin = move(d.origin); }
  for (const s of z.snapshots) s.name = move(s.name);
  return ok;
}

function promote(z: DemoZfs, name: string): DemoReply {
  const d = z.datasets.find((x) => x.name === name);
  if (!d) return fail(`cannot open '${name}': dataset does not exist`);
  if (!d.origin) return fail(`cannot promote '${name}': not a cloned filesystem`);
  const origin = z.snapshots.find((s) => s.name === d.origin);
  const from = dsOf(d.origin);
  if (!origin) return fail(`cannot promote '${name}': origin ${d.origin} is gone`);
  // the snapshots up to the origin move to the promoted clone; the former parent becomes its clone
  for (const s of z.snapshots) if (dsOf(s.name) === from && s.seq <= origin.seq) s.name = `${name}@${s.name.slice(s.name.indexOf('@') + 1)}`;
  const old = z.datasets.find((x) => x.name === from);
  if (old) old.origin = `${name}@${origin.name.slice(origin.name.indexOf('@') + 1)}`;
  delete d.origin;
  return ok;
}

/** `zfs snapshot|rollback|clone|rename|promote …` and the snapshot list; undefined for anything else */
export function handleZfs(z: DemoZfs, argv: string[]): DemoReply | undefined {
  if (argv[0] !== 'zfs') return undefined;
  const [, verb, ...rest] = argv;
  const args = rest.filter((a) => !a.startsWith('-'));
  const usage = (u: string) => fail(`usage:\n\t${u}`, 2);
  switch (verb) {
    case 'list':
      if (rest.join(' ') === '-H -t snapshot -o name -s creation') return { stdout: renderSnapshots(z) };
      return undefined;
    case 'snapshot': return args.length === 1 && rest.length === 1 ? snapshot(z, args[0]!) : usage('snapshot [-r] [-o property=value] ... <filesystem|volume>@<snap> ...');
    case 'rollback': return args.length === 1 && rest.length === 1 ? rollback(z, args[0]!) : usage('rollback [-rRf] <snapshot>');
    case 'clone': return args.length === 2 && rest.length === 2 ? clone(z, args[0]!, args[1]!) : usage('clone [-p] [-o property=value] ... <snapshot> <filesystem|volume>');
    case 'rename': return args.length === 2 && rest.length === 2 ? rename(z, args[0]!, args[1]!) : usage('rename [-f] <filesystem|volume|snapshot> <filesystem|volume|snapshot>');
    case 'promote': return args.length === 1 && rest.length === 1 ? promote(z, args[0]!) : usage('promote <clone-filesystem>');
    case 'get':
      if (rest.join(' ').startsWith('-H -o value,source mountpoint ') && args.length === 3) {
        const d = z.datasets.find((x) => x.name === args[2]);
        if (!d) return fail(`cannot open '${args[2]}': dataset does not exist`);
        return { stdout: `${mountpoints(z)(d.name)}\t${d.mountpoint !== undefined ? 'local' : parentOf(d.name) ? `inherited from ${parentOf(d.name)}` : 'default'}\n` };
      }
      return undefined;
    default: return undefined;
  }
}
