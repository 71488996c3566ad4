/**
 * An in-memory recovery authority for tests of the flows around it (the cockpit's overlay, the palette): it
 * records what it was asked and can be put in lockdown. The real one (src/recovery/authority.ts) has its own tests.
 */
import type { BeginRequest, EndRequest, RecoveryLink } from '../../src/recovery/types.js';

export function memoryRecovery(o: { lockdown?: boolean } = {}) {
  const begun: BeginRequest[] = [];
  const ended: EndRequest[] = [];
  let locked = o.lockdown ?? false;
  const link: RecoveryLink & { begun: BeginRequest[]; ended: EndRequest[]; lock(on: boolean): void } = {
    begun, ended,
    lock(on) { locked = on; },
    async status() { return { lockdown: locked, auditEntries: begun.length + ended.length }; },
    async begin(req) {
      begun.push(req);
      if (locked && req.tier !== 'T0') return { ok: false, code: 'lockdown', reason: 'the box is in LOCKDOWN' };
      if (req.checks.some((c) => c.state === 'fail')) return { ok: false, code: 'precondition', reason: 'a precondition failed' };
      return { ok: true, id: String(begun.length) };
    },
    async end(req) { ended.push(req); },
    async applyTripcode() { return { ok: false, code: 'tripcode-malformed', reason: 'not in this test' }; },
    async recent() { return [...begun, ...ended]; },
  };
  return link;
}
