/**
 * `sov tripcode init|sign|apply|code` (issue 8). init makes the box key; sign (on the trusted side, with a copy of
 * the key) prints a payload; apply hands a payload to the authority — the daemon's, or the demo box's in-process —
 * where LOCKDOWN and UNLOCK take effect, and an action code runs its action through `sov do … --tripcode`.
 */
import { parseArgs } from 'node:util';
import { actionsFor } from '../actions/index.js';
import { loadConfig } from '../config/load.js';
import { demoConfig } from '../demo/config.js';
import { connectDaemon } from '../daemon/client.js';
import { resolvePaths } from '../daemon/paths.js';
import { EXIT } from '../daemon/types.js';
import { createAuthority, demoStateDir, initKey } from '../recovery/authority.js';
import { actionCode, parseCode } from '../recovery/codes.js';
import { whoAmI } from '../recovery/perform.js';
import { keyPath, readKey, sign } from '../recovery/tripcode.js';
import type { TripcodeApply } from '../recovery/types.js';
import { errorText, exitFor } from './daemon.js';
import { clean } from './engines.js';
import { parseKv } from './kv.js';
import { findHost, hostRunners } from '../hosts/runner.js';
import { shellLine } from '../text/shell.js';

export const TRIPCODE_USAGE = `usage:
  sov tripcode init [--force] [--demo]             make the box key (<state dir>/tripcode.key, 0600); prints its fingerprint
  sov tripcode sign CODE [--key FILE] [--demo]     print a payload "ts|code|sig" (on the trusted side, with a copy of the key)
  sov tripcode apply PAYLOAD [--arg k=v …] [--json] [--demo] [--config PATH]
  sov tripcode code ACTION [--arg k=v …] [--host NAME] [--demo] [--config PATH]
                                                   print the code a T3 action with exactly these arguments needs
                                                   (--host: acting on that host of the config's hosts:, over SSH)

Codes: RECOVERY:LOCKDOWN · RECOVERY:UNLOCK · RECOVERY:REVERT_SNAPSHOT::<pool/ds@snap> · RECOVERY:REIMAGE_TO_GOLDEN[::vm]
       RECOVERY:DIAGNOSTIC::<profile> · RECOVERY:PHOENIX · ACTION::<action-id>::<args hash> (sov tripcode code)
apply: LOCKDOWN and UNLOCK take effect in the daemon (the demo box's authority with --demo); any other code names an
action, which then runs as \`sov do ACTION --tripcode PAYLOAD\` (ACTION:: codes need the same --arg values they were made
for; on another host, \`sov do … --host NAME\` needs a code made with the same --host, and the RECOVERY: codes act on
this machine only). A payload is valid for 5 minutes (recovery.tripcode.windowSec), once. init --force replaces the key: stop the
daemon first; payloads signed with the old key stop working.

exit codes: 0 ok · 1 refused or failed · 2 bad arguments · 6 daemon down`;

export interface TripcodeIo {
  out?: (s: string) => void;
  err?: (s: string) => void;
  env?: NodeJS.ProcessEnv;
  /** runs `sov do` (tests hand in their own); default: src/cli/do.ts */
  runDo?: (argv: string[]) => Promise<number>;
}

interface Io { out: (s: string) => void; err: (s: string) => void; env: NodeJS.ProcessEnv }

export async function runTripcodeCli(argv: string[], ioIn: TripcodeIo = {}): Promise<number> {
  const io: Io = {
    out: ioIn.out ?? ((s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); }),
    err: ioIn.err ?? ((s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); }),
    env: ioIn.env ?? process.env,
  };
  const usage = (msg: string) => { io.err(`sov tripcode: ${msg}\n\n${TRIPCODE_USAGE}`); return EXIT.usage; };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        force: { type: 'boolean' }, demo: { type: 'boolean' }, key: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' },
        arg: { type: 'string', multiple: true }, ts: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) { io.out(TRIPCODE_USAGE); return EXIT.ok; }
  const [sub, what, ...rest] = parsed.positionals;
  if (rest.length) return usage(`unexpected argument: ${clean(rest[0]!)}`);
  const stateDir = v.demo ? demoStateDir(io.env) : resolvePaths({ env: io.env }).stateDir;
  const args = parseKv(v.arg);
  if (typeof args === 'string') return usage(args);

  switch (sub) {
    case 'init': {
      if (what !== undefined) return usage(`init takes no argument, got "${clean(what)}"`);
      try {
        const r = initKey(stateDir, v.force ?? false);
        io.out(r.created ? `made ${keyPath(stateDir)} (fingerprint ${r.fingerprint}); copy it (0600) to the trusted side that signs tripcodes` : `${keyPath(stateDir)} exists (fingerprint ${r.fingerprint}); --force replaces it`);
        return EXIT.ok;
      } catch (e) {
        const msg = errorText(e);
        io.err(`sov tripcode init: ${clean(msg)}${/has a writer already/.test(msg) ? '\n(the daemon holds the audit log: `sov daemon stop`, then init --force, then start it again)' : ''}`);
        return EXIT.failed;
      }
    }
    case 'sign': {
      if (what === undefined) return usage('sign needs a CODE (e.g. RECOVERY:UNLOCK)');
      const m = parseCode(what);
      if (m.kind === 'malformed') return usage(m.reason);
      const ts = v.ts !== undefined ? Number(v.ts) : Math.floor(Date.now() / 1000);
      if (!Number.isInteger(ts) || ts < 0) return usage(`--ts wants unix seconds, got "${clean(v.ts ?? '')}"`);
      if (v.demo && v.key === undefined) { try { initKey(stateDir); } catch (e) { io.err(`sov tripcode sign: ${clean(errorText(e))}`); return EXIT.failed; } }
      const k = readKey(v.key ?? keyPath(stateDir));
      if (!k.ok) { io.err(`sov tripcode sign: ${clean(k.reason)}`); return EXIT.failed; }
      io.out(sign(k.key, what, ts));
      return EXIT.ok;
    }
    case 'code': {
      if (what === undefined) return usage('code needs an ACTION id (sov do --list)');
      // the config's actions too (a T3 script), as sov do has them; the demo box's own under --demo
      const action = (await actionsOf(v.demo ?? false, v.config, io.env)).find((a) => a.id === what);
      if (!action) return usage(`unknown action "${clean(what)}" (sov do --list${v.demo ? ' --demo' : ''})`);
      if (action.tier !== 'T3') io.err(`note: ${what} is ${action.tier}; only T3 actions ask for a tripcode`);
      const on = v.host === undefined ? undefined : await remoteName(v.host, v.demo ?? false, v.config, io.env);
      if (on !== undefined && !on.ok) return usage(on.reason);
      io.out(actionCode(what, { ...(action.argDefaults ?? {}), ...args }, on?.name));
      return EXIT.ok;
    }
    case 'apply':
      if (what === undefined) return usage('apply needs a PAYLOAD (sov tripcode sign CODE prints one)');
      return apply(what, args, { json: v.json ?? false, demo: v.demo ?? false, stateDir, ...(v.config !== undefined ? { config: v.config } : {}) }, io, ioIn.runDo);
    default:
      return usage(sub === undefined ? 'name a subcommand: init, sign, apply, code' : `unknown subcommand "${clean(sub)}"`);
  }
}

