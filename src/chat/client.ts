/**
 * One chat request to an OpenAI-compatible endpoint over node:http / node:https (not fetch: we own the DNS lookup,
 * the connect timeout and the socket). Streams SSE (or reads a whole JSON completion), times the first token,
 * honours an AbortSignal, and turns every way it can fail into one `ChatError` kind the fallback chain acts on.
 * Never throws; never writes a key anywhere but the Authorization header.
 */
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { oneLine, parseChatChunk, parseErrorBody, parseModels, SseDecoder } from '../../backends/engines/parse.js';
import type { ChatUsage } from '../../backends/engines/types.js';
import { isLoopbackAddress, isLoopbackHost, type Secret } from './providers.js';
import { redact, StreamRedactor } from '../text/redact.js';

export type ChatErrorKind =
  | 'refused' | 'dns' | 'connect-timeout' | 'first-token-timeout' | 'http-429' | 'http-5xx' | 'http-4xx'
  | 'cut' | 'bad-response' | 'cancelled';

export interface ChatError {
  kind: ChatErrorKind;
  /** one printable line, control sequences removed */
  message: string;
  status?: number;
  /** a 429's Retry-After, in ms */
  retryAfterMs?: number;
}

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }

export interface ConnectAttempt { host: string; port: number; protocol: 'http:' | 'https:' }

export interface RequestBase {
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: string;
  apiKey?: Secret;
  signal?: AbortSignal;
  /** default 5000 */
  connectTimeoutMs?: number;
  /** the resolver (tests inject one that fails); default dns.lookup. Loopback names never reach it. */
  lookup?: LookupFunction;
  /** blackout: refuse (before any socket) a host that is not loopback, and any name that resolves elsewhere */
  loopbackOnly?: boolean;
  /** called right before a connection is opened */
  onConnect?: (a: ConnectAttempt) => void;
}

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
  /**
   * the reply's size bound in UTF-8 bytes: a reply that reaches it is cut there, the request is closed, and the
   * result is ok with `truncated` (a provider that streams without end cannot grow sov without bound)
   */
  maxReplyBytes?: number;
  /** each piece of content as it arrives (raw: the caller sanitizes before drawing) */
  onToken?: (text: string) => void;
  now?: () => number;
}

export interface ChatFigures {
  /** ms from sending the request to the first token */
  ttftMs?: number;
  /** content pieces received (the server's completion_tokens when it says) */
  tokens: number;
  tokPerSec?: number;
  durationMs: number;
}

export type ChatResult =
  | ({ ok: true; text: string; model?: string; finishReason?: string; usage?: ChatUsage; warnings: string[]; truncated?: { limitBytes: number } } & ChatFigures)
  | ({ ok: false; error: ChatError; partial: string; model?: string; warnings: string[] } & ChatFigures);

const MAX_ERROR_BODY = 256 * 1024;
/** an SSE event may be this much larger than the reply bound (JSON framing, escapes) before it is refused */
const SSE_EVENT_SLACK_BYTES = 1024 * 1024;
const MAX_JSON_BODY = 64 * 1024 * 1024;

/** The default bound on one reply (config chat.maxReplyBytes). */
export const DEFAULT_MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** The reason a truncated reply carries (CLI marker, transcript, cockpit). */
export function truncatedReason(limitBytes: number): string {
  const size = limitBytes >= 1024 * 1024 ? `${+(limitBytes / 1024 / 1024).toFixed(1)} MiB` : limitBytes >= 1024 ? `${+(limitBytes / 1024).toFixed(1)} KiB` : `${limitBytes} bytes`;
  return `truncated: the reply reached ${size}, the bound set by chat.maxReplyBytes`;
}

/** The longest prefix of `s` whose UTF-8 encoding fits `bytes` (never splits a surrogate pair). */
export function utf8Prefix(s: string, bytes: number): string {
  if (bytes <= 0) return '';
  const buf = Buffer.from(s);
  if (buf.length <= bytes) return s;
  let end = bytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // back to the first byte of the character that is cut
  return buf.subarray(0, end).toString('utf8');
}

