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
import { GENESIS } from './chain.js';
import { AuthorityMemory } from './memory.js';
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

const BEGUN_MAX = 1000;

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
  return new RecoveryAuthority(o);
}

const lockdownEffect = (was: boolean) => (was ? 'the box was already in lockdown (the tripcode is used up)' : 'lockdown: the daemon refuses every T1+ request from any client until RECOVERY:UNLOCK');
const unlockEffect = (was: boolean) => (was ? 'unlocked: T1+ requests are allowed again' : 'the box was not in lockdown (the tripcode is used up)');

class RecoveryAuthority implements Authority {
  private readonly now: () => number;
  private readonly windowSec: number;
  private readonly skewSec: number;
  private readonly mem: AuthorityMemory;
  private readonly begun = new Map<string, BeginRequest>();
  private writer: AuditWriter | undefined;
  private key: Buffer | undefined;
  private auditError: string | undefined;

  constructor(private readonly o: AuthorityOptions) {
    this.now = o.now ?? Date.now;
    this.windowSec = o.config?.windowSec ?? 300;
    this.skewSec = o.config?.skewSec ?? 30;
    this.mem = new AuthorityMemory(this.windowSec + this.skewSec);
    this.open();
  }

  async status(): Promise<RecoveryStatus> {
    const { mem } = this;
    return { lockdown: mem.lockdown, ...(mem.since !== undefined ? { since: mem.since } : {}), auditEntries: this.writer?.lastSeq ?? mem.lastSeq, ...(this.auditError ? { auditError: this.auditError } : {}) };
  }

  async recent(n: number): Promise<unknown[]> { return this.mem.recent(n); }
  locked(): boolean { return this.mem.lockdown; }
  close(): void { this.writer?.close(); this.writer = undefined; }

  guard(action: string, args: Record<string, string>, who: Who): { ok: true } | { ok: false; code: RefusalCode; reason: string } {
    if (!this.mem.lockdown) return { ok: true };
    const reason = this.lockReason();
    this.record({ kind: 'refused', code: 'lockdown', reason, who, action, args, tier: 'T1', confirmation: { kind: 'none' } });
    return { ok: false, code: 'lockdown', reason };
  }

