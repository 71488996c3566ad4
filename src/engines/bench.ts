/**
 * The engine benchmark: N fixed prompts, one after another, streamed from the engine's OpenAI-compatible API
 * through THE OpenAI client (src/protocols/openai-client.ts, as the chat). Per request: time to first token;
 * generation tok/s from llama.cpp's `timings` when present, else usage/counted chunks over the streaming time;
 * prompt tok/s from `timings`. Around the run: peak RSS (the daemon's engines.list) and peak VRAM
 * (`nvidia-smi --query-compute-apps`) of the engine's process tree, polled while it runs.
 * Results are appended to <state>/bench.jsonl (one JSON object per line) and read back per engine and model.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApiKey } from '../protocols/http.js';
import { listModels, streamChat } from '../protocols/openai-client.js';
import { registerSecret } from '../text/redact.js';

export const BENCH_PROMPTS: readonly string[] = [
  'Explain in three sentences why the sky is blue.',
  'Write a Python function that returns the n-th Fibonacci number iteratively, with a docstring.',
  'List five practical tips for keeping a home server secure.',
  'Summarise the plot of Romeo and Juliet in one paragraph.',
  'Translate into French: "The quick brown fox jumps over the lazy dog while the model streams tokens."',
];
export const BENCH_MAX_TOKENS = 128;
export const BENCH_SCHEMA = 1;
/** a benchmark reply is at most BENCH_MAX_TOKENS-ish tokens; this bounds a server that ignores max_tokens */
const BENCH_MAX_REPLY_BYTES = 1024 * 1024;

export interface BenchRequest {
  ttftMs?: number;
  promptTokens?: number;
  completionTokens: number;
  /** first token → last token */
  genMs?: number;
  genTokPerSec?: number;
  promptTokPerSec?: number;
  error?: string;
}

export interface BenchResult {
  schema: number;
  engine: string;
  model: string;
  /** epoch ms the run ended */
  at: number;
  baseUrl: string;
  prompts: number;
  maxTokens: number;
  ok: number;
  errors: number;
  ttftMs: { p50?: number; p95?: number };
  genTokPerSec?: number;
  promptTokPerSec?: number;
  promptTokens: number;
  completionTokens: number;
  peakRssBytes?: number;
  peakVramBytes?: number;
  durationMs: number;
  /** where genTokPerSec came from (THE figures): 'timings' (the engine's own), 'usage' or 'chunks' (measured here) */
  genFrom?: 'timings' | 'usage' | 'chunks';
  requests: BenchRequest[];
  firstError?: string;
}

export interface BenchProgress { done: number; of: number; last?: BenchRequest }

export interface BenchOptions {
  /** OpenAI base URL, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: string;
  engine: string;
  /** default: the first model the server lists */
  model?: string;
  apiKey?: string;
  prompts?: readonly string[];
  maxTokens?: number;
  /** per request (default 120 s) */
  timeoutMs?: number;
  /** peak RSS of the engine right now (engines.list); polled every pollMs */
  sampleRss?: () => Promise<number | undefined>;
  /** VRAM of the engine right now (nvidia-smi); polled every pollMs */
  sampleVram?: () => Promise<number | undefined>;
  pollMs?: number;
  onProgress?: (p: BenchProgress) => void;
  signal?: AbortSignal;
  now?: () => number;
}

/** Nearest-rank percentile of finite values; undefined for none. */
export function percentile(values: number[], p: number): number | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[Math.min(v.length, rank) - 1];
}

type Measured = BenchRequest & { genFrom?: BenchResult['genFrom']; promptMs?: number; predictedMs?: number; predictedN?: number; promptN?: number };

