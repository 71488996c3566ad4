/**
 * `sov do ACTION [--arg k=v …] [--dry-run] [--json] [--read-only] [--config PATH]` and `sov do --list [--json]`:
 * a declared action (src/actions) run headless, through the same when() / describe() / run() as its key and the
 * palette (DESIGN.md §5). The engine comes from `--arg name=X` (looked up in the daemon's engines.list), what it
 * runs from the config, the daemon through a one-shot connection.
 */
import { spawnSync } from 'node:child_process';
import { createDemoEnginesLink } from '../demo/engines.js';
import { parseArgs } from 'node:util';
import { actionsFor } from '../actions/index.js';
import { demoConfig } from '../demo/config.js';
import { readSamples } from '../actions/readings.js';
import { remoteReason, type Action, type ActionCtx, type ActionResult } from '../actions/types.js';
import { findHost, hostRunners, runnerFor, type HostRunner } from '../hosts/runner.js';
import type { Runner } from '../../backends/types.js';
import { recoveryFor } from '../recovery/connect.js';
import { checksText, perform, prepare, whoAmI } from '../recovery/perform.js';
import type { Confirmation } from '../recovery/types.js';
import type { EngineConfig } from '../config/schema.js';
import { loadConfig, type LoadResult } from '../config/load.js';

type Loaded = LoadResult;
import { connectDaemon, type DaemonClient, type DaemonLink } from '../daemon/client.js';
import { resolvePaths, type SovPaths } from '../daemon/paths.js';
import { EXIT, type EngineStatus } from '../daemon/types.js';
import { errorText, exitFor } from './daemon.js';
import { clean } from './engines.js';
import { parseKv } from './kv.js';

export const DO_USAGE = `usage:
  sov do ACTION [--arg k=v …] [--dry-run] [--json] [--read-only] [--demo] [--config PATH]
                [--confirm TARGET] [--tripcode PAYLOAD] [--host NAME]
  sov do --list [--json]

Runs one of the cockpit's actions headless, through the same path as its key and the palette: when(), the
preconditions (each shown with its evidence), the confirmation its tier asks for, the audit log, the action,
its postconditions. --dry-run prints exactly what it would run and the preconditions, and changes nothing (it does
not start the daemon either). --read-only refuses every action above T0. --demo acts on the simulated demo box
(its audit log and tripcode key live in the demo state dir). --host NAME acts on a host of the config's hosts:
over its SSH connection (ZFS and GPU actions; the others need this machine's daemon or files); the audit log stays
here and names the host.
Tiers: T0 runs at once · T1 runs as asked (the command line is the confirmation) · T2 needs --confirm TARGET
(the target's name, as the cockpit asks it to be typed) · T3 needs --tripcode PAYLOAD (sov tripcode sign CODE on
the trusted side; the code to sign is printed by --dry-run). Nothing above T0 runs without the audit log (the
daemon's, or the demo's).

exit codes: 0 ok · 1 refused, failed, or a postcondition failed · 2 bad arguments or unknown action · 3 no such
engine · 6 daemon down`;

export interface DoIo {
  out?: (s: string) => void;
  err?: (s: string) => void;
  env?: NodeJS.ProcessEnv;
  /** how the action reaches the box (default: this machine, or the demo box under --demo); tests count its calls */
  runner?: (demo: boolean) => Runner;
}

interface Io { out: (s: string) => void; err: (s: string) => void; env: NodeJS.ProcessEnv }

/** text from outside (engine names, log lines) never moves the cursor */

type Outcome = { result: ActionResult; data?: unknown; exit?: number };

/**
 * What `sov do` does with each action: every action decides (a test checks), since some only make sense in the
 * cockpit. `run` replaces the action's run() where the cockpit's would open a view or start a background job.
 */
