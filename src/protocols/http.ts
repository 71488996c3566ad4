/**
 * One HTTP request to an inference server over node:http / node:https (not fetch: we own the DNS lookup, the
 * connect timeout and the socket): blackout (loopback only, refused before any socket), connect and headers
 * deadlines, an AbortSignal, bounded bodies, and every way it can fail as one classified `ChatError`.
 * Never throws; the key goes nowhere but the Authorization header.
 */
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { parseErrorBody } from './errors.js';
import { oneLine } from './json.js';
import { isLoopbackHost } from './loopback.js';

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

export interface ConnectAttempt { host: string; port: number; protocol: 'http:' | 'https:' }

export interface RequestBase {
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: string;
  apiKey?: ApiKey;
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

/** A key that only the client reveals (the chat's `Secret`: it never serialises to anything but "[redacted]"). */
export interface ApiKey { reveal(): string }

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
      cb(null, address, family);
    }) as never);
  }) as unknown as LookupFunction;
}

export function classifySocketError(e: NodeJS.ErrnoException, host: string, port: number, responded: boolean): ChatError {
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

export interface Opened { req: ClientRequest; res: IncomingMessage; connectedAt: number }

export interface OpenArgs extends RequestBase {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  /** from connected to the response's headers */
  headersTimeoutMs?: number;
  headersTimeoutKind?: ChatErrorKind;
  now: () => number;
}

/** Opens one request: connect timeout, blackout, cancel; resolves with the response or a classified error. */
export function open(a: OpenArgs): Promise<Opened | ChatError> {
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

export function fmtS(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

export interface BodyRead { text: string; complete: boolean; truncated: boolean; error?: ChatError }

export interface ReadBodyOpts {
  /** destroyed on the deadline, on abort and at the cap: the socket is never left open to drain */
  req: ClientRequest;
  /** the whole body must arrive within this; otherwise what came so far, with a `cut` error */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Reads a body up to `max` bytes, within a deadline, cancellable. At the cap the request is destroyed (what came is
 * kept, `truncated`); a body that never ends is cut at the deadline; an abort is `cancelled`. Never rejects.
 */
export function readBody(res: IncomingMessage, max: number, o: ReadBodyOpts): Promise<BodyRead> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let done = false;
    const end = (complete: boolean, error?: ChatError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      const r: BodyRead = { text: Buffer.concat(parts).toString('utf8'), complete, truncated };
      if (error) r.error = error;
      resolve(r);
    };
    const stop = (complete: boolean, error?: ChatError) => { end(complete, error); o.req.destroy(); res.destroy(); };
    const onAbort = () => stop(false, { kind: 'cancelled', message: 'cancelled' });
    const timer = setTimeout(() => stop(false, { kind: 'cut', message: `the answer's body did not end within ${fmtS(o.timeoutMs)}` }), o.timeoutMs);
    if (o.signal?.aborted) { onAbort(); return; }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (c: Buffer) => {
      if (done) return;
      if (size + c.length > max) { truncated = true; if (size < max) parts.push(c.subarray(0, max - size)); size = max; stop(false); return; }
      size += c.length;
      parts.push(c);
    });
    res.on('end', () => end(res.complete));
    res.on('error', () => end(false));
    res.on('close', () => end(res.complete));
  });
}

export function httpError(status: number, body: string, contentType: string | undefined, retryAfter: string | string[] | undefined, nowMs: number): ChatError {
  const message = parseErrorBody(status, body, contentType);
  if (status === 429) {
    const ra = parseRetryAfter(retryAfter, nowMs);
    const e: ChatError = { kind: 'http-429', status, message: ra !== undefined ? `${message} (Retry-After ${fmtS(ra)})` : message };
    if (ra !== undefined) e.retryAfterMs = ra;
    return e;
  }
  return { kind: status >= 500 ? 'http-5xx' : 'http-4xx', status, message };
}