/** One streamed request through THE OpenAI client (src/protocols/openai-client.ts), measured by its figures. */
export async function benchRequest(o: { baseUrl: string; model: string; prompt: string; maxTokens: number; apiKey?: ApiKey; timeoutMs: number; signal?: AbortSignal; now: () => number }): Promise<Measured> {
  const deadline = AbortSignal.timeout(o.timeoutMs);
  const r = await streamChat({
    baseUrl: o.baseUrl, model: o.model, messages: [{ role: 'user', content: o.prompt }], maxTokens: o.maxTokens, temperature: 0,
    apiKey: o.apiKey, firstTokenTimeoutMs: o.timeoutMs, stallTimeoutMs: o.timeoutMs, maxReplyBytes: BENCH_MAX_REPLY_BYTES,
    signal: o.signal ? AbortSignal.any([o.signal, deadline]) : deadline, now: o.now,
  });
  const out: Measured = { completionTokens: r.tokens };
  if (r.usage?.promptTokens !== undefined) out.promptTokens = r.usage.promptTokens;
  if (r.ttftMs !== undefined) out.ttftMs = Math.max(0.001, r.ttftMs);
  if (r.genMs !== undefined) out.genMs = r.genMs;
  if (r.tokPerSec !== undefined && r.tokPerSecFrom !== undefined) { out.genTokPerSec = r.tokPerSec; out.genFrom = r.tokPerSecFrom; }
  if (r.promptTokPerSec !== undefined) out.promptTokPerSec = r.promptTokPerSec;
  const t = r.timings;
  if (t?.predictedMs && t.predictedN) { out.predictedMs = t.predictedMs; out.predictedN = t.predictedN; }
  if (t?.promptMs && t.promptN) { out.promptMs = t.promptMs; out.promptN = t.promptN; }
  if (!r.ok) {
    const timedOut = r.error.kind === 'cancelled' && deadline.aborted && !o.signal?.aborted;
    out.error = timedOut ? `no complete answer within ${Math.round(o.timeoutMs / 1000)} s` : r.error.message;
  } else if (r.ttftMs === undefined) {
    out.error = 'the engine streamed no tokens';
  }
  return out;
}

/** Runs the benchmark. Never throws for engine trouble: failed requests are counted and the first error kept. */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const now = o.now ?? (() => performance.now());
  const wall0 = Date.now();
  const t0 = now();
  const key = o.apiKey;
  if (key !== undefined) registerSecret(key);
  const apiKey: ApiKey | undefined = key !== undefined ? { reveal: () => key } : undefined;
  const prompts = o.prompts ?? BENCH_PROMPTS;
  const maxTokens = o.maxTokens ?? BENCH_MAX_TOKENS;
  const listed = o.model === undefined ? await listModels({ baseUrl: o.baseUrl, apiKey, signal: o.signal, timeoutMs: 10_000 }) : undefined;
  const model = o.model ?? (listed?.ok ? listed.ids[0] : undefined) ?? 'default';

  let peakRss: number | undefined;
  let peakVram: number | undefined;
  const poll = async () => {
    const [r, v] = await Promise.all([o.sampleRss?.().catch(() => undefined), o.sampleVram?.().catch(() => undefined)]);
    if (r !== undefined) peakRss = Math.max(peakRss ?? 0, r);
    if (v !== undefined) peakVram = Math.max(peakVram ?? 0, v);
  };
  let polling = Promise.resolve();
  let pollBusy = false;
  const timer = (o.sampleRss || o.sampleVram) ? setInterval(() => {
    if (pollBusy) return;
    pollBusy = true;
    polling = poll().finally(() => { pollBusy = false; });
  }, o.pollMs ?? 500) : undefined;
  await poll();

  const requests: Awaited<ReturnType<typeof benchRequest>>[] = [];
  try {
    for (const prompt of prompts) {
      if (o.signal?.aborted) break;
      const r = await benchRequest({ baseUrl: o.baseUrl, model, prompt, maxTokens, apiKey, timeoutMs: o.timeoutMs ?? 120_000, signal: o.signal, now });
      requests.push(r);
      o.onProgress?.({ done: requests.length, of: prompts.length, last: r });
    }
  } finally {
    if (timer) clearInterval(timer);
    await polling;
  }
  await poll();

  const good = requests.filter((r) => !r.error);
  const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
  const withTimings = good.filter((r) => r.predictedMs && r.predictedN);
  let gen: number | undefined;
  let genFrom: BenchResult['genFrom'];
  if (good.length && withTimings.length === good.length) {
    gen = (sum(withTimings.map((r) => r.predictedN)) * 1000) / sum(withTimings.map((r) => r.predictedMs));
    genFrom = 'timings';
  } else {
    const g = good.filter((r) => r.genMs && r.completionTokens > 1);
    const ms = sum(g.map((r) => r.genMs));
    if (ms > 0) { gen = (sum(g.map((r) => r.completionTokens - 1)) * 1000) / ms; genFrom = g.some((r) => r.genFrom === 'chunks') ? 'chunks' : 'usage'; }
  }
  const pt = good.filter((r) => r.promptMs && r.promptN);
  const promptTps = pt.length ? (sum(pt.map((r) => r.promptN)) * 1000) / sum(pt.map((r) => r.promptMs)) : undefined;
  const ttfts = good.map((r) => r.ttftMs).filter((x): x is number => x !== undefined);

  const result: BenchResult = {
    schema: BENCH_SCHEMA, engine: o.engine, model, at: wall0 + (now() - t0), baseUrl: o.baseUrl, prompts: prompts.length, maxTokens,
    ok: good.length, errors: requests.length - good.length,
    ttftMs: { p50: percentile(ttfts, 50), p95: percentile(ttfts, 95) },
    promptTokens: sum(requests.map((r) => r.promptTokens)), completionTokens: sum(requests.map((r) => r.completionTokens)),
    durationMs: now() - t0,
    requests: requests.map(({ ttftMs, promptTokens, completionTokens, genMs, genTokPerSec, promptTokPerSec, error }) =>
      JSON.parse(JSON.stringify({ ttftMs, promptTokens, completionTokens, genMs, genTokPerSec, promptTokPerSec, error })) as BenchRequest),
  };
  if (gen !== undefined) result.genTokPerSec = gen;
  if (genFrom) result.genFrom = genFrom;
  if (promptTps !== undefined) result.promptTokPerSec = promptTps;
  if (peakRss !== undefined) result.peakRssBytes = peakRss;
  if (peakVram !== undefined) result.peakVramBytes = peakVram;
  const firstError = requests.find((r) => r.error)?.error;
  if (firstError) result.firstError = firstError;
  return result;
}

