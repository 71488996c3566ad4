/**
 * The engine stack's recovery actions (issue 8): stack.restart (T2) restarts every configured engine in declared
 * order through the daemon, each waiting for healthy within its startup grace; stack.phoenix (T3, the tripcode
 * RECOVERY:PHOENIX; the OMNI seed's self-heal) stops the stack (reverse order), optionally recreates the containers
 * of `recovery.phoenix.compose`, then starts the engines in order, each waiting for healthy. Every step's outcome
 * goes to ctx.output and into the result. Both need the daemon (the demo box's is simulated): when() refuses
 * without it.
 */
import type { EngineConfig } from '../config/schema.js';
import type { EngineStatus } from '../daemon/types.js';
import type { CheckResult } from '../recovery/types.js';
import type { Action, ActionCtx, ActionResult } from './types.js';
import { shellLine } from '../text/shell.js';
import { step } from './steps.js';

export type StepState = 'ok' | 'failed' | 'skipped' | 'not run';
export interface StepOutcome { step: string; state: StepState; detail: string }

const POLL_MS = 1000;
/** how long one engine may take to become healthy, at most (its startupGraceSec, capped) */
const HEALTHY_CAP_MS = 15 * 60_000;
const STOP_TIMEOUT_MS = 120_000;

/** what the stack actions need of an engine */
type StackEngine = Pick<EngineConfig, 'name' | 'startupGraceSec'>;
/** the configured engines (the demo box's come from its own config, src/demo/config.ts) */
const enginesOf = (ctx: ActionCtx): StackEngine[] => ctx.config?.engines ?? [];
const composeOf = (ctx: ActionCtx) => ctx.config?.recovery.phoenix.compose;
export const composeArgv = (file: string) => ['docker', 'compose', '-f', file, 'up', '-d', '--force-recreate'];
const linkUp = (ctx: ActionCtx) => ctx.link?.state === 'up';
/** the steps go through the daemon: without it nothing could run */
const needLink = (ctx: ActionCtx): string | undefined => (linkUp(ctx) ? undefined : `the stack is the daemon's to restart: ${ctx.noLink ?? 'the daemon is not reachable'}`);

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => {
  const t = setTimeout(r, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true });
});

/** waits until the engine is healthy; a crash, a crash loop or the deadline ends the wait */
export async function waitHealthy(ctx: ActionCtx, name: string, deadlineMs: number, now: () => number = Date.now): Promise<{ ok: boolean; detail: string }> {
  const end = now() + deadlineMs;
  let last: EngineStatus | undefined;
  while (now() < end && !ctx.signal?.aborted) {
    try {
      last = (await ctx.link!.call('engines.list', {}, { timeoutMs: 10_000 })).find((e) => e.name === name);
    } catch (e) { return { ok: false, detail: `the daemon stopped answering: ${(e as Error)?.message ?? e}` }; }
    if (!last) return { ok: false, detail: `${name} is no longer in the daemon's list` };
    if (last.state === 'healthy') return { ok: true, detail: `${name} healthy${last.pid !== undefined ? ` (pid ${last.pid})` : ''}` };
    // a crash while coming up fails the step at once (backoff: it crashed and waits to retry)
    if (last.state === 'crashed' || last.state === 'crashloop' || last.state === 'stopped' || last.state === 'backoff') {
      const exit = last.lastExit ? ` (exit ${last.lastExit.code ?? 'signal'})` : '';
      return { ok: false, detail: `${name} is ${last.state}${exit}${last.message ? `: ${last.message}` : ''}` };
    }
    await sleep(POLL_MS, ctx.signal);
  }
  if (ctx.signal?.aborted) return { ok: false, detail: 'cancelled' };
  return { ok: false, detail: `${name} not healthy within ${Math.round(deadlineMs / 1000)} s (${last?.state ?? 'unknown'}${last?.health?.message ? `: ${last.health.message}` : ''})` };
}

const healthyDeadlineMs = (e: StackEngine) => Math.min(HEALTHY_CAP_MS, Math.max(5, e.startupGraceSec) * 1000);

