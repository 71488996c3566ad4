/** engine.start / stop / restart / logs / bench: the engines screen's actions, each declared once. */
import type { EngineConfig } from '../config/schema.js';
import { buildArgv } from '../daemon/adapters/process.js';
import type { EngineStatus } from '../daemon/types.js';
import { BENCH_MAX_TOKENS, BENCH_PROMPTS } from '../engines/bench.js';
import { shellLine } from '../text/shell.js';
import { readOnlyReason, type Action, type ActionCtx, type ActionResult } from './types.js';

/** the engine an action is about: the selected one in the TUI, `--arg name=X` for `sov do` */
const ENGINE_ARG = { name: 'the engine, as `sov engines ls` names it' };

const RUNNING = new Set(['starting', 'healthy', 'degraded']);

/** What `start` runs: the argv for a process engine (with its numactl/CUDA wrapping named), the unit, the container. */
export function startCommand(cfg: EngineConfig | undefined): string | undefined {
  if (!cfg) return undefined;
  if (cfg.kind === 'process') {
    // exactly the argv the daemon spawns (numactl prefix included), shell-quoted for reading
    const gpus = cfg.gpus ? `CUDA_VISIBLE_DEVICES=${cfg.gpus.join(',')} ` : '';
    return gpus + shellLine(buildArgv(cfg));
  }
  if (cfg.kind === 'systemd') return `systemctl${cfg.user ? ' --user' : ''} start ${cfg.unit}`;
  return `${cfg.runtime} start ${cfg.container}`;
}

/** What `stop` does to the engine. */
export function stopEffect(e: EngineStatus, cfg: EngineConfig | undefined): string {
  if (cfg?.kind === 'systemd' || e.kind === 'systemd') return cfg?.kind === 'systemd' ? `systemctl${cfg.user ? ' --user' : ''} stop ${cfg.unit}` : 'systemctl stop (its unit)';
  if (cfg?.kind === 'container' || e.kind === 'container') return cfg?.kind === 'container' ? `${cfg.runtime} stop ${cfg.container}` : 'stop its container';
  const sig = cfg?.stop.signal ?? 'SIGTERM';
  const t = cfg?.stop.timeoutSec ?? 30;
  return e.pid !== undefined ? `${sig} pid ${e.pid} (its process group), SIGKILL after ${t} s` : `${sig} its process group, SIGKILL after ${t} s`;
}

function needEngine(ctx: ActionCtx): true | string {
  if (!ctx.engine) return 'no engine selected (configure engines in ~/.config/sov/config.yaml)';
  return true;
}

function needDaemon(ctx: ActionCtx): true | string {
  if (!ctx.link) return ctx.noLink ?? 'no daemon to ask';
  if (ctx.link.state !== 'up') return 'daemon down, reconnecting: try again in a moment';
  return true;
}

function t1(title: string, ctx: ActionCtx): true | string {
  if (ctx.readOnly) return readOnlyReason(title);
  const e = needEngine(ctx);
  if (e !== true) return e;
  return needDaemon(ctx);
}

async function rpc(ctx: ActionCtx, method: 'engines.start' | 'engines.stop' | 'engines.restart', verb: string): Promise<ActionResult> {
  const name = ctx.engine!.name;
  try {
    const s = await ctx.link!.call(method, { name }, { timeoutMs: 60_000 });
    return { kind: 'done', message: `${name}: ${verb} → ${s.state}${s.pid !== undefined && s.state !== 'stopped' ? ` (pid ${s.pid})` : ''}${s.message ? ` · ${s.message}` : ''}` };
  } catch (e) {
    return { kind: 'error', message: `${name}: ${verb} failed: ${String((e as Error)?.message ?? e)}` };
  }
}

export const engineStart: Action = {
  id: 'engine.start', title: 'Start', description: 'start the selected engine (through the daemon; it keeps running when sov quits)',
  keys: ['s'], args: ENGINE_ARG, reads: [], scope: 'engines', tier: 'T1', confirm: false,
  when(ctx) {
    const ok = t1('Start', ctx);
    if (ok !== true) return ok;
    const e = ctx.engine!;
    return RUNNING.has(e.state) ? `${e.name} is already running (${e.state}${e.pid !== undefined ? `, pid ${e.pid}` : ''}): r restarts it` : true;
  },
  describe(ctx) {
    const name = ctx.engine?.name ?? '?';
    const cmd = startCommand(ctx.engineConfig);
    return cmd ? `start ${name}: \`${cmd}\`` : `start ${name} (the daemon runs its configured command)`;
  },
  run: (ctx) => rpc(ctx, 'engines.start', 'start'),
};