/** `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits` → pid → bytes. */
export const VRAM_ARGV = ['nvidia-smi', '--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'];
export function parseComputeApps(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const [p, m] = line.split(',').map((x) => x.trim());
    const pid = Number(p);
    const mib = Number(m);
    if (!p || !m || !Number.isInteger(pid) || !Number.isFinite(mib)) continue;
    out.set(pid, (out.get(pid) ?? 0) + mib * 1024 * 1024);
  }
  return out;
}

/** Sum of VRAM used by these pids; undefined when none of them is on a GPU (or the tool answered nothing). */
export function vramOf(apps: Map<number, number>, pids: number[]): number | undefined {
  let sum = 0;
  let any = false;
  for (const pid of pids) { const v = apps.get(pid); if (v !== undefined) { sum += v; any = true; } }
  return any ? sum : undefined;
}

export function appendBenchResult(file: string, r: BenchResult): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, JSON.stringify(r) + '\n', { mode: 0o600 });
}

/** Every result in the file; bad lines are skipped. Missing file → []. */
export function readBenchResults(file: string): BenchResult[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  const out: BenchResult[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as BenchResult;
      if (v && typeof v.engine === 'string' && typeof v.model === 'string' && typeof v.at === 'number') out.push(v);
    } catch {}
  }
  return out;
}

/** The newest result per model for one engine, newest first. */
export function latestPerModel(results: BenchResult[], engine: string): BenchResult[] {
  const by = new Map<string, BenchResult>();
  for (const r of results) {
    if (r.engine !== engine) continue;
    const prev = by.get(r.model);
    if (!prev || r.at >= prev.at) by.set(r.model, r);
  }
  return [...by.values()].sort((a, b) => b.at - a.at);
}

/** <state>/bench.jsonl (XDG_STATE_HOME/sov, or SOV_STATE_DIR). */
export async function benchFile(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { resolvePaths } = await import('../daemon/paths.js');
  const { join } = await import('node:path');
  return join(resolvePaths({ env }).stateDir, 'bench.jsonl');
}

/** VRAM of these pids right now through a Runner; undefined when nvidia-smi is absent or none is on a GPU. */
export async function sampleVramOf(runner: { run(argv: string[], o?: { timeoutMs?: number }): Promise<{ exitCode: number | null; stdout: string; notFound: boolean }> }, pids: number[]): Promise<number | undefined> {
  if (!pids.length) return undefined;
  const r = await runner.run(VRAM_ARGV, { timeoutMs: 5000 });
  if (r.notFound || r.exitCode !== 0) return undefined;
  return vramOf(parseComputeApps(r.stdout), pids);
}
