/**
 * Doctor (9): the box against its blueprint, live. The checks run on every frame over the samples the screen is
 * shown (pure, a few dozen rows); the blueprint comes from the app (ctx.doctor: src/doctor/load.ts chooses it).
 * A summary on top, then the checks worst first, filterable with `/`.
 */
import { NO_BLUEPRINT, WRITE_ONE } from '../src/doctor/blueprint.js';
import { runChecks } from '../src/doctor/checks.js';
import { summarize, type Row, type Summary } from '../src/doctor/rows.js';
import { paint } from '../themes/tokens.js';
import { doctorLines, summaryBadge, summaryLine } from '../widgets/panels/doctor.js';
import { fit, sanitize } from '../widgets/primitives/text.js';
import type { PanelSpec, ScreenCtx, ScreenDef } from './types.js';

/** the summary panel: its frame and two lines */
const SUMMARY_H = 4;

function checked(ctx: ScreenCtx): { rows: Row[]; summary: Summary } | undefined {
  const bp = ctx.doctor?.blueprint;
  if (!bp) return undefined;
  const rows = runChecks(bp, { samples: ctx.samples, now: ctx.now, staleMs: ctx.staleMs, bench: ctx.engines?.bench ?? [] });
  return { rows, summary: summarize(rows) };
}

function noBlueprint(ctx: ScreenCtx, w: number): string[] {
  if (!ctx.doctor) return [fit(paint(ctx.theme, 'muted', 'reading the blueprint\u2026'), w)];
  const err = ctx.doctor.error;
  if (err && !err.startsWith(NO_BLUEPRINT)) {
    return sanitize(err).split('\n').map((l, i) => fit(i === 0 ? paint(ctx.theme, 'crit', l) : l, w));
  }
  return [fit(paint(ctx.theme, 'warn', NO_BLUEPRINT), w), fit(paint(ctx.theme, 'muted', WRITE_ONE), w)];
}

export const doctorScreen: ScreenDef = {
  id: 'doctor',
  title: 'Doctor',
  sources: ['nvidia', 'numa', 'system', 'zfs', 'services', 'engines'],
  panels(ctx) {
    const c = checked(ctx);
    const bp = ctx.doctor?.blueprint;
    const summary: PanelSpec = {
      id: 'doctor.summary',
      title: bp ? `Doctor · ${sanitize(bp.name)}` : 'Doctor',
      body: (w) => {
        if (!c || !bp) return { lines: noBlueprint(ctx, w) };
        const from = `${ctx.doctor?.path ? sanitize(ctx.doctor.path) : ''}${bp.description ? ` · ${sanitize(bp.description)}` : ''}`;
        return { lines: [fit(summaryLine(ctx.theme, c.summary), w), fit(paint(ctx.theme, 'muted', from), w)], badge: summaryBadge(ctx.theme, c.summary) };
      },
    };
    const checks: PanelSpec = {
      id: 'doctor.checks',
      title: ctx.filter ? `Checks (filter "${sanitize(ctx.filter)}")` : 'Checks',
      body: (w) => (c ? { lines: doctorLines(c.rows, w, ctx.theme, ctx.filter) } : { lines: [paint(ctx.theme, 'muted', 'sov doctor --demo shows what a blueprint checks')] }),
    };
    return [summary, checks];
  },
  layout(ctx, [summary, checks], draw) {
    const top = ctx.doctor?.blueprint ? SUMMARY_H : Math.min(ctx.rows - 3, 8);
    return [...draw(summary!, ctx.cols, top), ...draw(checks!, ctx.cols, ctx.rows - top)];
  },
};
