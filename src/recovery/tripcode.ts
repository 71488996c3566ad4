/**
 * Tripcodes (issue 8, the turnkey-box seed's protocol): a payload `ts|code|sig` signed on the trusted side with
 * the box key, verified by the authority. Pure: sign, parse and verify read no clock and no file (the caller
 * hands in nowMs, the key and the replay/cooldown memory). The key file helpers at the end are the only I/O.
 *
 *   ts   unix seconds
 *   code a code of the vocabulary (src/recovery/codes.ts)
 *   sig  <8 hex: the key's fingerprint>.<64 hex: HMAC-SHA256(key, "ts|code")>
 *
 * The fingerprint lets a payload signed with another key ("wrong key") be told apart from one whose ts or code
 * was changed after signing ("tampered"); both compare in constant time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseCode } from './codes.js';
import type { RefusalCode } from './types.js';

export const KEY_FILE = 'tripcode.key';
export const KEY_BYTES = 32;
export const DEFAULT_WINDOW_SEC = 300;
export const DEFAULT_SKEW_SEC = 30;
/** cooldown per code when the config names none */
export const DEFAULT_COOLDOWN_SEC: Readonly<Record<string, number>> = { 'RECOVERY:LOCKDOWN': 0, 'RECOVERY:UNLOCK': 0, 'RECOVERY:PHOENIX': 600 };
export const DEFAULT_OTHER_COOLDOWN_SEC = 60;
const MAX_PAYLOAD_CHARS = 600;

export interface Tripcode {
  tsSec: number;
  code: string;
  /** the whole sig field */
  sig: string;
  fingerprint: string;
  mac: string;
}

export type Parsed = { ok: true; tc: Tripcode } | { ok: false; reason: string };

/** The first 8 hex digits of SHA-256 over the key: names a key without revealing it. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** SHA-256 of the sig field: what the audit log and the replay memory keep (never the key, never the sig itself). */
export function sigHash(sig: string): string {
  return createHash('sha256').update(sig).digest('hex');
}

const macOf = (key: Buffer, tsSec: number, code: string): string => createHmac('sha256', key).update(`${tsSec}|${code}`).digest('hex');

/** The payload for `code` at `tsSec`, signed with `key`. */
export function sign(key: Buffer, code: string, tsSec: number): string {
  const ts = Math.floor(tsSec);
  return `${ts}|${code}|${keyFingerprint(key)}.${macOf(key, ts, code)}`;
}

/** Splits a payload into its fields; never throws. Surrounding whitespace (a paste) is ignored. */
export function parseTripcode(payload: unknown): Parsed {
  if (typeof payload !== 'string') return { ok: false, reason: 'a tripcode is a string "ts|code|sig"' };
  const p = payload.trim();
  if (p.length === 0) return { ok: false, reason: 'empty tripcode' };
  if (p.length > MAX_PAYLOAD_CHARS) return { ok: false, reason: `tripcode too long (${p.length} characters; at most ${MAX_PAYLOAD_CHARS})` };
  if (/[^\x21-\x7e]/.test(p)) return { ok: false, reason: 'tripcode holds spaces or control characters (expected "ts|code|sig")' };
  const parts = p.split('|');
  if (parts.length !== 3) return { ok: false, reason: `expected 3 fields "ts|code|sig", got ${parts.length}` };
  const [ts, code, sig] = parts as [string, string, string];
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: `ts is not unix seconds: "${ts.slice(0, 20)}"` };
  const m = /^([0-9a-f]{8})\.([0-9a-f]{64})$/.exec(sig);
  if (!m) return { ok: false, reason: 'sig is not "<8 hex key fingerprint>.<64 hex HMAC-SHA256>"' };
  const meaning = parseCode(code);
  if (meaning.kind === 'malformed') return { ok: false, reason: meaning.reason };
  return { ok: true, tc: { tsSec: Number(ts), code, sig, fingerprint: m[1]!, mac: m[2]! } };
}

export interface VerifyOptions {
  /** the box key; absent: every tripcode is refused (tripcode-no-key) with `noKeyReason` */
  key?: Buffer;
  noKeyReason?: string;
  nowMs: number;
  windowSec?: number;
  skewSec?: number;
  /** whether a tripcode with this sigHash was already used */
  isUsed?(sigHash: string): boolean;
  /** epoch ms this code was last used, if ever */
  lastUsedAt?(code: string): number | undefined;
  /** seconds between two uses of one code */
  cooldownSec?(code: string): number;
}

/** what an audit entry may say about a tripcode: its code and ts and a hash of its sig, never the key */
export interface TripcodeFacts { code: string; ts: number; sigHash: string }

export type Verified =
  | { ok: true; facts: TripcodeFacts }
  | { ok: false; code: RefusalCode; reason: string; facts?: TripcodeFacts };

