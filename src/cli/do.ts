/**
 * `sov do ACTION [--arg k=v …] [--dry-run] [--json] [--read-only] [--config PATH]` and `sov do --list [--json]`:
 * a declared action (src/actions) run headless, through the same when() / describe() / run() as its key and the
 * palette (DESIGN.md §5). The engine comes from `--arg name=X` (looked up in the daemon's engines.list), what it
 * runs from the config, the daemon through a one-shot connection.
 */
import { parseArgs } from 'node:util';
import { ACTION_BY_ID, ACTIONS } from '../actions/index.js';
import { readOnlyReason, type ActionCtx, type ActionResult } from '../actions/types.js';
import type { EngineConfig } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { connectDaemon, type DaemonClient, type DaemonLink } from '../daemon/client.js';
import { resolvePaths } from '../daemon/paths.js';
import { EXIT, type EngineStatus } from '../daemon/types.js';
import { errorText, exitFor } from './daemon.js';
import { clean } from './engines.js';

export const DO_USAGE = `usage:
  sov do ACTION [--arg k=v …] [--dry-run] [--json] [--read-only] [--config PATH]
  sov do --list [--json]

Runs one of the cockpit's actions headless: describe() (exactly what it will run) is printed first, then the
action runs unless it is refused (the same reason the cockpit shows). --dry-run prints what it would run and
changes nothing (it does not start the daemon either). --read-only refuses every action above T0.
Engine actions take --arg name=ENGINE. stop and restart do not ask: use --dry-run to see what they do.

exit codes: 0 ok · 1 refused or failed · 2 bad arguments or unknown action · 3 no such engine · 6 daemon down`;

export interface DoIo {
  out?: (s: string) => void;
  err?: (s: string) => void;
  env?: NodeJS.ProcessEnv;
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
  run?(ctx: ActionCtx, io: Io, o: { json: boolean; config?: string }): Promise<Outcome>;
  /** what when() looks for from the cockpit, provided headless */
  ctx?: Partial<ActionCtx>;
}

const LOG_LINES = 50;

export const HEADLESS: Record<string, Headless> = {
  'engine.start': { how: 'runs: the daemon starts it (returns once launched; `sov engines start` waits until healthy)' },
  'engine.stop': { how: 'runs without asking (describe() is printed first; --dry-run only shows it)' },
  'engine.restart': { how: 'runs without asking (describe() is printed first; --dry-run only shows it)' },
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
};