  async begin(req: BeginRequest): Promise<BeginReply> {
    if (!this.writer && !this.open()) return this.unwritable();
    if (this.mem.lockdown && req.tier !== 'T0') return this.refuseBegin(req, 'lockdown', this.lockReason());
    if (req.refused) return this.refuseBegin(req, req.refused.code, req.refused.reason);
    const failed = req.checks.filter((c) => c.state === 'fail');
    if (failed.length) return this.refuseBegin(req, 'precondition', `precondition failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
    if (!kindOk(req.tier, req.confirmation.kind)) return this.refuseBegin(req, 'confirmation', `${req.tier} needs ${NEEDS[req.tier]}; got ${req.confirmation.kind === 'none' ? 'no confirmation' : `a ${req.confirmation.kind} confirmation`}`);
    let facts: TripcodeFacts | undefined;
    if (req.tier === 'T3' && req.confirmation.kind === 'tripcode') {
      const v = this.verify(req.confirmation.payload);
      if (!v.ok) return this.refuseBegin(req, v.code, v.reason, v.facts);
      const on = req.remote ? req.host : undefined;
      if (!codeCovers(v.facts.code, req.action, req.args, on)) {
        return this.refuseBegin(req, 'tripcode-wrong-code', `the tripcode is for ${v.facts.code}, not for ${req.action} with these arguments${on !== undefined ? ` on ${on}` : ''} (that needs ${actionCode(req.action, req.args, on)}${on !== undefined ? `: sov tripcode code ${req.action} --host ${on}` : ''})`, v.facts);
      }
      facts = v.facts;
    }
    const e = this.record({ kind: 'begin', ...entryOf(req, facts) });
    if (!e) return this.unwritable();
    const id = String(e.seq);
    this.begun.set(id, req);
    if (this.begun.size > BEGUN_MAX) this.begun.delete(this.begun.keys().next().value!);
    if (req.action === 'box.lockdown') {
      // more restrictive in memory even if the lockdown entry cannot be written (then everything is refused anyway)
      this.record({ kind: 'lockdown', begin: id, who: req.who, reason: 'box.lockdown' });
      this.mem.lockdown = true;
      this.mem.since ??= this.now();
    }
    return { ok: true, id };
  }

  async end(req: EndRequest): Promise<void> {
    const b = this.begun.get(req.id);
    this.begun.delete(req.id);
    const e = this.record({
      kind: 'end', begin: req.id, outcome: req.outcome, message: req.message, durationMs: req.durationMs, post: req.post,
      ...(req.exitCode !== undefined ? { exitCode: req.exitCode } : {}),
      ...(b ? { who: b.who, host: b.host, action: b.action, args: b.args, tier: b.tier } : { reason: `no begin ${req.id} is open in this authority (it was restarted since?)` }),
    });
    if (!e) throw new Error(this.auditError ?? 'the audit log could not record the outcome');
  }

  async applyTripcode(payload: string, who: Who): Promise<TripcodeApply> {
    if (!this.writer && !this.open()) return this.unwritable();
    const v = this.verify(payload);
    const refused = (code: RefusalCode, reason: string, facts?: TripcodeFacts): TripcodeApply => {
      this.record({ kind: 'refused', code, reason, who, via: 'tripcode', confirmation: confFacts({ kind: 'tripcode', payload }, facts) });
      return { ok: false, code, reason };
    };
    if (!v.ok) return refused(v.code, v.reason, v.facts);
    const confirmation = { kind: 'tripcode', ...v.facts };
    const m = parseCode(v.facts.code);
    if (m.kind === 'lockdown' || m.kind === 'unlock') {
      const was = this.mem.lockdown;
      if (!this.record({ kind: m.kind, who, confirmation })) return this.unwritable();
      return { ok: true, code: v.facts.code, effect: m.kind === 'lockdown' ? lockdownEffect(was) : unlockEffect(was) };
    }
    if (m.kind !== 'action') return refused('tripcode-malformed', `malformed tripcode: ${m.kind === 'malformed' ? m.reason : 'unknown code'}`, v.facts);
    if (this.mem.lockdown) return refused('lockdown', this.lockReason(), v.facts);
    const args = m.args ?? {};
    if (!this.record({ kind: 'tripcode', who, confirmation, outcome: 'verified', action: m.id, args, reason: 'verified, not used up: the action consumes it when it begins' })) return this.unwritable();
    const effect = m.hash !== undefined
      ? `authorises ${m.id} with the arguments whose hash is ${m.hash} (give them with --arg k=v); not used up until it runs`
      : `authorises ${m.id}${Object.keys(args).length ? ` ${Object.entries(args).map(([k, x]) => `${k}=${x}`).join(' ')}` : ''}; not used up until it runs`;
    return { ok: true, code: v.facts.code, effect, action: { id: m.id, args } };
  }

  /** (re)opens the log and replays it; on failure everything above T0 is refused with the reason */
  private open(): boolean {
    const { o, mem } = this;
    this.close();
    mem.reset();
    try {
      ensurePrivateDir(o.stateDir);
      let k = readKey(keyPath(o.stateDir));
      if (!k.ok && k.missing) {
        initKey(o.stateDir);
        k = readKey(keyPath(o.stateDir));
      }
      if (!k.ok) throw new Error(k.reason);
      this.key = k.key;
      // the key and the signed head are made together: a head gone while the key stays is a removed log, not a new box
      if (!existsSync(join(o.stateDir, HEAD_FILE))) throw new Error(`${join(o.stateDir, HEAD_FILE)} is missing while the box key exists: the audit log (and with it the lockdown state and the used tripcodes) was removed; \`sov tripcode init --force\` starts a new log with a new key`);
      const opened = openAuditWriter({ stateDir: o.stateDir, key: k.key, now: this.now, visit: (v) => mem.replay(v), ...(o.maxFileBytes ? { maxFileBytes: o.maxFileBytes } : {}), ...(o.keepFiles ? { keepFiles: o.keepFiles } : {}) });
      // a log that does not verify: what its readable part said stays shown (a lockdown), but nothing is allowed
      if (!opened.ok) throw new Error(opened.reason);
      this.writer = opened.writer;
      this.auditError = undefined;
      return true;
    } catch (e) {
      this.auditError = `fail closed: ${(e as Error)?.message ?? String(e)}`;
      return false;
    }
  }

  /** appends one entry; undefined when it could not (the error is kept and the log re-opened next time) */
  private record(fields: EntryFields): AuditEntry | undefined {
    if (!this.writer && !this.open()) return undefined;
    try {
      const e = this.writer!.append(fields);
      this.mem.remember(e);
      return e;
    } catch (err) {
      this.auditError = `fail closed: the audit log could not be written: ${(err as Error)?.message ?? String(err)}`;
      this.close();
      return undefined;
    }
  }

  private verify(payload: string): Verified {
    const cooldowns = this.o.config?.cooldownSec ?? {};
    return verifyTripcode(payload, {
      ...(this.key ? { key: this.key } : {}), nowMs: this.now(), windowSec: this.windowSec, skewSec: this.skewSec,
      isUsed: (h) => this.mem.isUsed(h),
      lastUsedAt: (c) => this.mem.lastUsedAt(c),
      cooldownSec: (c) => cooldownFor(c, cooldowns),
    });
  }

  private unwritable(): { ok: false; code: 'audit-unwritable'; reason: string } {
    return { ok: false, code: 'audit-unwritable', reason: this.auditError ?? 'the audit log is not open' };
  }

  private lockReason(): string {
    const since = this.mem.since;
    return `the box is in lockdown${since !== undefined ? ` since ${new Date(since).toISOString()}` : ''}: every T1+ request is refused until a RECOVERY:UNLOCK tripcode (sov tripcode apply PAYLOAD)`;
  }

  private refuseBegin(req: BeginRequest, code: RefusalCode, reason: string, facts?: TripcodeFacts): BeginReply {
    const e = this.record({ kind: 'refused', code, reason, ...entryOf(req, facts) });
    return e ? { ok: false, code, reason } : { ok: false, code, reason: `${reason} (and it could not be recorded: ${this.auditError})` };
  }
}

function entryOf(req: BeginRequest, facts?: TripcodeFacts): Record<string, unknown> {
  return {
    who: req.who, host: req.host, action: req.action, args: req.args, tier: req.tier, checks: req.checks, dryRun: req.dryRun,
    confirmation: confFacts(req.confirmation, facts),
  };
}

/** who asked, for a request that reached the daemon without saying (its socket is 0600: the daemon's own user) */
export function daemonWho(): Who {
  let user = process.env.USER ?? '';
  try { user = userInfo().username; } catch {}
  return { uid: process.getuid?.() ?? -1, user, via: 'daemon' };
}
