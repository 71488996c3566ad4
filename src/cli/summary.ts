import type { Sample } from '../../backends/types.js';
import type { Samples } from '../store/types.js';
import { bytes, pct, num, duration } from '../../widgets/primitives/format.js';
import { sanitize } from '../../widgets/primitives/text.js';

const mark = (s: Sample<unknown>) => (s.state === 'ok' ? '✓' : s.state === 'unavailable' ? '?' : s.state === 'error' ? '✖' : '…');

function why(s: Sample<unknown>): string | undefined {
  if (s.state === 'unavailable') return `unavailable: ${sanitize(s.reason)}${s.hint ? ` (hint: ${sanitize(s.hint)})` : ''}`;
  if (s.state === 'error') return `error: ${sanitize(s.message)}`;
  if (s.state === 'pending') return 'no reading';
  return undefined;
}

/** The plain-text `sov status`: a line or a few per source, no colour, fit for mail from cron. */
export function summarize(host: string, at: number, s: Samples): string {
  const out = [`${sanitize(host)} · ${new Date(at).toISOString()}`];
  const line = (name: string, smp: Sample<unknown>, text: () => string[]) => {
    const w = why(smp);
    const body = w ? [w] : text();
    out.push(`${mark(smp)} ${name.padEnd(7)}${body[0] ?? ''}`);
    for (const l of body.slice(1)) out.push(`          ${l}`);
  };
  line('nvidia', s.nvidia, () => {
    const d = s.nvidia.state === 'ok' ? s.nvidia.data : undefined;
    if (!d) return [];
    return [`${d.gpus.length} GPU${d.gpus.length === 1 ? '' : 's'} · driver ${d.driverVersion ?? '—'} · CUDA ${d.cudaVersion ?? '—'}`,
      ...d.gpus.map((g) => `GPU${g.index} ${sanitize(g.name)}  util ${pct(g.utilPct)}  mem ${bytes(g.memUsedBytes)}/${bytes(g.memTotalBytes)}  ${num(g.tempC, '°C')}  ${num(g.powerDrawW)}/${num(g.powerLimitW, ' W')}  PCIe Gen${g.pcie.genCurrent ?? '?'}/${g.pcie.genMax ?? '?'} x${g.pcie.widthCurrent ?? '?'}/${g.pcie.widthMax ?? '?'}`)];
  });
  line('numa', s.numa, () => {
    const d = s.numa.state === 'ok' ? s.numa.data : undefined;
    if (!d) return [];
    return [`${d.nodes.length} node${d.nodes.length === 1 ? '' : 's'} · ${d.nodes.reduce((a, n) => a + n.cpus.length, 0)} cpus · ` + d.nodes.map((n) => `node${n.id} ${bytes(n.memFreeBytes)} free of ${bytes(n.memTotalBytes)}`).join(', ')];
  });
  line('system', s.system, () => {
    const d = s.system.state === 'ok' ? s.system.data : undefined;
    if (!d) return [];
    const m = d.mem;
    return [`cpu ${pct(d.cpu.utilPct)} of ${d.cpu.cores.length} · load ${d.load ? d.load.map((x) => x.toFixed(2)).join(' ') : '—'} · mem ${bytes(m.totalBytes !== undefined && m.availableBytes !== undefined ? m.totalBytes - m.availableBytes : undefined)}/${bytes(m.totalBytes)} · swap ${bytes(m.swapUsedBytes)}/${bytes(m.swapTotalBytes)} · up ${duration(d.uptimeSec)}`];
  });
  line('zfs', s.zfs, () => {
    const d = s.zfs.state === 'ok' ? s.zfs.data : undefined;
    if (!d) return [];
    if (!d.pools.length) return ['no pools imported'];
    return d.pools.map((p) => `${sanitize(p.name)} ${p.health} ${pct(p.capacityPct)} of ${bytes(p.sizeBytes)}` +
      (p.scan.state === 'running' ? ` · ${p.scan.kind} ${num(p.scan.pct, '%', 1)}${p.scan.etaSeconds !== undefined ? ` ETA ${duration(p.scan.etaSeconds)}` : ''}` : ''));
  });
  return out.join('\n');
}