/** one step: said before it runs, its outcome said after */
async function doStep(ctx: ActionCtx, out: StepOutcome[], name: string, f: () => Promise<{ ok: boolean; detail: string }>): Promise<boolean> {
  ctx.output?.(`${out.length + 1}. ${name}…`);
  let r: { ok: boolean; detail: string };
  try { r = await f(); } catch (e) { r = { ok: false, detail: String((e as Error)?.message ?? e) }; }
  out.push({ step: name, state: r.ok ? 'ok' : 'failed', detail: r.detail });
  ctx.output?.(`   ${r.ok ? 'ok' : 'FAILED'}: ${r.detail}`);
  return r.ok;
}

function notRun(ctx: ActionCtx, out: StepOutcome[], name: string, why: string): void {
  out.push({ step: name, state: 'not run', detail: why });
  ctx.output?.(`${out.length}. ${name}: not run (${why})`);
}

async function startAndWait(ctx: ActionCtx, e: StackEngine, verb: 'start' | 'restart'): Promise<{ ok: boolean; detail: string }> {
  const s = await ctx.link!.call(verb === 'start' ? 'engines.start' : 'engines.restart', { name: e.name }, { timeoutMs: STOP_TIMEOUT_MS });
  if (s.state === 'crashed' || s.state === 'crashloop') return { ok: false, detail: `${e.name} ${s.state}${s.message ? `: ${s.message}` : ''}` };
  return waitHealthy(ctx, e.name, healthyDeadlineMs(e));
}

/** the steps' outcome as the action's result: failed when any step failed, and says how many ran */
export function summary(title: string, out: StepOutcome[]): ActionResult {
  const n = (s: StepState) => out.filter((o) => o.state === s).length;
  const failed = out.find((o) => o.state === 'failed');
  // a step that did not run (cancelled) leaves the stack half done: not a success either
  const stopped = out.find((o) => o.state === 'not run');
  const lines = out.map((o, i) => `${i + 1}. ${o.step}: ${o.state}${o.detail ? ` — ${o.detail}` : ''}`).join('\n');
  const head = `${title}: ${n('ok')} of ${out.length} steps ran${n('not run') ? `, ${n('not run')} not run` : ''}${n('skipped') ? `, ${n('skipped')} skipped` : ''}${failed ? `; FAILED at "${failed.step}"` : stopped ? `; stopped before "${stopped.step}"` : ''}`;
  return failed || stopped ? { kind: 'error', message: `${head}\n${lines}`, exitCode: 1 } : { kind: 'done', message: `${head}\n${lines}`, exitCode: 0 };
}

async function restartRun(ctx: ActionCtx): Promise<ActionResult> {
  const out: StepOutcome[] = [];
  const engines = enginesOf(ctx);
  let broken: string | undefined;
  for (const e of engines) {
    const name = `restart ${e.name}, wait for healthy (≤ ${healthyDeadlineMs(e) / 1000} s)`;
    if (broken || ctx.signal?.aborted) { notRun(ctx, out, name, broken ?? 'cancelled'); continue; }
    const ok = await doStep(ctx, out, name, async () => {
      const cur = (await ctx.link!.call('engines.list', {}, { timeoutMs: 10_000 })).find((x) => x.name === e.name);
      return startAndWait(ctx, e, cur && cur.state !== 'stopped' ? 'restart' : 'start');
    });
    if (!ok) broken = `${e.name} did not come back`;
  }
  return summary('stack restart', out);
}

async function phoenixRun(ctx: ActionCtx): Promise<ActionResult> {
  const out: StepOutcome[] = [];
  const engines = enginesOf(ctx);
  const compose = composeOf(ctx);
  const stopName = `stop the stack (${[...engines].reverse().map((e) => e.name).join(', ') || 'no engines'}, in reverse order)`;
  const composeName = compose ? `recreate the containers: ${shellLine(composeArgv(compose))}` : undefined;
  const stopped = await doStep(ctx, out, stopName, async () => {
    const said: string[] = [];
    for (const e of [...engines].reverse()) {
      const s = await ctx.link!.call('engines.stop', { name: e.name }, { timeoutMs: STOP_TIMEOUT_MS });
      said.push(`${e.name} ${s.state}`);
      if (s.state !== 'stopped') return { ok: false, detail: said.join(', ') };
    }
    return { ok: true, detail: said.join(', ') || 'no engines' };
  });
  let broken = stopped ? undefined : 'the stack did not stop';
  if (composeName) {
    if (broken) notRun(ctx, out, composeName, broken);
    else if (!(await doStep(ctx, out, composeName, async () => {
      if (!ctx.runner) return { ok: false, detail: 'no runner for this host' };
      const s = await step(ctx, composeArgv(compose!), (ctx.config?.recovery.phoenix.composeTimeoutSec ?? 600) * 1000);
      return { ok: s.ok, detail: s.ok ? s.text.slice(-300) || 'done' : `exit ${s.r.exitCode ?? 'signal'}: ${s.text}` };
    }))) broken = 'docker compose failed';
  }
  for (const e of engines) {
    const name = `start ${e.name}, wait for healthy (≤ ${healthyDeadlineMs(e) / 1000} s)`;
    if (broken || ctx.signal?.aborted) { notRun(ctx, out, name, broken ?? 'cancelled'); continue; }
    if (!(await doStep(ctx, out, name, () => startAndWait(ctx, e, 'start')))) broken = `${e.name} did not come up`;
  }
  return summary('Phoenix', out);
}

