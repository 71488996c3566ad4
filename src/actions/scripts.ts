/**
 * `script.NAME`: each declared host script (config `scripts:`) as an action (issue 8). Its inputs are the action's
 * arguments; every value is checked against its allowlist in checks() (a fail refuses before anything runs) and
 * again by plan() and run() themselves, so no path runs a script with a value its allowlist refuses. Scripts run on
 * this machine (src/scripts/run.ts): own process group, deadline, ctrl+c cancels, one run at a time.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fillArgv, inputProblem, anchoredPattern, type ScriptConfig, type ScriptInput } from '../config/scripts.js';
import { demoStateDir } from '../recovery/authority.js';
import type { CheckResult } from '../recovery/types.js';
import { scriptLockDir, type ScriptLock } from '../scripts/lock.js';
import { busyReason, outcomeSummary, runScript } from '../scripts/run.js';
import { sanitize } from '../text/sanitize.js';
import { shellQuote } from '../text/shell.js';
import { readOnlyReason, type Action, type ActionCtx, type ActionResult } from './types.js';

/** the plan's output kept for the dry run (it is shown before the confirm and written into the audit entry) */
const PLAN_TAIL = { lines: 200, bytes: 64 * 1024 };

const shown = (argv: string[]) => argv.map((a) => shellQuote(sanitize(a))).join(' ');

/** Each input's value (given, or its default) and what is wrong with them; never throws. */
export function inputValues(s: ScriptConfig, args: Record<string, string>): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const i of s.inputs) {
    const v = Object.hasOwn(args, i.name) ? args[i.name] : i.default;
    if (v === undefined) { problems.push(`${i.name}: required${i.description ? ` (${i.description})` : ''}`); continue; }
    const why = inputProblem(i, v);
    if (why) problems.push(sanitize(why)); else values[i.name] = v;
  }
  const known = new Set(s.inputs.map((i) => i.name));
  for (const k of Object.keys(args)) if (!known.has(k)) problems.push(`unknown argument "${sanitize(k)}" (${known.size ? `inputs: ${[...known].join(', ')}` : 'this script takes none'})`);
  return { values, problems };
}

/** Where argv[0] would be found (PATH, or the path itself), or why not. */
export function findProgram(argv0: string, path = process.env.PATH ?? ''): { ok: true; path: string } | { ok: false; reason: string } {
  const exec = (p: string) => { try { accessSync(p, constants.X_OK); return statSync(p).isFile(); } catch { return false; } };
  if (argv0.includes('/')) return exec(argv0) ? { ok: true, path: argv0 } : { ok: false, reason: `${argv0}: not found or not executable` };
  for (const d of path.split(delimiter)) if (d && exec(join(d, argv0))) return { ok: true, path: join(d, argv0) };
  return { ok: false, reason: `${argv0}: not found on PATH` };
}

function inputCheck(i: ScriptInput, args: Record<string, string>): CheckResult {
  const v = Object.hasOwn(args, i.name) ? args[i.name] : i.default;
  const name = `input ${i.name}`;
  if (v === undefined) return { name, state: 'fail', detail: `required${i.description ? `: ${i.description}` : ''}` };
  const why = inputProblem(i, v);
  if (why) return { name, state: 'fail', detail: sanitize(why) };
  return { name, state: 'pass', detail: i.choices ? `${JSON.stringify(v)} is one of its choices` : `${JSON.stringify(v)} matches ${anchoredPattern(i.pattern!)!.source}` };
}

function scriptChecks(s: ScriptConfig, args: Record<string, string>): CheckResult[] {
  const out = s.inputs.map((i) => inputCheck(i, args));
  const unknown = inputValues(s, args).problems.filter((p) => p.startsWith('unknown argument'));
  if (unknown.length) out.push({ name: 'arguments', state: 'fail', detail: unknown.join('; ') });
  const prog = findProgram(s.argv[0]!, s.env.PATH ?? process.env.PATH);
  out.push(prog.ok ? { name: 'program', state: 'pass', detail: prog.path } : { name: 'program', state: 'fail', detail: prog.reason });
  if (s.cwd !== undefined) {
    let isDir = false;
    try { isDir = statSync(s.cwd).isDirectory(); } catch {}
    out.push({ name: 'cwd', state: isDir ? 'pass' : 'fail', detail: isDir ? s.cwd : `${s.cwd}: no such directory` });
  }
  return out;
}

function argHelp(i: ScriptInput): string {
  const allow = i.choices ? `one of ${i.choices.join(', ')}` : `matching ${anchoredPattern(i.pattern!)?.source ?? i.pattern}`;
  return `${i.description ? `${i.description}: ` : ''}${allow}`;
}

