/**
 * Runs one action the way every entry point must (the cockpit's keys and palette, `sov do`, a pasted tripcode):
 * prepare() decides what it needs (refusal, preconditions, dry run, which confirmation); perform() asks the
 * authority, runs it, checks its postconditions and records the outcome. The decisions are the pure functions
 * below; the rest awaits.
 */
import { userInfo } from 'node:os';
import type { Action, ActionCtx, ActionResult, Tier } from '../actions/types.js';
import { readOnlyReason } from '../actions/types.js';
import { actionCode } from './codes.js';
import type { CheckResult, Confirmation, Outcome, RefusalCode, Who } from './types.js';

export type ConfirmKind = 'none' | 'yes' | 'typed' | 'tripcode';

/** what each tier asks before it runs */
export function confirmFor(tier: Tier): ConfirmKind {
  return tier === 'T0' ? 'none' : tier === 'T1' ? 'yes' : tier === 'T2' ? 'typed' : 'tripcode';
}

export interface Prepared {
  action: Action;
  ctx: ActionCtx;
  args: Record<string, string>;
  /** why it cannot run (read-only, when(), a failed precondition): nothing is asked */
  refused?: { code: RefusalCode | 'unavailable' | 'read-only'; reason: string };
  checks: CheckResult[];
  /** describe() and, for scripts, the plan step's output */
  dryRun: string;
  confirm: ConfirmKind;
  /** T2: what the operator types */
  target?: string;
  /** T3: the code a tripcode for exactly this must carry (`sov tripcode sign CODE`) */
  code?: string;
}

/** A precondition that refuses: a fail, or an unknown the action has not declared harmless. */
export function blockingChecks(checks: CheckResult[], unknownOk: string[] = []): CheckResult[] {
  return checks.filter((c) => c.state === 'fail' || (c.state === 'unknown' && !unknownOk.includes(c.name)));
}

export function checksText(checks: CheckResult[]): string {
  return checks.map((c) => `${c.state === 'pass' ? '✓' : c.state === 'fail' ? '✗' : '?'} ${c.name}: ${c.detail}`).join('\n');
}

/** The arguments with their defaults filled in. */
export function argsOf(action: Action, ctx: ActionCtx): Record<string, string> {
  const args: Record<string, string> = { ...(action.argDefaults ?? {}), ...(ctx.args ?? {}) };
  if (ctx.engine && action.args && 'name' in action.args && args.name === undefined) args.name = ctx.engine.name;
  return args;
}

export async function prepare(action: Action, ctx0: ActionCtx): Promise<Prepared> {
  const args = argsOf(action, ctx0);
  const ctx: ActionCtx = { ...ctx0, args };
  const base = { action, ctx, args, checks: [] as CheckResult[], confirm: confirmFor(action.tier) };
  let dryRun = action.describe(ctx);
  if (ctx.readOnly && action.tier !== 'T0') return { ...base, dryRun, refused: { code: 'read-only', reason: readOnlyReason(action.title) } };
  const when = action.when(ctx);
  if (when !== true) return { ...base, dryRun, refused: { code: 'unavailable', reason: when } };
  if (action.plan) {
    try { dryRun += `\n${await action.plan(ctx)}`; } catch (e) { dryRun += `\n(plan failed: ${(e as Error)?.message ?? e})`; }
  }
  let checks: CheckResult[] = [];
  if (action.checks) {
    try { checks = await action.checks(ctx); } catch (e) { checks = [{ name: 'preconditions', state: 'unknown', detail: `could not be checked: ${(e as Error)?.message ?? e}` }]; }
  }
  const p: Prepared = { ...base, checks, dryRun };
  if (action.tier === 'T2') p.target = action.target?.(ctx) ?? action.id;
  if (action.tier === 'T3') p.code = actionCode(action.id, args, ctx.remote ? ctx.host : undefined);
  const bad = blockingChecks(checks, action.unknownOk);
  if (bad.length) p.refused = { code: 'precondition', reason: `refused: ${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}` };
  return p;
}

/** Whether what the operator gave is the confirmation this tier asks for (the tripcode itself is the authority's to verify). */
export function confirmationOk(p: Prepared, c: Confirmation): true | string {
  switch (p.confirm) {
    case 'none': return true;
    case 'yes': return c.kind === 'yes' || c.kind === 'typed' || c.kind === 'tripcode' ? true : `${p.action.title} asks first (y to confirm)`;
    case 'typed': return c.kind === 'typed' && c.text === p.target ? true : `${p.action.title} is a system change: type "${p.target}" to confirm${c.kind === 'typed' ? ` (got "${c.text.slice(0, 60)}")` : ''}`;
    case 'tripcode': return c.kind === 'tripcode' ? true : `${p.action.title} is destructive: it needs a tripcode for ${p.code} (sov tripcode sign '${p.code}' on the trusted side)`;
  }
}

