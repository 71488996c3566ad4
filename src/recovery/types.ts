/**
 * The recovery contract (issue 8): how an action above T0 is checked, confirmed, recorded and verified.
 *
 *   key / palette / `sov do`  →  when()  →  checks() (preconditions, shown)  →  confirmation by tier
 *     T0 none · T1 y/N · T2 the target's name typed · T3 a signed tripcode
 *   →  RecoveryLink.begin() (the authority: lockdown, tripcode verification, an audit entry; refuses fail-closed)
 *   →  run()  →  verify() (postconditions)  →  RecoveryLink.end() (outcome, exit code, duration, postconditions)
 *
 * The authority (src/recovery/authority.ts) is the one writer of the audit log and the tripcode memory: the daemon
 * serves it over RPC; the demo box runs it in-process on a temp state dir. Actions run where they were asked for
 * (the cockpit or `sov do`), through the Runner of the host they act on.
 */
import type { Tier } from '../actions/types.js';

/** A precondition or postcondition, with the reading it used. `unknown` never counts as a pass. */
export interface CheckResult {
  name: string;
  state: 'pass' | 'fail' | 'unknown';
  /** the evidence or the reason: "tank: 31 % free (≥ 10 % needed)" */
  detail: string;
}

export type Confirmation =
  | { kind: 'none' }
  /** T1: the operator said yes (y in the cockpit, --yes headless) */
  | { kind: 'yes' }
  /** T2: the operator typed the target's name */
  | { kind: 'typed'; text: string }
  /** T3: a payload `ts|code|sig` (the key itself is never sent, stored or logged) */
  | { kind: 'tripcode'; payload: string };

/** who asked: written into every audit entry */
export interface Who {
  uid: number;
  user: string;
  tty?: string;
  /** $SSH_CONNECTION when present */
  ssh?: string;
  /** the cockpit, `sov do`, `sov tripcode`, the daemon's own watchdogs */
  via: 'cockpit' | 'cli' | 'daemon' | 'demo';
}

export interface BeginRequest {
  action: string;
  args: Record<string, string>;
  tier: Tier;
  /** the host the action acts on */
  host: string;
  /** it acts on another host than this machine (over SSH): a tripcode must be made for that host */
  remote?: boolean;
  who: Who;
  checks: CheckResult[];
  /** exactly what was shown before the confirm: the argv, the script's plan output */
  dryRun: string;
  confirmation: Confirmation;
  /** the client already refused it (a precondition that failed or is unknown, a confirmation that did not match): the authority records that reason and nothing runs */
  refused?: { code: 'precondition' | 'confirmation'; reason: string };
}

/** why the authority refused; each has its own words and its own audit entry */
export type RefusalCode =
  | 'lockdown' | 'precondition' | 'confirmation'
  | 'tripcode-malformed' | 'tripcode-wrong-key' | 'tripcode-tampered' | 'tripcode-expired' | 'tripcode-future'
  | 'tripcode-replayed' | 'tripcode-cooldown' | 'tripcode-wrong-code' | 'tripcode-no-key'
  | 'audit-unwritable';

export type BeginReply = { ok: true; id: string } | { ok: false; code: RefusalCode; reason: string };

export type Outcome = 'ok' | 'failed' | 'cancelled' | 'post-failed';

export interface EndRequest {
  id: string;
  outcome: Outcome;
  message: string;
  exitCode?: number;
  durationMs: number;
  post: CheckResult[];
}

export interface RecoveryStatus {
  lockdown: boolean;
  /** epoch ms the lockdown began */
  since?: number;
  /** audit entries so far, and whether the last append failed (fail closed: nothing above T0 runs) */
  auditEntries: number;
  auditError?: string;
}

/** `RECOVERY:LOCKDOWN`, `RECOVERY:UNLOCK` … applied by the authority itself, or mapped onto an action */
export type TripcodeApply =
  | { ok: true; code: string; effect: string; action?: { id: string; args: Record<string, string> } }
  | { ok: false; code: RefusalCode; reason: string };

/** The authority as a client sees it: the daemon over RPC, or in-process on the demo box. */
export interface RecoveryLink {
  status(): Promise<RecoveryStatus>;
  begin(req: BeginRequest): Promise<BeginReply>;
  end(req: EndRequest): Promise<void>;
  /**
   * `sov tripcode apply` / pasting into the cockpit: LOCKDOWN and UNLOCK take effect in the authority; the
   * others name the action they stand for (the client then performs it with this payload as its confirmation).
   */
  applyTripcode(payload: string, who: Who): Promise<TripcodeApply>;
  /** the newest audit entries (for the Audit panel), newest last */
  recent(n: number): Promise<unknown[]>;
}