interface Headless {
  /** shown by --list */
  how: string;
  /** only the cockpit can do it (it opens a view) */
  cockpitOnly?: boolean;
  run?(ctx: ActionCtx, io: Io, o: { json: boolean; config?: string }): Promise<Outcome>;
  /** what when() looks for from the cockpit, provided headless */
  ctx?: Partial<ActionCtx>;
}

const LOG_LINES = 50;

export const HEADLESS: Record<string, Headless> = {
  'engine.start': { how: 'runs: the daemon starts it (returns once launched; `sov engines start` waits until healthy)' },
  'engine.stop': { how: 'runs without asking (T1: the command line is the confirmation; --dry-run only shows it)' },
  'engine.restart': { how: 'runs without asking (T1: the command line is the confirmation; --dry-run only shows it)' },
  'vm.snapshot': { how: 'runs as asked (T1), each step printed; `sov vms snapshot NAME [SNAP]` is the same' },
  'vm.revert': { how: 'needs --confirm VM (T2); snapshots the current state first, each step printed; `sov vms revert NAME SNAP --confirm NAME`' },
  'vm.reimage': { how: 'needs --tripcode for RECOVERY:REIMAGE_TO_GOLDEN::VM (T3); each step printed; `sov vms reimage NAME --tripcode …`' },
  'vm.start': { how: 'runs as asked (T1): the declared start argv (QEMU gets -daemonize) or virsh start' },
  'vm.stop': { how: 'runs as asked (T1): --arg mode=powerdown (default) or mode=quit' },
  'engine.logs': {
    how: `prints the last ${LOG_LINES} lines of the log (the cockpit opens the log view; \`sov engines logs -f\` follows)`,
    async run(ctx, io, o) {
      const name = ctx.engine!.name;
      if (!ctx.link) return { result: { kind: 'error', message: ctx.noLink ?? 'no daemon' }, exit: EXIT.daemonDown };
      const r = await ctx.link.call('engines.logs', { name, lines: LOG_LINES }, { timeoutMs: 30_000 });
      if (!o.json) for (const l of r.lines) io.out(clean(l));
      return { result: { kind: 'done', message: `${r.lines.length} line${r.lines.length === 1 ? '' : 's'} of the log of ${name}${r.file ? ` (${r.file})` : ''}` }, data: r };
    },
  },
  'engine.bench': {
    how: 'runs `sov engines bench NAME` here and waits for the result (the cockpit runs it as a background job)',
    // benchmarks can run here: the headless run below does it (the cockpit's job starter is never called)
    ctx: { startBench: () => ({ kind: 'error', message: 'sov do runs benchmarks through sov engines bench' }) },
    async run(ctx, io, o) {
      const { runBenchCli, benchSummary } = await import('./bench.js');
      const captured: string[] = [];
      const code = await runBenchCli([ctx.engine!.name, '--json', ...(o.config !== undefined ? ['--config', o.config] : [])], { out: (s) => captured.push(s), err: io.err, env: io.env });
      let data: import('../engines/bench.js').BenchResult | undefined;
      try { data = JSON.parse(captured.join('')) as import('../engines/bench.js').BenchResult; } catch {}
      if (!data) return { result: { kind: 'error', message: `benchmark of ${ctx.engine!.name} failed` }, exit: code || EXIT.failed };
      const message = benchSummary(data);
      return { result: data.ok > 0 ? { kind: 'done', message } : { kind: 'error', message }, data, exit: code };
    },
  },
  'doctor.run': {
    how: 'prints the report of `sov doctor --profile PROFILE` (the cockpit opens the Doctor screen); --json: the report as data; exit 1 when a check fails',
    run: async (ctx, io, o) => (await import('./doctor.js')).doctorHeadless(ctx, io, o),
  },
};

/** how an action without its own headless form runs, by tier */
const BY_TIER: Record<Action['tier'], string> = {
  T0: 'runs at once',
  T1: 'runs as asked (the command line is the confirmation), recorded in the audit log',
  T2: 'needs --confirm TARGET (the name the cockpit asks to be typed), recorded in the audit log',
  T3: 'needs --tripcode PAYLOAD (--dry-run prints the code to sign), recorded in the audit log',
};

