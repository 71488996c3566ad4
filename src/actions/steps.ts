/**
 * What the recovery actions (zfs, gpu, stack) share to run a program through ctx.runner: its argument, the runner
 * check, one step with a deadline, and the program's answer as one clean bounded line.
 */
import type { RunResult } from '../../backends/types.js';
import { sanitize } from '../text/sanitize.js';
import type { ActionCtx } from './types.js';

const RUN_TIMEOUT_MS = 60_000;
const OUT_KEEP = 600;

export const argOf = (ctx: ActionCtx, k: string): string => ctx.args?.[k] ?? '';

export function needRunner(ctx: ActionCtx): true | string {
  return ctx.runner ? true : 'no runner for this host';
}

/** a program's answer, one clean line of it, bounded */
export function said(r: RunResult): string {
  if (r.cancelled) return `${r.argv.join(' ')} cancelled (ctrl+c): its process group was killed`;
  if (r.notFound) return `${r.argv[0]} not found on PATH`;
  if (r.timedOut) return `${r.argv.join(' ')} timed out`;
  if (r.spawnError) return `${r.argv[0]} could not be started: ${r.spawnError}`;
  const text = sanitize(`${r.stderr}\n${r.stdout}`).split('\n').map((l) => l.trim()).filter(Boolean).join(' · ');
  return text.length > OUT_KEEP ? `${text.slice(0, OUT_KEEP)}…` : text;
}

/** runs one argv; ok only when it exits 0 in time; ctrl+c (ctx.signal) kills it */
export async function step(ctx: ActionCtx, argv: string[], timeoutMs = RUN_TIMEOUT_MS): Promise<{ ok: boolean; r: RunResult; text: string }> {
  const r = await ctx.runner!.run(argv, { timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const text = said(r);
  return { ok: r.exitCode === 0 && !r.timedOut && !r.cancelled, r, text };
}
