/**
 * tunnel.start / stop / restart (issue 10): the daemon's SSH tunnels, keyless — reached from the palette, the
 * Recovery screen and `sov do tunnel.start --arg tunnel=NAME`. T1: asked y/N, recorded in the audit log, refused
 * under --read-only and in lockdown (the daemon checks that too).
 */
import type { TunnelStatus } from '../daemon/types.js';
import { tunnelArgv, tunnelTarget } from '../tunnels/engine.js';
import { shellLine } from '../text/shell.js';
import { readOnlyReason, type Action, type ActionCtx, type ActionResult } from './types.js';

const ARGS = { tunnel: 'the tunnel, as `sov tunnels ls` names it' };
const RUNNING = new Set(['starting', 'healthy', 'degraded']);

/** the daemon's tunnels as last sampled (the engines sample carries them) */
function known(ctx: ActionCtx): TunnelStatus[] | undefined {
  const s = ctx.samples?.engines;
  return s?.state === 'ok' ? s.data.tunnels : s?.state === 'error' ? s.lastGood?.data.tunnels : undefined;
}

const nameOf = (ctx: ActionCtx) => ctx.args?.tunnel ?? '';

function when(title: string, ctx: ActionCtx, state?: (t: TunnelStatus) => true | string): true | string {
  if (ctx.readOnly) return readOnlyReason(title);
  if (!ctx.link) return ctx.noLink ?? 'no daemon to ask';
  if (ctx.link.state !== 'up') return 'daemon down, reconnecting: try again in a moment';
  const name = nameOf(ctx);
  if (!name) return true; // asked for next (the palette offers the names)
  const list = known(ctx);
  const t = list?.find((x) => x.name === name);
  if (list && !t) return `no tunnel named "${name}" (known: ${list.map((x) => x.name).join(', ') || 'none'})`;
  return t && state ? state(t) : true;
}

/** the exact ssh the daemon runs, when the config is at hand */
function command(ctx: ActionCtx): string {
  const cfg = ctx.config?.tunnels.find((t) => t.name === nameOf(ctx));
  const target = cfg && ctx.config ? tunnelTarget(cfg, ctx.config.hosts) : undefined;
  return cfg && target ? `\`${shellLine(tunnelArgv(cfg, target))}\`` : 'its configured ssh -N';
}

async function rpc(ctx: ActionCtx, verb: 'start' | 'stop' | 'restart'): Promise<ActionResult> {
  const name = nameOf(ctx);
  try {
    const s = await ctx.link!.call(`tunnels.${verb}` as const, { name }, { timeoutMs: 60_000 });
    return { kind: 'done', message: `tunnel ${name}: ${verb} → ${s.state}${s.pid !== undefined && s.state !== 'stopped' ? ` (pid ${s.pid})` : ''}${s.message ? ` · ${s.message}` : ''}` };
  } catch (e) {
    const code = (e as { code?: unknown })?.code === 404 ? 3 : undefined;
    return { kind: 'error', message: `tunnel ${name}: ${verb} failed: ${String((e as Error)?.message ?? e)}`, ...(code !== undefined ? { exitCode: code } : {}) };
  }
}

const common = {
  keys: [] as string[], scope: 'global' as const, tier: 'T1' as const, args: ARGS, reads: [],
  argChoices: (ctx: ActionCtx, arg: string) => (arg === 'tunnel' ? (known(ctx) ?? []).map((t) => t.name) : []),
};

export const TUNNEL_ACTIONS: Action[] = [
  {
    ...common, id: 'tunnel.start', title: 'Start tunnel', confirm: true,
    description: 'start an SSH tunnel the daemon supervises (it keeps running when sov quits)',
    when: (ctx) => when('Start tunnel', ctx, (t) => (RUNNING.has(t.state) ? `${t.name} is already running (${t.state}${t.pid !== undefined ? `, pid ${t.pid}` : ''})` : true)),
    describe: (ctx) => `start tunnel ${nameOf(ctx)}: ${command(ctx)}`,
    run: (ctx) => rpc(ctx, 'start'),
  },
  {
    ...common, id: 'tunnel.stop', title: 'Stop tunnel', confirm: true,
    description: 'stop an SSH tunnel (SIGTERM to its ssh\'s process group, SIGKILL after 5 s)',
    when: (ctx) => when('Stop tunnel', ctx, (t) => (t.state === 'stopped' ? `${t.name} is not running` : true)),
    describe: (ctx) => `stop tunnel ${nameOf(ctx)}: SIGTERM its ssh's process group, SIGKILL after 5 s`,
    run: (ctx) => rpc(ctx, 'stop'),
  },
  {
    ...common, id: 'tunnel.restart', title: 'Restart tunnel', confirm: true,
    description: 'stop an SSH tunnel, then start it again (a stuck link, a changed key)',
    when: (ctx) => when('Restart tunnel', ctx, (t) => (t.state === 'stopped' ? `${t.name} is stopped: tunnel.start starts it` : true)),
    describe: (ctx) => `restart tunnel ${nameOf(ctx)}: stop its ssh, then start ${command(ctx)}`,
    run: (ctx) => rpc(ctx, 'restart'),
  },
];
