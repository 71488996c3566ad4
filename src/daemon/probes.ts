/**
 * HTTP probes of an engine (node's fetch with AbortSignal.timeout): health, models, Prometheus metrics; and a TCP
 * connect (kind `tcp`: a tunnel's forwarded port). None of them throws: a refused connection is health `down`,
 * anything unreadable is `undefined`.
 */
import { connect } from 'node:net';
import { parseHealth, parseModels } from '../protocols/health.js';
import { engineMetrics, parsePrometheus } from '../protocols/prometheus.js';
import type { EngineMetrics } from '../protocols/types.js';
import type { EngineHealth } from './types.js';

export type HealthKind = 'llamacpp' | 'vllm' | 'ollama' | 'http' | 'tcp';

export interface HttpAnswer { status: number; body: string; contentType?: string }

/** a body is read up to this many bytes, the rest is not read (an endless body costs no memory) */
export const MAX_BODY = 4 * 1024 * 1024;

export async function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer | { error: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, timeoutMs)), redirect: 'manual', headers: { Accept: 'application/json, text/plain;q=0.9, */*;q=0.5' } });
    const body = await readCapped(res, MAX_BODY);
    const ct = res.headers.get('content-type');
    return ct === null ? { status: res.status, body } : { status: res.status, body, contentType: ct };
  } catch (e) {
    return { error: describeFetchError(e, timeoutMs) };
  }
}

/** The body's first `maxBytes` bytes: reading stops there and the rest is cancelled (never held in memory). */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, maxBytes - bytes);
      chunks.push(take === value.length ? value : value.subarray(0, take));
      bytes += take;
      if (bytes >= maxBytes) break;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
    }
    return e.message;
  }
  return String(e);
}

/** "refused", "no answer within 3 s", the OS's words otherwise */
function describeConnectError(e: NodeJS.ErrnoException, where: string): string {
  if (e.code === 'ECONNREFUSED') return `connection refused (${where})`;
  if (e.code === 'ECONNRESET') return `connection reset (${where})`;
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return `unreachable (${where})`;
  return `${e.code ?? 'error'}: ${e.message}`;
}

/**
 * A TCP connect to host:port within timeoutMs: connected is ready (the socket is closed at once), refused or no
 * connection in time is down with why. Never throws; the socket never outlives the deadline.
 */
export function probeTcp(host: string, port: number, timeoutMs: number, now = Date.now): Promise<EngineHealth> {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve) => {
    let done = false;
    const sock = connect({ host, port });
    const end = (h: EngineHealth) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(h);
    };
    const timer = setTimeout(() => end({ state: 'down', message: `no connection within ${Math.round(timeoutMs / 100) / 10} s (${where})`, at: now() }), Math.max(1, timeoutMs));
    sock.once('connect', () => end({ state: 'ready', at: now() }));
    sock.once('error', (e: NodeJS.ErrnoException) => end({ state: 'down', message: describeConnectError(e, where), at: now() }));
  });
}

/** host and port of a tcp probe's URL (tcp://127.0.0.1:8000, http://[::1]:8000/…); undefined without a port */
export function tcpTarget(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    const port = Number(u.port || (u.protocol === 'http:' ? 80 : u.protocol === 'https:' ? 443 : NaN));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return undefined;
  }
}

export async function probeHealth(url: string, kind: HealthKind, timeoutMs: number, now = Date.now): Promise<EngineHealth> {
  if (kind === 'tcp') {
    const t = tcpTarget(url);
    return t ? probeTcp(t.host, t.port, timeoutMs, now) : { state: 'error', message: `not host:port: ${url}`, at: now() };
  }
  const r = await httpGet(url, timeoutMs);
  if ('error' in r) return { state: 'down', message: r.error, at: now() };
  if (kind === 'http') {
    return r.status >= 200 && r.status < 300
      ? { state: 'ready', at: now() }
      : { state: 'error', message: `HTTP ${r.status}`, at: now() };
  }
  const h = parseHealth(r.status, r.body, r.contentType);
  const out: EngineHealth = { state: h.state, at: now() };
  if (h.message !== undefined) out.message = h.message;
  return out;
}

export async function probeModels(url: string, timeoutMs: number): Promise<string[] | undefined> {
  const r = await httpGet(url, timeoutMs);
  if ('error' in r || r.status < 200 || r.status >= 300) return undefined;
  const m = parseModels(r.body);
  return m.ids.length > 0 || m.warnings.length === 0 ? m.ids : undefined;
}

export async function probeMetrics(url: string, timeoutMs: number): Promise<EngineMetrics | undefined> {
  const r = await httpGet(url, timeoutMs);
  if ('error' in r || r.status < 200 || r.status >= 300) return undefined;
  return engineMetrics(parsePrometheus(r.body));
}

/** Where an engine lists its models: <openai>/models, else from the health URL's origin (ollama: /api/tags). */
export function modelsUrl(e: { openai?: string; health?: { url: string; kind: HealthKind } }): string | undefined {
  if (e.openai) return `${e.openai.replace(/\/+$/, '')}/models`;
  if (!e.health) return undefined;
  try {
    const u = new URL(e.health.url);
    if (e.health.kind === 'ollama') return `${u.origin}/api/tags`;
    if (e.health.kind === 'llamacpp' || e.health.kind === 'vllm') return `${u.origin}/v1/models`;
  } catch {}
  return undefined;
}
