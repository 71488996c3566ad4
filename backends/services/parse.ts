/**
 * Pure, total helpers for the service probes: the answer to a Redis PING (RESP), and one-line reasons for socket
 * errors. Nothing here throws.
 */
import { sanitize } from '../../src/text/sanitize.js';

export type RedisReply =
  | { state: 'pong' }
  /** a complete reply that is not +PONG: an error (-NOAUTH …) or something else */
  | { state: 'other'; message: string }
  /** not a complete line yet */
  | { state: 'partial' };

/** Reads the reply to `PING` from what has arrived so far: `+PONG\r\n`, `-NOAUTH Authentication required.\r\n`, … */
export function parseRedisReply(buf: string): RedisReply {
  const end = buf.indexOf('\r\n');
  if (end < 0) return buf.length > 512 ? { state: 'other', message: `not a Redis answer: "${printable(buf.slice(0, 40))}"` } : { state: 'partial' };
  const line = buf.slice(0, end);
  if (line === '+PONG') return { state: 'pong' };
  if (line.startsWith('-')) {
    const msg = printable(line.slice(1));
    // -NOAUTH / -WRONGPASS: the server is there and answered, but wants a password
    return { state: 'other', message: /^NOAUTH|^WRONGPASS/.test(msg) ? `answers, but needs a password (${msg})` : `Redis error: ${msg}` };
  }
  if (/^HTTP\//.test(line)) return { state: 'other', message: 'an HTTP server, not Redis' };
  return { state: 'other', message: `unexpected answer to PING: "${printable(line.slice(0, 40))}"` };
}

function printable(s: string): string {
  return sanitize(s).replace(/\n/g, '').trim();
}

/** A socket/HTTP error as one short line. */
export function socketErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  switch (err?.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return 'connection reset';
    case 'EHOSTUNREACH': return 'host unreachable';
    case 'ENETUNREACH': return 'network unreachable';
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot resolve ${(err as { hostname?: string }).hostname ?? 'the host'}`;
    case 'EPIPE': return 'connection closed while writing';
    case 'ETIMEDOUT': return 'timed out';
    default: {
      const m = err instanceof Error ? err.message : String(e);
      return printable(m).slice(0, 160) || 'failed';
    }
  }
}

/** "timed out after 3 s" / "after 500 ms" */
export function timeoutText(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `timed out after ${ms / 1000} s` : `timed out after ${Math.round(ms)} ms`;
}

/** What a probe is pointed at, for the panel. */
export function targetText(p: { kind: string; host?: string; port?: number; url?: string }): string {
  if (p.url !== undefined) return p.url;
  const host = p.host ?? '127.0.0.1';
  return `${host.includes(':') ? `[${host}]` : host}:${p.port ?? '?'}`;
}
