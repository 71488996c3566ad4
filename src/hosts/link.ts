import type { Sample } from '../../backends/types.js';
import type { HostState } from '../store/types.js';

/** what the SSH runner puts in every message of a lost connection: "ssh NAME: …" (src/runner/ssh.ts) */
const LOST = /\bssh [^\s:]+: /;

/**
 * Is this host's connection lost? Pure: from its samples alone. Lost when a source's latest attempt failed with
 * the SSH runner's connection message; `lastGoodAt` is the newest good reading kept (what the panels show dimmed).
 */
export function hostLink(h: HostState | undefined): { lost: boolean; message?: string; lastGoodAt?: number; since?: number } {
  if (!h) return { lost: false };
  const errs = Object.values(h.samples as Record<string, Sample<unknown>>).filter((x): x is Extract<Sample<unknown>, { state: 'error' }> => x.state === 'error' && LOST.test(x.message));
  if (!errs.length) return { lost: false };
  const goods = errs.map((e) => e.lastGood?.at).filter((x): x is number => x !== undefined);
  const m = errs[0]!.message;
  return { lost: true, message: m.slice(m.search(LOST)), ...(goods.length ? { lastGoodAt: Math.max(...goods) } : {}), since: Math.min(...errs.map((e) => e.at)) };
}
