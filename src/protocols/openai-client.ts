/**
 * THE OpenAI streaming client, used by the chat chain (src/chat/chain.ts) and the engine bench
 * (src/engines/bench.ts): one `POST {base}/chat/completions`, streamed as SSE (or a whole JSON completion), with
 * connect / first-token / stall deadlines, an AbortSignal, a bound on the reply (maxReplyBytes) and on every body,
 * keys redacted from everything it returns. The stream's rules (the cut-stream rule included) and the figures
 * (TTFT, tok/s) are the pure functions of ./openai.ts. Never throws.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { redact, StreamRedactor } from '../text/redact.js';
import { parseErrorBody } from './errors.js';
import { fmtS, httpError, open, readBody, type ChatError, type RequestBase } from './http.js';
import { oneLine } from './json.js';
import {
  applyChunk, chatRequestBody, newStreamState, parseChatChunk, streamFigures, streamStep, streamVerdict,
  type ChatMessage, type StreamFigures, type StreamState,
} from './openai.js';
import { parseModels } from './health.js';
import { SseDecoder } from './sse.js';
import type { ChatTimings, ChatUsage } from './types.js';

export interface ChatRequest extends RequestBase {
  model?: string;
  messages: ChatMessage[];
  /** default true */
  stream?: boolean;
  /** from connected to the first token (streaming) or to the answer's headers (not streaming); default 60000 */
  firstTokenTimeoutMs?: number;
  /** silence this long after the first token counts as a cut stream; default firstTokenTimeoutMs */
  stallTimeoutMs?: number;
  maxTokens?: number;
  temperature?: number;
  /**
   * the reply's size bound in UTF-8 bytes: a reply that reaches it is cut there, the request is closed, and the
   * result is ok with `truncated` (a provider that streams without end cannot grow sov without bound)
   */
  maxReplyBytes?: number;
  /** each piece of content as it arrives (raw: the caller sanitizes before drawing) */
  onToken?: (text: string) => void;
  now?: () => number;
}

/** THE figures (./openai.ts streamFigures) plus the request's whole duration. */
export interface ChatFigures extends StreamFigures {
  durationMs: number;
}

interface ChatDetails { model?: string; warnings: string[]; usage?: ChatUsage; timings?: ChatTimings }

export type ChatResult =
  | ({ ok: true; text: string; finishReason?: string; truncated?: { limitBytes: number } } & ChatDetails & ChatFigures)
  | ({ ok: false; error: ChatError; partial: string } & ChatDetails & ChatFigures);

const MAX_ERROR_BODY = 256 * 1024;
/** an SSE event may be this much larger than the reply bound (JSON framing, escapes) before it is refused */
const SSE_EVENT_SLACK_BYTES = 1024 * 1024;
const MAX_JSON_BODY = 64 * 1024 * 1024;

/** The default bound on one reply (config chat.maxReplyBytes). */
export const DEFAULT_MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** The longest prefix of `s` whose UTF-8 encoding fits `bytes` (never splits a surrogate pair). */
export function utf8Prefix(s: string, bytes: number): string {
  if (bytes <= 0) return '';
  const buf = Buffer.from(s);
  if (buf.length <= bytes) return s;
  let end = bytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // back to the first byte of the character that is cut
  return buf.subarray(0, end).toString('utf8');
}

/** One chat completion, streamed (default) or not. Never throws. */
export async function streamChat(r: ChatRequest): Promise<ChatResult> {
  const now = r.now ?? (() => performance.now());
  const t0 = now();
  const stream = r.stream ?? true;
  const firstMs = r.firstTokenTimeoutMs ?? 60_000;
  const body = chatRequestBody({ model: r.model, messages: r.messages, stream, maxTokens: r.maxTokens, temperature: r.temperature });
  const o = await open({ ...r, method: 'POST', path: '/chat/completions', body, now, headersTimeoutMs: firstMs, headersTimeoutKind: 'first-token-timeout' });
  if (!('res' in o)) return new Reply(r, t0, stream, undefined, undefined).failure(o);
  const status = o.res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const b = await readBody(o.res, MAX_ERROR_BODY, { req: o.req, timeoutMs: r.stallTimeoutMs ?? firstMs, signal: r.signal });
    o.req.destroy();
    const failed = new Reply(r, t0, stream, undefined, undefined);
    if (b.error?.kind === 'cancelled') return failed.failure(b.error);
    return failed.failure(httpError(status, b.text, String(o.res.headers['content-type'] ?? ''), o.res.headers['retry-after'], Date.now()));
  }
  return new Reply(r, t0, stream, o.req, o.res).read(o.connectedAt);
}

type Mode = 'sse' | 'json' | 'html' | 'other';

/** Reads one answer: the stream's state (pure, ./openai.ts), the reply bound, the deadlines, the redaction. */
class Reply {
  private readonly st: StreamState = newStreamState();
  private readonly pieces: string[] = [];
  private contentPieces = 0;
  private replyBytes = 0;
  private truncated = false;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private mode: Mode | undefined;
  private readonly sse = new SseDecoder();
  private pendingEventBytes = 0;
  private readonly raw: Buffer[] = [];
  private rawBytes = 0;
  /** what reaches onToken is redacted as a stream (a key split across two pieces included) */
  private readonly redactor = new StreamRedactor();
  private readonly maxBytes: number;
  private readonly now: () => number;
  private resolve: (r: ChatResult) => void = () => {};
  private readonly onAbort = () => this.end({ kind: 'cancelled', message: 'cancelled' });

