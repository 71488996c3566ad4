/**
 * `sov tunnels ls | start | stop | restart` — headless, through the daemon (started on demand), with the exit codes
 * and words of `sov engines`. start/stop/restart are T1: the daemon's audit log records them (lockdown refuses).
 */
import { parseArgs } from 'node:util';
import { loadConfig, type LoadResult } from '../config/load.js';
import { connectDaemon, type DaemonClient } from '../daemon/client.js';
import { resolvePaths, type SovPaths } from '../daemon/paths.js';
import { EXIT, type TunnelStatus } from '../daemon/types.js';
import { recordAround } from '../recovery/record.js';
import { recoveryLinkOver } from '../recovery/link.js';
import { sanitize as clean } from '../text/sanitize.js';
import { errorText, exitFor, fmtDuration, warnConfigMismatch } from './daemon.js';

export const TUNNELS_USAGE = `usage:
  sov tunnels ls [--json]
  sov tunnels start NAME [--no-wait] [--timeout-sec N] [--json]   waits until healthy
  sov tunnels stop NAME [--json]
  sov tunnels restart NAME [--no-wait] [--timeout-sec N] [--json]
every command takes --config PATH (default $XDG_CONFIG_HOME/sov/config.yaml); the daemon is started when needed.

exit codes: 0 ok · 1 failed · 2 bad arguments · 3 no such tunnel · 4 failed to start · 5 crash loop ·
            6 daemon down · 7 the config is invalid`;

interface Ctx { paths: SovPaths; config?: string; json: boolean; local: LoadResult }

const out = (s: string) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); };
const err = (s: string) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); };

function usageError(msg: string): number {
  err(`sov tunnels: ${msg}\n\n${TUNNELS_USAGE}`);
  return EXIT.usage;
}

const RUNNING = new Set(['starting', 'healthy', 'degraded']);

