/**
 * The Prometheus text exposition format (what llama.cpp and vLLM serve on `/metrics`) and the numbers the cockpit
 * reads from it. Pure and total: lines that cannot be read become `warnings`.
 */
import { oneLine } from './json.js';
import type { EngineMetrics, PromSample } from './types.js';


/** Metric name → samples, plus `# TYPE`/`# HELP` and what could not be read. */
export class PromMetrics extends Map<string, PromSample[]> {
  readonly types = new Map<string, string>();
  readonly help = new Map<string, string>();
  readonly warnings: string[] = [];
}

const PROM_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function promNumber(s: string): number | undefined {
  const t = s.trim();
  if (/^[+]?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^[+-]?0x[0-9a-f]+$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isNaN(n) ? undefined : n;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Labels from `{` (at `i`) to the matching `}`; returns the index after `}` or an error. */
function readLabels(line: string, i: number): { labels: Record<string, string>; next: number } | { error: string } {
  const labels: Record<string, string> = {};
  let p = i + 1;
  const ws = () => { while (p < line.length && (line[p] === ' ' || line[p] === '\t')) p++; };
  for (;;) {
    ws();
    if (p >= line.length) return { error: 'unterminated label set' };
    if (line[p] === '}') return { labels, next: p + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(p));
    if (!m) return { error: `bad label name at column ${p + 1}` };
    const name = m[0];
    p += name.length;
    ws();
    if (line[p] !== '=') return { error: `expected "=" after label ${name}` };
    p++;
    ws();
    if (line[p] !== '"') return { error: `expected a quoted value for label ${name}` };
    p++;
    let val = '';
    let closed = false;
    while (p < line.length) {
      const c = line[p]!;
      if (c === '\\') {
        const n = line[p + 1];
        if (n === undefined) break;
        val += n === 'n' ? '\n' : n; // \\ → \, \" → ", \n → newline, anything else kept as is
        p += 2;
        continue;
      }
      if (c === '"') { closed = true; p++; break; }
      val += c;
      p++;
    }
    if (!closed) return { error: `unterminated value for label ${name}` };
    labels[name] = val;
    ws();
    if (line[p] === ',') { p++; continue; }
    if (line[p] === '}') return { labels, next: p + 1 };
    return { error: `expected "," or "}" after label ${name}` };
  }
}

/**
 * The Prometheus text exposition format (0.0.4, and the OpenMetrics subset engines emit): `# HELP`/`# TYPE`
 * comments, labels with escaped quotes/backslashes/newlines, NaN/+Inf/-Inf, optional timestamps, `# EOF`.
 */
export function parsePrometheus(text: string): PromMetrics {
  const out = new PromMetrics();
  const src = typeof text === 'string' ? text : '';
  let lineNo = 0;
  for (const raw of src.split('\n')) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(t);
      if (m) {
        if (m[1] === 'TYPE') out.types.set(m[2]!, (m[3] ?? '').trim());
        else out.help.set(m[2]!, unescapeHelp(m[3] ?? ''));
      }
      continue;
    }
    const nm = PROM_NAME.exec(t);
    if (!nm) { out.warnings.push(`metrics line ${lineNo}: no metric name: "${oneLine(t, 60)}"`); continue; }
    const name = nm[0];
    let p = name.length;
    let labels: Record<string, string> = {};
    while (t[p] === ' ' || t[p] === '\t') p++;
    if (t[p] === '{') {
      const l = readLabels(t, p);
      if ('error' in l) { out.warnings.push(`metrics line ${lineNo}: ${l.error}: "${oneLine(t, 60)}"`); continue; }
      labels = l.labels;
      p = l.next;
    }
    const rest = t.slice(p).trim().split(/[ \t]+/);
    const value = rest[0] === undefined || rest[0] === '' ? undefined : promNumber(rest[0]);
    if (value === undefined) { out.warnings.push(`metrics line ${lineNo}: bad value: "${oneLine(t, 60)}"`); continue; }
    const sample: PromSample = { labels, value };
    if (rest.length >= 2) {
      const ts = promNumber(rest[1]!);
      if (ts === undefined || !Number.isFinite(ts) || rest.length > 2) {
        out.warnings.push(`metrics line ${lineNo}: bad timestamp: "${oneLine(t, 60)}"`);
      } else {
        sample.timestampMs = ts;
      }
    }
    const list = out.get(name);
    if (list) list.push(sample);
    else out.set(name, [sample]);
  }
  return out;
}

