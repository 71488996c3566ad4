/**
 * The daemon's authority as a client sees it: RecoveryLink over the daemon link (recovery.* RPC). Errors (the
 * daemon down, a refused call) reject; perform() turns a rejected begin() into a fail-closed refusal.
 */
import type { DaemonLink } from '../daemon/client.js';
import type { RecoveryLink } from './types.js';

/** begin/end wait on an fsync or two; a tripcode apply may also write */
const CALL_TIMEOUT_MS = 15_000;

export function recoveryLinkOver(link: Pick<DaemonLink, 'call'>): RecoveryLink {
  const t = { timeoutMs: CALL_TIMEOUT_MS };
  return {
    status: () => link.call('recovery.status', {}, t),
    begin: (req) => link.call('recovery.begin', req, t),
    end: async (req) => { await link.call('recovery.end', req, t); },
    applyTripcode: (payload, who) => link.call('recovery.tripcode', { payload, who }, t),
    recent: (n) => link.call('recovery.recent', { n }, t),
  };
}
