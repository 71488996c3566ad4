/**
 * `sov engines ls | start | stop | restart | logs | bench` — headless, through the daemon (started on demand).
 */
import { recordAround } from '../recovery/record.js';
import { recoveryLinkOver } from '../recovery/link.js';
import { parseArgs } from 'node:util';
import { MAX_LOG_LINES } from '../daemon/logs.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { connectDaemon, DaemonRpcError, type DaemonClient } from '../daemon/client.js';
import { resolvePaths, type SovPaths } from '../daemon/paths.js';
import { EXIT, RPC_ERRORS, type EngineStatus } from '../daemon/types.js';
import { errorText, exitFor, fmtDuration, warnConfigMismatch } from './daemon.js';
import { sanitize } from '../text/sanitize.js';

export const ENGINES_USAGE = `usage:
  sov engines ls [--json]
  sov engines start NAME [--no-wait] [--timeout-sec N] [--json]   waits until healthy
  sov engines stop NAME [--json]
  sov engines restart NAME [--no-wait] [--timeout-sec N] [--json]
  sov engines logs NAME [-n N] [--search TEXT] [-f] [--json]
  sov engines bench NAME [--json]
every command takes --config PATH (default $XDG_CONFIG_HOME/sov/config.yaml); the daemon is started when needed.

exit codes: 0 ok · 1 failed · 2 bad arguments · 3 no such engine · 4 failed to start · 5 crash loop ·
            6 daemon down · 7 the config is invalid`;

interface Ctx {
  paths: SovPaths;
  config?: string;
  json: boolean;
  local: LoadResult;
}

const out = (s: string) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); };
const err = (s: string) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); };

/** text from outside (engine names from the config, model ids, log lines) never moves the cursor */
export function clean(s: string): string {
  return sanitize(s);
}

function usageError(msg: string): number {
  err(`sov engines: ${msg}\n\n${ENGINES_USAGE}`);
  return EXIT.usage;
}