function listActions(actions: Action[], io: Io, json: boolean): number {
  const rows = actions.map((a) => ({
    id: a.id, title: a.title, tier: a.tier, description: a.description, keys: a.keys, scope: a.scope, confirm: a.confirm,
    args: a.args ?? {}, headless: HEADLESS[a.id]?.how ?? BY_TIER[a.tier],
  }));
  if (json) { io.out(JSON.stringify(rows, null, 2)); return EXIT.ok; }
  const w = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows) {
    const args = Object.keys(r.args).map((k) => ` --arg ${k}=${k.toUpperCase()}`).join('');
    io.out(`${r.id.padEnd(w)}  ${r.tier}  ${r.title}: ${r.description}`);
    io.out(`${' '.repeat(w)}      sov do ${r.id}${args}${r.keys.length ? ` · key ${r.keys.join(' ')} (${r.scope} screen)` : ''} · headless: ${r.headless}`);
  }
  return EXIT.ok;
}

/** A DaemonLink over a one-shot client: up until the connection drops. */
function linkOf(c: DaemonClient): DaemonLink {
  let state: DaemonLink['state'] = 'up';
  c.onClose(() => { state = 'down'; });
  return {
    get state() { return state; },
    since: Date.now(),
    paths: c.paths,
    call: (method, params, opts) => c.call(method, params, opts),
    onChange: () => () => {},
    reconnectNow() {},
    close: () => c.close(),
  };
}

/** The engine as the config has it, when the daemon cannot be asked (a dry run or --read-only with no daemon). */
function fromConfig(cfg: EngineConfig): EngineStatus {
  return { name: cfg.name, kind: cfg.kind, state: 'stopped', pids: [], restarts: 0, warnings: [] };
}

interface Parsed {
  id: string;
  action: Action;
  args: Record<string, string>;
  json: boolean; dryRun: boolean; readOnly: boolean; demo: boolean;
  config?: string;
  /** where the config is and what it says (the demo box's own under --demo: the real one is not read) */
  paths: SovPaths;
  local: Loaded;
  confirm?: string;
  tripcode?: string;
  /** --host: another host (its runner); undefined: this machine */
  host?: HostRunner;
}

/** argv → what to run, or the exit code of a usage error / --list / --help */
async function parse(argv: string[], io: Io): Promise<Parsed | number> {
  const usage = (msg: string) => { io.err(`sov do: ${msg}\n\n${DO_USAGE}`); return EXIT.usage; };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        arg: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, 'read-only': { type: 'boolean' },
        config: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, demo: { type: 'boolean' },
        confirm: { type: 'string' }, tripcode: { type: 'string' }, host: { type: 'string' },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) { io.out(DO_USAGE); return EXIT.ok; }
  const paths = resolvePaths({ ...(v.config !== undefined ? { config: v.config } : {}), env: io.env });
  // the demo box acts with its own config (scripts, the engines its simulated ones stand for), never the real one
  const local: Loaded = v.demo ? { ok: true, config: demoConfig(), path: 'the demo box (built in)', missing: false } : await loadConfig(paths.configPath);
  const actions = actionsFor(local.ok ? local.config : undefined);
  const [id, ...rest] = parsed.positionals;
  if (v.list) return id !== undefined ? usage(`--list takes no action, got "${clean(id)}"`) : listActions(actions, io, v.json ?? false);
  const known = () => `known actions: ${actions.map((a) => a.id).join(', ')} (sov do --list)`;
  if (id === undefined) return usage(`name an action; ${known()}`);
  if (rest.length) return usage(`unexpected argument: ${clean(rest[0]!)} (arguments are --arg k=v)`);
  const action = actions.find((a) => a.id === id);
  if (!action) { io.err(`sov do: unknown action "${clean(id)}"; ${known()}`); return EXIT.usage; }

  // --arg k=v: only the keys the action declares, each once; all of those without a default
  const declared = action.args ?? {};
  const takes = Object.keys(declared).length ? `it takes ${Object.keys(declared).map((k) => `--arg ${k}=…`).join(' ')}` : 'it takes none';
  const args = parseKv(v.arg);
  if (typeof args === 'string') return usage(args);
  const unknownArg = Object.keys(args).find((k) => !Object.hasOwn(declared, k));
  if (unknownArg !== undefined) return usage(`${id} has no argument "${clean(unknownArg)}" (${takes})`);
  for (const k of Object.keys(declared)) if (!(k in args) && !(k in (action.argDefaults ?? {}))) return usage(`${id} needs --arg ${k}=… (${declared[k]})`);
  const host = v.host === undefined ? undefined : hostFor(v.host, action, v.demo ?? false, local, io.env);
  if (typeof host === 'string') return usage(host);
  return {
    ...(host ? { host } : {}),
    id, action, args, json: v.json ?? false, dryRun: v['dry-run'] ?? false, readOnly: v['read-only'] ?? false, demo: v.demo ?? false, paths, local,
    ...(v.config !== undefined ? { config: v.config } : {}), ...(v.confirm !== undefined ? { confirm: v.confirm } : {}), ...(v.tripcode !== undefined ? { tripcode: v.tripcode } : {}),
  };
}

