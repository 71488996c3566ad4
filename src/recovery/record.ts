/**
 * Records a change made outside an action's perform() path — `sov engines start|stop|restart`, which talk to the
 * daemon directly — the same way: the authority is asked first (lockdown refuses, a log that cannot be written
 * refuses), the outcome is recorded after. Nothing runs unrecorded.
 */
import type { Tier } from '../actions/types.js';
import { whoAmI } from './perform.js';
import type { Outcome, RecoveryLink } from './types.js';

export interface Recorded { code: number; message: string; refused?: boolean }

export async function recordAround(rec: RecoveryLink, what: { action: string; args: Record<string, string>; tier: Tier; dryRun: string; host?: string },
  run: () => Promise<Recorded>): Promise<Recorded> {
  const t0 = Date.now();
  const begin = await rec.begin({
    action: what.action, args: what.args, tier: what.tier, host: what.host ?? 'localhost', who: whoAmI('cli'),
    checks: [], dryRun: what.dryRun, confirmation: what.tier === 'T1' ? { kind: 'yes' } : { kind: 'none' },
  }).catch((e: unknown) => ({ ok: false as const, code: 'audit-unwritable' as const, reason: `the audit log could not record it: ${(e as Error)?.message ?? e}` }));
  if (!begin.ok) return { code: 1, refused: true, message: `${what.action} refused: ${begin.reason}` };
  let r: Recorded;
  try { r = await run(); } catch (e) { r = { code: 1, message: String((e as Error)?.message ?? e) }; }
  const outcome: Outcome = r.code === 0 ? 'ok' : 'failed';
  await rec.end({ id: begin.id, outcome, message: r.message, exitCode: r.code, durationMs: Date.now() - t0, post: [] }).catch(() => {});
  return r;
}
