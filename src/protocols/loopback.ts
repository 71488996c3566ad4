/**
 * Is this host loopback? Pure: never resolves anything. Used by the HTTP client's blackout (only loopback is
 * reached) and by the chat's providers.
 */
import { isIP } from 'node:net';

/** True for loopback IP literals and 'localhost' (and *.localhost, RFC 6761). Never resolves anything. */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isLoopbackAddress(h);
}

/** True for an IP address literal in 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. */
export function isLoopbackAddress(addr: string): boolean {
  let a = addr.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const v = isIP(a);
  if (v === 4) return a.startsWith('127.');
  if (v === 6) {
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
    const m = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    return m !== null && m[1] !== undefined && m[1].startsWith('127.');
  }
  return false;
}