/** --host NAME: another host's runner (this machine's own name or "local": undefined), or what is wrong */
function hostFor(name: string, action: Action, demo: boolean, local: Loaded, env: NodeJS.ProcessEnv): HostRunner | undefined | string {
  const all = hostRunners({ demo, demoSpeed: 1, ...(local.ok && local.config.hosts ? { hosts: local.config.hosts } : {}), env });
  const h = findHost(all, name);
  if (!h) return `no host named "${clean(name)}" (known: ${all.map((x) => clean(x.name)).join(', ')}; hosts: in ${local.path})`;
  if (h === all[0]) return undefined;
  for (const other of all) if (other !== h) other.closeSync();
  const why = remoteReason(action, h.name, all[0]!.name);
  if (why) { h.closeSync(); return why; }
  return h;
}

/** the confirmation the command line gives: T1 by asking at all, T2 --confirm, T3 --tripcode */
function confirmationOf(o: Parsed): Confirmation {
  if (o.tripcode !== undefined) return { kind: 'tripcode', payload: o.tripcode };
  if (o.confirm !== undefined) return { kind: 'typed', text: o.confirm };
  return o.action.tier === 'T1' ? { kind: 'yes' } : { kind: 'none' };
}

export async function runDoCli(argv: string[], ioIn: DoIo = {}): Promise<number> {
  const io: Io = {
    out: ioIn.out ?? ((s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); }),
    err: ioIn.err ?? ((s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); }),
    env: ioIn.env ?? process.env,
  };
  const o = await parse(argv, io);
  if (typeof o === 'number') return o;
  const { id, action, args, json, dryRun, readOnly } = o;
  const headless = HEADLESS[id];
  if (headless?.cockpitOnly) { io.err(`sov do: ${id} works in the cockpit only`); return EXIT.failed; }

  const { paths, local } = o;
  // a dry run changes nothing, and --read-only neither: neither starts the daemon; the demo box has none
  // nor does a T0 action that needs no daemon (a diagnostic script): nothing to record, nothing to ask
  const autostart = !dryRun && !readOnly && !o.demo && (action.tier !== 'T0' || needsDaemon(action));
  let client: DaemonClient | undefined;
  // ctrl+c, SIGTERM, SIGHUP cancel the running action (a script's process group gets SIGTERM, then SIGKILL) rather than orphan it
  const cancel = new AbortController();
  const onSignal = () => { io.err('sov do: cancelling (again to quit at once)'); cancel.abort(); };
  for (const sig of CANCEL_SIGNALS) process.once(sig, onSignal);
  // a hand-off to ssh: its ctrl+c is its own
  offSignals = () => { for (const sig of CANCEL_SIGNALS) process.off(sig, onSignal); };
  let noLink: string | undefined;
  let demoLink: DaemonLink | undefined;
  try {
    // the demo box's engines are simulated in this process, as in the cockpit
    if (o.demo) demoLink = createDemoEnginesLink({ now: Date.now });
    else {
      try {
        client = await connectDaemon({ paths, autostart, env: io.env, ...(o.config !== undefined ? { config: o.config } : {}) });
        const info = await client.call('daemon.info', {});
        if (!client.started && info.configPath !== paths.configPath) io.err(`sov: note: the running daemon (pid ${info.pid}) uses ${info.configPath}, not ${paths.configPath}`);
      } catch (e) {
        client?.close();
        client = undefined;
        if (autostart && needsDaemon(action)) { io.err(`sov do: ${errorText(e)}`); return exitFor(e); }
        noLink = errorText(e);
      }
    }
    const link = client ? linkOf(client) : demoLink;
    const engine = await engineFor(args.name, action, link, local, noLink, io);
    if (typeof engine === 'number') return engine;

    const runner = o.host?.runner ?? ioIn.runner?.(o.demo) ?? runnerFor({ demo: o.demo, demoSpeed: 1 });
    // only the sources the action declares its checks read (a script, an engine: none); undeclared: all of them
    const reads = action.reads;
    const ctx: ActionCtx = {
      readOnly, args, demo: o.demo,
      setLogs: () => {},
      host: o.host?.name ?? runner.host, ...(o.host ? { remote: true } : {}), runner, who: whoAmI(o.demo ? 'demo' : 'cli', io.env),
      ...(reads === undefined || reads.length ? { samples: await readSamples(runner, reads) } : {}),
      ...(local.ok ? { config: local.config } : {}),
      ...(engine.engine ? { engine: engine.engine } : {}),
      ...(engine.engineConfig ? { engineConfig: engine.engineConfig } : {}),
      // another host's engines are not this daemon's
      ...(link && !o.host ? { link } : { noLink: o.host ? `${o.host.name} is reached over SSH: its engines are not supervised from here` : noLink ?? 'the daemon is not running' }),
      ...headless?.ctx,
      output: (line) => { if (!json) io.out(clean(line)); },
      signal: cancel.signal,
    };
    const rec = recoveryFor({ demo: o.demo, ...(link ? { link } : {}), env: io.env });
    if (rec) ctx.recovery = rec;
    return await doAction(o, ctx, headless, io);
  } catch (e) {
    io.err(`sov do: ${errorText(e)}`);
    if (json) io.out(JSON.stringify({ action: id, args, ok: false, exit: exitFor(e), error: errorText(e) }, null, 2));
    return exitFor(e);
  } finally {
    for (const sig of CANCEL_SIGNALS) process.off(sig, onSignal);
    client?.close();
    await o.host?.close();
  }
}

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let offSignals: (() => void) | undefined;