function describeScript(s: ScriptConfig, args: Record<string, string>): string {
  const values: Record<string, string> = {};
  for (const i of s.inputs) {
    const v = Object.hasOwn(args, i.name) ? args[i.name] : i.default;
    if (v !== undefined) values[i.name] = v;
  }
  const env = Object.entries(s.env).map(([k, v]) => `${k}=${shellQuote(sanitize(v))}`).join(' ');
  const where = [s.cwd !== undefined ? `in ${s.cwd}` : '', `deadline ${s.timeoutSec} s`].filter(Boolean).join(', ');
  return `${env ? `${env} ` : ''}${shown(fillArgv(s.argv, values))}  (${where})`;
}

async function planOf(s: ScriptConfig, plan: string[], ctx: ActionCtx): Promise<string> {
  const v = inputValues(s, ctx.args ?? {});
  if (v.problems.length) return `plan not run: ${v.problems.join('; ')}`;
  const argv = fillArgv(plan, v.values);
  const o = await runScript({
    key: `${s.name} (plan)`, argv, ...(s.cwd !== undefined ? { cwd: s.cwd } : {}), env: s.env, timeoutMs: s.planTimeoutSec * 1000,
    ...(ctx.signal ? { signal: ctx.signal } : {}), tail: PLAN_TAIL,
  });
  const head = `plan: ${shown(argv)}`;
  if (o.pid === undefined) return `${head}\n(plan did not run: ${outcomeSummary(o)})`;
  const dropped = o.droppedLines ? [`(${o.droppedLines} earlier lines not shown)`] : [];
  return [head, ...dropped, ...o.tail, `(plan: ${outcomeSummary(o, s.planTimeoutSec * 1000)})`].join('\n');
}

/**
 * One run of a declared script at a time, in every sov on this machine (its declared argv and cwd name it); the demo
 * box keeps its locks in its own state dir, away from the real box's.
 */
const lockOf = (s: ScriptConfig, ctx: ActionCtx): ScriptLock =>
  ({ dir: ctx.demo ? join(demoStateDir(), 'scripts') : scriptLockDir(), id: JSON.stringify([s.argv, s.cwd ?? '']) });

async function runOf(s: ScriptConfig, ctx: ActionCtx): Promise<ActionResult> {
  const v = inputValues(s, ctx.args ?? {});
  if (v.problems.length) return { kind: 'error', message: `${s.name} refused, nothing ran: ${v.problems.join('; ')}` };
  const lock = lockOf(s, ctx);
  const busy = busyReason(s.name, lock);
  if (busy) return { kind: 'error', message: busy };
  const timeoutMs = s.timeoutSec * 1000;
  const o = await runScript({
    key: s.name, lock, argv: fillArgv(s.argv, v.values), ...(s.cwd !== undefined ? { cwd: s.cwd } : {}), env: s.env, timeoutMs,
    ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.output ? { onLine: ctx.output } : {}),
  });
  const message = `${s.name}: ${outcomeSummary(o, timeoutMs)}`;
  const exit = o.exitCode !== null ? { exitCode: o.exitCode } : {};
  if (o.exitCode === 0 && !o.timedOut && !o.cancelled) return { kind: 'done', message, exitCode: 0 };
  const last = o.tail.at(-1);
  return { kind: 'error', message: `${message}${last ? ` — last line: ${last.slice(0, 200)}` : ''}`, ...exit };
}

/** The action of one declared script. */
export function scriptAction(s: ScriptConfig): Action {
  const title = s.name;
  const a: Action = {
    id: `script.${s.name}`, title,
    description: s.description || `runs ${shown(s.argv)}`,
    keys: [], scope: 'recovery', tier: s.tier, confirm: s.tier !== 'T0', reads: [],
    args: Object.fromEntries(s.inputs.map((i) => [i.name, argHelp(i)])),
    argDefaults: Object.fromEntries(s.inputs.flatMap((i) => (i.default !== undefined ? [[i.name, i.default]] : []))),
    argChoices: (_ctx, arg) => s.inputs.find((i) => i.name === arg)?.choices ?? [],
    when(ctx) {
      if (ctx.readOnly && s.tier !== 'T0') return readOnlyReason(title);
      return busyReason(s.name, lockOf(s, ctx)) ?? true;
    },
    describe: (ctx) => describeScript(s, ctx.args ?? {}),
    checks: async (ctx) => scriptChecks(s, ctx.args ?? {}),
    target: () => s.name,
    run: (ctx) => runOf(s, ctx),
  };
  const plan = s.plan;
  if (plan) a.plan = (ctx) => planOf(s, plan, ctx);
  return a;
}

const memo = new WeakMap<ScriptConfig[], Action[]>();

/** One action per declared script; the same objects for the same config (asked for on every frame and key). */
export function scriptActions(scripts: ScriptConfig[]): Action[] {
  let out = memo.get(scripts);
  if (!out) memo.set(scripts, (out = scripts.map(scriptAction)));
  return out;
}