function sumOf(prom: Map<string, PromSample[]>, name: string): number | undefined {
  const list = prom.get(name);
  if (!list || list.length === 0) return undefined;
  let s = 0;
  let any = false;
  for (const x of list) if (Number.isFinite(x.value)) { s += x.value; any = true; }
  return any ? s : undefined;
}

function maxOf(prom: Map<string, PromSample[]>, name: string): number | undefined {
  const list = prom.get(name);
  let m: number | undefined;
  for (const x of list ?? []) if (Number.isFinite(x.value) && (m === undefined || x.value > m)) m = x.value;
  return m;
}

function firstOf(prom: Map<string, PromSample[]>, pick: (p: Map<string, PromSample[]>, n: string) => number | undefined, names: string[]): number | undefined {
  for (const n of names) {
    const v = pick(prom, n);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The numbers the cockpit shows, from llama.cpp (`llamacpp:*`) or vLLM (`vllm:*`) metrics. Counters and request
 * gauges are summed over label sets (vLLM labels by model); the KV cache takes the fullest one.
 */
export function engineMetrics(prom: Map<string, PromSample[]>): EngineMetrics {
  const out: EngineMetrics = {};
  if (!(prom instanceof Map)) return out;
  let hasLlama = false;
  let hasVllm = false;
  for (const k of prom.keys()) {
    if (k.startsWith('llamacpp:')) hasLlama = true;
    else if (k.startsWith('vllm:')) hasVllm = true;
  }
  if (hasLlama) {
    out.engine = 'llamacpp';
    const gen = sumOf(prom, 'llamacpp:tokens_predicted_total');
    if (gen !== undefined) out.tokensGeneratedTotal = gen;
    const prompt = sumOf(prom, 'llamacpp:prompt_tokens_total');
    if (prompt !== undefined) out.promptTokensTotal = prompt;
    const run = sumOf(prom, 'llamacpp:requests_processing');
    if (run !== undefined) out.requestsRunning = run;
    const wait = sumOf(prom, 'llamacpp:requests_deferred');
    if (wait !== undefined) out.requestsWaiting = wait;
    const kv = maxOf(prom, 'llamacpp:kv_cache_usage_ratio');
    if (kv !== undefined) out.kvCacheUsagePct = kv * 100;
  } else if (hasVllm) {
    out.engine = 'vllm';
    const gen = firstOf(prom, sumOf, ['vllm:generation_tokens_total', 'vllm:generation_tokens']);
    if (gen !== undefined) out.tokensGeneratedTotal = gen;
    const prompt = firstOf(prom, sumOf, ['vllm:prompt_tokens_total', 'vllm:prompt_tokens']);
    if (prompt !== undefined) out.promptTokensTotal = prompt;
    const run = sumOf(prom, 'vllm:num_requests_running');
    if (run !== undefined) out.requestsRunning = run;
    const wait = sumOf(prom, 'vllm:num_requests_waiting');
    if (wait !== undefined) out.requestsWaiting = wait;
    // both are fractions (1 = 100 %) despite the name; vLLM v1 renamed gpu_cache_usage_perc to kv_cache_usage_perc
    const kv = firstOf(prom, maxOf, ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc']);
    if (kv !== undefined) out.kvCacheUsagePct = kv * 100;
  }
  if (out.kvCacheUsagePct !== undefined) out.kvCacheUsagePct = Math.min(100, Math.max(0, out.kvCacheUsagePct));
  return out;
}

/**
 * Generation rate between two readings of a token counter (numbers, or EngineMetrics' tokensGeneratedTotal).
 * Undefined when either reading is missing, the interval is not positive, or the counter went back (restart).
 */
export function tokensPerSecond(
  prev: number | EngineMetrics | undefined,
  cur: number | EngineMetrics | undefined,
  dtMs: number,
): number | undefined {
  const a = typeof prev === 'number' ? prev : prev?.tokensGeneratedTotal;
  const b = typeof cur === 'number' ? cur : cur?.tokensGeneratedTotal;
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  if (!Number.isFinite(dtMs) || dtMs <= 0 || b < a) return undefined;
  return ((b - a) * 1000) / dtMs;
}

