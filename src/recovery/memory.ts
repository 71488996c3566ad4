/**
 * What the authority remembers, derived from the audit entries alone (pure: entries in, state out): lockdown on or
 * off and since when, which tripcodes were used (by sigHash: single use) and when each code was last used
 * (cooldown), and the newest entries. Replaying the log through it on open rebuilds exactly what the running
 * authority had, so no other state file exists to vanish.
 */
import type { Visited } from './chain.js';

/** entries that use up a tripcode (a refusal does not; an action code shown by applyTripcode neither) */
const CONSUMING = new Set(['begin', 'lockdown', 'unlock']);
export const RECENT_MAX = 500;
/** used tripcodes kept before the expired ones are dropped */
const USED_PRUNE_AT = 10_000;

type Entry = Record<string, unknown>;

export class AuthorityMemory {
  lockdown = false;
  /** epoch ms the lockdown began */
  since: number | undefined;
  /** seq of the newest entry seen */
  lastSeq = 0;
  private readonly used = new Map<string, number>();
  private readonly lastUsed = new Map<string, number>();
  /** the newest entries: lines while replaying (parsed when asked for), objects as written */
  private readonly ring: (string | Entry)[] = [];

  /** @param keepUsedSec how long a used tripcode must be remembered at least (its window + skew) */
  constructor(private readonly keepUsedSec: number) {}

  reset(): void {
    this.lockdown = false;
    this.since = undefined;
    this.lastSeq = 0;
    this.used.clear();
    this.lastUsed.clear();
    this.ring.length = 0;
  }

  /** one entry the authority just wrote */
  remember(e: Entry & { seq: number }): void {
    this.apply(e);
    this.keep(e, e.seq);
  }

  /** one entry of the log on open: only lockdown/unlock and tripcode entries change the state, the rest are not parsed */
  replay(v: Visited): void {
    if (v.line.includes('"kind":"lockdown"') || v.line.includes('"kind":"unlock"') || v.line.includes('"kind":"tripcode"')) {
      try { this.apply(JSON.parse(v.line) as Entry); } catch {}
    }
    this.keep(v.line, v.seq);
  }

  isUsed(sigHash: string): boolean { return this.used.has(sigHash); }
  lastUsedAt(code: string): number | undefined { return this.lastUsed.get(code); }

  /** the newest n entries (at most RECENT_MAX), oldest first */
  recent(n: number): unknown[] {
    const k = Math.max(0, Math.min(RECENT_MAX, Math.floor(n) || 0));
    if (k === 0) return [];
    return this.ring.slice(-k).map((x) => { if (typeof x !== 'string') return x; try { return JSON.parse(x) as unknown; } catch { return { unreadable: x.slice(0, 200) }; } });
  }

  private apply(e: Entry): void {
    const at = Date.parse(String(e.at));
    if (e.kind === 'lockdown') { this.lockdown = true; this.since = at; }
    if (e.kind === 'unlock') { this.lockdown = false; this.since = undefined; }
    const c = e.confirmation as { kind?: unknown; code?: unknown; ts?: unknown; sigHash?: unknown } | undefined;
    // only a verified tripcode carries a sigHash (see confFacts in authority.ts)
    if (CONSUMING.has(String(e.kind)) && c?.kind === 'tripcode' && typeof c.sigHash === 'string' && typeof c.code === 'string') {
      this.used.set(c.sigHash, typeof c.ts === 'number' ? c.ts : 0);
      this.lastUsed.set(c.code, at);
      if (this.used.size > USED_PRUNE_AT) this.prune(at);
    }
  }

  /** a tripcode signed before now − window − skew is refused as expired anyway: it need not be remembered */
  private prune(atMs: number): void {
    const oldest = Math.floor(atMs / 1000) - this.keepUsedSec - 60;
    for (const [h, ts] of this.used) if (ts < oldest) this.used.delete(h);
  }

  private keep(x: string | Entry, seq: number): void {
    this.ring.push(x);
    if (this.ring.length > RECENT_MAX) this.ring.shift();
    this.lastSeq = seq;
  }
}