/** Retry-After: delay-seconds or an HTTP-date → ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const d = Date.parse(t);
  if (Number.isFinite(d)) return Math.max(0, d - nowMs);
  return undefined;
}

const LOOPBACK_NAME = /^(localhost|.+\.localhost)\.?$/i;

class BlackoutError extends Error { code = 'EBLACKOUT'; }

/** The resolver the client uses: loopback names answer 127.0.0.1 without a resolver; blackout refuses the rest. */
export function guardedLookup(inner: LookupFunction = dnsLookup as unknown as LookupFunction, loopbackOnly = false): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, cb: (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void) => {
    if (LOOPBACK_NAME.test(hostname)) {
      if (options?.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
      return;
    }
    if (loopbackOnly) {
      cb(new BlackoutError(`blackout: ${hostname} is not a loopback address; nothing was resolved`), '', 4);
      return;
    }
    inner(hostname, options as never, ((err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => {
      if (err) { cb(err, address, family); return; }
      if (loopbackOnly) {
        const addrs = Array.isArray(address) ? address.map((a) => a.address) : [address];
        if (addrs.some((a) => !isLoopbackAddress(a))) { cb(new BlackoutError(`blackout: ${hostname} resolves to a non-loopback address`), '', 4); return; }
      }
      cb(null, address, family);
    }) as never);
  }) as unknown as LookupFunction;
}

function classifySocketError(e: NodeJS.ErrnoException, host: string, port: number, responded: boolean): ChatError {
  const code = e.code ?? '';
  const where = `${host}:${port}`;
  if (responded) return { kind: 'cut', message: `the stream was cut mid-way (${code || oneLine(e.message, 80)})` };
  switch (code) {
    case 'ECONNREFUSED': return { kind: 'refused', message: `connection refused by ${where} (nothing listens there)` };
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_FAIL': case 'EAI_NONAME': case 'EAI_NODATA': case 'ESERVFAIL': case 'ENODATA':
      return { kind: 'dns', message: `DNS lookup for ${host} failed (${code})` };
    case 'EBLACKOUT': return { kind: 'refused', message: oneLine(e.message, 200) };
    case 'ETIMEDOUT': return { kind: 'connect-timeout', message: `connecting to ${where} timed out (ETIMEDOUT)` };
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': case 'ENETDOWN': case 'EHOSTDOWN':
      return { kind: 'refused', message: `${where} is unreachable (${code})` };
    case 'ECONNRESET': case 'EPIPE': return { kind: 'cut', message: `${where} closed the connection before answering (${code})` };
    default:
      if (/CERT|SSL|TLS/i.test(code) || /certificate|ssl|tls/i.test(e.message)) return { kind: 'refused', message: `TLS with ${where} failed: ${oneLine(e.message, 160)}` };
      return { kind: 'refused', message: `connecting to ${where} failed: ${oneLine(e.message, 160)}${code ? ` (${code})` : ''}` };
  }
}

interface Opened { req: ClientRequest; res: IncomingMessage; connectedAt: number }

interface OpenArgs extends RequestBase {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** from connected to the response's headers */
  headersTimeoutMs?: number;
  headersTimeoutKind?: ChatErrorKind;
  now: () => number;
}

