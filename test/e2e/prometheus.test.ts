/**
 * The real thing: the built `sov exporter --demo` on a free 127.0.0.1 port, and Debian's Prometheus server started
 * by this test (its own config, its TSDB in a temp dir, cwd there too) scraping it every second. Its HTTP API must
 * return sov's series for the demo box — GPU util, pool health, engine state — and run every expression of the
 * Grafana dashboard; promtool must pass the exporter's output and the shipped scrape config. Both processes are
 * started in their own process groups and ended by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_FIELDS, parseQueryCsv, parseQX } from '../../backends/nvidia/parse.js';
import { renderMetrics } from '../../src/exporter/metrics.js';
import { dashboardExprs } from '../exporter/helpers.js';
import { freePort, SOV } from '../helpers/proc.js';
import { fixture, repoRoot } from '../helpers/samples.js';

interface Started { child: ChildProcess; name: string; out: string[] }

function start(name: string, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const keep = (b: Buffer) => { out.push(b.toString()); if (out.length > 400) out.splice(0, out.length - 400); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (e) => out.push(`spawn error: ${e.message}`));
  return { child, name, out };
}

/** SIGTERM to the process group this test started, SIGKILL after 5 s; resolves when it has exited */
async function stop(p: Started | undefined): Promise<void> {
  if (!p?.child.pid || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
  try { process.kill(-p.child.pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => { try { process.kill(-p.child.pid!, 'SIGKILL'); } catch {} }, 5000);
  await gone;
  clearTimeout(t);
}

async function getText(url: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: r.status, text: await r.text() };
  } catch { return undefined; }
}

interface PromAnswer { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } }

async function query(port: number, q: string): Promise<PromAnswer> {
  const r = await getText(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
  if (!r) return { status: 'unreachable' };
  // while its storage is still opening Prometheus answers 503 "Service Unavailable" in plain text: not yet
  if (r.status === 503) return { status: 'starting', error: r.text.slice(0, 200) };
  return JSON.parse(r.text) as PromAnswer;
}

async function until<T>(what: string, deadlineMs: number, f: () => Promise<T | undefined>, p?: Started): Promise<T> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    if (p && p.child.exitCode !== null) throw new Error(`${p.name} exited ${p.child.exitCode} while waiting for ${what}:\n${p.out.join('').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${p ? `\n${p.name} said:\n${p.out.join('').slice(-3000)}` : ''}`);
}

const promtool = (args: string[], input?: string) => spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });

