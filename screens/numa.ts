import { coreLines, hostLines, numaLines } from '../widgets/panels/host.js';
import { hjoin, split } from '../widgets/primitives/panel.js';
import { fromSample } from './host.js';
import type { ScreenDef } from './types.js';

export const numaScreen: ScreenDef = {
  id: 'numa',
  title: 'NUMA/Host',
  sources: ['numa', 'system'],
  panels(ctx) {
    const s = ctx.samples;
    const f = ctx.filter;
    return [
      { id: 'numa.nodes', title: 'NUMA', body: fromSample(ctx, s.numa, (d, w) => numaLines(d, w, ctx.theme, false), (d) => `${d.nodes.length} node${d.nodes.length === 1 ? '' : 's'}`) },
      { id: 'numa.host', title: 'Host', body: fromSample(ctx, s.system, (d, w) => hostLines(d, ctx.history.cpu.values(), w, ctx.theme, false), (d) => d.hostname) },
      {
        id: 'numa.cores', title: 'CPU cores',
        body: fromSample(ctx, s.system, (d, w) => coreLines(f ? { ...d, cpu: { ...d.cpu, cores: d.cpu.cores.filter((c) => String(c.id).startsWith(f)) } } : d, w, ctx.theme), (d) => `${d.cpu.cores.length} cores`),
      },
    ];
  },
  layout(ctx, [nodes, host, cores], draw) {
    const [topH, botH] = split(ctx.rows, [45, 55]);
    const [lw, rw] = split(ctx.cols, [50, 50]);
    return [...hjoin([draw(nodes!, lw!, topH!), draw(host!, rw!, topH!)]), ...draw(cores!, ctx.cols, botH!)];
  },
};
