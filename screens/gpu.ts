import { gpuDetailLines, shortName } from '../widgets/panels/gpu.js';
import { hjoin, split } from '../widgets/primitives/panel.js';
import { gpuProcessEngine } from '../src/store/selectors.js';
import { fromSample } from './host.js';
import type { PanelSpec, ScreenDef } from './types.js';

export const gpuScreen: ScreenDef = {
  id: 'gpu',
  title: 'GPU',
  sources: ['nvidia', 'engines'],
  panels(ctx) {
    const s = ctx.samples.nvidia;
    const data = s.state === 'ok' ? s.data : s.state === 'error' ? s.lastGood?.data : undefined;
    if (!data?.gpus.length) return [{ id: 'gpu.none', title: 'GPU', body: fromSample(ctx, s, () => ['no GPUs reported']) }];
    const engineOf = gpuProcessEngine(ctx.samples);
    const head = `driver ${data.driverVersion ?? '—'} · CUDA ${data.cudaVersion ?? '—'}`;
    return data.gpus.map((g, i): PanelSpec => ({
      id: `gpu.${g.uuid || g.index}`,
      title: `GPU${g.index} ${shortName(g.name)}`,
      body: fromSample(ctx, s, (d, w) => {
        const cur = d.gpus.find((x) => x.uuid === g.uuid) ?? d.gpus[i];
        const hist = ctx.history.gpus[g.uuid || String(g.index)];
        const series = hist && { util: hist.util.values(), mem: hist.mem.values(), power: hist.power.values(), temp: hist.temp.values() };
        return cur ? gpuDetailLines(cur, series, w, ctx.theme, ctx.filter, engineOf) : ['this GPU is no longer reported'];
      }, () => head),
    }));
  },
  layout(ctx, panels, draw) {
    const cols = ctx.cols >= 160 && panels.length > 1 ? 2 : 1;
    const rowsN = Math.ceil(panels.length / cols);
    const heights = split(ctx.rows, Array(rowsN).fill(1));
    const widths = split(ctx.cols, Array(cols).fill(1));
    const out: string[] = [];
    for (let r = 0; r < rowsN; r++) {
      out.push(...hjoin(widths.map((w, c) => {
        const p = panels[r * cols + c];
        return p ? draw(p, w, heights[r]!) : Array(heights[r]!).fill(' '.repeat(w));
      })));
    }
    return out;
  },
};