/** The `ls` table: NAME STATE PID UPTIME RESTARTS FORWARD VIA PROBE, then one line per message. */
export function formatTunnels(ts: TunnelStatus[], now = Date.now()): string {
  const header = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'FORWARD', 'VIA', 'PROBE'];
  const rows = ts.map((t) => [
    clean(t.name), t.state, t.pid !== undefined && RUNNING.has(t.state) ? String(t.pid) : '—',
    RUNNING.has(t.state) && t.startedAt !== undefined ? fmtDuration(now - t.startedAt) : '—',
    String(t.restarts), clean(t.forwards.join(', ')) || '—', clean(t.via),
    t.health ? `${t.health.state}${t.health.message ? `: ${clean(t.health.message)}` : ''}` : '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length))).join('  ').trimEnd();
  const lines = [line(header), ...rows.map(line)];
  for (const t of ts) if (t.message) lines.push(`  ${clean(t.name)}: ${clean(t.message)}`);
  if (!ts.length) lines.push('(no tunnels configured)');
  return lines.join('\n');
}

async function connect(ctx: Ctx): Promise<DaemonClient> {
  const c = await connectDaemon({ paths: ctx.paths, autostart: true, ...(ctx.config !== undefined ? { config: ctx.config } : {}) });
  try {
    const info = await c.call('daemon.info', {});
    if (!c.started) warnConfigMismatch(info, ctx.paths.configPath);
    if (info.configError && ctx.local.ok && info.configPath === ctx.paths.configPath) await c.call('config.reload', {});
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

function fail(ctx: Ctx, e: unknown): number {
  const code = exitFor(e);
  if (ctx.json) out(JSON.stringify({ ok: false, exit: code, error: errorText(e) }, null, 2));
  err(`sov tunnels: ${clean(errorText(e))}`);
  return code;
}

async function ls(ctx: Ctx): Promise<number> {
  let c: DaemonClient;
  try { c = await connect(ctx); } catch (e) {
    if (!ctx.local.ok) { err(ctx.local.text); return EXIT.badConfig; }
    return fail(ctx, e);
  }
  try {
    const info = await c.call('daemon.info', {});
    const ts = await c.call('tunnels.list', {});
    const refused = info.configError ?? (!ctx.local.ok ? ctx.local.text : undefined);
    if (ctx.json) out(JSON.stringify(ts, null, 2)); else if (ts.length || !refused) out(formatTunnels(ts));
    if (refused) { err(refused); return EXIT.badConfig; }
    return EXIT.ok;
  } catch (e) {
    return fail(ctx, e);
  } finally {
    c.close();
  }
}

/** Healthy, or why not: a crash loop (5), an exit, a backoff or a stop since (4), the deadline (4). */
async function waitHealthy(c: DaemonClient, base: TunnelStatus, timeoutSec: number): Promise<{ ok: boolean; s: TunnelStatus; code: number; why: string }> {
  const deadline = Date.now() + timeoutSec * 1000;
  let s = base;
  for (;;) {
    if (s.state === 'healthy') return { ok: true, s, code: EXIT.ok, why: '' };
    if (s.state === 'crashloop') return { ok: false, s, code: EXIT.crashloop, why: `crash loop${s.message ? `: ${s.message}` : ''}` };
    const exited = (s.lastExit?.at ?? -Infinity) > (base.lastExit?.at ?? -Infinity) || s.restarts > base.restarts;
    if (s.state === 'crashed' || s.state === 'backoff' || s.state === 'stopped' || exited) return { ok: false, s, code: EXIT.failedToStart, why: `${s.state}${s.message ? `: ${s.message}` : ''}` };
    if (Date.now() >= deadline) return { ok: false, s, code: EXIT.failedToStart, why: `not healthy after ${timeoutSec} s (state ${s.state}${s.health?.message ? `, probe: ${s.health.message}` : ''})` };
    await new Promise((r) => setTimeout(r, 200));
    const found = (await c.call('tunnels.list', {})).find((t) => t.name === base.name);
    if (!found) return { ok: false, s, code: EXIT.failedToStart, why: 'the tunnel disappeared from the daemon (config reloaded?)' };
    s = found;
  }
}

async function change(ctx: Ctx, verb: 'start' | 'stop' | 'restart', name: string, wait: boolean, timeoutSec: number | undefined): Promise<number> {
  let c: DaemonClient;
  try { c = await connect(ctx); } catch (e) { return fail(ctx, e); }
  const run = async (): Promise<number> => {
    try {
      const s = await c.call(`tunnels.${verb}` as const, { name }, { timeoutMs: 60_000 });
      if (verb === 'stop' || !wait) {
        if (ctx.json) out(JSON.stringify(s, null, 2)); else out(`${clean(name)}: ${s.state}${s.pid !== undefined && s.state !== 'stopped' ? ` (pid ${s.pid})` : ''}`);
        return EXIT.ok;
      }
      const t0 = Date.now();
      const cfg = ctx.local.ok ? ctx.local.config.tunnels.find((t) => t.name === name) : undefined;
      const r = await waitHealthy(c, s, timeoutSec ?? (cfg ? cfg.connectTimeoutSec + 20 : 30));
      if (ctx.json) out(JSON.stringify(r.ok ? r.s : { ok: false, exit: r.code, error: `${name} failed to ${verb}: ${r.why}`, tunnel: r.s }, null, 2));
      if (r.ok) { if (!ctx.json) out(`${clean(name)}: healthy (pid ${r.s.pid ?? '—'}) after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${clean(r.s.forwards.join(', '))} via ${clean(r.s.via)}`); return EXIT.ok; }
      err(`sov tunnels: ${clean(name)} failed to ${verb}: ${clean(r.why)}${r.s.logFile ? `\n(its ssh's output: ${clean(r.s.logFile)})` : ''}`);
      return r.code;
    } catch (e) {
      return fail(ctx, e);
    }
  };
  try {
    const r = await recordAround(recoveryLinkOver(c), { action: `tunnel.${verb}`, args: { name }, tier: 'T1', dryRun: `sov tunnels ${verb} ${name}` }, async () => {
      const code = await run();
      return { code, message: `sov tunnels ${verb} ${name}: exit ${code}` };
    });
    if (r.refused) err(`sov tunnels: ${clean(r.message)}`);
    return r.code;
  } finally {
    c.close();
  }
}

export async function runTunnelsCli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { json: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, 'no-wait': { type: 'boolean' }, 'timeout-sec': { type: 'string' } },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const v = parsed.values;
  const [sub, name, ...rest] = parsed.positionals;
  if (v.help) { out(TUNNELS_USAGE); return EXIT.ok; }
  if (sub === undefined) return usageError('a command is needed');
  if (!['ls', 'start', 'stop', 'restart'].includes(sub)) return usageError(`unknown command: ${sub}`);
  if (rest.length || (sub === 'ls' && name !== undefined)) return usageError(`unexpected argument: ${rest[0] ?? name}`);
  if ((sub === 'ls' || sub === 'stop') && (v['no-wait'] !== undefined || v['timeout-sec'] !== undefined)) return usageError(`--${v['no-wait'] !== undefined ? 'no-wait' : 'timeout-sec'} does not apply to \`tunnels ${sub}\``);
  let timeoutSec: number | undefined;
  if (v['timeout-sec'] !== undefined) {
    timeoutSec = Number(v['timeout-sec']);
    if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) return usageError(`--timeout-sec wants a number > 0, got "${v['timeout-sec']}"`);
  }
  const paths = resolvePaths(v.config !== undefined ? { config: v.config } : {});
  const ctx: Ctx = { paths, json: v.json ?? false, local: await loadConfig(paths.configPath), ...(v.config !== undefined ? { config: v.config } : {}) };
  if (sub === 'ls') return ls(ctx);
  if (name === undefined) return usageError(`${sub} needs a tunnel name`);
  if (sub !== 'stop' && !ctx.local.ok) { err(ctx.local.text); return EXIT.badConfig; }
  return change(ctx, sub as 'start' | 'stop' | 'restart', name, !(v['no-wait'] ?? false), timeoutSec);
}
