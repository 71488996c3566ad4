import { gpuSummaryLines } from '../widgets/panels/gpu.js';
import { hostLines, numaLines } from '../widgets/panels/host.js';
import { servicesBadge, servicesLines } from '../widgets/panels/services.js';
import { zfsSummaryLines } from '../widgets/panels/zfs.js';
import { dataOf } from '../src/store/selectors.js';
import { hjoin, split } from '../widgets/primitives/panel.js';
import { fromSample } from './host.js';
import type { PanelSpec, ScreenDef } from './types.js';

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

export const overview: ScreenDef = {
  id: 'overview',
  title: 'Overview',
  sources: ['nvidia', 'numa', 'system', 'zfs', 'services'],
  panels(ctx) {
    const s = ctx.samples;
    const compact = ctx.rows < 34;
    const panels: PanelSpec[] = [
      { id: 'ov.gpu', title: 'GPU', drillTo: 'gpu', body: fromSample(ctx, s.nvidia, (d, w) => gpuSummaryLines(d, w, ctx.theme), (d) => `driver ${d.driverVersion ?? '—'} · CUDA ${d.cudaVersion ?? '—'}`) },
      { id: 'ov.host', title: 'Host', drillTo: 'numa', body: fromSample(ctx, s.system, (d, w, h) => hostLines(d, ctx.history.cpu.values(), w, ctx.theme, compact, h), (d) => d.hostname) },
      { id: 'ov.numa', title: 'NUMA', drillTo: 'numa', body: fromSample(ctx, s.numa, (d, w) => numaLines(d, w, ctx.theme, compact), (d) => `${d.nodes.length} node${d.nodes.length === 1 ? '' : 's'}`) },
      { id: 'ov.zfs', title: 'ZFS', drillTo: 'storage', body: fromSample(ctx, s.zfs, (d, w) => zfsSummaryLines(d, w, ctx.theme), (d) => `${d.pools.length} pool${d.pools.length === 1 ? '' : 's'}`) },
    ] satisfies PanelSpec[];
    // services beside ZFS, when some are configured and there is room (never at 80×24: the four panels fill it)
    const svc = dataOf(s.services);
    if (svc?.services.length && !compact && ctx.cols >= 100) {
      panels.push({ id: 'ov.services', title: 'Services', drillTo: 'engines', body: fromSample(ctx, s.services, (d, w) => servicesLines(d, w, ctx.theme), (d) => servicesBadge(d, ctx.theme)) });
    }
    return panels;
  },
  layout(ctx, [gpu, host, numa, zfs, services], draw) {
    const gpuLines = gpu!.body(ctx.cols - 2, 99).lines.length;
    const zfsLines = zfs!.body(ctx.cols - 2, 99).lines.length;
    const gpuH = clamp(gpuLines + 2, 3, Math.floor(ctx.rows * 0.36));
    const svcLines = services ? services.body(split(ctx.cols, [62, 38])[1]! - 2, 99).lines.length : 0;
    const zfsH = clamp(Math.max(zfsLines, svcLines) + 2, 3, Math.floor(ctx.rows * 0.3));
    const midH = ctx.rows - gpuH - zfsH;
    const [lw, rw] = split(ctx.cols, [55, 45]);
    return [
      ...draw(gpu!, ctx.cols, gpuH),
      ...hjoin([draw(host!, lw!, midH), draw(numa!, rw!, midH)]),
      ...(services
        ? hjoin([draw(zfs!, split(ctx.cols, [62, 38])[0]!, zfsH), draw(services, split(ctx.cols, [62, 38])[1]!, zfsH)])
        : draw(zfs!, ctx.cols, zfsH)),
    ];
  },
};