/** engine actions need the daemon; the others act on the box through a runner */
const needsDaemon = (a: Action) => a.id.startsWith('engine.') || a.id.startsWith('stack.');

/** the engine named by --arg name, from the daemon (or the config when there is none); an exit code when unknown */
async function engineFor(name: string | undefined, action: Action, link: DaemonLink | undefined, local: Loaded, noLink: string | undefined, io: Io):
  Promise<{ engine?: EngineStatus; engineConfig?: EngineConfig } | number> {
  if (name === undefined || !action.id.startsWith('engine.')) return {};
  const engineConfig = local.ok ? local.config.engines.find((c) => c.name === name) : undefined;
  if (link) {
    const list = await link.call('engines.list', {});
    const engine = list.find((e) => e.name === name);
    if (!engine) { io.err(`sov do: no engine named "${clean(name)}" (known: ${list.map((e) => clean(e.name)).join(', ') || 'none'})`); return EXIT.notFound; }
    return { engine, ...(engineConfig ? { engineConfig } : {}) };
  }
  if (engineConfig) {
    io.err(`sov do: the daemon is not running (${noLink}): ${clean(name)} as the config declares it; its state is unknown`);
    return { engine: fromConfig(engineConfig), engineConfig };
  }
  io.err(`sov do: no engine named "${clean(name)}" in ${local.path}${local.ok ? '' : ' (the config is invalid)'}, and no daemon to ask (${noLink})`);
  return EXIT.notFound;
}

