/**
 * HTTP probes of an engine (node:http, a deadline each): health, models, Prometheus metrics; and a TCP
 * connect (kind `tcp`: a tunnel's forwarded port). None of them throws: a refused connection is health `down`,
 * anything unreadable is `undefined`.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { parseHealth, parseModels } from '../protocols/health.js';
import { engineMetrics, parsePrometheus } from '../protocols/prometheus.js';
import type { EngineMetrics } from '../protocols/types.js';
import type { EngineHealth } from './types.js';

export type HealthKind = 'llamacpp' | 'vllm' | 'ollama' | 'http' | 'tcp';

export interface HttpAnswer { status: number; body: string; contentType?: string }

/** a body is read up to this many bytes, the rest is not read (an endless body costs no memory) */
export const MAX_BODY = 4 * 1024 * 1024;

/**
 * GET `url` over node:http(s) (not fetch: undici costs a daemon with five engines probed every few seconds about as
 * much CPU as everything else it does): one connection per probe, closed after; no redirect followed (a 3xx is its
 * status); the body read up to MAX_BODY, then the connection is dropped; the whole exchange within `timeoutMs`.
 * Never throws.
 */
export function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer | { error: string }> {
  return new Promise((resolve) => {
    let u: URL;
    try { u = new URL(url); } catch { resolve({ error: `not a URL: ${url}` }); return; }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') { resolve({ error: `not http(s): ${url}` }); return; }
    let done = false;
    let req: ClientRequest | undefined = undefined;
    const end = (r: HttpAnswer | { error: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(r);
    };
    const headers = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', connection: 'close', 'user-agent': 'sov-probe' };
    const timer = setTimeout(() => end({ error: `no answer within ${Math.round(timeoutMs / 100) / 10} s` }), Math.max(1, timeoutMs));
    try {
      req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const answer = (): HttpAnswer => {
          const body = Buffer.concat(chunks).toString('utf8');
          const ct = res.headers['content-type'];
          return ct === undefined ? { status: res.statusCode ?? 0, body } : { status: res.statusCode ?? 0, body, contentType: ct };
        };
        res.on('data', (c: Buffer) => {
          const take = Math.min(c.length, MAX_BODY - bytes);
          if (take > 0) chunks.push(take === c.length ? c : c.subarray(0, take));
          bytes += take;
          if (bytes >= MAX_BODY) end(answer());
        });
        res.on('end', () => end(answer()));
        res.on('error', (e: NodeJS.ErrnoException) => end({ error: describeHttpError(e) }));
      });
    } catch (e) {
      end({ error: describeHttpError(e as NodeJS.ErrnoException) });
      return;
    }
    req.on('error', (e: NodeJS.ErrnoException) => end({ error: describeHttpError(e) }));
    req.end();
  });
}

function describeHttpError(e: NodeJS.ErrnoException): string {
  return typeof e.code === 'string' ? `${e.code}: ${e.message}` : e.message;
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