/** every engine healthy now */
async function allHealthy(ctx: ActionCtx): Promise<CheckResult[]> {
  const list = await ctx.link!.call('engines.list', {}, { timeoutMs: 10_000 });
  return enginesOf(ctx).map((e) => {
    const s = list.find((x) => x.name === e.name);
    return s?.state === 'healthy' ? { name: `${e.name} healthy`, state: 'pass' as const, detail: `${e.name} healthy` } : { name: `${e.name} healthy`, state: 'fail' as const, detail: `${e.name} is ${s?.state ?? 'not listed'}` };
  });
}

async function stackChecks(ctx: ActionCtx, composeEnough = false): Promise<CheckResult[]> {
  const engines = enginesOf(ctx);
  const what = engines.length ? engines.map((e) => e.name).join(' → ') : undefined;
  const out: CheckResult[] = [what ? { name: 'engines configured', state: 'pass', detail: what } : composeEnough && composeOf(ctx) ? { name: 'engines configured', state: 'pass', detail: 'none; the compose file only' } : { name: 'engines configured', state: 'fail', detail: 'no engines in the config' }];
  out.push(linkUp(ctx) ? { name: 'daemon', state: 'pass', detail: 'up' } : { name: 'daemon', state: 'fail', detail: ctx.noLink ?? 'no daemon' });
  return out;
}

export const stackRestart: Action = {
  id: 'stack.restart', title: 'Restart the stack', tier: 'T2', keys: [], scope: 'recovery', confirm: true, reads: [],
  description: 'restart every configured engine in declared order through the daemon, each waiting for healthy',
  when: (ctx) => needLink(ctx) ?? (enginesOf(ctx).length ? true : 'no engines configured (engines: in the config)'),
  target: () => 'stack',
  describe: (ctx) => `restart ${enginesOf(ctx).map((e) => e.name).join(' → ') || 'no engines'} in this order, each waiting for healthy (its startupGraceSec) before the next; the first that does not come back stops the rest`,
  checks: (ctx) => stackChecks(ctx),
  run: restartRun,
  verify: allHealthy,
};

export const stackPhoenix: Action = {
  id: 'stack.phoenix', title: 'Phoenix (rebuild the stack)', tier: 'T3', keys: [], scope: 'recovery', confirm: true, reads: [],
  description: 'stop every engine, recreate the compose containers (recovery.phoenix.compose), start the engines in order, each waiting for healthy (tripcode RECOVERY:PHOENIX)',
  when: (ctx) => needLink(ctx) ?? (enginesOf(ctx).length || composeOf(ctx) ? true : 'nothing to rebuild: no engines and no recovery.phoenix.compose in the config'),
  describe(ctx) {
    const e = enginesOf(ctx).map((x) => x.name);
    const c = composeOf(ctx);
    return `Phoenix: 1. stop ${[...e].reverse().join(', ') || 'no engines'}${c ? ` · 2. \`${shellLine(composeArgv(c))}\`` : ' · (no compose file configured: no containers recreated)'} · ${c ? 3 : 2}. start ${e.join(' → ') || 'no engines'}, each waiting for healthy`;
  },
  checks: (ctx) => stackChecks(ctx, true),
  run: phoenixRun,
  verify: allHealthy,
};

export const STACK_ACTIONS: Action[] = [stackRestart, stackPhoenix];
