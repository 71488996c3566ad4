/**
 * Screen 6: engines supervised by the daemon (table, the selected engine's detail with its benchmarks, its log
 * windowed with follow/search/dropped counter) and the services and SSH tunnels beside them.
 */
import { startCommand } from '../src/actions/engines.js';
import { latestPerModel } from '../src/engines/bench.js';
import type { EnginesData } from '../src/engines/source.js';
import { dataOf, engineVram, selectedEngine } from '../src/store/selectors.js';
import { paint } from '../themes/tokens.js';
import { engineDetailLines, enginesTableLines, logViewLines, type EngineRow } from '../widgets/panels/engines.js';
import { servicesBadge, servicesLines } from '../widgets/panels/services.js';
import { tunnelsBadge, tunnelsLines } from '../widgets/panels/tunnels.js';
import { hjoin, split } from '../widgets/primitives/panel.js';
import { fit, sanitize } from '../widgets/primitives/text.js';
import { fromSample } from './host.js';
import type { EnginesCtx, PanelSpec, ScreenCtx, ScreenDef } from './types.js';

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const EMPTY: EnginesCtx = { jobs: {}, bench: [], config: [] };


function rowsOf(ctx: ScreenCtx, d: EnginesData): EngineRow[] {
  const vram = engineVram(d.engines, dataOf(ctx.samples.nvidia));
  return d.engines.map((e) => ({ ...e, vramBytes: vram.get(e.name) }));
}

export const enginesScreen: ScreenDef = {
  id: 'engines',
  title: 'Engines',
  sources: ['engines', 'services', 'nvidia'],
  panels(ctx) {
    const ec = ctx.engines ?? EMPTY;
    const s = ctx.samples.engines;
    const data = dataOf(s);
    const sel = data ? selectedEngine(data.engines, ec.selected) : undefined;
    const trouble = s.state === 'ok' ? s.data.daemon?.stateError : undefined;
    const configNote = [
      ...(ec.configError ? [paint(ctx.theme, 'crit', `config: ${sanitize(ec.configError).split('\n')[0]}`)] : []),
      ...(trouble ? [paint(ctx.theme, 'crit', `STATE NOT SAVED: ${sanitize(trouble).split('\n')[0]} — a daemon restart would not find these engines`)] : []),
    ];
    const panels: PanelSpec[] = [
      {
        id: 'eng.table', title: 'Engines',
        body: fromSample(ctx, s, (d, w, h) => {
          const lines = [...configNote, ...enginesTableLines(rowsOf(ctx, d), w, ctx.theme, ctx.now, sel?.name)];
          // keep the selected row in view
          const mark = paint(ctx.theme, 'accent', `${ctx.theme.glyphs.select} `);
          const at = lines.findIndex((l) => l.startsWith(mark));
          return at >= h && h > 1 ? [lines[0]!, ...lines.slice(at - h + 2)] : lines;
        }, (d) => {
          const up = d.engines.filter((e) => e.state === 'healthy').length;
          return d.engines.length ? `${up}/${d.engines.length} healthy` : undefined;
        }),
      },
    ];
    if (ec.logs) {
      const name = ec.logs.engine;
      const follow = ec.logs.follow;
      panels.push({
        id: 'eng.logs', title: `Log ${sanitize(name)}`,
        body: (w, h) => {
          const d = dataOf(s);
          const log = d?.log?.engine === name ? d.log : undefined;
          const v = logViewLines(log, w, h, ctx.theme, { follow, fromBottom: ctx.scroll['eng.logs'] ?? 0, search: ctx.filter });
          const extra = s.state === 'error' ? paint(ctx.theme, 'crit', ' daemon down') : '';
          return { lines: v.lines, badge: v.badge + extra };
        },
      });
    }
    panels.push({
      id: 'eng.detail', title: sel ? `Engine ${sanitize(sel.name)}` : 'Engine',
      // without a list (no daemon, demo box) the table above already says why: no second copy of it here
      body: s.state === 'unavailable' || (s.state === 'error' && !s.lastGood) ? () => ({ lines: [paint(ctx.theme, 'muted', 'no engine to show (see above)')] }) : fromSample(ctx, s, (d, w) => {
        const e = selectedEngine(rowsOf(ctx, d), sel?.name) as EngineRow | undefined;
        if (!e) return [paint(ctx.theme, 'muted', fit('select an engine above (j/k); s starts it, l shows its log', w))];
        const job = Object.values(ec.jobs).filter((j) => j.engine === e.name).sort((a, b) => b.at - a.at)[0];
        return engineDetailLines(e, w, ctx.theme, ctx.now, {
          command: startCommand(ec.config.find((c) => c.name === e.name)),
          bench: latestPerModel(ec.bench, e.name),
          ...(job ? { job: { state: job.state, progress: job.progress, message: job.message } } : {}),
        });
      }),
    });
    panels.push({
      id: 'eng.services', title: 'Services',
      body: fromSample(ctx, ctx.samples.services, (d, w) => servicesLines(d, w, ctx.theme), (d) => servicesBadge(d, ctx.theme)),
    });
    // the daemon's tunnels, from the engines sample (one engines.list and one tunnels.list per tick)
    panels.push({
      id: 'eng.tunnels', title: 'Tunnels',
      body: fromSample(ctx, s, (d, w) => tunnelsLines(d.tunnels ?? [], w, ctx.theme), (d) => tunnelsBadge(d.tunnels ?? [], ctx.theme)),
    });
    return panels;
  },
  layout(ctx, panels, draw) {
    const table = panels.find((p) => p.id === 'eng.table')!;
    const logs = panels.find((p) => p.id === 'eng.logs');
    const detail = panels.find((p) => p.id === 'eng.detail')!;
    const services = panels.find((p) => p.id === 'eng.services')!;
    const tunnels = panels.find((p) => p.id === 'eng.tunnels')!;
    const tableH = clamp(table.body(ctx.cols - 2, 99).lines.length + 2, 4, Math.max(4, Math.floor(ctx.rows * 0.35)));
    const rest = ctx.rows - tableH;
    const out = [...draw(table, ctx.cols, tableH)];
    if (ctx.cols >= 110) {
      const [lw, rw] = split(ctx.cols, [60, 40]);
      const detailLines = detail.body(lw! - 2, 99).lines.length;
      const midH = logs ? clamp(detailLines + 2, 5, Math.floor(rest * 0.45)) : rest;
      // services above, tunnels below them, in the right column
      const tunH = clamp(tunnels.body(rw! - 2, 99).lines.length + 2, 3, Math.max(3, midH - 3));
      out.push(...hjoin([draw(detail, lw!, midH), [...draw(services, rw!, midH - tunH), ...draw(tunnels, rw!, tunH)]]));
      if (logs) out.push(...draw(logs, ctx.cols, rest - midH));
    } else {
      const servH = clamp(services.body(ctx.cols - 2, 99).lines.length + 2, 3, 6);
      const tunH = clamp(tunnels.body(ctx.cols - 2, 99).lines.length + 2, 3, 5);
      const remaining = rest - servH - tunH;
      const detailLines = detail.body(ctx.cols - 2, 99).lines.length;
      const detailH = logs ? clamp(detailLines + 2, 3, Math.floor(remaining * 0.35)) : remaining;
      out.push(...draw(detail, ctx.cols, detailH));
      if (logs) out.push(...draw(logs, ctx.cols, remaining - detailH));
      out.push(...draw(services, ctx.cols, servH));
      out.push(...draw(tunnels, ctx.cols, tunH));
    }
    return out;
  },
};
