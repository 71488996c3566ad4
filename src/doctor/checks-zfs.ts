/**
 * ZFS against the blueprint: each pool's health, layout (top-level vdevs per allocation class, their kind and width)
 * and free space; each dataset's compression and special_small_blocks ≤ recordsize. Pure.
 */
import type { Dataset, Pool, Vdev, VdevClass, ZfsData } from '../../backends/zfs/types.js';
import { bytes } from '../../widgets/primitives/format.js';
import type { Blueprint, BlueprintDataset, BlueprintPool, VdevGroup } from './blueprint.js';
import { fresh, row, type Readings, type Row } from './rows.js';

const CLASSES = ['data', 'special', 'dedup', 'log', 'cache'] as const;

export function zfsRows(bp: Blueprint, r: Readings): Row[] {
  const z = bp.zfs;
  if (!z) return [];
  const got = fresh(r, 'zfs');
  const out: Row[] = [];
  for (const p of z.pools ?? []) {
    if (!got.ok) { for (const w of poolWants(p)) out.push(row(w.id, 'zfs', w.check, 'UNKNOWN', got.why)); continue; }
    out.push(...poolRows(p, got.data));
  }
  for (const d of z.datasets ?? []) {
    if (!got.ok) { for (const w of datasetWants(d, d.name)) out.push(row(w.id, 'zfs', w.check, 'UNKNOWN', got.why)); continue; }
    out.push(...datasetRows(d, got.data));
  }
  return out;
}

function poolWants(p: BlueprintPool): { id: string; check: string }[] {
  const out = [{ id: `zfs.pool.${p.name}.health`, check: `pool ${p.name} ${p.health}` }];
  if (p.layout) out.push({ id: `zfs.pool.${p.name}.layout`, check: `pool ${p.name} is ${layoutText(p.layout)}` });
  if (p.minFreePct !== undefined) out.push({ id: `zfs.pool.${p.name}.free`, check: `pool ${p.name} ≥ ${p.minFreePct} % free` });
  return out;
}

function poolRows(want: BlueprintPool, d: ZfsData): Row[] {
  const wants = poolWants(want);
  const p = d.pools.find((x) => x.name === want.name);
  if (!p) {
    const imported = d.pools.map((x) => x.name).join(', ') || 'none';
    return wants.map((w, i) => (i === 0
      ? row(w.id, 'zfs', w.check, 'FAIL', `not imported (imported: ${imported})`, `zpool import ${want.name}`)
      : row(w.id, 'zfs', w.check, 'UNKNOWN', `pool ${want.name} is not imported`)));
  }
  const out: Row[] = [healthRow(want, p, wants[0]!)];
  if (want.layout) out.push(layoutRow(want.layout, p, wants[1]!));
  if (want.minFreePct !== undefined) out.push(freeRow(want.minFreePct, p, wants[wants.length - 1]!));
  return out;
}

function scanNote(p: Pool): string {
  const s = p.scan;
  if (s.state !== 'running') return '';
  return ` · ${s.kind} ${s.pct !== undefined ? `${s.pct.toFixed(1)} %` : 'running'}${s.etaSeconds !== undefined ? `, ${Math.round(s.etaSeconds / 60)} min to go` : ''}`;
}

function healthRow(want: BlueprintPool, p: Pool, w: { id: string; check: string }): Row {
  const h = p.health.toUpperCase();
  const ev = `${p.health}${scanNote(p)}${p.status ? ` · ${p.status.split(/\.\s/)[0]!.replace(/\s+/g, ' ')}` : ''}`;
  const hint = p.scan.state === 'running' && p.scan.kind === 'resilver' ? `a resilver is running: let it finish (zpool status ${p.name})` : `${p.action ? `${p.action.split('\n')[0]} ` : ''}(zpool status -v ${p.name})`;
  if (h === 'ONLINE') return row(w.id, 'zfs', w.check, 'PASS', ev);
  if (h === 'DEGRADED' && want.health === 'DEGRADED') return row(w.id, 'zfs', w.check, 'WARN', ev, hint);
  return row(w.id, 'zfs', w.check, 'FAIL', ev, hint);
}

const groupText = (g: VdevGroup) => `${g.vdevs} × ${g.kind}${g.width !== undefined ? ` ${g.width} wide` : ''}`;
function layoutText(l: NonNullable<BlueprintPool['layout']>): string {
  return CLASSES.filter((c) => l[c]).map((c) => `${c} ${groupText(l[c]!)}`).join(' + ');
}

/** devices in a top-level vdev: a lone disk is 1; a replacing or spare pair counts once */
const widthOf = (v: Vdev) => (v.children.length ? v.children.length : 1);
const classOf = (v: Vdev): VdevClass => v.class ?? 'data';

