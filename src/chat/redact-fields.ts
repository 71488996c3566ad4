/**
 * Redaction of a value about to be serialised: every string in it is redacted on its own (src/text/redact.ts), and
 * a field whose name is a key's (authorization, api_key, …) holds `[redacted]`. Redacting the JSON text instead
 * breaks it: a header-value pattern swallows the backslash of an escaped `\"` or `\n`.
 */
import { redact, REDACTED } from '../text/redact.js';

const KEY_FIELD = /^(?:(?:proxy-)?authorization|x-api-key|api[-_]?key)$/i;

/** A copy of `v` with every string redacted; not-plain objects (Date, Map, class instances) are left as they are. */
export function redactFields<T>(v: T): T {
  return walk(v) as T;
}

function walk(v: unknown): unknown {
  if (typeof v === 'string') return redact(v);
  if (Array.isArray(v)) return v.map(walk);
  if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = KEY_FIELD.test(k) && typeof x === 'string' ? REDACTED : walk(x);
  return out;
}
