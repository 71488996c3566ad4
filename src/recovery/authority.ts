/**
 * The recovery authority (issue 8): the one writer of the audit log and the tripcode memory. The daemon serves it
 * over RPC (recovery.*); the demo box runs it in-process on demoStateDir(). Everything it remembers — lockdown,
 * used tripcodes (single use), each code's last use (cooldown) — is replayed from the audit log itself when it
 * opens, so no extra state file can vanish and unlock the box or allow a replay. A log that does not verify, a
 * missing or loose key, or a write that fails: nothing above T0 is allowed (fail closed), and status() says why.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from '../daemon/paths.js';
import { openAuditWriter, writeAtomicSync, writeHead, AUDIT_FILE, HEAD_FILE, type AuditEntry, type AuditWriter, type EntryFields } from './audit.js';
import { GENESIS, type Visited } from './chain.js';
import { actionCode, codeCovers, parseCode } from './codes.js';
import { cooldownFor, keyPath, newKeyText, parseTripcode, readKey, verifyTripcode, type TripcodeFacts, type Verified } from './tripcode.js';
import type { BeginReply, BeginRequest, Confirmation, EndRequest, RecoveryLink, RecoveryStatus, RefusalCode, TripcodeApply, Who } from './types.js';

export interface TripcodeSettings {
  windowSec?: number;
  skewSec?: number;
  /** seconds between two uses of one code (exact code, or its base like RECOVERY:REVERT_SNAPSHOT) */
  cooldownSec?: Record<string, number>;
}

export interface AuthorityOptions {
  stateDir: string;
  now?: () => number;
  config?: TripcodeSettings;
  maxFileBytes?: number;
  keepFiles?: number;
}

export interface Authority extends RecoveryLink {
  locked(): boolean;
  /** a T1+ request that reached the daemon directly (engines.start …): refused and recorded while locked */
  guard(action: string, args: Record<string, string>, who: Who): { ok: true } | { ok: false; code: RefusalCode; reason: string };
  close(): void;
}

/** The demo box's state dir: `${TMPDIR:-/tmp}/sov-demo-<uid>` (made 0700 when the authority opens it). */
export function demoStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.TMPDIR || '/tmp', `sov-demo-${process.getuid?.() ?? 'user'}`);
}

const RECENT_MAX = 500;
const BEGUN_MAX = 1000;
/** entries that use up a tripcode (a refusal does not; an action code shown by applyTripcode neither) */
const CONSUMING = new Set(['begin', 'lockdown', 'unlock']);

/**
 * What the log may say about a confirmation: never a key; for a tripcode its code, ts and a hash of its sig — the
 * sigHash only once verified (the replay treats an entry with one as having used it up), else a hash of the payload.
 */
function confFacts(c: Confirmation, facts?: TripcodeFacts): Record<string, unknown> {
  if (c.kind !== 'tripcode') return { ...c };
  if (facts) return { kind: 'tripcode', ...facts };
  const p = parseTripcode(c.payload);
  const payloadHash = createHash('sha256').update(c.payload).digest('hex');
  return p.ok ? { kind: 'tripcode', unverified: true, code: p.tc.code, ts: p.tc.tsSec, payloadHash } : { kind: 'tripcode', malformed: true, payloadHash };
}

const kindOk = (tier: BeginRequest['tier'], kind: Confirmation['kind']): boolean =>
  tier === 'T0' || (tier === 'T1' ? kind === 'yes' || kind === 'typed' || kind === 'tripcode' : tier === 'T2' ? kind === 'typed' : kind === 'tripcode');
const NEEDS = { T0: 'nothing', T1: 'a yes', T2: 'the target typed', T3: 'a tripcode' } as const;

/**
 * Creates the box key (and the empty log's signed head) when the state dir holds neither key nor log: a new box.
 * `force` replaces a key (the daemon must be stopped: the writer's lock is taken); the head is re-signed with it.
 */