/** Opens one request: connect timeout, blackout, cancel; resolves with the response or a classified error. */
function open(a: OpenArgs): Promise<Opened | ChatError> {
  return new Promise((resolve) => {
    let url: URL;
    try { url = new URL(a.baseUrl.replace(/\/+$/, '') + a.path); } catch { resolve({ kind: 'bad-response', message: `not a URL: ${oneLine(a.baseUrl, 120)}` }); return; }
    const https = url.protocol === 'https:';
    if (url.protocol !== 'http:' && !https) { resolve({ kind: 'bad-response', message: `unsupported URL scheme ${url.protocol}` }); return; }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (https ? 443 : 80));
    if (a.loopbackOnly && !isLoopbackHost(host)) {
      resolve({ kind: 'refused', message: `blackout: ${host} is not a loopback address; no connection was attempted` });
      return;
    }
    if (a.signal?.aborted) { resolve({ kind: 'cancelled', message: 'cancelled' }); return; }
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let why: ChatError | undefined;
    const finish = (v: Opened | ChatError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      a.signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const headers: Record<string, string> = { Accept: a.method === 'POST' ? 'text/event-stream, application/json' : 'application/json', 'User-Agent': 'sov-chat/0.1' };
    if (a.body !== undefined) { headers['Content-Type'] = 'application/json'; headers['Content-Length'] = String(Buffer.byteLength(a.body)); }
    if (a.apiKey) headers.Authorization = `Bearer ${a.apiKey.reveal()}`;
    a.onConnect?.({ host, port, protocol: https ? 'https:' : 'http:' });
    const req = (https ? httpsRequest : httpRequest)({
      protocol: url.protocol, hostname: host, port, path: url.pathname + url.search, method: a.method, headers,
      agent: false, lookup: guardedLookup(a.lookup, a.loopbackOnly ?? false),
    });
    const fail = (e: ChatError) => { why ??= e; req.destroy(); finish(e); };
    const onAbort = () => fail({ kind: 'cancelled', message: 'cancelled' });
    a.signal?.addEventListener('abort', onAbort, { once: true });
    const connectMs = a.connectTimeoutMs ?? 5000;
    timer = setTimeout(() => fail({ kind: 'connect-timeout', message: `no connection to ${host}:${port} within ${fmtS(connectMs)}` }), connectMs);
    let connectedAt = a.now();
    req.on('socket', (s) => {
      s.once(https ? 'secureConnect' : 'connect', () => {
        connectedAt = a.now();
        if (timer) clearTimeout(timer);
        if (a.headersTimeoutMs !== undefined) {
          const ms = a.headersTimeoutMs;
          timer = setTimeout(() => fail({ kind: a.headersTimeoutKind ?? 'first-token-timeout', message: `no answer from ${host}:${port} within ${fmtS(ms)}` }), ms);
        }
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(why ?? classifySocketError(e, host, port, false)));
    req.on('response', (res) => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      a.signal?.removeEventListener('abort', onAbort);
      settled = true;
      resolve({ req, res, connectedAt });
    });
    if (a.body !== undefined) req.write(a.body);
    req.end();
  });
}

function fmtS(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** Reads a body up to `max` bytes (the rest is drained and dropped). */
function readBody(res: IncomingMessage, max: number): Promise<{ text: string; complete: boolean; truncated: boolean }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let done = false;
    const end = (complete: boolean) => { if (done) return; done = true; resolve({ text: Buffer.concat(parts).toString('utf8'), complete, truncated }); };
    res.on('data', (c: Buffer) => {
      if (size + c.length > max) { truncated = true; if (size < max) parts.push(c.subarray(0, max - size)); size = max; return; }
      size += c.length;
      parts.push(c);
    });
    res.on('end', () => end(res.complete));
    res.on('error', () => end(false));
    res.on('close', () => end(res.complete));
  });
}

function httpError(status: number, body: string, contentType: string | undefined, retryAfter: string | string[] | undefined, nowMs: number): ChatError {
  const message = parseErrorBody(status, body, contentType);
  if (status === 429) {
    const ra = parseRetryAfter(retryAfter, nowMs);
    const e: ChatError = { kind: 'http-429', status, message: ra !== undefined ? `${message} (Retry-After ${fmtS(ra)})` : message };
    if (ra !== undefined) e.retryAfterMs = ra;
    return e;
  }
  return { kind: status >= 500 ? 'http-5xx' : 'http-4xx', status, message };
}