export function fmtBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  const u = ['B', 'K', 'M', 'G', 'T'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)}${u[i]}`;
}

function exitText(s: EngineStatus): string {
  const x = s.lastExit;
  if (!x) return '—';
  return x.code !== null ? String(x.code) : (x.signal ?? '?');
}

function modelText(s: EngineStatus): string {
  const m = s.models?.[0];
  if (m === undefined) return '—';
  const base = clean(m).split('/').pop() ?? m;
  return base.length > 28 ? base.slice(0, 27) + '…' : base;
}

/** The `ls` table: NAME STATE PID UPTIME RESTARTS EXIT HEALTH MODEL TOK/S RSS PORT, then one line per message/warning. */
export function formatTable(engines: EngineStatus[], now = Date.now()): string {
  const header = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'EXIT', 'HEALTH', 'MODEL', 'TOK/S', 'RSS', 'PORT'];
  const running = (s: EngineStatus) => s.pid !== undefined && s.state !== 'stopped' && s.state !== 'crashed' && s.state !== 'backoff' && s.state !== 'crashloop';
  const rows = engines.map((s) => [
    clean(s.name),
    s.state,
    s.pid !== undefined ? String(s.pid) : '—',
    running(s) && s.startedAt !== undefined ? fmtDuration(now - s.startedAt) : '—',
    String(s.restarts),
    exitText(s),
    s.health?.state ?? '—',
    modelText(s),
    s.tokPerSec !== undefined ? s.tokPerSec.toFixed(1) : '—',
    fmtBytes(s.rssBytes),
    s.port !== undefined ? String(s.port) : '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length))).join('  ').trimEnd();
  const lines = [line(header), ...rows.map(line)];
  for (const s of engines) {
    if (s.message) lines.push(`  ${clean(s.name)}: ${clean(s.message)}`);
    for (const w of s.warnings) lines.push(`  ${clean(s.name)}: warning: ${clean(w)}`);
    if (s.logDroppedBytes) lines.push(`  ${clean(s.name)}: warning: its log relay dropped ${s.logDroppedBytes} bytes of output (the log disk is nearly full)`);
  }
  if (!engines.length) lines.push('(no engines configured)');
  return lines.join('\n');
}

async function connect(ctx: Ctx): Promise<DaemonClient> {
  const c = await connectDaemon({ paths: ctx.paths, autostart: true, ...(ctx.config !== undefined ? { config: ctx.config } : {}) });
  try {
    const info = await c.call('daemon.info', {});
    if (!c.started) warnConfigMismatch(info, ctx.paths.configPath);
    // the file was fixed since the daemon refused it: pick it up
    if (info.configError && ctx.local.ok && info.configPath === ctx.paths.configPath) await c.call('config.reload', {});
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

/** the daemon's view of the config, for commands that start things */
async function configRefused(c: DaemonClient): Promise<string | undefined> {
  return (await c.call('daemon.info', {})).configError;
}

function fail(ctx: Ctx, e: unknown, extra: Record<string, unknown> = {}): number {
  const code = exitFor(e);
  if (ctx.json) out(JSON.stringify({ ok: false, exit: code, error: errorText(e), ...(e instanceof DaemonRpcError ? { rpcCode: e.code } : {}), ...extra }, null, 2));
  err(`sov engines: ${errorText(e)}`);
  return code;
}

/**
 * The log of the last run that ended (the supervisor brackets runs with "--- sov: starting …" and
 * "--- sov: … exited …" lines), at most `n` lines; the plain tail when there are no such markers.
 */
export function lastRun(lines: string[], n: number): string[] {
  let end = -1;
  for (let i = lines.length - 1; i >= 0; i--) if (/^--- sov: .*\bexited\b/.test(lines[i]!)) { end = i; break; }
  if (end < 0) return lines.slice(-n);
  let start = 0;
  for (let i = end - 1; i >= 0; i--) if (/^--- sov: starting\b/.test(lines[i]!)) { start = i; break; }
  return lines.slice(start, end + 1).slice(-n);
}

async function logTail(c: DaemonClient, name: string, n = 20): Promise<{ file?: string; lines: string[] }> {
  try {
    const r = await c.call('engines.logs', { name, lines: n * 4 });
    return { ...(r.file !== undefined ? { file: r.file } : {}), lines: lastRun(r.lines, n) };
  } catch {
    return { lines: [] };
  }
}

function describeExit(s: EngineStatus): string {
  const x = s.lastExit;
  if (!x) return '';
  // an adopted engine is not our child: its exit status cannot be known
  return x.code !== null ? `exited with code ${x.code}` : x.signal ? `killed by ${x.signal}` : 'exited (status unknown)';
}

/**
 * Waits until the engine is healthy. Failure: it exited (crashed, backoff, a new lastExit, more restarts),
 * stopped, or entered crashloop; or the timeout passed.
 */
async function waitHealthy(c: DaemonClient, name: string, base: EngineStatus, timeoutSec: number): Promise<{ ok: true; s: EngineStatus } | { ok: false; s: EngineStatus; code: number; why: string }> {
  const deadline = Date.now() + timeoutSec * 1000;
  const baseExitAt = base.lastExit?.at ?? -Infinity;
  let s = base;
  for (;;) {
    if (s.state === 'healthy') return { ok: true, s };
    if (s.state === 'crashloop') return { ok: false, s, code: EXIT.crashloop, why: `crash loop${s.message ? `: ${s.message}` : ''}${s.lastExit ? ` (last run ${describeExit(s)})` : ''}` };
    const exitedNow = (s.lastExit?.at ?? -Infinity) > baseExitAt || s.restarts > base.restarts;
    if (s.state === 'crashed' || s.state === 'backoff' || s.state === 'stopped' || exitedNow) {
      const how = describeExit(s) || s.state;
      return { ok: false, s, code: EXIT.failedToStart, why: `${how}${s.state !== 'starting' ? ` (now ${s.state}${s.message ? `: ${s.message}` : ''})` : ''}` };
    }
    if (Date.now() >= deadline) return { ok: false, s, code: EXIT.failedToStart, why: `not healthy after ${timeoutSec} s (state ${s.state}${s.health?.message ? `, health: ${s.health.message}` : ''})` };
    await new Promise((r) => setTimeout(r, 200));
    const found = (await c.call('engines.list', {})).find((e) => e.name === name);
    if (!found) return { ok: false, s, code: EXIT.failedToStart, why: 'the engine disappeared from the daemon (config reloaded?)' };
    s = found;
  }
}

/** start/stop/restart are T1 changes: the daemon's audit log records them (and refuses them in lockdown) */
async function recorded(c: DaemonClient, verb: string, name: string, run: () => Promise<number>): Promise<number> {
  try {
    const r = await recordAround(recoveryLinkOver(c), { action: `engine.${verb}`, args: { name }, tier: 'T1', dryRun: `sov engines ${verb} ${name}` }, async () => {
      const code = await run();
      return { code, message: `sov engines ${verb} ${name}: exit ${code}` };
    });
    if (r.refused) err(`sov engines: ${clean(r.message)}`);
    return r.code;
  } finally {
    c.close();
  }
}

async function startLike(ctx: Ctx, verb: 'start' | 'restart', name: string, wait: boolean, timeoutSec: number | undefined): Promise<number> {
  let c: DaemonClient;
  try { c = await connect(ctx); } catch (e) { return fail(ctx, e); }
  const refused = await configRefused(c).catch(() => undefined);
  if (refused) { c.close(); err(refused); if (ctx.json) out(JSON.stringify({ ok: false, exit: EXIT.badConfig, error: refused }, null, 2)); return EXIT.badConfig; }
  return recorded(c, verb, name, () => startLikeOn(c, ctx, verb, name, wait, timeoutSec));
}

async function startLikeOn(c: DaemonClient, ctx: Ctx, verb: 'start' | 'restart', name: string, wait: boolean, timeoutSec: number | undefined): Promise<number> {
  try {
    const method = verb === 'start' ? 'engines.start' : 'engines.restart';
    let s: EngineStatus;
    try {
      s = await c.call(method, { name }, { timeoutMs: 120_000 });
    } catch (e) {
      // an engine added to the file since the daemon read it
      if (e instanceof DaemonRpcError && e.code === RPC_ERRORS.notFound && ctx.local.ok && ctx.local.config.engines.some((x) => x.name === name)) {
        await c.call('config.reload', {});
        s = await c.call(method, { name }, { timeoutMs: 120_000 });
      } else {
        throw e;
      }
    }
    if (!wait) {
      if (ctx.json) out(JSON.stringify(s, null, 2)); else out(`${clean(name)}: ${s.state}${s.pid !== undefined ? ` (pid ${s.pid})` : ''}`);
      return EXIT.ok;
    }
    const cfgEngine = ctx.local.ok ? ctx.local.config.engines.find((x) => x.name === name) : undefined;
    const t0 = Date.now();
    const r = await waitHealthy(c, name, s, timeoutSec ?? (cfgEngine ? cfgEngine.startupGraceSec + 30 : 300));
    if (r.ok) {
      if (ctx.json) out(JSON.stringify(r.s, null, 2));
      else out(`${clean(name)}: healthy (pid ${r.s.pid ?? '—'}) after ${((Date.now() - t0) / 1000).toFixed(1)} s${r.s.openai ? `; ${r.s.openai}` : ''}`);
      return EXIT.ok;
    }
    const tail = await logTail(c, name);
    if (ctx.json) {
      out(JSON.stringify({ ok: false, exit: r.code, error: `${name} failed to ${verb}: ${r.why}`, engine: r.s, logFile: tail.file, logTail: tail.lines }, null, 2));
    }
    const lines = [`sov engines: ${clean(name)} failed to ${verb}: ${r.why}`];
    if (tail.lines.length) lines.push(`--- last ${tail.lines.length} log lines${tail.file ? ` (${tail.file})` : ''} ---`, ...tail.lines.map(clean));
    if (r.code === EXIT.crashloop) lines.push(`(the daemon will not restart it by itself; fix the cause and run \`sov engines start ${clean(name)}\`)`);
    else if (r.s.state === 'backoff' || r.s.state === 'crashed') lines.push('(the daemon keeps retrying with backoff until it counts a crash loop)');
    err(lines.join('\n'));
    return r.code;
  } catch (e) {
    const tail = e instanceof DaemonRpcError && (e.code === RPC_ERRORS.failedToStart || e.code === RPC_ERRORS.crashloop) ? await logTail(c, name) : undefined;
    const code = fail(ctx, e, tail ? { logTail: tail.lines } : {});
    if (tail?.lines.length && !ctx.json) err(`--- last ${tail.lines.length} log lines ---\n${tail.lines.map(clean).join('\n')}`);
    return code;
  }
}