export function initKey(stateDir: string, force = false): { created: boolean; fingerprint: string; reason?: string } {
  ensurePrivateDir(stateDir);
  const existing = readKey(keyPath(stateDir));
  if (existing.ok && !force) return { created: false, fingerprint: existing.fingerprint };
  if (!existing.ok && !existing.missing && !force) throw new Error(existing.reason);
  const hasLog = existsSync(join(stateDir, HEAD_FILE)) || existsSync(join(stateDir, AUDIT_FILE));
  if (!force && hasLog) throw new Error(`${keyPath(stateDir)} is missing but the audit log exists: the key was removed (sov tripcode init --force makes a new one and re-signs the log's head, if the chain verifies)`);
  const text = newKeyText();
  const key = Buffer.from(text.trim(), 'hex');
  if (hasLog) {
    // re-sign the head with the new key: only a chain that holds together under its old head is carried over
    const opened = openAuditWriter({ stateDir, key: existing.ok ? existing.key : key });
    if (!opened.ok) throw new Error(`cannot re-key: ${opened.reason}`);
    const r = opened.read;
    writeAtomicSync(keyPath(stateDir), text);
    writeHead(stateDir, key, { seq: r.lastSeq, hash: r.lastHash, firstSeq: r.head?.firstSeq ?? r.firstSeq ?? 1, adopted: r.head?.adopted ?? [] });
    opened.writer.close();
  } else {
    writeAtomicSync(keyPath(stateDir), text);
    writeHead(stateDir, key, { seq: 0, hash: GENESIS, firstSeq: 1, adopted: [] });
  }
  const made = readKey(keyPath(stateDir));
  if (!made.ok) throw new Error(made.reason);
  return { created: true, fingerprint: made.fingerprint };
}

