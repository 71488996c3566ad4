import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS } from '../../backends/index.js';
import type { EngineStatus } from '../../src/daemon/types.js';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import type { Families, Labels } from '../../src/exporter/metrics.js';
import type { MetricName } from '../../src/exporter/catalogue.js';
import type { Samples } from '../../src/store/types.js';
import { demoStore } from '../helpers/demo-state.js';
import { repoRoot } from '../helpers/samples.js';

/** The demo box as the exporter sees it: the host sources read by the real backends, and the demo daemon's engines. */
export async function demoInput(): Promise<{ samples: Partial<Samples>; engines: EngineStatus[]; host: string }> {
  const { store, now } = await demoStore();
  const st = store.getState();
  const all = st.hosts[st.current]!.samples;
  const samples = Object.fromEntries(BACKENDS.map((b) => [b.id, all[b.id]])) as Partial<Samples>;
  const engines = await createDemoEnginesLink({ now: () => now }).call('engines.list', {});
  return { samples, engines, host: st.current };
}

/** the rows of a family whose labels include `match` */
export function rows(f: Families, name: MetricName, match: Labels = {}): { labels: Labels; value: number }[] {
  return (f.get(name)?.rows ?? []).filter((r) => Object.entries(match).every(([k, v]) => r.labels[k] === v));
}

/** the one value of a family for `match`; throws when there is not exactly one */
export function one(f: Families, name: MetricName, match: Labels = {}): number {
  const r = rows(f, name, match);
  if (r.length !== 1) throw new Error(`${name} ${JSON.stringify(match)}: ${r.length} rows`);
  return r[0]!.value;
}

/** metric names in an exposition text (sample lines only) */
export function namesIn(text: string): Set<string> {
  return new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(l)![0]));
}

interface Target { expr?: string }
interface Panel { title: string; type: string; targets?: Target[] }

/** every PromQL expression of contrib/grafana/sov-dashboard.json (panels and templating) */
export function dashboardExprs(): { title: string; expr: string }[] {
  const d = JSON.parse(readFileSync(join(repoRoot, 'contrib/grafana/sov-dashboard.json'), 'utf8')) as { panels: Panel[]; templating: { list: { query?: unknown; definition?: string }[] } };
  const out = d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr ?? '' })));
  for (const v of d.templating.list) if (typeof v.definition === 'string') out.push({ title: 'templating', expr: v.definition });
  return out;
}

/** metric names in a PromQL expression: sov's and dcgm-exporter's (labels and functions never start so) */
export const metricNamesIn = (expr: string): string[] => expr.match(/\b(?:sov_[a-z0-9_]+|DCGM_[A-Z0-9_]+)\b/g) ?? [];