  constructor(private readonly r: ChatRequest, private readonly t0: number, private readonly stream: boolean,
    private readonly req: ClientRequest | undefined, private readonly res: IncomingMessage | undefined) {
    this.maxBytes = r.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.now = r.now ?? (() => performance.now());
  }

  read(connectedAt: number): Promise<ChatResult> {
    return new Promise<ChatResult>((resolve) => {
      this.resolve = resolve;
      const { r, res } = this;
      if (r.signal?.aborted) { this.onAbort(); return; }
      r.signal?.addEventListener('abort', this.onAbort, { once: true });
      const firstMs = r.firstTokenTimeoutMs ?? 60_000;
      if (this.stream) this.arm(Math.max(1, firstMs - (this.now() - connectedAt)), { kind: 'first-token-timeout', message: `no first token within ${fmtS(firstMs)}` });
      const cut = () => this.end({ kind: 'cut', message: `the stream was cut mid-way after ${this.contentPieces} tokens` });
      res!.on('data', (chunk: Buffer) => this.data(chunk));
      res!.on('end', () => this.finish());
      res!.on('close', () => this.finish());
      res!.on('error', cut);
      res!.on('aborted', cut);
    });
  }

  /** a result for a request that never got an answer to read */
  failure(e: ChatError): ChatResult {
    return this.result(e);
  }

  private arm(ms: number, e: ChatError): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.settled) return;
    this.timer = setTimeout(() => this.end(e), ms);
  }

  private emit(t: string): void {
    if (t !== '') { try { this.r.onToken?.(t); } catch {} }
  }

  private end(error?: ChatError): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.r.signal?.removeEventListener('abort', this.onAbort);
    if (error) this.req?.destroy();
    if (this.st.malformed > 0) this.st.warnings.push(`${this.st.malformed} malformed SSE line(s) or event(s) were skipped`);
    this.emit(this.redactor.end());
    this.resolve(this.result(error));
  }

  private result(error?: ChatError): ChatResult {
    const st = this.st;
    const f: ChatFigures = { ...streamFigures({ startMs: this.t0, firstMs: st.firstMs, lastMs: st.lastMs, chunks: st.chunks, usage: st.usage, timings: st.timings }), durationMs: this.now() - this.t0 };
    const details: ChatDetails = { warnings: st.warnings.map(redact) };
    if (st.model !== undefined) details.model = st.model;
    if (st.usage) details.usage = st.usage;
    if (st.timings) details.timings = st.timings;
    const text = redact(this.pieces.join(''));
    if (error) return { ok: false, error: { ...error, message: redact(error.message) }, partial: text, ...details, ...f };
    const out: ChatResult = { ok: true, text, ...details, ...f };
    if (st.finishReason !== undefined) out.finishReason = st.finishReason;
    if (this.truncated) { out.truncated = { limitBytes: this.maxBytes }; out.finishReason = 'length'; }
    return out;
  }

  /** content arrived: kept up to the reply bound; at the bound the request is closed and the answer ends */
  private token(piece: string): void {
    if (piece === '' || this.truncated) return;
    let delta = piece;
    if (this.replyBytes + Buffer.byteLength(delta) > this.maxBytes) {
      delta = utf8Prefix(delta, this.maxBytes - this.replyBytes);
      this.truncated = true;
    }
    this.replyBytes += Buffer.byteLength(delta);
    if (delta !== '') {
      this.contentPieces++;
      this.pieces.push(delta);
      this.emit(this.redactor.push(delta));
    }
    if (this.truncated) { this.req?.destroy(); this.end(); }
  }

  private sniff(chunk: Buffer): Mode {
    const ct = String(this.res?.headers['content-type'] ?? '');
    if (/event-stream/i.test(ct)) return 'sse';
    if (/json/i.test(ct)) return 'json';
    if (/html/i.test(ct)) return 'html';
    const head = chunk.subarray(0, 64).toString('utf8').trimStart();
    return head.startsWith('{') ? 'json' : head.startsWith('data:') || head.startsWith(':') ? 'sse' : head.startsWith('<') ? 'html' : 'other';
  }

  private data(chunk: Buffer): void {
    if (this.settled) return;
    this.mode ??= this.sniff(chunk);
    if (this.mode !== 'sse') {
      const cap = this.mode === 'json' ? MAX_JSON_BODY : MAX_ERROR_BODY;
      if (this.rawBytes + chunk.length > cap) { this.end({ kind: 'bad-response', message: `the answer is larger than ${Math.round(cap / 1024 / 1024)} MB; dropped` }); return; }
      this.rawBytes += chunk.length;
      this.raw.push(chunk);
      return;
    }
    const events = this.sse.feed(chunk);
    // an event that never ends (a line without its newline, data lines without the blank line) is bounded too
    this.pendingEventBytes = events.length > 0 ? 0 : this.pendingEventBytes + chunk.length;
    const limit = this.maxBytes + SSE_EVENT_SLACK_BYTES;
    if (this.pendingEventBytes > limit) {
      this.end({ kind: this.contentPieces > 0 ? 'cut' : 'bad-response', message: `an event of the stream grew past ${Math.round(limit / 1024 / 1024)} MB without ending; the stream was closed` });
      return;
    }
    const at = this.now();
    for (const ev of events) {
      if (this.settled) return;
      const input = 'error' in ev ? { type: 'malformed' as const, reason: ev.error } : ev.done ? { type: 'done' as const } : { type: 'data' as const, data: ev.data, atMs: at };
      this.token(streamStep(this.st, input));
    }
    if (this.stream && this.st.firstMs !== undefined) {
      const stallMs = this.r.stallTimeoutMs ?? this.r.firstTokenTimeoutMs ?? 60_000;
      this.arm(stallMs, { kind: 'cut', message: `the stream stalled: nothing for ${fmtS(stallMs)} after ${this.contentPieces} tokens` });
    }
  }

  /** the response ended (or its socket closed): the verdict */
  private finish(): void {
    if (this.settled) return;
    if (this.mode === 'sse' || this.mode === undefined) {
      for (const ev of this.sse.end()) if ('error' in ev) streamStep(this.st, { type: 'malformed', reason: ev.error });
      const v = streamVerdict(this.st, this.res?.complete ?? false, this.contentPieces);
      this.end(v.ok ? undefined : { kind: v.kind, message: v.message });
      return;
    }
    if (!this.res?.complete) { this.end({ kind: 'cut', message: `the stream was cut mid-way after ${this.contentPieces} tokens` }); return; }
    this.finishBody();
  }

  /** a whole (not streamed) body: a chat.completion, or an HTML page / anything else where one was expected */
  private finishBody(): void {
    const status = this.res?.statusCode ?? 0;
    const ct = String(this.res?.headers['content-type'] ?? '');
    const text = Buffer.concat(this.raw).toString('utf8');
    if (this.mode === 'html' || this.mode === 'other') {
      this.end({ kind: 'bad-response', message: this.mode === 'html' ? parseErrorBody(status, text, ct) : `the server answered ${status} with neither JSON nor an event stream (${oneLine(ct || 'no content-type', 60)}): "${oneLine(text, 60)}"` });
      return;
    }
    const c = parseChatChunk(text);
    if (!c) { this.end({ kind: 'bad-response', message: `the answer is not JSON: "${oneLine(text, 80)}"` }); return; }
    if (c.error !== undefined) { this.end({ kind: 'bad-response', message: `the server answered an error: ${c.error}` }); return; }
    const delta = applyChunk(this.st, c, this.now());
    if (delta === '' && c.finishReason === undefined) { this.end({ kind: 'bad-response', message: 'the answer holds no message content' }); return; }
    this.token(delta);
    this.end();
  }
}