async function ls(ctx: Ctx): Promise<number> {
  let c: DaemonClient;
  try { c = await connect(ctx); } catch (e) {
    if (!ctx.local.ok) { err(ctx.local.text); return EXIT.badConfig; }
    return fail(ctx, e);
  }
  try {
    const info = await c.call('daemon.info', {});
    const engines = await c.call('engines.list', {});
    // the daemon refused its config (and started nothing from it), or the file is bad now
    const refused = info.configError ?? (!ctx.local.ok ? ctx.local.text : undefined);
    // engines still running from an earlier good config are listed; an empty table beside the error is not
    if (ctx.json) out(JSON.stringify(engines, null, 2)); else if (engines.length || !refused) out(formatTable(engines));
    if (refused) { err(refused); return EXIT.badConfig; }
    return EXIT.ok;
  } catch (e) {
    return fail(ctx, e);
  } finally {
    c.close();
  }
}

async function stop(ctx: Ctx, name: string): Promise<number> {
  let c: DaemonClient;
  try { c = await connect(ctx); } catch (e) { return fail(ctx, e); }
  return recorded(c, 'stop', name, () => stopOn(c, ctx, name));
}

async function stopOn(c: DaemonClient, ctx: Ctx, name: string): Promise<number> {
  try {
    // the engine's stop timeout (30 s by default) and the kill after it
    const s = await c.call('engines.stop', { name }, { timeoutMs: 180_000 });
    if (ctx.json) out(JSON.stringify(s, null, 2)); else out(`${clean(name)}: ${s.state}${s.lastExit ? ` (${describeExit(s)})` : ''}`);
    return EXIT.ok;
  } catch (e) {
    return fail(ctx, e);
  }
}