/** prepare → (dry run: show) → perform, printing as it goes */
async function doAction(o: Parsed, ctx: ActionCtx, headless: Headless | undefined, io: Io): Promise<number> {
  const { id, action, json } = o;
  const p = await prepare(action, ctx);
  const doc = (result: ActionResult | null, extra: Record<string, unknown> = {}) =>
    io.out(JSON.stringify({ action: id, args: p.args, tier: action.tier, describe: p.dryRun, checks: p.checks, ...extra, result }, null, 2));
  const needs = p.confirm === 'typed' ? `--confirm ${p.target}` : p.confirm === 'tripcode' ? `--tripcode PAYLOAD (sov tripcode sign '${p.code}')` : undefined;
  if (o.dryRun) {
    const would = p.refused ? p.refused.reason : true;
    if (json) doc(null, { dryRun: true, when: would, ...(needs ? { needs } : {}), ...(p.code ? { code: p.code } : {}), ...(p.target ? { target: p.target } : {}) });
    else {
      io.out(p.dryRun);
      if (p.checks.length) io.out(checksText(p.checks));
      io.err(`(dry run: nothing was run${would !== true ? `; it would be refused now: ${would}` : ''}${needs ? `; it needs ${needs}` : ''})`);
    }
    return EXIT.ok;
  }
  if (!json) { io.out(p.dryRun); if (p.checks.length) io.out(checksText(p.checks)); }
  // an action with its own headless form (logs, bench) runs that form, through perform() all the same: T1 is recorded
  let own: Outcome | undefined;
  const hr = headless?.run;
  const pp = hr ? { ...p, action: { ...action, run: async (c: ActionCtx) => (own = await hr(c, io, { json, ...(o.config !== undefined ? { config: o.config } : {}) })).result } } : p;
  const r = await perform(pp, confirmationOf(o));
  if (r.result.kind === 'attach') {
    // the terminal is ours: run it here, and its exit code is ours
    offSignals?.();
    const x = spawnSync(r.result.argv[0]!, r.result.argv.slice(1), { stdio: 'inherit' });
    if (x.error) { io.err(`sov do: ${r.result.argv[0]}: ${(x.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : x.error.message}`); return EXIT.failed; }
    return x.status ?? EXIT.failed;
  }
  if (own && r.outcome !== 'refused') return finish(r.result, own.exit ?? (r.outcome === 'ok' ? EXIT.ok : EXIT.failed), own.data, json, doc, io);
  const extra = { outcome: r.outcome, post: r.post, durationMs: r.durationMs, ...(r.refusal ? { refused: r.refusal } : {}), ...(r.auditId ? { auditId: r.auditId } : {}) };
  if (!json && r.post.length) io.out(checksText(r.post));
  return finish(r.result, r.outcome === 'ok' ? EXIT.ok : EXIT.failed, extra, json, doc, io);
}

function finish(r: ActionResult, exit: number | undefined, data: unknown, json: boolean, doc: (r: ActionResult, extra?: Record<string, unknown>) => void, io: Io): number {
  const code = exit ?? (r.kind === 'error' ? EXIT.failed : EXIT.ok);
  if (json) doc(r, data !== undefined ? (typeof data === 'object' && data !== null && 'outcome' in data ? data as Record<string, unknown> : { data }) : {});
  else if (r.kind === 'error') io.err(`sov do: ${clean(r.message)}`);
  else if (r.message) io.out(clean(r.message));
  return code;
}