function listActions(io: Io, json: boolean): number {
  const rows = ACTIONS.map((a) => ({
    id: a.id, title: a.title, tier: a.tier, description: a.description, keys: a.keys, scope: a.scope, confirm: a.confirm,
    args: a.args ?? {}, headless: HEADLESS[a.id]?.how ?? 'cockpit only: sov do refuses it',
  }));
  if (json) { io.out(JSON.stringify(rows, null, 2)); return EXIT.ok; }
  const w = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows) {
    const args = Object.keys(r.args).map((k) => ` --arg ${k}=${k.toUpperCase()}`).join('');
    io.out(`${r.id.padEnd(w)}  ${r.tier}  ${r.title}: ${r.description}`);
    io.out(`${' '.repeat(w)}      sov do ${r.id}${args} · key ${r.keys.join(' ')} (${r.scope} screen) · headless: ${r.headless}`);
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

export async function runDoCli(argv: string[], ioIn: DoIo = {}): Promise<number> {
  const io: Io = {
    out: ioIn.out ?? ((s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); }),
    err: ioIn.err ?? ((s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); }),
    env: ioIn.env ?? process.env,
  };
  const known = () => `known actions: ${ACTIONS.map((a) => a.id).join(', ')} (sov do --list)`;
  const usage = (msg: string) => { io.err(`sov do: ${msg}\n\n${DO_USAGE}`); return EXIT.usage; };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        arg: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, 'read-only': { type: 'boolean' },
        config: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const v = parsed.values;
  const json = v.json ?? false;
  const dryRun = v['dry-run'] ?? false;
  const readOnly = v['read-only'] ?? false;
  if (v.help) { io.out(DO_USAGE); return EXIT.ok; }
  const [id, ...rest] = parsed.positionals;
  if (v.list) return id !== undefined ? usage(`--list takes no action, got "${clean(id)}"`) : listActions(io, json);
  if (id === undefined) return usage(`name an action; ${known()}`);
  if (rest.length) return usage(`unexpected argument: ${clean(rest[0]!)} (arguments are --arg k=v)`);
  const action = ACTION_BY_ID.get(id);
  if (!action) { io.err(`sov do: unknown action "${clean(id)}"; ${known()}`); return EXIT.usage; }

  // --arg k=v: only the keys the action declares, each once, all of them
  const declared = action.args ?? {};
  const takes = Object.keys(declared).length ? `it takes ${Object.keys(declared).map((k) => `--arg ${k}=…`).join(' ')}` : 'it takes none';
  const args: Record<string, string> = {};
  for (const raw of v.arg ?? []) {
    const m = /^([A-Za-z][\w-]*)=(.*)$/s.exec(raw);
    if (!m) return usage(`--arg wants k=v, got "${clean(raw)}"`);
    const [, k, val] = m as unknown as [string, string, string];
    if (!(k in declared)) return usage(`${id} has no argument "${clean(k)}" (${takes})`);
    if (k in args) return usage(`--arg ${k} given twice`);
    args[k] = val;
  }
  for (const k of Object.keys(declared)) if (!(k in args)) return usage(`${id} needs --arg ${k}=… (${declared[k]})`);

  const headless = HEADLESS[id];
  if (!headless) { io.err(`sov do: ${id} works in the cockpit only`); return EXIT.failed; }

  const paths = resolvePaths({ ...(v.config !== undefined ? { config: v.config } : {}), env: io.env });
  const local = await loadConfig(paths.configPath);
  // a dry run changes nothing, and --read-only neither: neither starts the daemon
  const autostart = !dryRun && !readOnly;
  let client: DaemonClient | undefined;
  let noLink: string | undefined;
  try {
    try {
      client = await connectDaemon({ paths, autostart, env: io.env, ...(v.config !== undefined ? { config: v.config } : {}) });
      const info = await client.call('daemon.info', {});
      if (!client.started && info.configPath !== paths.configPath) io.err(`sov: note: the running daemon (pid ${info.pid}) uses ${info.configPath}, not ${paths.configPath}`);
    } catch (e) {
      client?.close();
      client = undefined;
      if (autostart) { io.err(`sov do: ${errorText(e)}`); return exitFor(e); }
      noLink = errorText(e);
    }
    const link = client ? linkOf(client) : undefined;

    let engine: EngineStatus | undefined;
    let engineConfig: EngineConfig | undefined;
    const name = args.name;
    if (name !== undefined) {
      engineConfig = local.ok ? local.config.engines.find((c) => c.name === name) : undefined;
      if (link) {
        const list = await link.call('engines.list', {});
        engine = list.find((e) => e.name === name);
        if (!engine) { io.err(`sov do: no engine named "${clean(name)}" (known: ${list.map((e) => clean(e.name)).join(', ') || 'none'})`); return EXIT.notFound; }
      } else if (engineConfig) {
        engine = fromConfig(engineConfig);
        io.err(`sov do: the daemon is not running (${noLink}): ${clean(name)} as the config declares it; its state is unknown`);
      } else {
        io.err(`sov do: no engine named "${clean(name)}" in ${local.path}${local.ok ? '' : ' (the config is invalid)'}, and no daemon to ask (${noLink})`);
        return EXIT.notFound;
      }
    }
    const ctx: ActionCtx = {
      readOnly,
      setLogs: () => {},
      ...(engine ? { engine } : {}),
      ...(engineConfig ? { engineConfig } : {}),
      ...(link ? { link } : { noLink: `the daemon is not running: ${noLink ?? ''}` }),
      ...headless.ctx,
    };
    const describe = action.describe(ctx);
    // above T0 nothing runs under --read-only, whatever the action's own when() checks
    const when = () => (readOnly && action.tier !== 'T0' ? readOnlyReason(action.title) : action.when(ctx));
    const doc = (result: ActionResult | null, extra: Record<string, unknown> = {}) =>
      io.out(JSON.stringify({ action: id, args, describe, ...extra, result }, null, 2));

    if (dryRun) {
      const now = when();
      if (json) doc(null, { dryRun: true, when: now });
      else { io.out(describe); io.err(`(dry run: nothing was run${now !== true ? `; it would be refused now: ${now}` : ''})`); }
      return EXIT.ok;
    }
    if (!json) io.out(describe);
    const ok = when();
    if (ok !== true) {
      if (json) doc({ kind: 'error', message: ok }, { refused: true });
      io.err(`sov do: ${ok}`);
      return EXIT.failed;
    }
    let outcome: Outcome;
    try {
      outcome = headless.run ? await headless.run(ctx, io, { json, ...(v.config !== undefined ? { config: v.config } : {}) }) : { result: await action.run(ctx) };
    } catch (e) {
      outcome = { result: { kind: 'error', message: `${action.title} failed: ${errorText(e)}` }, exit: exitFor(e) };
    }
    const r = outcome.result;
    const code = outcome.exit ?? (r.kind === 'error' ? EXIT.failed : EXIT.ok);
    if (json) doc(r, outcome.data !== undefined ? { data: outcome.data } : {});
    else if (r.kind === 'error') io.err(`sov do: ${clean(r.message)}`);
    else if (r.message) io.out(clean(r.message));
    return code;
  } catch (e) {
    io.err(`sov do: ${errorText(e)}`);
    if (json) io.out(JSON.stringify({ action: id, args, ok: false, exit: exitFor(e), error: errorText(e) }, null, 2));
    return exitFor(e);
  } finally {
    client?.close();
  }
}
