/**
 * Built-in GPU recovery actions (issue 8): persistence mode on (T2, `nvidia-smi -i N -pm 1`) and a GPU reset (T3,
 * `nvidia-smi --gpu-reset -i N`), refused while a process holds the GPU, each named with its engine (the GPU
 * processes' pids joined to the engines' process trees, from the engines reading or the daemon). Preconditions and
 * postconditions read `nvidia-smi -q -x` fresh through ctx.runner: the processes on a GPU are the box as it is now.
 */
import { checkGpuIndex, findGpu, gpuCheck, noProcessCheck, persistenceArgv, persistenceOffCheck, persistencePost, QX_ARGV, resetArgv, resetPost, smiSaid, type Check } from '../../backends/nvidia/actions.js';
import { classifyNvidiaError, parseQX } from '../../backends/nvidia/parse.js';
import type { NvidiaData } from '../../backends/nvidia/types.js';
import type { EngineStatus } from '../daemon/types.js';
import type { CheckResult } from '../recovery/types.js';
import { sanitize } from '../text/sanitize.js';
import { dataOf, engineList, pidToEngine } from '../store/selectors.js';
import type { Action, ActionCtx, ActionResult } from './types.js';
import { shellLine } from '../text/shell.js';
import { argOf, needRunner, step } from './steps.js';

const QX_TIMEOUT_MS = 20_000;
/** a reset can take a while on a big card */
const RESET_TIMEOUT_MS = 120_000;

const GPU_ARG = { gpu: 'the GPU index, as nvidia-smi numbers it' };
const indexOf = (ctx: ActionCtx) => Number(argOf(ctx, 'gpu'));

/** `nvidia-smi -q -x` now, or why it could not be read */
export async function readGpus(ctx: ActionCtx): Promise<NvidiaData | string> {
  const s = await step(ctx, QX_ARGV, QX_TIMEOUT_MS);
  if (!s.ok) {
    const known = classifyNvidiaError(`${s.r.stderr}\n${s.r.stdout}`);
    return known ? `${known.message} (${known.hint})` : `nvidia-smi -q -x: ${s.text || `exit ${s.r.exitCode}`}`;
  }
  const d = parseQX(s.r.stdout);
  return d.gpus.length || !d.warnings.length ? d : `nvidia-smi -q -x: ${d.warnings[0]}`;
}

/** pid → engine: the engines reading when there is one, else the daemon's list; undefined when neither answers */
async function engineJoin(ctx: ActionCtx): Promise<((pid: number) => string | undefined) | undefined> {
  let engines: EngineStatus[] | undefined = ctx.samples ? engineList(ctx.samples) : undefined;
  if (!engines && ctx.link?.state === 'up') {
    try { engines = await ctx.link.call('engines.list', {}, { timeoutMs: 5000 }); } catch {}
  }
  if (!engines) return undefined;
  const m = pidToEngine(engines);
  return (pid) => m.get(pid);
}

async function gpuChecks(ctx: ActionCtx, more: (g: NonNullable<ReturnType<typeof findGpu>>) => Promise<Check[]>): Promise<CheckResult[]> {
  const idx = checkGpuIndex(argOf(ctx, 'gpu'));
  if (idx !== true) return [{ name: 'GPU index', state: 'fail', detail: idx }];
  const d = await readGpus(ctx);
  if (typeof d === 'string') return [{ name: 'nvidia source', state: 'unknown', detail: d }];
  const out: CheckResult[] = [gpuCheck(d, indexOf(ctx))];
  const g = findGpu(d, indexOf(ctx));
  if (g) out.push(...(await more(g)));
  return out;
}

async function runSmi(ctx: ActionCtx, argv: string[], done: string, timeoutMs: number): Promise<ActionResult> {
  ctx.output?.(`$ ${shellLine(argv)}`);
  const s = await step(ctx, argv, timeoutMs);
  if (s.text) ctx.output?.(s.text);
  if (s.ok) return { kind: 'done', message: done, exitCode: 0 };
  return { kind: 'error', message: `${shellLine(argv)} refused (exit ${s.r.exitCode ?? 'signal'}): ${smiSaid(sanitize(s.r.stdout), sanitize(s.r.stderr)) || s.text || 'no output'}`, exitCode: s.r.exitCode ?? 1 };
}

async function post(ctx: ActionCtx, f: (d: NvidiaData) => Check): Promise<CheckResult[]> {
  const d = await readGpus(ctx);
  return typeof d === 'string' ? [{ name: 'nvidia reading after', state: 'unknown', detail: d }] : [f(d)];
}

const gpuChoices = (ctx: ActionCtx) => (ctx.samples ? dataOf(ctx.samples.nvidia)?.gpus.map((g) => String(g.index)) ?? [] : []);
const gpuWhen = (ctx: ActionCtx): true | string => {
  const r = needRunner(ctx);
  if (r !== true) return r;
  const i = checkGpuIndex(argOf(ctx, 'gpu') || '0');
  return i;
};

export const gpuPersistence: Action = {
  id: 'gpu.persistence', title: 'GPU persistence mode on', tier: 'T2', keys: [], scope: 'recovery', confirm: true, args: GPU_ARG, reads: [], remote: true,
  description: 'nvidia-smi -i N -pm 1: keep the driver loaded for the GPU (no cold start on each use)',
  argChoices: (ctx, arg) => (arg === 'gpu' ? gpuChoices(ctx) : []),
  when: gpuWhen,
  target: (ctx) => `gpu${argOf(ctx, 'gpu')}`,
  describe: (ctx) => `persistence mode on for GPU ${argOf(ctx, 'gpu') || 'N'}: \`${shellLine(persistenceArgv(Number(argOf(ctx, 'gpu') || 0)))}\``,
  checks: (ctx) => gpuChecks(ctx, async (g) => [persistenceOffCheck(g)]),
  run: (ctx) => runSmi(ctx, persistenceArgv(indexOf(ctx)), `GPU ${indexOf(ctx)}: persistence mode on`, QX_TIMEOUT_MS),
  verify: (ctx) => post(ctx, (d) => persistencePost(d, indexOf(ctx))),
};

export const gpuReset: Action = {
  id: 'gpu.reset', title: 'Reset GPU', tier: 'T3', keys: [], scope: 'recovery', confirm: true, args: GPU_ARG, reads: [], remote: true,
  description: 'nvidia-smi --gpu-reset -i N: reset a wedged GPU; refused while any process holds it (stop its engine first)',
  argChoices: (ctx, arg) => (arg === 'gpu' ? gpuChoices(ctx) : []),
  when: gpuWhen,
  describe: (ctx) => `reset GPU ${argOf(ctx, 'gpu') || 'N'}: \`${shellLine(resetArgv(Number(argOf(ctx, 'gpu') || 0)))}\` (every process on it must be gone first)`,
  checks: (ctx) => gpuChecks(ctx, async (g) => [noProcessCheck(g, await engineJoin(ctx))]),
  run: (ctx) => runSmi(ctx, resetArgv(indexOf(ctx)), `GPU ${indexOf(ctx)} reset`, RESET_TIMEOUT_MS),
  verify: (ctx) => post(ctx, (d) => resetPost(d, indexOf(ctx))),
};

export const GPU_ACTIONS: Action[] = [gpuPersistence, gpuReset];
