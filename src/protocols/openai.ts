/**
 * The OpenAI chat-completions wire format, pure: the request body, one `chat.completion.chunk` (or a whole
 * `chat.completion`) read, usage and llama.cpp timings, the stream's state as events arrive (the cut-stream rule),
 * and THE one computation of TTFT and tok/s that chat and bench both use. None of it throws or does I/O.
 */
import { count, errorMessageOf, isObj, oneLine, str, tryJson } from './json.js';
import type { ChatChunk, ChatTimings, ChatUsage } from './types.js';


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

// ---------------------------------------------------------------------------------------------------------------
// the request

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }

/** The JSON body of `POST {base}/chat/completions`; a stream asks for the usage chunk (`stream_options`). */
export function chatRequestBody(o: { model?: string; messages: ChatMessage[]; stream: boolean; maxTokens?: number; temperature?: number }): string {
  const body: Record<string, unknown> = { messages: o.messages, stream: o.stream };
  if (o.model !== undefined) body.model = o.model;
  if (o.stream) body.stream_options = { include_usage: true };
  if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
  if (o.temperature !== undefined) body.temperature = o.temperature;
  return JSON.stringify(body);
}

// ---------------------------------------------------------------------------------------------------------------
// the stream, event by event

/** What a chat stream has said so far. streamStep changes it; no I/O, no clock (times come with the events). */
export interface StreamState {
  /** chunks that carried content or reasoning (what "counted chunks" counts) */
  chunks: number;
  /** when the first / last such chunk arrived (the caller's clock, ms) */
  firstMs?: number;
  lastMs?: number;
  model?: string;
  finishReason?: string;
  usage?: ChatUsage;
  timings?: ChatTimings;
  /** an `{"error":…}` object the server put into the stream */
  serverError?: string;
  /** `data: [DONE]` arrived */
  sawDone: boolean;
  /** SSE lines or events that could not be read (skipped) */
  malformed: number;
  /** at most 20, one line each */
  warnings: string[];
}

export type StreamInput =
  /** one SSE event's data (or a whole non-streamed JSON body), arrived at `atMs` */
  | { type: 'data'; data: string; atMs: number }
  | { type: 'done' }
  | { type: 'malformed'; reason: string };

export function newStreamState(): StreamState {
  return { chunks: 0, sawDone: false, malformed: 0, warnings: [] };
}

const MAX_STREAM_WARNINGS = 20;

function warn(s: StreamState, w: string): void {
  if (s.warnings.length < MAX_STREAM_WARNINGS) s.warnings.push(w);
}

/** Applies one event to the state; returns the content text it adds ('' for none). Never throws. */
export function streamStep(s: StreamState, ev: StreamInput): string {
  if (ev.type === 'done') { s.sawDone = true; return ''; }
  if (ev.type === 'malformed') { s.malformed++; warn(s, ev.reason); return ''; }
  const c = parseChatChunk(ev.data);
  if (!c) { s.malformed++; warn(s, `an SSE event is not JSON: "${oneLine(ev.data, 60)}"`); return ''; }
  return applyChunk(s, c, ev.atMs);
}

/** Applies one parsed chunk (or a whole non-streamed completion) arrived at `atMs`; returns its content text. */
export function applyChunk(s: StreamState, c: ChatChunk, atMs: number): string {
  if (c.model !== undefined) s.model = c.model;
  if (c.error !== undefined) s.serverError = c.error;
  if (c.usage) s.usage = c.usage;
  if (c.timings) s.timings = c.timings;
  if (c.finishReason !== undefined) s.finishReason = c.finishReason;
  for (const w of c.warnings) warn(s, w);
  if (c.delta !== '' || (c.reasoning !== undefined && c.reasoning !== '')) {
    s.chunks++;
    s.firstMs ??= atMs;
    s.lastMs = atMs;
  }
  return c.delta;
}

export type StreamVerdict = { ok: true } | { ok: false; kind: 'cut' | 'bad-response'; message: string };

/**
 * How a stream ended. `complete` is false when the socket closed before the response's end (a reset, a killed
 * engine). The cut-stream rule: a stream that ends — either way — without `data: [DONE]` and without any
 * `finish_reason` is cut, not finished: what arrived is a partial. With nothing at all it is a bad answer.
 */
export function streamVerdict(s: StreamState, complete: boolean, contentTokens: number): StreamVerdict {
  if (!complete) return { ok: false, kind: 'cut', message: `the stream was cut mid-way after ${contentTokens} tokens` };
  if (s.serverError !== undefined) {
    return { ok: false, kind: contentTokens > 0 ? 'cut' : 'bad-response', message: `the server reported an error mid-stream: ${s.serverError}` };
  }
  if (!s.sawDone && s.finishReason === undefined) {
    if (contentTokens === 0 && s.chunks === 0) return { ok: false, kind: 'bad-response', message: 'the stream ended without any content, finish reason or [DONE]' };
    return { ok: false, kind: 'cut', message: `the stream ended after ${contentTokens} tokens without [DONE] or a finish reason: cut, not finished` };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------------
// THE figures: TTFT and tok/s

export interface StreamFigures {
  /** request sent → first content (or reasoning) chunk */
  ttftMs?: number;
  /** first → last content chunk */
  genMs?: number;
  /** generated tokens: the server's usage.completion_tokens, else the counted chunks */
  tokens: number;
  tokensFrom: 'usage' | 'chunks';
  /** generation rate: the engine's own timings (llama.cpp), else tokens after the first over genMs */
  tokPerSec?: number;
  tokPerSecFrom?: 'timings' | 'usage' | 'chunks';
  /** prompt processing rate, from the engine's timings only */
  promptTokPerSec?: number;
}

/** The one computation of TTFT and tok/s (chat and bench). Undefined where the stream does not tell. */
export function streamFigures(i: { startMs: number; firstMs?: number; lastMs?: number; chunks: number; usage?: ChatUsage; timings?: ChatTimings }): StreamFigures {
  const fromUsage = i.usage?.completionTokens;
  const f: StreamFigures = fromUsage !== undefined ? { tokens: fromUsage, tokensFrom: 'usage' } : { tokens: Math.max(0, i.chunks), tokensFrom: 'chunks' };
  if (i.firstMs !== undefined && Number.isFinite(i.firstMs - i.startMs)) f.ttftMs = Math.max(0, i.firstMs - i.startMs);
  if (i.firstMs !== undefined && i.lastMs !== undefined && i.lastMs >= i.firstMs) f.genMs = i.lastMs - i.firstMs;
  const t = i.timings;
  if (t?.predictedN && t.predictedMs) {
    f.tokPerSec = (t.predictedN * 1000) / t.predictedMs;
    f.tokPerSecFrom = 'timings';
  } else if (f.genMs !== undefined && f.genMs > 0 && f.tokens > 1) {
    // tokens after the first, over the time after the first
    f.tokPerSec = ((f.tokens - 1) * 1000) / f.genMs;
    f.tokPerSecFrom = f.tokensFrom;
  } else if (t?.predictedPerSecond !== undefined) {
    f.tokPerSec = t.predictedPerSecond;
    f.tokPerSecFrom = 'timings';
  }
  if (t?.promptN && t.promptMs) f.promptTokPerSec = (t.promptN * 1000) / t.promptMs;
  return f;
}
