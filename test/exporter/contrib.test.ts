/**
 * contrib/: the Grafana dashboard uses only metric names the exporter really emits (on the demo box), and the
 * scrape config points at the exporter's default address and path. (The real Prometheus runs every expression of
 * the dashboard in test/e2e/prometheus.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_EXPORTER_PORT } from '../../src/config/exporter.js';
import { CATALOGUE } from '../../src/exporter/catalogue.js';
import { renderMetrics } from '../../src/exporter/metrics.js';
import { repoRoot } from '../helpers/samples.js';
import { dashboardExprs, demoInput, metricNamesIn, namesIn } from './helpers.js';

describe('contrib/grafana/sov-dashboard.json', () => {
  let emitted: Set<string>;
  beforeAll(async () => { emitted = namesIn((await renderMetrics(await demoInput())).text); });

  it('every expression names at least one metric, and only metrics the exporter emits on the demo box', () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(12);
    for (const { title, expr } of exprs) {
      const names = metricNamesIn(expr);
      expect(names.length, `${title}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) {
        expect(n in CATALOGUE, `${title}: ${n} is not in the catalogue`).toBe(true);
        expect(emitted.has(n), `${title}: ${n} is not emitted on the demo box`).toBe(true);
      }
    }
  });

  it('covers what the issue asks a dashboard to show: GPU util/mem/temp, pool health, engine state and tok/s', () => {
    const all = new Set(dashboardExprs().flatMap((e) => metricNamesIn(e.expr)));
    for (const n of ['sov_gpu_utilization_ratio', 'sov_gpu_memory_used_bytes', 'sov_gpu_temperature_celsius', 'sov_zfs_pool_health', 'sov_engine_state', 'sov_engine_tokens_per_second']) {
      expect(all.has(n), n).toBe(true);
    }
  });

  it('the check itself catches a name the exporter does not emit', () => {
    expect(metricNamesIn('rate(sov_gpu_made_up_total[5m]) + DCGM_FI_DEV_GPU_UTIL{gpu="0"}')).toEqual(['sov_gpu_made_up_total', 'DCGM_FI_DEV_GPU_UTIL']);
    expect(emitted.has('sov_gpu_made_up_total')).toBe(false);
  });
});

describe('contrib/prometheus/scrape.yml', () => {
  it('scrapes the exporter\'s default address and path', () => {
    const c = parse(readFileSync(join(repoRoot, 'contrib/prometheus/scrape.yml'), 'utf8')) as { scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[] };
    const job = c.scrape_configs.find((j) => j.job_name === 'sov');
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs[0]?.targets).toEqual([`127.0.0.1:${DEFAULT_EXPORTER_PORT}`]);
  });
});
