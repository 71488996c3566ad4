import { vmDetailLines, vmListLines, vmRouteLines } from '../widgets/panels/vms.js';
import { hjoin, split } from '../widgets/primitives/panel.js';
import { fromSample } from './host.js';
import type { ScreenDef } from './types.js';
import type { VmsData } from '../backends/vms/types.js';

/** the selected VM: the one chosen with j/k, else the first */
export function selectedVm(d: VmsData, selected: string | undefined): string | undefined {
  return d.vms.find((v) => v.name === selected)?.name ?? d.vms[0]?.name;
}

/** VMs (`0`): the list, each VM in detail (disks and backing chains, snapshots, ports, heartbeat), what sov can see. */
export const vmsScreen: ScreenDef = {
  id: 'vms',
  title: 'VMs',
  sources: ['vms'],
  panels(ctx) {
    const s = ctx.samples.vms;
    return [
      { id: 'vms.list', title: 'VMs', body: fromSample(ctx, s, (d, w) => vmListLines(d, w, ctx.theme, ctx.filter, selectedVm(d, ctx.vms?.selected)), (d) => `${d.vms.length} VM${d.vms.length === 1 ? '' : 's'} · enter ssh`) },
      { id: 'vms.detail', title: 'Disks · snapshots · heartbeat', body: fromSample(ctx, s, (d, w) => vmDetailLines(d, w, ctx.theme, ctx.now, ctx.filter, ctx.engines?.config ?? [])) },
      { id: 'vms.routes', title: 'Seen through', body: fromSample(ctx, s, (d, w) => vmRouteLines(d, w, ctx.theme, ctx.now)) },
    ];
  },
  layout(ctx, [list, detail, routes], draw) {
    const n = ctx.samples.vms.state === 'ok' ? ctx.samples.vms.data.vms.length : 3;
    const topH = Math.max(5, Math.min(n + 3, Math.floor(ctx.rows * 0.4)));
    const botH = ctx.rows - topH;
    const [lw, rw] = split(ctx.cols, [62, 38]);
    return [...draw(list!, ctx.cols, topH), ...hjoin([draw(detail!, lw!, botH), draw(routes!, rw!, botH)])];
  },
};