/** One chat completion, streamed (default) or not. Never throws. */
export async function streamChat(r: ChatRequest): Promise<ChatResult> {
  const now = r.now ?? (() => performance.now());
  const t0 = now();
  const stream = r.stream ?? true;
  const firstMs = r.firstTokenTimeoutMs ?? 60_000;
  const stallMs = r.stallTimeoutMs ?? firstMs;
  const warnings: string[] = [];
  const body: Record<string, unknown> = { messages: r.messages, stream };
  if (r.model !== undefined) body.model = r.model;
  if (stream) body.stream_options = { include_usage: true };
  if (r.maxTokens !== undefined) body.max_tokens = r.maxTokens;

  const fig = (tokens: number, tFirst: number | undefined, tEnd: number, serverTps?: number): ChatFigures => {
    const f: ChatFigures = { tokens, durationMs: tEnd - t0 };
    if (tFirst !== undefined) f.ttftMs = tFirst - t0;
    const gen = tFirst !== undefined ? tEnd - tFirst : 0;
    if (tokens > 1 && gen > 0 && stream) f.tokPerSec = ((tokens - 1) * 1000) / gen;
    else if (serverTps !== undefined) f.tokPerSec = serverTps;
    return f;
  };
  const failed = (error: ChatError, partial = '', tokens = 0, tFirst?: number, model?: string): ChatResult => {
    const out: ChatResult = { ok: false, error: { ...error, message: redact(error.message) }, partial: redact(partial), warnings: warnings.map(redact), ...fig(tokens, tFirst, now()) };
    if (model !== undefined) out.model = model;
    return out;
  };

  const o = await open({
    ...r, method: 'POST', path: '/chat/completions', body: JSON.stringify(body), now,
    headersTimeoutMs: firstMs, headersTimeoutKind: 'first-token-timeout',
  });
  if (!('res' in o)) return failed(o);
  const { req, res } = o;
  const status = res.statusCode ?? 0;
  const ct = String(res.headers['content-type'] ?? '');
  if (status < 200 || status >= 300) {
    const b = await readBody(res, MAX_ERROR_BODY);
    req.destroy();
    return failed(httpError(status, b.text, ct, res.headers['retry-after'], Date.now()));
  }

  return new Promise<ChatResult>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const pieces: string[] = [];
    let tokens = 0;
    let tFirst: number | undefined;
    let model: string | undefined;
    let finishReason: string | undefined;
    let usage: ChatUsage | undefined;
    let serverError: string | undefined;
    let serverTps: number | undefined;
    let sawDone = false;
    const maxBytes = r.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    let replyBytes = 0;
    let truncated = false;
    let pendingEventBytes = 0;
    let mode: 'sse' | 'json' | 'html' | 'other' | undefined;
    const sse = new SseDecoder();
    // what reaches onToken is redacted as a stream (a key split across two pieces included)
    const redactor = new StreamRedactor();
    const emitToken = (t: string) => { if (t !== '') { try { r.onToken?.(t); } catch {} } };
    const flushRedactor = () => emitToken(redactor.end());
    const raw: Buffer[] = [];
    let rawSize = 0;
    let malformed = 0;

    const arm = (ms: number, e: ChatError) => {
      if (timer) clearTimeout(timer);
      if (settled) return;
      timer = setTimeout(() => end({ error: e }), ms);
    };
    const text = () => pieces.join('');
    const end = (how: { error?: ChatError }) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
      if (how.error) req.destroy();
      if (malformed > 0) warnings.push(`${malformed} malformed SSE line(s) or event(s) were skipped`);
      if (how.error) { flushRedactor(); resolve(failed(how.error, text(), tokens, tFirst, model)); return; }
      flushRedactor();
      const out: ChatResult = { ok: true, text: redact(text()), warnings: warnings.map(redact), ...fig(tokens, tFirst, now(), serverTps) };
      if (truncated) { out.truncated = { limitBytes: maxBytes }; out.finishReason = 'length'; }
      if (usage?.completionTokens !== undefined && stream) {
        out.tokens = usage.completionTokens;
        const gen = tFirst !== undefined ? now() - tFirst : 0;
        if (gen > 0 && out.tokens > 1) out.tokPerSec = ((out.tokens - 1) * 1000) / gen;
      }
      if (model !== undefined) out.model = model;
      if (finishReason !== undefined) out.finishReason = finishReason;
      if (usage) out.usage = usage;
      resolve(out);
    };
    const onAbort = () => end({ error: { kind: 'cancelled', message: 'cancelled' } });
    if (r.signal?.aborted) { onAbort(); return; }
    r.signal?.addEventListener('abort', onAbort, { once: true });
    if (stream) arm(Math.max(1, firstMs - (now() - o.connectedAt)), { kind: 'first-token-timeout', message: `no first token within ${fmtS(firstMs)}` });

    const token = (piece: string) => {
      if (piece === '' || truncated) return;
      let delta = piece;
      const b = Buffer.byteLength(delta);
      if (replyBytes + b > maxBytes) {
        delta = utf8Prefix(delta, maxBytes - replyBytes);
        truncated = true;
      }
      replyBytes += Buffer.byteLength(delta);
      if (truncated) {
        // the bound is reached: keep what fits, close the request, end as a (truncated) answer
        if (delta !== '') { if (tFirst === undefined) tFirst = now(); tokens++; pieces.push(delta); emitToken(redactor.push(delta)); }
        req.destroy();
        end({});
        return;
      }
      if (tFirst === undefined) tFirst = now();
      tokens++;
      pieces.push(delta);
      emitToken(redactor.push(delta));
    };
    const onEvent = (data: string) => {
      const c = parseChatChunk(data);
      if (!c) { malformed++; if (warnings.length < 20) warnings.push(`an SSE event is not JSON: "${oneLine(data, 60)}"`); return; }
      if (c.model !== undefined) model = c.model;
      if (c.error !== undefined) serverError = c.error;
      if (c.usage) usage = c.usage;
      if (c.timings?.predictedPerSecond !== undefined) serverTps = c.timings.predictedPerSecond;
      if (c.finishReason !== undefined) finishReason = c.finishReason;
      token(c.delta);
    };
    const activity = () => {
      if (stream && tFirst !== undefined) arm(stallMs, { kind: 'cut', message: `the stream stalled: nothing for ${fmtS(stallMs)} after ${tokens} tokens` });
    };

    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (mode === undefined) {
        if (/event-stream/i.test(ct)) mode = 'sse';
        else if (/json/i.test(ct)) mode = 'json';
        else if (/html/i.test(ct)) mode = 'html';
        else {
          const head = chunk.subarray(0, 64).toString('utf8').trimStart();
          mode = head.startsWith('{') ? 'json' : head.startsWith('data:') || head.startsWith(':') ? 'sse' : head.startsWith('<') ? 'html' : 'other';
        }
      }
      if (mode === 'sse') {
        const events = sse.feed(chunk);
        // an event that never ends (a line without its newline, data lines without the blank line) is bounded too
        pendingEventBytes = events.length > 0 ? 0 : pendingEventBytes + chunk.length;
        if (pendingEventBytes > maxBytes + SSE_EVENT_SLACK_BYTES) {
          end({ error: { kind: tokens > 0 ? 'cut' : 'bad-response', message: `an event of the stream grew past ${Math.round((maxBytes + SSE_EVENT_SLACK_BYTES) / 1024 / 1024)} MB without ending; the stream was closed` } });
          return;
        }
        for (const ev of events) {
          if ('error' in ev) { malformed++; if (warnings.length < 20) warnings.push(ev.error); continue; }
          if (ev.done) { sawDone = true; continue; }
          onEvent(ev.data);
        }
        activity();
        return;
      }
      const cap = mode === 'json' ? MAX_JSON_BODY : MAX_ERROR_BODY;
      if (rawSize + chunk.length > cap) {
        end({ error: { kind: 'bad-response', message: `the answer is larger than ${Math.round(cap / 1024 / 1024)} MB; dropped` } });
        return;
      }
      rawSize += chunk.length;
      raw.push(chunk);
    });
    const finishBody = () => {
      if (settled) return;
      if (!res.complete) {
        // a stream that ended without its end: the socket was cut
        const e: ChatError = { kind: 'cut', message: `the stream was cut mid-way after ${tokens} tokens` };
        end({ error: e });
        return;
      }
      if (mode === 'sse' || mode === undefined) {
        for (const ev of sse.end()) if ('error' in ev) { malformed++; if (warnings.length < 20) warnings.push(ev.error); }
        if (serverError !== undefined) { end({ error: { kind: tokens > 0 ? 'cut' : 'bad-response', message: `the server reported an error mid-stream: ${serverError}` } }); return; }
        if (!sawDone && finishReason === undefined) {
          if (tokens === 0) { end({ error: { kind: 'bad-response', message: 'the stream ended without any content, finish reason or [DONE]' } }); return; }
          warnings.push('the stream ended without [DONE] or a finish reason');
        }
        end({});
        return;
      }
      const bodyText = Buffer.concat(raw).toString('utf8');
      if (mode === 'html' || mode === 'other') {
        end({ error: { kind: 'bad-response', message: mode === 'html' ? parseErrorBody(status, bodyText, ct) : `the server answered ${status} with neither JSON nor an event stream (${oneLine(ct || 'no content-type', 60)}): "${oneLine(bodyText, 60)}"` } });
        return;
      }
      const c = parseChatChunk(bodyText);
      if (!c) { end({ error: { kind: 'bad-response', message: `the answer is not JSON: "${oneLine(bodyText, 80)}"` } }); return; }
      if (c.error !== undefined) { end({ error: { kind: 'bad-response', message: `the server answered an error: ${c.error}` } }); return; }
      if (c.model !== undefined) model = c.model;
      if (c.usage) usage = c.usage;
      if (c.finishReason !== undefined) finishReason = c.finishReason;
      if (c.timings?.predictedPerSecond !== undefined) serverTps = c.timings.predictedPerSecond;
      if (c.delta === '' && c.finishReason === undefined) { end({ error: { kind: 'bad-response', message: 'the answer holds no message content' } }); return; }
      token(c.delta);
      if (usage?.completionTokens !== undefined) tokens = usage.completionTokens;
      end({});
    };
    res.on('end', finishBody);
    res.on('close', finishBody);
    res.on('error', () => { if (!settled) end({ error: { kind: 'cut', message: `the stream was cut mid-way after ${tokens} tokens` } }); });
    res.on('aborted', () => { if (!settled) end({ error: { kind: 'cut', message: `the stream was cut mid-way after ${tokens} tokens` } }); });
  });
}

