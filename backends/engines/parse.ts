/**
 * Pure, total parsers for what inference engines expose over HTTP (llama.cpp `llama-server`, vLLM, ollama, any
 * OpenAI-compatible server): health, model lists, Prometheus metrics, SSE chat streams, error bodies.
 * None of them throws; odd input becomes `warnings` (or an `{ error }` event), unknown values stay `undefined`.
 */
import type {
  ChatChunk, ChatTimings, ChatUsage, EngineMetrics, HealthResult, ModelInfo, ModelList, PromSample, SseEvent,
} from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// small helpers

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A non-negative finite number (sizes, counts), else undefined. Accepts numeric strings ("18027008"). */
function count(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : num(v);
  return n !== undefined && n >= 0 && Number.isFinite(n) ? n : undefined;
}

/** One printable line (the one sanitiser, blanks collapsed, length capped): src/text/sanitize.ts */
import { oneLine } from '../../src/text/sanitize.js';
export { oneLine };

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 413: 'Payload Too Large', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function statusLabel(status: number): string {
  const t = STATUS_TEXT[status];
  return t ? `${status} ${t}` : String(status);
}

function looksLikeHtml(body: string, contentType?: string): boolean {
  if (contentType !== undefined && /\bhtml\b/i.test(contentType)) return true;
  return /^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<title[\s>])/i.test(body);
}

function htmlTitle(body: string): string | undefined {
  const m = /<title[^>]*>([\s\S]{0,300}?)<\/title>/i.exec(body) ?? /<h1[^>]*>([\s\S]{0,300}?)<\/h1>/i.exec(body);
  if (!m?.[1]) return undefined;
  const t = oneLine(m[1].replace(/<[^>]*>/g, ''), 120);
  return t === '' ? undefined : t;
}

/** The message inside the error objects servers send: OpenAI/llama.cpp, vLLM, FastAPI, ollama. */
function errorMessageOf(v: unknown): { message?: string; type?: string } {
  if (typeof v === 'string') return { message: v };
  if (!isObj(v)) return {};
  const e = v.error;
  if (typeof e === 'string') return { message: e, type: str(v.type) };
  if (isObj(e)) {
    const message = str(e.message) ?? (typeof e.code === 'string' ? e.code : undefined);
    return { message, type: str(e.type) };
  }
  if (typeof v.message === 'string') return { message: v.message, type: str(v.type) };
  if (typeof v.detail === 'string') return { message: v.detail };
  if (Array.isArray(v.detail)) {
    // FastAPI validation errors: [{loc, msg, type}]
    const msgs = v.detail.map((d) => (isObj(d) ? str(d.msg) : undefined)).filter((m): m is string => m !== undefined);
    if (msgs.length > 0) return { message: msgs.join('; ') };
  }
  return {};
}

// ---------------------------------------------------------------------------------------------------------------
// errors

/**
 * One human line for a failed HTTP answer: the JSON error object's message, or what kind of body came back
 * (an HTML page, nothing, plain text).
 */