export type ModelsResult = { ok: true; ids: string[]; warnings: string[] } | { ok: false; error: ChatError };

/** GET {baseUrl}/models → the model ids; an empty list is an error with a clear message. */
export async function listModels(r: RequestBase & { timeoutMs?: number; now?: () => number }): Promise<ModelsResult> {
  const now = r.now ?? (() => performance.now());
  const o = await open({ ...r, method: 'GET', path: '/models', now, headersTimeoutMs: r.timeoutMs ?? 10_000, headersTimeoutKind: 'first-token-timeout' });
  if (!('res' in o)) return { ok: false, error: { ...o, message: redact(o.message) } };
  const status = o.res.statusCode ?? 0;
  const ct = String(o.res.headers['content-type'] ?? '');
  const b = await readBody(o.res, 8 * 1024 * 1024, { req: o.req, timeoutMs: r.timeoutMs ?? 10_000, signal: r.signal });
  o.req.destroy();
  if (b.error?.kind === 'cancelled') return { ok: false, error: b.error };
  if (status < 200 || status >= 300) { const e = httpError(status, b.text, ct, o.res.headers['retry-after'], Date.now()); return { ok: false, error: { ...e, message: redact(e.message) } }; }
  if (b.error) return { ok: false, error: b.error };
  if (b.truncated) return { ok: false, error: { kind: 'bad-response', message: 'the model list is larger than 8 MiB' } };
  if (/html/i.test(ct) || /^\s*</.test(b.text)) return { ok: false, error: { kind: 'bad-response', message: redact(parseErrorBody(status, b.text, ct)) } };
  const m = parseModels(b.text);
  if (m.ids.length === 0) {
    const why = m.warnings.length > 0 ? `: ${m.warnings.map((w) => oneLine(w, 100)).join('; ')}` : '';
    return { ok: false, error: { kind: 'bad-response', message: `the server lists no models (GET /models returned an empty list${why}); set \`model:\` for this provider` } };
  }
  return { ok: true, ids: m.ids.map((id) => redact(oneLine(id, 200))), warnings: m.warnings.map(redact) };
}