async function logs(ctx: Ctx, name: string, lines: number, search: string | undefined, followIt: boolean): Promise<number> {
  let c: DaemonClient;
  try { c = await connect(ctx); } catch (e) { return fail(ctx, e); }
  let file: string | undefined;
  try {
    // the daemon answers at most MAX_LOG_LINES lines (and 1 MiB) per request
    const r = await c.call('engines.logs', { name, lines: Math.min(lines, MAX_LOG_LINES), ...(search !== undefined ? { search } : {}) }, { timeoutMs: 30_000 });
    file = r.file;
    if (ctx.json && !followIt) out(JSON.stringify(r, null, 2));
    else if (ctx.json) for (const l of r.lines) out(JSON.stringify({ line: l }));
    else {
      for (const l of r.lines) out(clean(l));
      if (search !== undefined && r.matched !== undefined) err(`(${r.matched} matching line${r.matched === 1 ? '' : 's'}${r.lines.length < r.matched ? `, last ${r.lines.length} shown` : ''})`);
      if (lines > MAX_LOG_LINES) err(`(at most ${MAX_LOG_LINES} lines per request: the file is ${clean(r.file ?? 'not on this host')})`);
      if (r.truncated) err(`(cut short: ${clean(r.truncated)})`);
      if (r.droppedBytes) err(`(the log relay dropped ${r.droppedBytes} bytes of output: disk nearly full)`);
    }
  } catch (e) {
    return fail(ctx, e);
  } finally {
    c.close();
  }
  if (!followIt) return EXIT.ok;
  if (file === undefined) { err(`sov engines: ${clean(name)} has no log file to follow (container and systemd engines: use their own tools)`); return EXIT.failed; }
  // the log file is the source of truth: follow it directly, through rotations, without the daemon
  const { follow } = await import('../daemon/logs.js');
  const needle = search?.toLowerCase();
  await new Promise<void>((resolve) => {
    const f = follow(file!, (ls) => {
      for (const l of ls) {
        if (needle !== undefined && !l.toLowerCase().includes(needle)) continue;
        out(ctx.json ? JSON.stringify({ line: l }) : clean(l));
      }
    });
    const end = () => { f.close(); resolve(); };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
    process.stdout.once('error', end);
  });
  return EXIT.ok;
}

