/**
 * Probes the configured services over real sockets (node:net, node:http), agentless, from where sov runs:
 * tcp: connect; http: GET, compare the status; redis: `PING` → `+PONG`. Each probe has its own timeout, measures
 * its latency and says in one line why it failed. All probes of one sample run in parallel; a sample never throws.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { Attempt, Source } from '../types.js';
import { parseRedisReply, socketErrorText, targetText, timeoutText } from './parse.js';
import type { ServicesData, ServiceStatus, ServiceTarget } from './types.js';

export interface ServicesSourceOptions {
  /** clock for latency (tests) */
  now?: () => number;
  /** what to say when there is nothing to probe (default: no services configured); e.g. the config did not load */
  none?: { reason: string; hint?: string };
}

type Probe = { up: true; latencyMs: number; status?: number } | { up: false; error: string; status?: number };

function tcpConnect(host: string, port: number, timeoutMs: number, now: () => number, talk?: (sock: Socket, t0: number, done: (p: Probe) => void) => void): Promise<Probe> {
  return new Promise<Probe>((resolve) => {
    const t0 = now();
    let settled = false;
    const sock = connect({ host, port });
    const done = (p: Probe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => done({ up: false, error: timeoutText(timeoutMs) }), timeoutMs);
    sock.once('error', (e) => done({ up: false, error: socketErrorText(e) }));
    sock.once('connect', () => {
      if (!talk) return done({ up: true, latencyMs: now() - t0 });
      talk(sock, t0, done);
    });
  });
}

export function probeTcp(host: string, port: number, timeoutMs: number, now: () => number = Date.now): Promise<Probe> {
  return tcpConnect(host, port, timeoutMs, now);
}

/** `PING\r\n` (inline command) → `+PONG\r\n`. */
export function probeRedis(host: string, port: number, timeoutMs: number, now: () => number = Date.now): Promise<Probe> {
  return tcpConnect(host, port, timeoutMs, now, (sock, t0, done) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const r = parseRedisReply(buf);
      if (r.state === 'pong') done({ up: true, latencyMs: now() - t0 });
      else if (r.state === 'other') done({ up: false, error: r.message });
    });
    sock.once('end', () => done({ up: false, error: buf ? `closed after "${buf.slice(0, 40).trim()}"` : 'closed without answering PING' }));
    sock.write('PING\r\n');
  });
}

export function probeHttp(url: string, expectStatus: number, timeoutMs: number, now: () => number = Date.now): Promise<Probe> {
  return new Promise<Probe>((resolve) => {
    let u: URL;
    try { u = new URL(url); } catch { resolve({ up: false, error: `not a URL: ${url}` }); return; }
    const t0 = now();
    let settled = false;
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', headers: { 'user-agent': 'sov-probe', connection: 'close' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(status === expectStatus ? { up: true, latencyMs: now() - t0, status } : { up: false, status, error: `HTTP ${status}, expected ${expectStatus}` });
    });
    const done = (p: Probe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => done({ up: false, error: timeoutText(timeoutMs) }), timeoutMs);
    req.once('error', (e) => done({ up: false, error: socketErrorText(e) }));
    req.end();
  });
}

export async function probeService(t: ServiceTarget, now: () => number = Date.now): Promise<ServiceStatus> {
  const timeoutMs = Math.max(1, Math.round(t.timeoutSec * 1000));
  const p = t.probe;
  let r: Probe;
  try {
    r = p.kind === 'tcp' ? await probeTcp(p.host, p.port, timeoutMs, now)
      : p.kind === 'redis' ? await probeRedis(p.host, p.port, timeoutMs, now)
      : await probeHttp(p.url, p.expectStatus, timeoutMs, now);
  } catch (e) {
    r = { up: false, error: socketErrorText(e) };
  }
  const out: ServiceStatus = { name: t.name, kind: p.kind, target: targetText(p), up: r.up };
  if (r.status !== undefined) out.status = r.status;
  if (r.up) out.latencyMs = Math.max(0, r.latencyMs);
  else out.error = r.error;
  return out;
}

/** The `services` source: every configured probe, in config order. No services configured → unavailable. */
export function createServicesSource(targets: ServiceTarget[], o: ServicesSourceOptions = {}): Source<ServicesData> {
  const now = o.now ?? Date.now;
  return {
    id: 'services',
    async sample(): Promise<Attempt<ServicesData>> {
      if (!targets.length) {
        return o.none
          ? { state: 'unavailable', reason: o.none.reason, ...(o.none.hint ? { hint: o.none.hint } : {}) }
          : { state: 'unavailable', reason: 'no services configured', hint: 'add `services:` (tcp, http or redis probes) to ~/.config/sov/config.yaml' };
      }
      const services = await Promise.all(targets.map((t) => probeService(t, now)));
      return { state: 'ok', data: { services } };
    },
    dispose() {},
  };
}