export function parseErrorBody(status: number, body: string, contentType?: string): string {
  const code = Number.isFinite(status) ? Math.trunc(status) : 0;
  const text = typeof body === 'string' ? body : '';
  if (text.trim() === '') return `the server answered ${statusLabel(code)} with an empty body`;
  if (looksLikeHtml(text, contentType)) {
    const title = htmlTitle(text);
    const base = `the server answered with an HTML page (status ${code}), not JSON`;
    return title ? `${base}: ${title}` : base;
  }
  const j = tryJson(text);
  if (j.ok) {
    const { message, type } = errorMessageOf(j.value);
    if (message !== undefined && oneLine(message) !== '') {
      const t = type && !message.includes(type) ? ` (${oneLine(type, 60)})` : '';
      return `HTTP ${code}: ${oneLine(message)}${t}`;
    }
    return `HTTP ${code}: ${oneLine(text, 200)}`;
  }
  return `HTTP ${code}: ${oneLine(text, 200)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// health

/**
 * `GET /health` for llama.cpp (503 `{"error":{"message":"Loading model",…}}` while loading, 200 `{"status":"ok"}`),
 * vLLM (200 with an empty body), or ollama's `GET /api/version` (200 `{"version":"0.5.7"}`).
 */
export function parseHealth(status: number, body: string, contentType?: string): HealthResult {
  const warnings: string[] = [];
  const text = typeof body === 'string' ? body : '';
  const j = text.trim() === '' ? undefined : tryJson(text);
  const value = j?.ok ? j.value : undefined;
  if (j && !j.ok && !looksLikeHtml(text, contentType) && !/^\s*ollama is running\s*$/i.test(text)) {
    warnings.push(`health: body is not JSON: "${oneLine(text, 60)}"`);
  }

  if (status >= 200 && status < 300) {
    if (looksLikeHtml(text, contentType)) {
      return { state: 'error', message: parseErrorBody(status, text, contentType), warnings };
    }
    const out: HealthResult = { state: 'ready', warnings };
    if (isObj(value)) {
      const version = str(value.version);
      if (version !== undefined) out.version = version;
      const st = str(value.status);
      if (st !== undefined && !/^(ok|ready|healthy)$/i.test(st)) {
        // old llama.cpp: 200 {"status":"no slot available"} is busy, not down
        if (/load/i.test(st)) out.state = 'loading';
        else if (/error|fail|unhealthy/i.test(st)) out.state = 'error';
        out.message = oneLine(st, 120);
      }
    }
    return out;
  }

  const { message } = errorMessageOf(value);
  const statusWord = isObj(value) ? str(value.status) : undefined;
  const said = message ?? statusWord;
  if (status === 503) {
    if (said !== undefined && /load/i.test(said)) return { state: 'loading', message: oneLine(said, 120), warnings };
    // old llama.cpp: 503 {"status":"no slot available"} — the model is up, every slot is busy
    if (said !== undefined && /no slot/i.test(said)) return { state: 'ready', message: oneLine(said, 120), warnings };
  }
  return { state: 'error', message: parseErrorBody(status, text, contentType), warnings };
}

// ---------------------------------------------------------------------------------------------------------------
// models

function modelFromOpenAi(d: Obj): ModelInfo | undefined {
  const id = str(d.id);
  if (id === undefined || id === '') return undefined;
  const m: ModelInfo = { id };
  const owned = str(d.owned_by);
  if (owned) m.ownedBy = owned;
  const meta = isObj(d.meta) ? d.meta : undefined;
  const ctx = count(meta?.n_ctx) ?? count(d.max_model_len) ?? count(d.context_length);
  if (ctx !== undefined) m.ctxTokens = ctx;
  const ctxTrain = count(meta?.n_ctx_train);
  if (ctxTrain !== undefined) m.ctxTrainTokens = ctxTrain;
  const size = count(meta?.size);
  if (size !== undefined) m.sizeBytes = size;
  const params = count(meta?.n_params);
  if (params !== undefined) m.params = params;
  const ftype = str(meta?.ftype);
  if (ftype) m.quantization = ftype;
  return m;
}

function modelFromOllama(d: Obj): ModelInfo | undefined {
  const id = str(d.name) || str(d.model);
  if (id === undefined || id === '') return undefined;
  const m: ModelInfo = { id };
  const size = count(d.size);
  if (size !== undefined) m.sizeBytes = size;
  const det = isObj(d.details) ? d.details : undefined;
  const ps = str(det?.parameter_size);
  if (ps) m.paramsLabel = ps;
  const q = str(det?.quantization_level);
  if (q) m.quantization = q;
  const fam = str(det?.family);
  if (fam) m.family = fam;
  return m;
}

/**
 * `GET /v1/models` (OpenAI `{object:"list", data:[{id,…}]}`; llama.cpp adds an ollama-shaped `models` array and
 * `meta`; vLLM adds `max_model_len`) or ollama's `GET /api/tags` (`{models:[{name,…}]}`).
 */
export function parseModels(body: string): ModelList {
  const warnings: string[] = [];
  const out: ModelList = { ids: [], models: [], warnings };
  const text = typeof body === 'string' ? body : '';
  if (text.trim() === '') { warnings.push('models: empty body'); return out; }
  const j = tryJson(text);
  if (!j.ok) {
    warnings.push(looksLikeHtml(text) ? 'models: the server answered with an HTML page, not JSON' : `models: body is not JSON: "${oneLine(text, 60)}"`);
    return out;
  }
  const v = j.value;
  const seen = new Map<string, ModelInfo>();
  const add = (m: ModelInfo | undefined, from: string, i: number) => {
    if (!m) { warnings.push(`models: ${from}[${i}] has no id`); return; }
    const prev = seen.get(m.id);
    if (prev) { for (const [k, val] of Object.entries(m)) if ((prev as unknown as Obj)[k] === undefined) (prev as unknown as Obj)[k] = val; return; }
    seen.set(m.id, m);
  };
  let found = false;
  if (isObj(v) && Array.isArray(v.data)) {
    found = true;
    v.data.forEach((d, i) => add(isObj(d) ? modelFromOpenAi(d) : undefined, 'data', i));
  }
  if (isObj(v) && Array.isArray(v.models)) {
    found = true;
    // llama.cpp lists the same models twice (data + models): only add what data did not name.
    v.models.forEach((d, i) => add(isObj(d) ? modelFromOllama(d) : undefined, 'models', i));
  }
  if (Array.isArray(v)) {
    found = true;
    v.forEach((d, i) => add(isObj(d) ? modelFromOpenAi(d) ?? modelFromOllama(d) : undefined, 'list', i));
  }
  if (!found) {
    const { message } = errorMessageOf(v);
    warnings.push(message ? `models: the server answered an error: ${oneLine(message, 120)}` : 'models: no "data" or "models" list');
  }
  out.models = [...seen.values()];
  out.ids = out.models.map((m) => m.id);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Prometheus text format

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

// ---------------------------------------------------------------------------------------------------------------
// Server-sent events

/** A line longer than this without a newline is garbage (an HTML page, a binary body), not an event. */
export const SSE_MAX_LINE_CHARS = 4 * 1024 * 1024;

/**
 * Incremental `text/event-stream` decoder. Feed it chunks as they arrive (strings, or bytes — split UTF-8 sequences
 * are joined); it returns the complete events. Handles `\n`, `\r\n` and `\r` line ends (also split across chunks),
 * `:` comments, multi-line `data:`, `event:`/`id:`/`retry:`, and marks `data: [DONE]`. A line that is not an SSE
 * field becomes `{ error: 'malformed line …' }` and decoding goes on.
 */
export class SseDecoder {
  private buf = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  private pendingCr = false;
  private first = true;
  private bytes: TextDecoder | undefined;
  /** lines read so far (for messages) */
  private lineNo = 0;
  /** chars at the start of buf already known to hold no line end */
  private scanned = 0;

  feed(chunk: string | Uint8Array): SseEvent[] {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      this.bytes ??= new TextDecoder('utf-8');
      try { text = this.bytes.decode(chunk, { stream: true }); } catch { text = ''; }
    }
    const out: SseEvent[] = [];
    if (text === '') return out;
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.buf += text;
    let start = 0;
    let from = this.scanned;
    for (;;) {
      let i = Math.max(start, from);
      from = 0;
      const len = this.buf.length;
      while (i < len) {
        const c = this.buf.charCodeAt(i);
        if (c === 10 || c === 13) break;
        i++;
      }
      if (i >= len) break;
      const line = this.buf.slice(start, i);
      if (this.buf.charCodeAt(i) === 13) {
        if (i + 1 < len) start = this.buf.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
        else { start = i + 1; this.pendingCr = true; }
      } else {
        start = i + 1;
      }
      this.line(line, out);
    }
    this.buf = start > 0 ? this.buf.slice(start) : this.buf;
    this.scanned = this.buf.length;
    if (this.buf.length > SSE_MAX_LINE_CHARS) {
      this.scanned = 0;
      out.push({ error: `malformed line ${this.lineNo + 1}: longer than ${SSE_MAX_LINE_CHARS} characters without a line end; dropped` });
      this.buf = '';
    }
    return out;
  }

  /** The stream ended: an event without its closing blank line is reported, not delivered (as browsers do). */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.bytes) {
      try { this.buf += this.bytes.decode(); } catch {}
    }
    if (this.buf !== '') {
      this.line(this.buf, out, true);
      this.buf = '';
      this.scanned = 0;
    }
    if (this.data.length > 0 || this.event !== undefined) {
      out.push({ error: 'the stream ended in the middle of an event' });
    }
    this.data = [];
    this.event = undefined;
    this.pendingCr = false;
    return out;
  }

  private line(line: string, out: SseEvent[], atEnd = false): void {
    this.lineNo++;
    if (line === '') {
      if (this.data.length > 0) {
        const data = this.data.join('\n');
        const ev: SseEvent = { data };
        if (this.event !== undefined) ev.event = this.event;
        if (this.id !== undefined) ev.id = this.id;
        if (data.trim() === '[DONE]') ev.done = true;
        out.push(ev);
      }
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data': this.data.push(value); return;
      case 'event': this.event = value; return;
      case 'id': if (!value.includes('\u0000')) this.id = value; return;
      case 'retry': return;
      default:
        out.push({ error: `malformed line ${this.lineNo}${atEnd ? ' (at the end of the stream)' : ''}: "${oneLine(line, 80)}"` });
    }
  }
}

/** Decode a whole `text/event-stream` body at once. */
export function parseSseChunk(text: string): SseEvent[] {
  const d = new SseDecoder();
  return [...d.feed(typeof text === 'string' ? text : ''), ...d.end()];
}

// ---------------------------------------------------------------------------------------------------------------
// chat chunks

function usageOf(u: unknown): ChatUsage | undefined {
  if (!isObj(u)) return undefined;
  const out: ChatUsage = {};
  const p = count(u.prompt_tokens);
  if (p !== undefined) out.promptTokens = p;
  const c = count(u.completion_tokens);
  if (c !== undefined) out.completionTokens = c;
  const t = count(u.total_tokens);
  if (t !== undefined) out.totalTokens = t;
  const det = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : undefined;
  const cached = count(det?.cached_tokens);
  if (cached !== undefined) out.cachedTokens = cached;
  return Object.keys(out).length > 0 ? out : undefined;
}

function timingsOf(t: unknown): ChatTimings | undefined {
  if (!isObj(t)) return undefined;
  const out: ChatTimings = {};
  const set = (k: keyof ChatTimings, v: unknown) => { const n = count(v); if (n !== undefined) out[k] = n; };
  set('cacheN', t.cache_n);
  set('promptN', t.prompt_n);
  set('promptMs', t.prompt_ms);
  set('promptPerSecond', t.prompt_per_second);
  set('predictedN', t.predicted_n);
  set('predictedMs', t.predicted_ms);
  set('predictedPerSecond', t.predicted_per_second);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `content` may be a string, null, or (some servers) an array of `{type:'text', text}` parts. */
function contentText(c: unknown): string | undefined {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    const parts = c.map((p) => (isObj(p) ? str(p.text) : typeof p === 'string' ? p : undefined)).filter((p): p is string => p !== undefined);
    return parts.length > 0 ? parts.join('') : undefined;
  }
  return undefined;
}

/**
 * One `chat.completion.chunk` from an SSE `data:` line (a JSON string, or the already-parsed value), or a whole
 * non-streamed `chat.completion` (`choices[0].message`). Undefined when it is not a JSON object at all.
 */
export function parseChatChunk(json: unknown): ChatChunk | undefined {
  let v: unknown = json;
  if (typeof json === 'string') {
    const j = tryJson(json);
    if (!j.ok) return undefined;
    v = j.value;
  }
  if (!isObj(v)) return undefined;
  const warnings: string[] = [];
  const out: ChatChunk = { delta: '', warnings };
  const id = str(v.id);
  if (id !== undefined) out.id = id;
  const model = str(v.model);
  if (model !== undefined) out.model = model;
  if (v.error !== undefined) {
    const { message } = errorMessageOf(v);
    out.error = message !== undefined ? oneLine(message) : 'the server sent an error';
  }
  const usage = usageOf(v.usage);
  if (usage) out.usage = usage;
  const timings = timingsOf(v.timings);
  if (timings) out.timings = timings;
  if (v.choices !== undefined && !Array.isArray(v.choices)) warnings.push('chunk: "choices" is not a list');
  const choices = Array.isArray(v.choices) ? v.choices : [];
  const c0 = choices.find((c) => isObj(c) && (c.index === undefined || c.index === 0)) ?? choices[0];
  if (choices.length > 1) warnings.push(`chunk: ${choices.length} choices, only the first is read`);
  if (isObj(c0)) {
    const part = isObj(c0.delta) ? c0.delta : isObj(c0.message) ? c0.message : undefined;
    if (part) {
      const text = contentText(part.content);
      if (text !== undefined) out.delta = text;
      else if (part.content !== undefined && part.content !== null) warnings.push('chunk: content is neither text nor null');
      const reasoning = str(part.reasoning_content) ?? str(part.reasoning);
      if (reasoning !== undefined && reasoning !== '') out.reasoning = reasoning;
      const role = str(part.role);
      if (role !== undefined) out.role = role;
    } else if (typeof c0.text === 'string') {
      out.delta = c0.text; // legacy /v1/completions chunk
    }
    const fr = str(c0.finish_reason);
    if (fr !== undefined && fr !== '') out.finishReason = fr;
  } else if (c0 !== undefined) {
    warnings.push('chunk: the first choice is not an object');
  }
  return out;
}