/** `sov engines bench …`: src/cli/bench.ts (loaded only for this command) */
async function bench(argv: string[]): Promise<number> {
  const { runBenchCli } = await import('./bench.js');
  return runBenchCli(argv);
}

export async function runEnginesCli(argv: string[]): Promise<number> {
  if (argv[0] === 'bench') return bench(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'no-wait': { type: 'boolean' }, 'timeout-sec': { type: 'string' },
        lines: { type: 'string', short: 'n' }, search: { type: 'string' }, follow: { type: 'boolean', short: 'f' },
      },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const v = parsed.values;
  const [sub, name, ...rest] = parsed.positionals;
  if (v.help) { out(ENGINES_USAGE); return EXIT.ok; }
  if (rest.length) return usageError(`unexpected argument: ${rest[0]}`);
  const paths = resolvePaths(v.config !== undefined ? { config: v.config } : {});
  const ctx: Ctx = { paths, json: v.json ?? false, local: await loadConfig(paths.configPath), ...(v.config !== undefined ? { config: v.config } : {}) };
  const needName = () => (name === undefined ? usageError(`${sub} needs an engine name`) : undefined);
  const allowed: Record<string, string[]> = {
    ls: ['json', 'config', 'help'],
    start: ['json', 'config', 'help', 'no-wait', 'timeout-sec'],
    restart: ['json', 'config', 'help', 'no-wait', 'timeout-sec'],
    stop: ['json', 'config', 'help'],
    logs: ['json', 'config', 'help', 'lines', 'search', 'follow'],
  };
  if (sub === undefined) return usageError('a command is needed');
  const ok = allowed[sub];
  if (!ok) return usageError(`unknown command: ${sub}`);
  for (const k of Object.keys(v)) if (!ok.includes(k)) return usageError(`--${k} does not apply to \`engines ${sub}\``);
  let timeoutSec: number | undefined;
  if (v['timeout-sec'] !== undefined) {
    timeoutSec = Number(v['timeout-sec']);
    if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) return usageError(`--timeout-sec wants a number > 0, got "${v['timeout-sec']}"`);
  }
  switch (sub) {
    case 'ls':
      if (name !== undefined) return usageError(`unexpected argument: ${name}`);
      return ls(ctx);
    case 'start':
    case 'restart':
      // a bad config file: refuse to start anything from it
      if (!ctx.local.ok) { err(ctx.local.text); return EXIT.badConfig; }
      return needName() ?? startLike(ctx, sub, name!, !(v['no-wait'] ?? false), timeoutSec);
    case 'stop':
      return needName() ?? stop(ctx, name!);
    case 'logs': {
      const n = v.lines === undefined ? 50 : Number(v.lines);
      if (!Number.isInteger(n) || n < 0) return usageError(`-n wants a whole number ≥ 0, got "${v.lines}"`);
      return needName() ?? logs(ctx, name!, n, v.search, v.follow ?? false);
    }
    default:
      return usageError(`unknown command: ${sub}`);
  }
}
