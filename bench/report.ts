// Budgets (DESIGN.md §8) and the printed table.
import type { Measurement, SoakResult } from './measure.js';

/** issue 11's budgets (the first ones, issue 2's, were 3× htop's CPU, 100 MB and 0.6 s) */
export const BUDGETS = {
  bytesVsHtop: 1.5,
  cpuVsHtop: 1.5,
  peakRssBytes: 64 * 1024 * 1024,
  firstFrameMs: 300,
  soakGrowthBytes: 5 * 1024 * 1024,
  /** the demo box ×8 against the demo box, steady CPU */
  scaleCpu: 2,
  /** a key press to the end of its redraw, through the PTY (median) */
  keyRedrawMs: 50,
} as const;

export type Verdict = 'PASS' | 'FAIL' | 'N/A' | 'INVALID';

export interface Row {
  metric: string;
  app?: number;
  htop?: number;
  ratio?: number;
  budget: string;
  verdict: Verdict;
  unit: string;
}

const MB = 1024 * 1024;

function judge(value: number | undefined, limit: number, invalid: boolean): Verdict {
  if (invalid) return 'INVALID';
  if (value === undefined || !Number.isFinite(value)) return 'N/A';
  return value <= limit ? 'PASS' : 'FAIL';
}

const ratioOf = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);

export function buildRows(app: Measurement | undefined, htop: Measurement | undefined, soak: SoakResult | undefined, scaled?: { factor: number; m: Measurement }): Row[] {
  const invalid = app?.exitedEarly ?? false;
  const rows: Row[] = [];
  const bytesRatio = ratioOf(app?.bytesPerSec, htop?.bytesPerSec);
  rows.push({
    metric: 'terminal bytes/s',
    unit: 'B/s',
    app: app?.bytesPerSec,
    htop: htop?.bytesPerSec,
    ratio: bytesRatio,
    budget: `≤ ${BUDGETS.bytesVsHtop}× htop`,
    verdict: judge(bytesRatio, BUDGETS.bytesVsHtop, invalid),
  });
  const cpuRatio = ratioOf(app?.cpuPct, htop?.cpuPct);
  rows.push({
    metric: 'steady CPU (% of a core)',
    unit: '%',
    app: app?.cpuPct,
    htop: htop?.cpuPct,
    ratio: cpuRatio,
    budget: `≤ ${BUDGETS.cpuVsHtop}× htop`,
    verdict: judge(cpuRatio, BUDGETS.cpuVsHtop, invalid),
  });
  rows.push({
    metric: 'peak RSS',
    unit: 'MB',
    app: app?.peakRssBytes !== undefined ? app.peakRssBytes / MB : undefined,
    htop: htop?.peakRssBytes !== undefined ? htop.peakRssBytes / MB : undefined,
    budget: `≤ ${BUDGETS.peakRssBytes / MB} MB`,
    verdict: judge(app?.peakRssBytes, BUDGETS.peakRssBytes, invalid),
  });
  rows.push({
    metric: 'first full frame',
    unit: 's',
    app: app?.firstFrameMs !== undefined ? app.firstFrameMs / 1000 : undefined,
    htop: htop?.firstFrameMs !== undefined ? htop.firstFrameMs / 1000 : undefined,
    budget: `≤ ${BUDGETS.firstFrameMs / 1000} s`,
    verdict: judge(app?.firstFrameMs, BUDGETS.firstFrameMs, invalid),
  });
  if (scaled) {
    // the ratio here is against the demo box (the app column above), not htop
    const r = ratioOf(scaled.m.cpuPct, app?.cpuPct);
    rows.push({
      metric: `steady CPU, demo box ×${scaled.factor} (ratio: vs the demo box)`,
      unit: '%',
      app: scaled.m.cpuPct,
      ratio: r,
      budget: `≤ ${BUDGETS.scaleCpu}× the demo box`,
      verdict: judge(r, BUDGETS.scaleCpu, invalid || scaled.m.exitedEarly),
    });
    rows.push({
      metric: `peak RSS, demo box ×${scaled.factor}`,
      unit: 'MB',
      app: scaled.m.peakRssBytes !== undefined ? scaled.m.peakRssBytes / MB : undefined,
      budget: 'reported',
      verdict: scaled.m.exitedEarly ? 'INVALID' : 'N/A',
    });
  }
  if (soak) {
    rows.push({
      metric: `soak RSS growth (${soak.ticksSimulated} ticks)`,
      unit: 'MB',
      app: soak.growthBytes !== undefined ? soak.growthBytes / MB : undefined,
      budget: `≤ ${BUDGETS.soakGrowthBytes / MB} MB`,
      verdict: judge(soak.growthBytes, BUDGETS.soakGrowthBytes, soak.exitedEarly),
    });
  }
  return rows;
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}

export function formatTable(rows: Row[]): string {
  const header = ['metric', 'app', 'htop', 'ratio', 'budget', 'verdict'];
  const body = rows.map((r) => [r.metric, fmt(r.app, r.unit), fmt(r.htop, r.unit), r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`, r.budget, r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