export const engineStop: Action = {
  id: 'engine.stop', title: 'Stop', description: 'stop the selected engine (asks first)',
  keys: ['S'], args: ENGINE_ARG, reads: [], scope: 'engines', tier: 'T1', confirm: true,
  when(ctx) {
    const ok = t1('Stop', ctx);
    if (ok !== true) return ok;
    const e = ctx.engine!;
    return e.state === 'stopped' ? `${e.name} is not running` : true;
  },
  describe(ctx) {
    const e = ctx.engine;
    return e ? `stop ${e.name}: ${stopEffect(e, ctx.engineConfig)}` : 'stop: no engine selected';
  },
  run: (ctx) => rpc(ctx, 'engines.stop', 'stop'),
};

export const engineRestart: Action = {
  id: 'engine.restart', title: 'Restart', description: 'stop the selected engine, then start it again (asks first)',
  keys: ['r'], args: ENGINE_ARG, reads: [], scope: 'engines', tier: 'T1', confirm: true,
  when(ctx) {
    const ok = t1('Restart', ctx);
    if (ok !== true) return ok;
    const e = ctx.engine!;
    return e.state === 'stopped' ? `${e.name} is stopped: s starts it` : true;
  },
  describe(ctx) {
    const e = ctx.engine;
    if (!e) return 'restart: no engine selected';
    const cmd = startCommand(ctx.engineConfig);
    const stop = stopEffect(e, ctx.engineConfig).replace(/ \(its process group\), SIGKILL after \d+ s$/, '');
    return `restart ${e.name}: ${stop}, then start ${cmd ? `\`${cmd}\`` : 'its configured command'}`;
  },
  run: (ctx) => rpc(ctx, 'engines.restart', 'restart'),
};

export const engineLogs: Action = {
  id: 'engine.logs', title: 'Logs', description: 'show or hide the selected engine\'s log (follows the end; / searches; kept across screens)',
  keys: ['l'], args: ENGINE_ARG, reads: [], scope: 'engines', tier: 'T0', confirm: false,
  when: (ctx) => needEngine(ctx),
  describe(ctx) {
    const e = ctx.engine;
    return e ? `show the log of ${e.name}${e.logFile ? ` (${e.logFile})` : ''}` : 'logs: no engine selected';
  },
  async run(ctx) {
    const name = ctx.engine!.name;
    if (ctx.logs?.engine === name) { ctx.setLogs(undefined); return { kind: 'navigate', message: `log of ${name} closed` }; }
    ctx.setLogs({ engine: name, follow: true });
    return { kind: 'navigate', message: `log of ${name}: following (F holds/follows, / searches, l closes)` };
  },
};

export const engineBench: Action = {
  id: 'engine.bench', title: 'Benchmark', description: `run ${BENCH_PROMPTS.length} fixed prompts through the engine's OpenAI API: tok/s, TTFT p50/p95, peak RSS and VRAM`,
  keys: ['b'], args: ENGINE_ARG, reads: [], scope: 'engines', tier: 'T1', confirm: false,
  when(ctx) {
    const ok = t1('Benchmark', ctx);
    if (ok !== true) return ok;
    const e = ctx.engine!;
    if (!ctx.startBench) return 'benchmarks cannot run here';
    if (!e.openai && e.port === undefined) return `${e.name} has no OpenAI base URL (set \`openai:\` in the config)`;
    if (e.state !== 'healthy' && e.state !== 'degraded') return `${e.name} is ${e.state}: start it first`;
    if (ctx.benchRunning?.(e.name)) return `a benchmark of ${e.name} is already running`;
    return true;
  },
  describe(ctx) {
    const e = ctx.engine;
    if (!e) return 'benchmark: no engine selected';
    return `benchmark ${e.name}: ${BENCH_PROMPTS.length} prompts × ${BENCH_MAX_TOKENS} tokens through ${engineBaseUrl(e)}/chat/completions`;
  },
  async run(ctx) { return ctx.startBench!(ctx.engine!); },
};

/** The engine's OpenAI base URL: configured, else http://host:port/v1. */
export function engineBaseUrl(e: Pick<EngineStatus, 'openai' | 'host' | 'port'>): string {
  if (e.openai) return e.openai.replace(/\/+$/, '');
  const h = e.host ?? '127.0.0.1';
  return `http://${h.includes(':') ? `[${h}]` : h}:${e.port ?? 8080}/v1`;
}

export const ENGINE_ACTIONS: Action[] = [engineStart, engineStop, engineRestart, engineLogs, engineBench];
