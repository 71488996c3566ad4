import type { NumaData } from '../../backends/numa/types.js';
import type { SystemData } from '../../backends/system/types.js';
import { paint, type Theme } from '../../themes/tokens.js';
import { levelFor, meter, sparkline } from '../primitives/charts.js';
import { bytes, cpuList, duration, pct, rate } from '../primitives/format.js';
import { fit, padLeft, sanitize, spread } from '../primitives/text.js';

const used = (total?: number, avail?: number) => (total && avail !== undefined ? total - avail : undefined);
const ratio = (a?: number, b?: number) => (a !== undefined && b ? (100 * a) / b : undefined);

/** Host panel: CPU total with history, load, memory, swap, then per-core bars, disks and network as room allows. */
export function hostLines(d: SystemData, cpuHistory: number[], w: number, theme: Theme, compact: boolean, maxRows = 6): string[] {
  const barW = Math.max(6, Math.min(24, Math.floor(w / 4)));
  const m = d.mem;
  const memUsed = used(m.totalBytes, m.availableBytes);
  const swapUsed = m.swapUsedBytes;
  const out: string[] = [];
  const cpuLeft = `${paint(theme, 'muted', 'cpu ')} ${meter(theme, d.cpu.utilPct, barW)} ${padLeft(pct(d.cpu.utilPct), 4)} `;
  out.push(fit(cpuLeft + paint(theme, 'accent', sparkline(cpuHistory, Math.max(0, w - barW - 12), 100, theme.glyphs.spark)), w));
  out.push(fit(`${paint(theme, 'muted', 'mem ')} ${meter(theme, ratio(memUsed, m.totalBytes), barW)} ${bytes(memUsed)}/${bytes(m.totalBytes)}`, w));
  out.push(fit(`${paint(theme, 'muted', 'swap')} ${meter(theme, ratio(swapUsed, m.swapTotalBytes), barW, levelFor(ratio(swapUsed, m.swapTotalBytes), 50, 80))} ${bytes(swapUsed)}/${bytes(m.swapTotalBytes)}`, w));
  const load = d.load ? d.load.map((x) => x.toFixed(2)).join(' ') : theme.glyphs.dash;
  out.push(fit(`${paint(theme, 'muted', 'load')} ${load}  ${paint(theme, 'muted', 'cores')} ${d.cpu.cores.length}  ${paint(theme, 'muted', 'up')} ${duration(d.uptimeSec)}`, w));
  const io = (label: string, name: string, a?: number, b?: number) => fit(`${paint(theme, 'muted', label)} ${sanitize(name).padEnd(12)} ${padLeft(rate(a), 11)} ${padLeft(rate(b), 11)}`, w);
  const disks = [...d.disks].sort((a, b) => ((b.readBytesPerSec ?? 0) + (b.writeBytesPerSec ?? 0)) - ((a.readBytesPerSec ?? 0) + (a.writeBytesPerSec ?? 0)));
  const nets = [...d.net].sort((a, b) => ((b.rxBytesPerSec ?? 0) + (b.txBytesPerSec ?? 0)) - ((a.rxBytesPerSec ?? 0) + (a.txBytesPerSec ?? 0)));
  if (compact) {
    // the busiest disks and interfaces, as many as the panel has rows for (at least one of each)
    // (disks get what the interfaces leave of half the room, interfaces what the disks leave)
    const room = Math.max(2, maxRows - out.length);
    const nDisk = Math.min(disks.length, Math.max(1, room - Math.min(nets.length, Math.floor(room / 2))));
    const nNet = Math.min(nets.length, Math.max(1, room - nDisk));
    disks.slice(0, nDisk).forEach((x, i) => out.push(io(i ? '    ' : 'disk', x.name, x.readBytesPerSec, x.writeBytesPerSec)));
    nets.slice(0, nNet).forEach((x, i) => out.push(io(i ? '    ' : 'net ', x.iface, x.rxBytesPerSec, x.txBytesPerSec)));
    return out;
  }
  out.push(paint(theme, 'muted', fit(`disk ${'device'.padEnd(12)} ${padLeft('read', 11)} ${padLeft('write', 11)}`, w)));
  for (const x of disks) out.push(io('    ', x.name, x.readBytesPerSec, x.writeBytesPerSec));
  out.push(paint(theme, 'muted', fit(`net  ${'iface'.padEnd(12)} ${padLeft('rx', 11)} ${padLeft('tx', 11)}`, w)));
  for (const n of nets) out.push(io('    ', n.iface, n.rxBytesPerSec, n.txBytesPerSec));
  return out;
}

/** Per-core utilisation as a grid of small cells: "  3 ▇▇▇░ 71%" */
export function coreLines(d: SystemData, w: number, theme: Theme): string[] {
  const cellW = 15;
  const perRow = Math.max(1, Math.floor(w / cellW));
  const cells = d.cpu.cores.map((c) => `${String(c.id).padStart(3)} ${meter(theme, c.utilPct, 5)} ${padLeft(pct(c.utilPct), 4)} `);
  const out: string[] = [];
  for (let i = 0; i < cells.length; i += perRow) out.push(fit(cells.slice(i, i + perRow).join(''), w));
  return out.length ? out : [paint(theme, 'muted', 'no per-core figures')];
}

/** NUMA: per-node CPUs and memory bars, then the distance matrix. */
export function numaLines(d: NumaData, w: number, theme: Theme, compact: boolean): string[] {
  const out: string[] = [];
  if (d.nodes.length <= 1) out.push(paint(theme, 'muted', 'single NUMA node: placement does not matter on this box'));
  const barW = Math.max(5, Math.min(20, Math.floor(w / 5)));
  for (const n of d.nodes) {
    const u = used(n.memTotalBytes, n.memFreeBytes);
    const cpus = n.cpus.length ? cpuList(n.cpus) : 'no CPUs (memory-only node)';
    const head = `node${n.id} ${meter(theme, ratio(u, n.memTotalBytes), barW)} ${bytes(u)}/${bytes(n.memTotalBytes)}`;
    out.push(compact ? spread(head, paint(theme, 'muted', `${n.cpus.length} cpus`), w) : fit(`${head}  ${paint(theme, 'muted', 'cpus')} ${cpus}`, w));
  }
  if (!compact && d.nodes.length > 1 && d.distances.length) {
    out.push(paint(theme, 'muted', fit('distances  ' + d.nodes.map((n) => padLeft(`n${n.id}`, 4)).join(''), w)));
    d.distances.forEach((rowv, i) => out.push(fit(`${padLeft(`n${d.nodes[i]?.id ?? i}`, 9)}  ` + rowv.map((x) => padLeft(String(x), 4)).join(''), w)));
  }
  return out;
}