const eqHex = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/** Checks a payload: form, key, signature, time window, single use, cooldown, in that order; never throws. */
export function verifyTripcode(payload: unknown, o: VerifyOptions): Verified {
  const parsed = parseTripcode(payload);
  if (!parsed.ok) return { ok: false, code: 'tripcode-malformed', reason: `malformed tripcode: ${parsed.reason}` };
  const tc = parsed.tc;
  const facts: TripcodeFacts = { code: tc.code, ts: tc.tsSec, sigHash: sigHash(tc.sig) };
  const refuse = (code: RefusalCode, reason: string): Verified => ({ ok: false, code, reason, facts });
  if (!o.key) return refuse('tripcode-no-key', o.noKeyReason ?? 'this box has no tripcode key (sov tripcode init)');
  const fp = keyFingerprint(o.key);
  if (!eqHex(tc.fingerprint, fp)) return refuse('tripcode-wrong-key', `signed with another key (fingerprint ${tc.fingerprint}; this box's key is ${fp})`);
  if (!eqHex(tc.mac, macOf(o.key, tc.tsSec, tc.code))) return refuse('tripcode-tampered', 'the signature does not match its ts and code: the payload was changed after signing');
  const nowSec = Math.floor(o.nowMs / 1000);
  const windowSec = o.windowSec ?? DEFAULT_WINDOW_SEC;
  const skewSec = o.skewSec ?? DEFAULT_SKEW_SEC;
  if (tc.tsSec - nowSec > skewSec) return refuse('tripcode-future', `signed ${tc.tsSec - nowSec} s in the future (clock skew allowed: ${skewSec} s): check the trusted side's clock`);
  if (nowSec - tc.tsSec > windowSec) return refuse('tripcode-expired', `expired: signed ${nowSec - tc.tsSec} s ago (valid for ${windowSec} s): sign a new one`);
  if (o.isUsed?.(facts.sigHash)) return refuse('tripcode-replayed', 'already used: a tripcode works once');
  const last = o.lastUsedAt?.(tc.code);
  const cool = o.cooldownSec?.(tc.code) ?? cooldownFor(tc.code, {});
  if (last !== undefined && cool > 0 && o.nowMs - last < cool * 1000) {
    return refuse('tripcode-cooldown', `${tc.code} was used ${Math.floor((o.nowMs - last) / 1000)} s ago; it may be used again in ${Math.ceil((last + cool * 1000 - o.nowMs) / 1000)} s (cooldown ${cool} s)`);
  }
  return { ok: true, facts };
}

/** The cooldown of a code: the config's value for the exact code, then for its base (`RECOVERY:REVERT_SNAPSHOT`, `ACTION`), then the defaults. */
export function cooldownFor(code: string, configured: Readonly<Record<string, number>>): number {
  const base = code.split('::')[0]!;
  return configured[code] ?? configured[base] ?? DEFAULT_COOLDOWN_SEC[code] ?? DEFAULT_COOLDOWN_SEC[base] ?? DEFAULT_OTHER_COOLDOWN_SEC;
}

// ---------------------------------------------------------------------------------------------------- the key file

export type KeyRead = { ok: true; key: Buffer; fingerprint: string; path: string } | { ok: false; missing: boolean; reason: string; path: string };

export const keyPath = (stateDir: string): string => join(stateDir, KEY_FILE);

/**
 * Reads `<stateDir>/tripcode.key` (64 hex digits): refuses a symlink, a file of another user, and a file that
 * group or others may read or write, saying which.
 */
export function readKey(path: string): KeyRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, path, reason: `no tripcode key at ${path} (sov tripcode init makes one)` };
    if (code === 'ELOOP') return { ok: false, missing: false, path, reason: `${path} is a symlink: refused` };
    return { ok: false, missing: false, path, reason: `cannot read ${path}: ${(e as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, missing: false, path, reason: `${path} is not a regular file` };
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) return { ok: false, missing: false, path, reason: `${path} belongs to uid ${st.uid}, not to this user (${uid}): refused` };
    if ((st.mode & 0o077) !== 0) return { ok: false, missing: false, path, reason: `${path} is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8)}): refused; chmod 600 it (and consider the key leaked: sov tripcode init --force)` };
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) return { ok: false, missing: false, path, reason: `${path} does not hold a key (64 hex digits)` };
    const key = Buffer.from(text, 'hex');
    return { ok: true, key, fingerprint: keyFingerprint(key), path };
  } finally {
    closeSync(fd);
  }
}

/** 32 fresh random bytes, as the key file holds them (hex and a newline). */
export function newKeyText(): string {
  return randomBytes(KEY_BYTES).toString('hex') + '\n';
}
