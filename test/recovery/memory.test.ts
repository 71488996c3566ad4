import { describe, expect, it } from 'vitest';
import { AuthorityMemory } from '../../src/recovery/memory.js';

const at = (s: number) => new Date(1_800_000_000_000 + s * 1000).toISOString();
const tc = (code: string, sigHash: string, extra: Record<string, unknown> = {}) => ({ kind: 'tripcode', code, ts: 1_800_000_000, sigHash, ...extra });
/** an event sequence as the log holds it */
const events = [
  { seq: 1, at: at(0), kind: 'refused', code: 'tripcode-tampered', confirmation: tc('RECOVERY:LOCKDOWN', 'h0') },
  { seq: 2, at: at(1), kind: 'lockdown', confirmation: tc('RECOVERY:LOCKDOWN', 'h1') },
  { seq: 3, at: at(2), kind: 'refused', code: 'lockdown', action: 'engine.start' },
  { seq: 4, at: at(3), kind: 'unlock', confirmation: tc('RECOVERY:UNLOCK', 'h2') },
  { seq: 5, at: at(4), kind: 'tripcode', outcome: 'verified', confirmation: tc('RECOVERY:PHOENIX', 'h3') },
  { seq: 6, at: at(5), kind: 'begin', action: 'engine.restart', confirmation: { kind: 'tripcode', unverified: true, code: 'RECOVERY:PHOENIX', payloadHash: 'p' } },
  { seq: 7, at: at(6), kind: 'begin', action: 'stack.phoenix', confirmation: tc('RECOVERY:PHOENIX', 'h3') },
  { seq: 8, at: at(7), kind: 'box', note: 'kinds it does not know change nothing' },
];

describe('AuthorityMemory: state from the audit entries alone', () => {
  const states = (m: AuthorityMemory) => ({ lockdown: m.lockdown, since: m.since, used: ['h0', 'h1', 'h2', 'h3'].filter((h) => m.isUsed(h)), phoenix: m.lastUsedAt('RECOVERY:PHOENIX'), seq: m.lastSeq });

  it('steps through the sequence: lockdown on and off, which tripcodes are used up and when', () => {
    const m = new AuthorityMemory(330);
    const seen = events.map((e) => { m.remember(e); return states(m); });
    expect(seen.map((s) => s.lockdown)).toEqual([false, true, true, false, false, false, false, false]);
    expect(seen[1]!.since).toBe(Date.parse(at(1)));
    expect(seen[3]!.since).toBeUndefined();
    // a refusal and a verified-but-not-begun action code use nothing up; an unverified payload neither
    expect(seen[0]!.used).toEqual([]);
    expect(seen[4]!.used).toEqual(['h1', 'h2']);
    expect(seen[5]!.phoenix).toBeUndefined();
    expect(seen[6]).toMatchObject({ used: ['h1', 'h2', 'h3'], phoenix: Date.parse(at(6)), seq: 7 });
  });

  it('a replay of the lines ends where the live authority was; recent() gives the newest entries', () => {
    const live = new AuthorityMemory(330);
    const replayed = new AuthorityMemory(330);
    for (const e of events) { live.remember(e); replayed.replay({ seq: e.seq, line: JSON.stringify(e) }); }
    expect(states(replayed)).toEqual(states(live));
    expect(replayed.recent(2)).toEqual(events.slice(-2));
    expect(replayed.recent(0)).toEqual([]);
    expect(replayed.recent(10_000)).toHaveLength(events.length);
    replayed.reset();
    expect(states(replayed)).toEqual({ lockdown: false, since: undefined, used: [], phoenix: undefined, seq: 0 });
  });
});