/** --host NAME as `sov do --host` resolves it: another host's name (its code is made for it), or this machine's (none) */
async function remoteName(host: string, demo: boolean, config: string | undefined, env: NodeJS.ProcessEnv): Promise<{ ok: true; name?: string } | { ok: false; reason: string }> {
  const path = resolvePaths({ ...(config !== undefined ? { config } : {}), env }).configPath;
  const loaded = demo ? undefined : await loadConfig(path);
  const all = hostRunners({ demo, demoSpeed: 1, ...(loaded?.ok && loaded.config.hosts ? { hosts: loaded.config.hosts } : {}), env });
  try {
    const h = findHost(all, host);
    if (!h) return { ok: false, reason: `no host named "${clean(host)}" (known: ${all.map((x) => clean(x.name)).join(', ')}${demo ? '' : `; hosts: in ${path}`})` };
    return h === all[0] ? { ok: true } : { ok: true, name: h.name };
  } finally {
    for (const h of all) h.closeSync();
  }
}

/** every action sov do knows here: the built-in ones and the config's scripts (the demo box's with --demo) */
async function actionsOf(demo: boolean, config: string | undefined, env: NodeJS.ProcessEnv) {
  if (demo) return actionsFor(demoConfig());
  const loaded = await loadConfig(resolvePaths({ ...(config !== undefined ? { config } : {}), env }).configPath);
  return actionsFor(loaded.ok ? loaded.config : undefined);
}

interface ApplyOpts { json: boolean; demo: boolean; stateDir: string; config?: string }

async function apply(payload: string, args: Record<string, string>, o: ApplyOpts, io: Io, runDo?: (argv: string[]) => Promise<number>): Promise<number> {
  const who = whoAmI(o.demo ? 'demo' : 'cli', io.env);
  let r: TripcodeApply;
  if (o.demo) {
    const a = createAuthority({ stateDir: o.stateDir });
    try { r = await a.applyTripcode(payload, who); } finally { a.close(); }
  } else {
    const paths = resolvePaths({ ...(o.config !== undefined ? { config: o.config } : {}), env: io.env });
    try {
      const c = await connectDaemon({ paths, autostart: true, env: io.env, ...(o.config !== undefined ? { config: o.config } : {}) });
      try { r = await c.call('recovery.tripcode', { payload, who }, { timeoutMs: 15_000 }); } finally { c.close(); }
    } catch (e) {
      io.err(`sov tripcode apply: ${clean(errorText(e))}`);
      return exitFor(e);
    }
  }
  if (!r.ok) {
    if (o.json) io.out(JSON.stringify(r, null, 2));
    io.err(`sov tripcode apply: refused (${r.code}): ${clean(r.reason)}`);
    return EXIT.failed;
  }
  if (!r.action) {
    if (o.json) io.out(JSON.stringify(r, null, 2));
    else io.out(`${r.code}: ${clean(r.effect)}`);
    return EXIT.ok;
  }
  const clash = Object.keys(args).find((k) => k in r.action!.args && r.action!.args[k] !== args[k]);
  if (clash) { io.err(`sov tripcode apply: --arg ${clash} differs from the code's own (${clean(r.action.args[clash]!)})`); return EXIT.usage; }
  const all = { ...args, ...r.action.args };
  const doArgv = [r.action.id, ...Object.entries(all).flatMap(([k, x]) => ['--arg', `${k}=${x}`]), '--tripcode', payload,
    ...(o.demo ? ['--demo'] : []), ...(o.json ? ['--json'] : []), ...(o.config !== undefined ? ['--config', o.config] : [])];
  if (!o.json) io.err(`${r.code}: ${clean(r.effect)}\nrunning: sov do ${shellLine(doArgv)}`);
  const run = runDo ?? (async (a: string[]) => (await import('./do.js')).runDoCli(a, { out: io.out, err: io.err, env: io.env }));
  return run(doArgv);
}