describe('a real Prometheus scrapes sov exporter --demo', () => {
  let dir: string;
  let sov: Started | undefined;
  let prom: Started | undefined;
  let sovPort: number;
  let promPort: number;

  beforeAll(async () => {
    expect(existsSync(SOV), `${SOV}: run npm run build first`).toBe(true);
    const which = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
    expect(which.error, 'prometheus is not installed (apt-get install prometheus)').toBeUndefined();
    dir = mkdtempSync(join(tmpdir(), `sov-prom-${process.pid}-`));
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), XDG_RUNTIME_DIR: join(dir, 'run'), NO_COLOR: '1' };
    sovPort = await freePort();
    sov = start('sov exporter', process.execPath, [SOV, 'exporter', '--demo', '--listen', `127.0.0.1:${sovPort}`], dir, env);
    await until('sov /metrics', 20_000, async () => ((await getText(`http://127.0.0.1:${sovPort}/metrics`))?.status === 200 ? true : undefined), sov);
    promPort = await freePort();
    writeFileSync(join(dir, 'prom.yml'), [
      'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: sov',
      `    static_configs: [{ targets: ['127.0.0.1:${sovPort}'] }]`,
      '',
    ].join('\n'));
    prom = start('prometheus', 'prometheus', [
      `--config.file=${join(dir, 'prom.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`,
      '--storage.tsdb.retention.time=1h', '--log.level=warn',
    ], dir, env);
  }, 60_000);

  afterAll(async () => {
    await stop(prom);
    await stop(sov);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('its HTTP API returns sov\'s series for the demo box: GPU util, pool health, engine state', async () => {
    const series = async (q: string) => {
      const a = await query(promPort, q);
      return a.status === 'success' && a.data!.result.length ? a.data!.result : undefined;
    };
    const util = await until('DCGM_FI_DEV_GPU_UTIL in Prometheus', 45_000, () => series('DCGM_FI_DEV_GPU_UTIL'), prom);
    expect(util.map((r) => r.metric.gpu).sort()).toEqual(['0', '1']);
    for (const r of util) {
      expect(r.metric).toMatchObject({ job: 'sov', instance: `127.0.0.1:${sovPort}`, Hostname: 'omni', device: `nvidia${r.metric.gpu}` });
      expect(r.metric.UUID).toMatch(/^GPU-/);
      const v = Number(r.value[1]);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
    const ratio = await until('sov_gpu_utilization_ratio', 10_000, () => series('sov_gpu_utilization_ratio'));
    expect(ratio.every((r) => Number(r.value[1]) <= 1)).toBe(true);
    const health = await until('pool health', 10_000, () => series('sov_zfs_pool_health == 1'));
    expect(health.map((r) => `${r.metric.pool}:${r.metric.state}`).sort()).toEqual(['ember:DEGRADED', 'rpool:ONLINE']);
    const engines = await until('engine state', 10_000, () => series('sov_engine_state == 1'));
    expect(Object.fromEntries(engines.map((r) => [r.metric.engine, r.metric.state]))).toEqual({ llama: 'healthy', vllm: 'healthy', ktransformers: 'backoff', 'ramalama-worker': 'crashloop' });
    const up = await series('up{job="sov"}');
    expect(up?.[0]?.value[1]).toBe('1');
  });

  it('runs every expression of the Grafana dashboard; the panels of the issue have data', async () => {
    await until('a few scrapes', 20_000, async () => ((await query(promPort, 'count_over_time(up{job="sov"}[1m]) >= 3')).data?.result.length ? true : undefined));
    const empty: string[] = [];
    for (const { title, expr } of dashboardExprs()) {
      const q = expr.replace(/\$instance/g, '.*');
      // Grafana's label_values(METRIC, LABEL) is Prometheus's label values API with a match[]
      const lv = /^label_values\((\w+),\s*(\w+)\)$/.exec(q);
      if (lv) {
        const r = await getText(`http://127.0.0.1:${promPort}/api/v1/label/${lv[2]}/values?match[]=${encodeURIComponent(lv[1]!)}`);
        expect(JSON.parse(r?.text ?? '{}'), `${title}: ${q}`).toEqual({ status: 'success', data: [`127.0.0.1:${sovPort}`] });
        continue;
      }
      const a = await query(promPort, q);
      expect(a.status, `${title}: ${q}: ${a.error ?? ''}`).toBe('success');
      if (!a.data?.result.length) empty.push(title);
    }
    // on the demo box only these may be empty: no vdev errors in the last hour, every source ok, no restarts yet
    expect(empty.filter((t) => !['vdev errors (last hour)', 'Sources not ok', 'Engine restarts (last hour)'].includes(t))).toEqual([]);
  });

  it('promtool passes the exporter\'s output (the demo box, the captured H100) and the shipped scrape config', async () => {
    const live = await getText(`http://127.0.0.1:${sovPort}/metrics`);
    expect(live?.status).toBe(200);
    const h100 = parseQX(fixture('nvidia', 'h100-real', 'q-x-load.xml'));
    const idle = parseQueryCsv(fixture('nvidia', 'h100-real', 'query-gpu-new-once.csv'), FAST_FIELDS);
    const offline = await renderMetrics({ host: 'h100', samples: { nvidia: { state: 'ok', data: { ...h100, gpus: [...h100.gpus, { ...idle.gpus[0]!, index: 1, uuid: 'GPU-idle' }] }, at: 1, tookMs: 1 } } });
    for (const [what, text] of [['demo box over HTTP', live!.text], ['captured H100', offline.text]] as const) {
      const r = promtool(['check', 'metrics'], text);
      expect(r.error, 'promtool is not installed (it comes with prometheus)').toBeUndefined();
      expect(`${r.status} ${r.stdout}${r.stderr}`, what).toBe('0 ');
    }
    // the check fails for real on what the exporter avoids (a camelCase label, a counter without _total)
    const bad = promtool(['check', 'metrics'], '# HELP x_errors e\n# TYPE x_errors counter\nx_errors{modelName="a"} 1\n');
    expect(bad.status).not.toBe(0);
    const cfg = promtool(['check', 'config', join(repoRoot, 'contrib/prometheus/scrape.yml')]);
    expect(`${cfg.status} ${cfg.stderr}`).toMatch(/^0 /);
  });

  it('Prometheus wrote only inside the temp dir', () => {
    expect(readdirSync(join(dir, 'data')).length).toBeGreaterThan(0);
    expect(existsSync(join(repoRoot, 'data'))).toBe(false);
  });
});
