/**
 * /metrics over a real HTTP server on 127.0.0.1 (a free port the OS picks), and the sampler behind it on the demo
 * box: a scrape never starts a tool (the nvidia stream and `-q -x` are counted through the runner), a read that
 * hangs is answered 503 by the deadline, a client that never finishes its request is cut off.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runner } from '../../backends/types.js';
import { omniDemo } from '../../src/demo/omni/index.js';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import { startExporter, type RunningExporter } from '../../src/exporter/run.js';
import { startExporterServer, type ExporterServer } from '../../src/exporter/server.js';
import { createDemoRunner } from '../../src/runner/demo.js';
import { namesIn } from './helpers.js';

interface Got { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function get(port: number, path: string, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** the demo runner, counting every command and stream started through it */
function countingDemoRunner(): { runner: Runner; runs: string[][]; streams: string[][] } {
  const inner = createDemoRunner(omniDemo);
  const runs: string[][] = [];
  const streams: string[][] = [];
  const runner: Runner = {
    host: inner.host,
    run: (argv, o) => { runs.push(argv); return inner.run(argv, o); },
    stream: (argv, o) => { streams.push(argv); return inner.stream(argv, o); },
    readFile: (p) => inner.readFile(p),
    listDir: (p) => inner.listDir(p),
    now: () => inner.now(),
  };
  return { runner, runs, streams };
}

/** a port the OS just gave and took back (the config refuses port 0) */
async function freePort(): Promise<number> {
  const probe = await startExporterServer({ host: '127.0.0.1', port: 0, read: () => ({ host: 'h', samples: {} }) });
  const port = probe.address.port;
  await probe.close();
  return port;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0)) await c(); });

async function serve(read: () => Promise<never> | ReturnType<typeof Object>, requestTimeoutMs = 5000): Promise<ExporterServer> {
  const s = await startExporterServer({ host: '127.0.0.1', port: 0, read: read as never, requestTimeoutMs });
  cleanup.push(() => s.close());
  return s;
}

describe('the /metrics server', () => {
  it('answers GET and HEAD /metrics, 404 elsewhere, 405 for other methods', async () => {
    const s = await serve(() => ({ host: 'h', samples: { nvidia: { state: 'unavailable', reason: 'nvidia-smi not found on PATH', at: 1 } } }));
    expect(s.address.host).toBe('127.0.0.1');
    const m = await get(s.address.port, '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toContain('sov_source_state{source="nvidia",state="unavailable"} 1');
    const head = await get(s.address.port, '/metrics', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(m.body));
    expect((await get(s.address.port, '/metrics?x=1')).status).toBe(200);
    for (const p of ['/', '/metrics/', '/api/v1/query', '/../metrics']) expect((await get(s.address.port, p)).status, p).toBe(404);
    const post = await get(s.address.port, '/metrics', 'POST');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it('a read that hangs is answered 503 by the deadline; the next scrape is served', async () => {
    let hang = true;
    const s = await serve(() => (hang ? new Promise<never>(() => {}) : { host: 'h', samples: {} }), 300);
    const t0 = Date.now();
    const r = await get(s.address.port, '/metrics');
    expect(r.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(3000);
    hang = false;
    expect((await get(s.address.port, '/metrics')).status).toBe(200);
  });

  it('a read that throws is a 500 with a plain reason, and the server goes on', async () => {
    let fail = true;
    const s = await serve(() => { if (fail) throw new Error('boom'); return { host: 'h', samples: {} }; });
    expect((await get(s.address.port, '/metrics')).status).toBe(500);
    fail = false;
    expect((await get(s.address.port, '/metrics')).status).toBe(200);
  });

  it('a client that never finishes its request is cut off by the deadline', async () => {
    const s = await serve(() => ({ host: 'h', samples: {} }), 400);
    const sock = connect(s.address.port, '127.0.0.1');
    sock.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const t0 = Date.now();
    const closed = await new Promise<number>((r) => { sock.on('close', () => r(Date.now() - t0)); sock.on('error', () => {}); sock.resume(); setTimeout(() => r(-1), 8000); });
    sock.destroy();
    expect(closed).toBeGreaterThan(0);
    expect(closed).toBeLessThan(4000);
  });

  it('refuses an address in use with a clear reason', async () => {
    const s = await serve(() => ({ host: 'h', samples: {} }));
    const { runner } = countingDemoRunner();
    await expect(startExporter({ config: { listen: `127.0.0.1:${s.address.port}`, allowRemote: false, requestTimeoutSec: 1, hostCheckSec: 15 }, runner }))
      .rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
  });
});

describe('the exporter on the demo box', () => {
  let x: RunningExporter | undefined;
  afterEach(async () => { await x?.stop(); x = undefined; });

  it('serves the demo box\'s GPUs, pools and engines; scrapes start no tool (one nvidia stream for all of them)', async () => {
    const c = countingDemoRunner();
    const link = createDemoEnginesLink({ now: c.runner.now });
    const port0 = await freePort();
    x = await startExporter({ config: { listen: `127.0.0.1:${port0}`, allowRemote: false, requestTimeoutSec: 5, hostCheckSec: 15 }, runner: c.runner, engines: () => link.call('engines.list', {}) });
    await x.sampler.ready(10_000);
    const port = x.server.address.port;
    const runsBefore = c.runs.length;
    let last = '';
    for (let i = 0; i < 25; i++) {
      const r = await get(port, '/metrics');
      expect(r.status).toBe(200);
      last = r.body;
    }
    // 25 scrapes in well under the 5 s of the slow sources: at most one more round of -q -x / zpool, never 25
    expect(c.runs.length - runsBefore).toBeLessThan(12);
    expect(c.streams.filter((a) => a[0] === 'nvidia-smi')).toHaveLength(1);
    expect(last).toMatch(/^DCGM_FI_DEV_GPU_UTIL\{gpu="0",UUID="GPU-[^"]+",device="nvidia0",Hostname="omni"\} \d/m);
    expect(last).toContain('sov_zfs_pool_health{pool="ember",state="DEGRADED"} 1');
    expect(last).toContain('sov_engine_state{engine="ramalama-worker",kind="process",state="crashloop"} 1');
    expect(namesIn(last).has('sov_vm_state')).toBe(true);
  });

  it('an engine list that does not come is left out; the host series are still served', async () => {
    const c = countingDemoRunner();
    const port = await freePort();
    x = await startExporter({ config: { listen: `127.0.0.1:${port}`, allowRemote: false, requestTimeoutSec: 5, hostCheckSec: 15 }, runner: c.runner, engines: () => new Promise(() => {}) });
    await x.sampler.ready(10_000);
    const t0 = Date.now();
    const r = await get(port, '/metrics');
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(namesIn(r.body).has('sov_engine_state')).toBe(false);
    expect(namesIn(r.body).has('DCGM_FI_DEV_GPU_UTIL')).toBe(true);
  });
});
