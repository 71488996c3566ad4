import { datasetLines, poolLines, vdevLines } from '../widgets/panels/zfs.js';
import { hjoin, split } from '../widgets/primitives/panel.js';
import { fromSample } from './host.js';
import type { ScreenDef } from './types.js';

export const storageScreen: ScreenDef = {
  id: 'storage',
  title: 'Storage',
  sources: ['zfs'],
  panels(ctx) {
    const s = ctx.samples.zfs;
    return [
      { id: 'zfs.pools', title: 'Pools', body: fromSample(ctx, s, (d, w) => poolLines(d, w, ctx.theme), (d) => d.dialect) },
      { id: 'zfs.vdevs', title: 'Vdevs', body: fromSample(ctx, s, (d, w) => vdevLines(d, w, ctx.theme, ctx.filter)) },
      { id: 'zfs.datasets', title: 'Datasets', body: fromSample(ctx, s, (d, w) => datasetLines(d, w, ctx.theme, ctx.filter), (d) => `${d.datasets.length} datasets · ${d.lints.length} findings`) },
    ];
  },
  layout(ctx, [pools, vdevs, datasets], draw) {
    const [topH, botH] = split(ctx.rows, [55, 45]);
    const [lw, rw] = split(ctx.cols, [45, 55]);
    return [...hjoin([draw(pools!, lw!, topH!), draw(vdevs!, rw!, topH!)]), ...draw(datasets!, ctx.cols, botH!)];
  },
};
