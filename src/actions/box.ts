/**
 * box.lockdown (issue 8): one switch that puts the whole box in read-only — the authority refuses every T1+
 * request from any client — until a RECOVERY:UNLOCK tripcode. T3: it needs a tripcode for its own code
 * (ACTION::box.lockdown::…) or, the same effect, `sov tripcode apply` with RECOVERY:LOCKDOWN. The authority puts
 * the lockdown in force when it begins this action (so it is recorded before anything else can run); run() and
 * verify() read it back.
 */
import type { CheckResult } from '../recovery/types.js';
import type { Action, ActionCtx, ActionResult } from './types.js';

async function lockdownState(ctx: ActionCtx): Promise<{ locked?: boolean; why?: string }> {
  if (!ctx.recovery) return { why: ctx.noLink ?? 'no authority to ask' };
  try {
    const s = await ctx.recovery.status();
    return { locked: s.lockdown, ...(s.auditError ? { why: s.auditError } : {}) };
  } catch (e) {
    return { why: (e as Error)?.message ?? String(e) };
  }
}

export const boxLockdown: Action = {
  id: 'box.lockdown', title: 'Lockdown',
  description: 'put the whole box in read-only: the daemon refuses every T1+ request from any client until a RECOVERY:UNLOCK tripcode',
  keys: [], scope: 'recovery', tier: 'T3', confirm: true, reads: [],
  when(ctx) {
    if (!ctx.recovery) return `lockdown needs the recovery authority (${ctx.noLink ?? 'the daemon is not reachable'})`;
    return true;
  },
  describe: () => 'lockdown: the authority records it and from then on refuses every T1+ request (engines, scripts, recovery actions) from any client; only `sov tripcode apply` with a RECOVERY:UNLOCK tripcode lifts it',
  async checks(ctx): Promise<CheckResult[]> {
    const s = await lockdownState(ctx);
    if (s.locked === undefined) return [{ name: 'authority', state: 'unknown', detail: s.why ?? 'unknown' }];
    return [{ name: 'not locked yet', state: s.locked ? 'fail' : 'pass', detail: s.locked ? 'the box is already in lockdown' : 'the box accepts T1+ requests now' }];
  },
  async run(ctx): Promise<ActionResult> {
    const s = await lockdownState(ctx);
    if (s.locked) return { kind: 'done', message: 'the box is in lockdown: every T1+ request is refused until RECOVERY:UNLOCK (sov tripcode sign RECOVERY:UNLOCK on the trusted side, then sov tripcode apply PAYLOAD)' };
    return { kind: 'error', message: `the lockdown is not in force${s.why ? `: ${s.why}` : ''}` };
  },
  async verify(ctx): Promise<CheckResult[]> {
    const s = await lockdownState(ctx);
    return [{ name: 'lockdown in force', state: s.locked ? 'pass' : s.locked === false ? 'fail' : 'unknown', detail: s.locked ? 'the authority reports lockdown' : s.why ?? 'the authority reports no lockdown' }];
  },
};

export const BOX_ACTIONS: Action[] = [boxLockdown];