export function createAuthority(o: AuthorityOptions): Authority {
  const now = o.now ?? Date.now;
  const cfg = o.config ?? {};
  const windowSec = cfg.windowSec ?? 300;
  const skewSec = cfg.skewSec ?? 30;
  let writer: AuditWriter | undefined;
  let key: Buffer | undefined;
  let auditError: string | undefined;
  let lockdown = false;
  let since: number | undefined;
  let knownEntries = 0;
  const used = new Map<string, number>();
  const lastUsed = new Map<string, number>();
  /** the newest entries, as lines while replaying (parsed when asked for) or as written */
  const recentRing: (string | AuditEntry)[] = [];
  const begun = new Map<string, BeginRequest>();

  const pruneUsed = () => {
    if (used.size < 10_000) return;
    const oldest = Math.floor(now() / 1000) - windowSec - skewSec - 60;
    for (const [h, ts] of used) if (ts < oldest) used.delete(h);
  };
  const apply = (e: Record<string, unknown>) => {
    const at = Date.parse(String(e.at));
    if (e.kind === 'lockdown') { lockdown = true; since = at; }
    if (e.kind === 'unlock') { lockdown = false; since = undefined; }
    const c = e.confirmation as { kind?: unknown; code?: unknown; ts?: unknown; sigHash?: unknown } | undefined;
    if (CONSUMING.has(String(e.kind)) && c?.kind === 'tripcode' && typeof c.sigHash === 'string' && typeof c.code === 'string') {
      used.set(c.sigHash, typeof c.ts === 'number' ? c.ts : 0);
      lastUsed.set(c.code, at);
      pruneUsed();
    }
  };
  const keep = (x: string | AuditEntry, seq: number) => {
    recentRing.push(x);
    if (recentRing.length > RECENT_MAX) recentRing.shift();
    knownEntries = seq;
  };
  /** replay: only lockdown/unlock and entries that used a tripcode change the state; the rest are not parsed */
  const replay = (v: Visited) => {
    if (v.line.includes('"kind":"lockdown"') || v.line.includes('"kind":"unlock"') || v.line.includes('"kind":"tripcode"')) {
      try { apply(JSON.parse(v.line) as Record<string, unknown>); } catch {}
    }
    keep(v.line, v.seq);
  };
  const remember = (e: AuditEntry) => { apply(e); keep(e, e.seq); };
  const parsed = (x: string | AuditEntry): unknown => { if (typeof x !== 'string') return x; try { return JSON.parse(x); } catch { return { unreadable: x.slice(0, 200) }; } };

  /** (re)opens the log and replays it; on failure everything above T0 is refused with the reason */
  const open = (): boolean => {
    writer?.close();
    writer = undefined;
    lockdown = false; since = undefined; used.clear(); lastUsed.clear(); recentRing.length = 0;
    try {
      ensurePrivateDir(o.stateDir);
      let k = readKey(keyPath(o.stateDir));
      if (!k.ok && k.missing) {
        initKey(o.stateDir);
        k = readKey(keyPath(o.stateDir));
      }
      if (!k.ok) throw new Error(k.reason);
      key = k.key;
      // the key and the signed head are made together: a head gone while the key stays is a removed log, not a new box
      if (!existsSync(join(o.stateDir, HEAD_FILE))) throw new Error(`${join(o.stateDir, HEAD_FILE)} is missing while the box key exists: the audit log (and with it the lockdown state and the used tripcodes) was removed; \`sov tripcode init --force\` starts a new log with a new key`);
      const opened = openAuditWriter({ stateDir: o.stateDir, key: k.key, now, visit: replay, ...(o.maxFileBytes ? { maxFileBytes: o.maxFileBytes } : {}), ...(o.keepFiles ? { keepFiles: o.keepFiles } : {}) });
      if (!opened.ok) {
        // keep what the readable part said (a lockdown stays shown), but allow nothing
        if (opened.read?.head && opened.read.head.seq > knownEntries) knownEntries = opened.read.head.seq;
        throw new Error(opened.reason);
      }
      writer = opened.writer;
      knownEntries = writer.lastSeq;
      auditError = undefined;
      return true;
    } catch (e) {
      auditError = `fail closed: ${(e as Error)?.message ?? String(e)}`;
      return false;
    }
  };

  /** appends one entry; undefined when it could not (the error is kept and the log re-opened next time) */
  const record = (fields: EntryFields): AuditEntry | undefined => {
    if (!writer && !open()) return undefined;
    try {
      const e = writer!.append(fields);
      remember(e);
      return e;
    } catch (err) {
      auditError = `fail closed: the audit log could not be written: ${(err as Error)?.message ?? String(err)}`;
      writer?.close();
      writer = undefined;
      return undefined;
    }
  };

  const verify = (payload: string): Verified => verifyTripcode(payload, {
    ...(key ? { key } : {}), nowMs: now(), windowSec, skewSec,
    isUsed: (h) => used.has(h),
    lastUsedAt: (c) => lastUsed.get(c),
    cooldownSec: (c) => cooldownFor(c, cfg.cooldownSec ?? {}),
  });

  const unwritable = (): { ok: false; code: 'audit-unwritable'; reason: string } => ({ ok: false, code: 'audit-unwritable', reason: auditError ?? 'the audit log is not open' });
  const lockReason = () => `the box is in lockdown${since !== undefined ? ` since ${new Date(since).toISOString()}` : ''}: every T1+ request is refused until a RECOVERY:UNLOCK tripcode (sov tripcode apply PAYLOAD)`;

  const refuseBegin = (req: BeginRequest, code: RefusalCode, reason: string, facts?: TripcodeFacts): BeginReply => {
    const e = record({ kind: 'refused', code, reason, ...entryOf(req, facts) });
    return e ? { ok: false, code, reason } : { ok: false, code, reason: `${reason} (and it could not be recorded: ${auditError})` };
  };
  const entryOf = (req: BeginRequest, facts?: TripcodeFacts) => ({
    who: req.who, host: req.host, action: req.action, args: req.args, tier: req.tier, checks: req.checks, dryRun: req.dryRun,
    confirmation: confFacts(req.confirmation, facts),
  });

  const begin = async (req: BeginRequest): Promise<BeginReply> => {
    if (!writer && !open()) return unwritable();
    if (lockdown && req.tier !== 'T0') return refuseBegin(req, 'lockdown', lockReason());
    const failed = req.checks.filter((c) => c.state === 'fail');
    if (failed.length) return refuseBegin(req, 'precondition', `precondition failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
    if (!kindOk(req.tier, req.confirmation.kind)) return refuseBegin(req, 'confirmation', `${req.tier} needs ${NEEDS[req.tier]}; got ${req.confirmation.kind === 'none' ? 'no confirmation' : `a ${req.confirmation.kind} confirmation`}`);
    let facts: TripcodeFacts | undefined;
    if (req.tier === 'T3' && req.confirmation.kind === 'tripcode') {
      const v = verify(req.confirmation.payload);
      if (!v.ok) return refuseBegin(req, v.code, v.reason, v.facts);
      if (!codeCovers(v.facts.code, req.action, req.args)) return refuseBegin(req, 'tripcode-wrong-code', `the tripcode is for ${v.facts.code}, not for ${req.action} with these arguments (that needs ${actionCode(req.action, req.args)})`, v.facts);
      facts = v.facts;
    }
    const e = record({ kind: 'begin', ...entryOf(req, facts) });
    if (!e) return unwritable();
    const id = String(e.seq);
    begun.set(id, req);
    if (begun.size > BEGUN_MAX) begun.delete(begun.keys().next().value!);
    if (req.action === 'box.lockdown') {
      // more restrictive in memory even if the lockdown entry cannot be written (then everything is refused anyway)
      record({ kind: 'lockdown', begin: id, who: req.who, reason: 'box.lockdown' });
      lockdown = true;
      since ??= now();
    }
    return { ok: true, id };
  };

  const end = async (req: EndRequest): Promise<void> => {
    const b = begun.get(req.id);
    begun.delete(req.id);
    const e = record({
      kind: 'end', begin: req.id, outcome: req.outcome, message: req.message, durationMs: req.durationMs, post: req.post,
      ...(req.exitCode !== undefined ? { exitCode: req.exitCode } : {}),
      ...(b ? { who: b.who, host: b.host, action: b.action, args: b.args, tier: b.tier } : { reason: `no begin ${req.id} is open in this authority (it was restarted since?)` }),
    });
    if (!e) throw new Error(auditError ?? 'the audit log could not record the outcome');
  };

  const applyTripcode = async (payload: string, who: Who): Promise<TripcodeApply> => {
    if (!writer && !open()) return unwritable();
    const v = verify(payload);
    const refused = (code: RefusalCode, reason: string, facts?: TripcodeFacts): TripcodeApply => {
      record({ kind: 'refused', code, reason, who, via: 'tripcode', confirmation: confFacts({ kind: 'tripcode', payload }, facts) });
      return { ok: false, code, reason };
    };
    if (!v.ok) return refused(v.code, v.reason, v.facts);
    const confirmation = { kind: 'tripcode', ...v.facts };
    const m = parseCode(v.facts.code);
    if (m.kind === 'lockdown' || m.kind === 'unlock') {
      const was = lockdown;
      if (!record({ kind: m.kind, who, confirmation })) return unwritable();
      if (m.kind === 'lockdown') {
        return { ok: true, code: v.facts.code, effect: was ? 'the box was already in lockdown (the tripcode is used up)' : 'lockdown: the daemon refuses every T1+ request from any client until RECOVERY:UNLOCK' };
      }
      return { ok: true, code: v.facts.code, effect: was ? 'unlocked: T1+ requests are allowed again' : 'the box was not in lockdown (the tripcode is used up)' };
    }
    if (m.kind !== 'action') return refused('tripcode-malformed', `malformed tripcode: ${m.kind === 'malformed' ? m.reason : 'unknown code'}`, v.facts);
    if (lockdown) return refused('lockdown', lockReason(), v.facts);
    const args = m.args ?? {};
    if (!record({ kind: 'tripcode', who, confirmation, outcome: 'verified', action: m.id, args, reason: 'verified, not used up: the action consumes it when it begins' })) return unwritable();
    const effect = m.hash !== undefined
      ? `authorises ${m.id} with the arguments whose hash is ${m.hash} (give them with --arg k=v); not used up until it runs`
      : `authorises ${m.id}${Object.keys(args).length ? ` ${Object.entries(args).map(([k, x]) => `${k}=${x}`).join(' ')}` : ''}; not used up until it runs`;
    return { ok: true, code: v.facts.code, effect, action: { id: m.id, args } };
  };

  open();
  return {
    status: async (): Promise<RecoveryStatus> => ({ lockdown, ...(since !== undefined ? { since } : {}), auditEntries: writer?.lastSeq ?? knownEntries, ...(auditError ? { auditError } : {}) }),
    begin, end, applyTripcode,
    recent: async (n: number) => { const k = Math.max(0, Math.min(RECENT_MAX, Math.floor(n) || 0)); return k ? recentRing.slice(-k).map(parsed) : []; },
    locked: () => lockdown,
    guard(action, args, who) {
      if (!lockdown) return { ok: true };
      const reason = lockReason();
      record({ kind: 'refused', code: 'lockdown', reason, who, action, args, tier: 'T1', confirmation: { kind: 'none' } });
      return { ok: false, code: 'lockdown', reason };
    },
    close() { writer?.close(); writer = undefined; },
  };
}

/** who asked, for a request that reached the daemon without saying (its socket is 0600: the daemon's own user) */
export function daemonWho(): Who {
  let user = process.env.USER ?? '';
  try { user = userInfo().username; } catch {}
  return { uid: process.getuid?.() ?? -1, user, via: 'daemon' };
}