export interface Performed {
  result: ActionResult;
  outcome: Outcome | 'refused';
  refusal?: { code: string; reason: string };
  checks: CheckResult[];
  post: CheckResult[];
  durationMs: number;
  auditId?: string;
}

export function whoAmI(via: Who['via'], env: NodeJS.ProcessEnv = process.env): Who {
  let user = env.USER ?? '';
  try { user = userInfo().username; } catch {}
  const who: Who = { uid: process.getuid?.() ?? -1, user, via };
  const tty = env.SSH_TTY ?? (process.stdin.isTTY ? 'tty' : undefined);
  if (tty) who.tty = tty;
  if (env.SSH_CONNECTION) who.ssh = env.SSH_CONNECTION;
  return who;
}

const refuse = (p: Prepared, code: string, reason: string, t0: number, now: () => number): Performed =>
  ({ result: { kind: 'error', message: reason }, outcome: 'refused', refusal: { code, reason }, checks: p.checks, post: [], durationMs: now() - t0 });

/**
 * Asks the authority, runs, verifies, records. T0 runs at once and is not recorded; everything above needs the
 * authority (no audit log, nothing runs: fail closed).
 */
export async function perform(p: Prepared, confirmation: Confirmation, now: () => number = Date.now): Promise<Performed> {
  const t0 = now();
  const { action, ctx } = p;
  // a refusal never runs; above T0 a failed precondition still reaches the authority below, which records it
  if (p.refused && (p.refused.code !== 'precondition' || action.tier === 'T0')) return refuse(p, p.refused.code, p.refused.reason, t0, now);
  const rec = ctx.recovery;
  let auditId: string | undefined;
  if (action.tier !== 'T0') {
    if (!rec) return refuse(p, 'audit-unwritable', `${action.title} refused: no audit log to record it (${ctx.noLink ?? 'the daemon is not reachable'}); nothing above T0 runs unrecorded`, t0, now);
    const conf = p.refused ? true : confirmationOk(p, confirmation);
    const refused = p.refused ? { code: 'precondition' as const, reason: p.refused.reason } : conf !== true ? { code: 'confirmation' as const, reason: conf } : undefined;
    const begin = await rec.begin({
      action: action.id, args: p.args, tier: action.tier, host: ctx.host ?? ctx.runner?.host ?? 'localhost', ...(ctx.remote ? { remote: true } : {}), who: ctx.who ?? whoAmI('cli'),
      checks: p.checks, dryRun: p.dryRun, confirmation: conf === true ? confirmation : { kind: 'none' }, ...(refused ? { refused } : {}),
    }).catch((e: unknown) => ({ ok: false as const, code: 'audit-unwritable' as const, reason: `the audit log could not record it: ${(e as Error)?.message ?? e}` }));
    // a failed precondition or confirmation is still recorded by the authority (it sees the checks), then refused here
    if (p.refused) return refuse(p, p.refused.code, p.refused.reason, t0, now);
    if (conf !== true) return refuse(p, 'confirmation', conf, t0, now);
    if (!begin.ok) return refuse(p, begin.code, begin.reason, t0, now);
    auditId = begin.id;
  }
  let result: ActionResult;
  try { result = await action.run(ctx); } catch (e) { result = { kind: 'error', message: `${action.title} failed: ${(e as Error)?.message ?? e}` }; }
  const cancelled = ctx.signal?.aborted === true;
  let post: CheckResult[] = [];
  if (result.kind !== 'error' && !cancelled && action.verify) {
    try { post = await action.verify(ctx); } catch (e) { post = [{ name: 'postconditions', state: 'unknown', detail: `could not be checked: ${(e as Error)?.message ?? e}` }]; }
  }
  const postBad = post.filter((c) => c.state !== 'pass');
  let outcome: Outcome = cancelled ? 'cancelled' : result.kind === 'error' ? 'failed' : postBad.length ? 'post-failed' : 'ok';
  if (outcome === 'post-failed') result = { kind: 'error', message: `${result.message} — BUT POSTCONDITION FAILED: ${postBad.map((c) => `${c.name}: ${c.detail}`).join('; ')}` };
  const durationMs = now() - t0;
  if (rec && auditId !== undefined) {
    const exitCode = result.kind === 'done' || result.kind === 'error' ? result.exitCode : undefined;
    await rec.end({ id: auditId, outcome, message: result.message ?? '', durationMs, post, ...(exitCode !== undefined ? { exitCode } : {}) }).catch((e: unknown) => {
      outcome = 'failed';
      result = { kind: 'error', message: `${result.message ?? ''} (the outcome could not be recorded: ${(e as Error)?.message ?? e})` };
    });
  }
  return { result, outcome, checks: p.checks, post, durationMs, ...(auditId !== undefined ? { auditId } : {}) };
}