export type ModelsResult = { ok: true; ids: string[]; warnings: string[] } | { ok: false; error: ChatError };

/** GET {baseUrl}/models → the model ids; an empty list is an error with a clear message. */
export async function listModels(r: RequestBase & { timeoutMs?: number; now?: () => number }): Promise<ModelsResult> {
  const now = r.now ?? (() => performance.now());
  const o = await open({ ...r, method: 'GET', path: '/models', now, headersTimeoutMs: r.timeoutMs ?? 10_000, headersTimeoutKind: 'first-token-timeout' });
  if (!('res' in o)) return { ok: false, error: o };
  const status = o.res.statusCode ?? 0;
  const ct = String(o.res.headers['content-type'] ?? '');
  const b = await readBody(o.res, 8 * 1024 * 1024);
  o.req.destroy();
  if (status < 200 || status >= 300) { const e = httpError(status, b.text, ct, o.res.headers['retry-after'], Date.now()); return { ok: false, error: { ...e, message: redact(e.message) } }; }
  if (/html/i.test(ct) || /^\s*</.test(b.text)) return { ok: false, error: { kind: 'bad-response', message: redact(parseErrorBody(status, b.text, ct)) } };
  const m = parseModels(b.text);
  if (m.ids.length === 0) {
    const why = m.warnings.length > 0 ? `: ${m.warnings.map((w) => oneLine(w, 100)).join('; ')}` : '';
    return { ok: false, error: { kind: 'bad-response', message: `the server lists no models (GET /models returned an empty list${why}); set \`model:\` for this provider` } };
  }
  return { ok: true, ids: m.ids.map((id) => redact(oneLine(id, 200))), warnings: m.warnings.map(redact) };
}
