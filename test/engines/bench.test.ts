import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimEngine, type SimEngine } from '../../src/demo/engine.js';
import { benchSummary, runBenchCli } from '../../src/cli/bench.js';
import {
  appendBenchResult, BENCH_PROMPTS, latestPerModel, parseComputeApps, percentile, readBenchResults, runBench, sampleVramOf, vramOf,
} from '../../src/engines/bench.js';

let eng: SimEngine;
let slow: SimEngine;
const dir = mkdtempSync(join(tmpdir(), 'sov-bench-'));

beforeAll(async () => {
  eng = await startSimEngine({ port: 0, tokensPerSec: 3000, replyTokens: 40, model: 'sim-7b.gguf' });
  slow = await startSimEngine({ port: 0, tokensPerSec: 0, replyTokens: 10, failFirst: 99, failStatus: 503 });
});
afterAll(async () => {
  await eng.close();
  await slow.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runBench against the simulated engine', () => {
  it('streams every fixed prompt and measures TTFT, tok/s and peaks', async () => {
    let rssCalls = 0;
    const progress: number[] = [];
    const r = await runBench({
      baseUrl: `${eng.url}/v1`, engine: 'sim', maxTokens: 32, pollMs: 20,
      sampleRss: async () => { rssCalls++; return 1000 + rssCalls; },
      sampleVram: async () => undefined,
      onProgress: (p) => progress.push(p.done),
    });
    expect(r.prompts).toBe(BENCH_PROMPTS.length);
    expect(r.ok).toBe(BENCH_PROMPTS.length);
    expect(r.errors).toBe(0);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(r.model).toBe('sim-7b.gguf');
    expect(r.requests).toHaveLength(5);
    expect(r.completionTokens).toBe(5 * 32);
    expect(eng.stats.chatRequests).toBeGreaterThanOrEqual(5);
    expect(r.ttftMs.p50).toBeGreaterThan(0);
    expect(r.ttftMs.p95).toBeGreaterThanOrEqual(r.ttftMs.p50!);
    expect(r.genTokPerSec).toBeGreaterThan(0);
    expect(r.genFrom).toBe('timings');
    expect(r.promptTokPerSec).toBeGreaterThan(0);
    expect(r.peakRssBytes).toBe(1000 + rssCalls);
    expect(r.peakVramBytes).toBeUndefined();
  });

  it('without timings it counts the stream itself', async () => {
    // a proxy that strips llama.cpp's timings: tok/s comes from usage over the streaming time
    const { createServer } = await import('node:http');
    const srv = createServer(async (req, res) => {
      const body = await new Promise<string>((r) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => r(b)); });
      const up = await fetch(`${eng.url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body } : {}) });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'text/plain' });
      const text = await up.text();
      res.end(text.replace(/,"timings":\{[^}]*\}/g, ''));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      const r = await runBench({ baseUrl: `http://127.0.0.1:${port}/v1`, engine: 'proxy', prompts: ['a', 'b'], maxTokens: 20, model: 'm' });
      expect(r.ok).toBe(2);
      expect(r.genFrom).not.toBe('timings');
      expect(r.promptTokPerSec).toBeUndefined();
      expect(r.completionTokens).toBe(40);
      expect(r.ttftMs.p50).toBeGreaterThan(0);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('counts failed requests and keeps the first error', async () => {
    const r = await runBench({ baseUrl: `${slow.url}/v1`, engine: 'bad', prompts: ['a', 'b'], model: 'm' });
    expect(r.ok).toBe(0);
    expect(r.errors).toBe(2);
    expect(r.firstError).toMatch(/HTTP 503/);
    expect(r.genTokPerSec).toBeUndefined();
  });
});

describe('results file and helpers', () => {
  it('appends one line per result and reads the newest per model', () => {
    const file = join(dir, 'sub', 'bench.jsonl');
    const base = { schema: 1, engine: 'e', baseUrl: 'u', prompts: 5, maxTokens: 128, ok: 5, errors: 0, ttftMs: {}, promptTokens: 0, completionTokens: 0, durationMs: 1, requests: [] };
    appendBenchResult(file, { ...base, model: 'a', at: 1, genTokPerSec: 1 });
    appendBenchResult(file, { ...base, model: 'b', at: 2 });
    appendBenchResult(file, { ...base, model: 'a', at: 3, genTokPerSec: 3 });
    appendBenchResult(file, { ...base, engine: 'other', model: 'a', at: 4 });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
    const all = readBenchResults(file);
    expect(latestPerModel(all, 'e').map((r) => [r.model, r.at])).toEqual([['a', 3], ['b', 2]]);
    expect(readBenchResults(join(dir, 'missing.jsonl'))).toEqual([]);
  });
  it('percentiles, nvidia-smi compute apps, VRAM of a process tree', async () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 95)).toBe(5);
    expect(percentile([], 50)).toBeUndefined();
    const apps = parseComputeApps('4242, 1024\n4243, 512\n9, [N/A]\nbad line\n');
    expect(vramOf(apps, [4242, 4243, 1])).toBe(1536 * 2 ** 20);
    expect(vramOf(apps, [1])).toBeUndefined();
    const argvs: string[][] = [];
    const runner = { run: async (argv: string[]) => { argvs.push(argv); return { exitCode: 0, stdout: '4242, 100\n', notFound: false }; } };
    expect(await sampleVramOf(runner, [4242])).toBe(100 * 2 ** 20);
    expect(argvs[0]).toEqual(['nvidia-smi', '--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
    expect(await sampleVramOf({ run: async () => ({ exitCode: null, stdout: '', notFound: true }) }, [1])).toBeUndefined();
  });
});

describe('the summary says where tok/s came from', () => {
  it('engine timings, usage tokens or counted chunks', () => {
    const base = { schema: 1, engine: 'e', model: 'm', at: 1, baseUrl: 'u', prompts: 1, maxTokens: 8, ok: 1, errors: 0, ttftMs: {}, promptTokens: 0, completionTokens: 8, durationMs: 1, requests: [], genTokPerSec: 12.5 };
    expect(benchSummary({ ...base, genFrom: 'timings' })).toMatch(/gen\s+12\.5 tok\/s \(engine timings\)/);
    expect(benchSummary({ ...base, genFrom: 'usage' })).toMatch(/\(usage tokens over the stream, measured here\)/);
    expect(benchSummary({ ...base, genFrom: 'chunks' })).toMatch(/\(counted chunks over the stream, measured here\)/);
  });
});

describe('sov engines bench --url (no daemon)', () => {
  it('prints one JSON result and appends it to the state dir', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { ...process.env, SOV_STATE_DIR: join(dir, 'state') };
    const code = await runBenchCli(['sim', '--url', `${eng.url}/v1`, '--json', '-n', '2', '--max-tokens', '8'], { out: (s) => out.push(s), err: (s) => err.push(s), env });
    expect(code, err.join('\n')).toBe(0);
    expect(out).toHaveLength(1);
    const r = JSON.parse(out[0]!) as { engine: string; prompts: number; ok: number; genTokPerSec: number; ttftMs: { p50: number } };
    expect(r).toMatchObject({ engine: 'sim', prompts: 2, ok: 2 });
    expect(r.genTokPerSec).toBeGreaterThan(0);
    expect(r.ttftMs.p50).toBeGreaterThan(0);
    expect(readBenchResults(join(dir, 'state', 'bench.jsonl'))).toHaveLength(1);
  });
  it('a human summary; bad arguments exit 2', async () => {
    const out: string[] = [];
    const env = { ...process.env, SOV_STATE_DIR: join(dir, 'state2') };
    expect(await runBenchCli(['--url', `${eng.url}/v1`, '-n', '1'], { out: (s) => out.push(s), err: () => {}, env })).toBe(0);
    expect(out.join('\n')).toMatch(/gen\s+\d+(\.\d)? tok\/s \(engine timings\)/);
    expect(out.join('\n')).toMatch(/TTFT\s+p50 .* ms · p95/);
    expect(await runBenchCli([], { out: () => {}, err: () => {}, env })).toBe(2);
    expect(await runBenchCli(['x', '--url', 'http://127.0.0.1:1/v1', '-n', '0'], { out: () => {}, err: () => {}, env })).toBe(2);
  });
});