/** "2 × raidz2 6 wide" when alike, else each vdev named */
export function describeVdevs(vs: Vdev[]): string {
  if (!vs.length) return 'none';
  const alike = vs.every((v) => v.kind === vs[0]!.kind && widthOf(v) === widthOf(vs[0]!));
  if (alike) return `${vs.length} × ${vs[0]!.kind} ${widthOf(vs[0]!)} wide`;
  return vs.map((v) => `${v.name}: ${v.kind} ${widthOf(v)} wide`).join(', ');
}

export function layoutRow(l: NonNullable<BlueprintPool['layout']>, p: Pool, w: { id: string; check: string }): Row {
  const parts: string[] = [];
  let ok = true;
  for (const c of CLASSES) {
    const g = l[c];
    if (!g) continue;
    const vs = p.vdevs.filter((v) => classOf(v) === c);
    const fits = vs.length === g.vdevs && vs.every((v) => v.kind === g.kind && (g.width === undefined || widthOf(v) === g.width));
    if (!fits) ok = false;
    parts.push(`${c}: ${describeVdevs(vs)}${fits ? '' : ` (want ${groupText(g)})`}`);
  }
  return row(w.id, 'zfs', w.check, ok ? 'PASS' : 'FAIL', parts.join('; '),
    `the layout is set when vdevs are added: zpool add ${p.name} … for a missing vdev; a narrower raidz needs rebuilding (or raidz expansion, OpenZFS 2.3+); zpool status ${p.name}`);
}

function freeRow(minPct: number, p: Pool, w: { id: string; check: string }): Row {
  const freePct = p.sizeBytes && p.freeBytes !== undefined ? (p.freeBytes / p.sizeBytes) * 100 : p.capacityPct !== undefined ? 100 - p.capacityPct : undefined;
  if (freePct === undefined) return row(w.id, 'zfs', w.check, 'UNKNOWN', 'size and free space not reported');
  const ev = `${freePct.toFixed(1)} % free (${bytes(p.freeBytes)} of ${bytes(p.sizeBytes)})`;
  return row(w.id, 'zfs', w.check, freePct >= minPct ? 'PASS' : 'FAIL', ev, `free space: zfs list -o space -r ${p.name}; old snapshots: zfs list -t snapshot -s used`);
}

const covers = (rule: string, ds: string) => ds === rule || ds.startsWith(`${rule}/`);

function datasetWants(d: BlueprintDataset, name: string): { id: string; check: string }[] {
  const out: { id: string; check: string }[] = [];
  if (d.compression) out.push({ id: `zfs.ds.${name}.compression`, check: `${name} compression ${d.compression}` });
  if (d.specialSmallBlocks) out.push({ id: `zfs.ds.${name}.small`, check: `${name} special_small_blocks ≤ recordsize` });
  return out;
}

function datasetRows(rule: BlueprintDataset, d: ZfsData): Row[] {
  const ds = d.datasets.filter((x) => covers(rule.name, x.name));
  if (!ds.length) {
    return datasetWants(rule, rule.name).map((w) => row(w.id, 'zfs', w.check, 'FAIL', `no dataset ${rule.name} (datasets: ${d.datasets.length})`, `zfs create ${rule.name}, or fix the name in the blueprint`));
  }
  const out: Row[] = [];
  for (const x of ds) {
    for (const w of datasetWants(rule, x.name)) out.push(w.id.endsWith('.compression') ? compressionRow(rule.compression!, x, w) : smallBlocksRow(x, w));
  }
  return out;
}

export function compressionRow(want: string, x: Dataset, w: { id: string; check: string }): Row {
  const c = x.compression;
  if (c === undefined) return row(w.id, 'zfs', w.check, 'UNKNOWN', 'compression not reported');
  const ok = want === 'on' ? c !== 'off' : c.startsWith(want);
  return row(w.id, 'zfs', w.check, ok ? 'PASS' : 'FAIL', `compression=${c}`, `zfs set compression=${want === 'on' ? 'lz4' : want} ${x.name} (applies to new writes)`);
}

export function smallBlocksRow(x: Dataset, w: { id: string; check: string }): Row {
  const s = x.specialSmallBlocksBytes;
  const rs = x.recordsizeBytes;
  if (s === undefined || rs === undefined) return row(w.id, 'zfs', w.check, 'UNKNOWN', `special_small_blocks ${bytes(s, 0)}, recordsize ${bytes(rs, 0)}: not both reported`);
  const ev = `special_small_blocks=${s === 0 ? '0 (off)' : bytes(s, 0)}, recordsize=${bytes(rs, 0)}`;
  const hint = `zfs set special_small_blocks=${bytes(Math.min(rs / 2, 64 * 1024), 0).replace('iB', '')} ${x.name} (below its recordsize)`;
  if (s < rs) return row(w.id, 'zfs', w.check, 'PASS', ev);
  if (s === rs) return row(w.id, 'zfs', w.check, 'WARN', `${ev}: equal, so every block of it goes to the special vdev`, hint);
  return row(w.id, 'zfs', w.check, 'FAIL', `${ev}: every block of it goes to the special vdev`, hint);
}
