/**
 * `sov doctor [--json] [--demo] [--blueprint FILE | --profile NAME] [--config PATH]`: the box against its blueprint.
 * Readings are collected the way `sov status` collects them (src/cli/status.ts), plus the config's service probes
 * and the engines of the daemon when it runs — the doctor never starts it: engines are UNKNOWN while it is down.
 */
import { parseArgs } from 'node:util';
import type { Sample } from '../../backends/types.js';
import { servicesBackend } from '../../backends/services/index.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { connectDaemon } from '../daemon/client.js';
import { resolvePaths, type SovPaths } from '../daemon/paths.js';
import { runChecks } from '../doctor/checks.js';
import { chooseBlueprint, DEFAULT_PROFILE } from '../doctor/load.js';
import { makeReport, reportText, type Report } from '../doctor/report.js';
import { exitOf, summaryText } from '../doctor/rows.js';
import { isDemo } from '../actions/doctor.js';
import type { ActionCtx, ActionResult } from '../actions/types.js';
import type { EnginesData } from '../engines/source.js';
import { benchFile, readBenchResults } from '../engines/bench.js';
import { startDemoChat } from '../demo/chat.js';
import { createDemoEnginesLink } from '../demo/engines.js';
import { nextSample } from '../store/sample.js';
import type { Samples } from '../store/types.js';
import { sanitize } from '../../widgets/primitives/text.js';
import { errorText } from './daemon.js';
import { collect, guarded } from './status.js';

export const DOCTOR_USAGE = `usage:
  sov doctor [--json] [--demo] [--blueprint FILE | --profile NAME] [--config PATH]

Checks the box against its blueprint (what it should be: GPUs and their PCIe links under load, free VRAM, NUMA
nodes, RAM, engines and their models, speed and binds, ZFS pools, layouts and datasets, services): one row per
check with PASS, WARN, FAIL or UNKNOWN, the reading it used and the fix. A check whose reading is missing,
unavailable, errored or stale is UNKNOWN with why, never PASS.
The blueprint: --blueprint FILE, else the profile's file in the config (recovery.blueprints.NAME; the profile
"default" is recovery.blueprint), else with --demo the demo box's own. Examples: contrib/blueprints/*.yaml.
Engines come from the daemon when it runs (the doctor never starts it); services from the config's probes.

exit codes: 0 nothing failed (WARN and UNKNOWN alone exit 0) · 1 a check failed · 2 bad arguments, no blueprint,
            or a bad blueprint`;

export interface DoctorIo {
  out?: (s: string) => void;
  err?: (s: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface DoctorOptions {
  json: boolean;
  demo: boolean;
  blueprint?: string;
  profile?: string;
  config?: string;
}

/** the doctor waits this long for the daemon's engine list and the service probes */
const ASK_TIMEOUT_MS = 5000;
const SERVICES_GUARD_MS = 15_000;

function unavailable<T>(reason: string, at: number, hint?: string): Sample<T> {
  return { state: 'unavailable', reason, at, ...(hint ? { hint } : {}) };
}

async function enginesSample(paths: SovPaths, env: NodeJS.ProcessEnv, at: number): Promise<Sample<EnginesData>> {
  let client;
  try {
    client = await connectDaemon({ paths, env, autostart: false, connectTimeoutMs: 1000, timeoutMs: ASK_TIMEOUT_MS });
    const engines = await client.call('engines.list', {}, { timeoutMs: ASK_TIMEOUT_MS });
    return { state: 'ok', data: { engines: Array.isArray(engines) ? engines : [] }, at, tookMs: 0 };
  } catch (e) {
    return unavailable(errorText(e).split('\n')[0]!, at, 'the doctor never starts it');
  } finally {
    client?.close();
  }
}

async function servicesSample(config: Config, at: number): Promise<Samples['services']> {
  const src = servicesBackend.create(config.services);
  try {
    const a = await guarded(src.sample(), performance.now() + SERVICES_GUARD_MS, `the doctor waits ${SERVICES_GUARD_MS / 1000} s for the service probes`);
    return nextSample({ state: 'pending' }, a, at);
  } finally {
    src.dispose();
  }
}

/** The demo box's engines, as the cockpit and `sov exporter --demo` see them (its simulated daemon). */
async function demoEnginesSample(at: number): Promise<Sample<EnginesData>> {
  const link = createDemoEnginesLink({ now: () => Date.now() });
  try {
    const engines = await link.call('engines.list', {}, { timeoutMs: ASK_TIMEOUT_MS });
    return { state: 'ok', data: { engines: Array.isArray(engines) ? engines : [] }, at, tookMs: 0 };
  } catch (e) {
    return unavailable(errorText(e).split('\n')[0]!, at);
  } finally {
    link.close();
  }
}

/** The demo box's services (its chat config's probes: the simulated engine's API, a closed Open WebUI port), probed for real. */
async function demoServicesSample(env: NodeJS.ProcessEnv, at: number): Promise<Samples['services']> {
  let chat;
  try { chat = await startDemoChat(env); } catch (e) { return unavailable(`the demo's services could not start: ${errorText(e).split('\n')[0]!}`, at); }
  try { return await servicesSample(chat.config, at); } finally { await chat.close(); }
}

export type DoctorOutcome = { ok: true; report: Report; exit: number } | { ok: false; error: string; exit: 2 };

/** Chooses the blueprint, collects the readings, runs the checks. Never throws for a bad input: it says why. */
export async function doctor(o: DoctorOptions, env: NodeJS.ProcessEnv = process.env): Promise<DoctorOutcome> {
  const paths = resolvePaths({ ...(o.config !== undefined ? { config: o.config } : {}), env });
  const loaded = await loadConfig(paths.configPath);
  const config = loaded.ok ? loaded.config : undefined;
  const chosen = await chooseBlueprint({
    demo: o.demo, configPath: paths.configPath,
    ...(o.blueprint !== undefined ? { blueprint: o.blueprint } : {}), ...(o.profile !== undefined ? { profile: o.profile } : {}),
    ...(config ? { config } : {}), ...(!loaded.ok ? { configError: loaded.text } : {}),
  });
  if (!chosen.ok) return { ok: false, error: chosen.error, exit: 2 };

  const host = await collect({ demo: o.demo, demoSpeed: 1 });
  const at = host.at;
  const samples: Samples = { ...host.samples };
  if (o.demo) {
    samples.engines = await demoEnginesSample(at);
    samples.services = await demoServicesSample(env, at);
  } else {
    samples.engines = await enginesSample(paths, env, at);
    samples.services = config ? await servicesSample(config, at) : unavailable(`the config could not be loaded (${paths.configPath})`, at);
  }
  const bench = o.demo ? [] : readBenchResults(await benchFile(env));
  const rows = runChecks(chosen.blueprint, { samples, now: at, staleMs: 60_000, bench });
  const report = makeReport(host.host, at, chosen.blueprint, chosen.path, rows);
  return { ok: true, report, exit: exitOf(report.summary) };
}

export async function runDoctorCli(argv: string[], ioIn: DoctorIo = {}): Promise<number> {
  const out = ioIn.out ?? ((s: string) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); });
  const err = ioIn.err ?? ((s: string) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); });
  let v;
  try {
    v = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        json: { type: 'boolean' }, demo: { type: 'boolean' }, blueprint: { type: 'string' }, profile: { type: 'string' },
        config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    err(`sov doctor: ${sanitize(errorText(e))}\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  if (v.help) { out(DOCTOR_USAGE); return 0; }
  if (v.blueprint !== undefined && v.profile !== undefined && v.profile !== DEFAULT_PROFILE) {
    err(`sov doctor: --blueprint and --profile name two blueprints: give one\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  const json = v.json ?? false;
  const r = await doctor({
    json, demo: v.demo ?? false,
    ...(v.blueprint !== undefined ? { blueprint: v.blueprint } : {}), ...(v.profile !== undefined ? { profile: v.profile } : {}),
    ...(v.config !== undefined ? { config: v.config } : {}),
  }, ioIn.env ?? process.env);
  if (!r.ok) {
    err(`sov doctor: ${sanitize(r.error)}`);
    if (json) out(JSON.stringify({ schema: 1, error: sanitize(r.error), exit: r.exit }, null, 2));
    return r.exit;
  }
  out(json ? JSON.stringify(r.report, null, 2) : reportText(r.report));
  return r.exit;
}

/** `sov do doctor.run --arg profile=NAME [--demo] [--json]`: the report, printed (or as the result's data). */
export async function doctorHeadless(ctx: ActionCtx, io: { out: (s: string) => void; env: NodeJS.ProcessEnv }, o: { json: boolean; config?: string }):
  Promise<{ result: ActionResult; data?: unknown; exit?: number }> {
  const r = await doctor({
    json: o.json, demo: isDemo(ctx), profile: ctx.args?.profile ?? DEFAULT_PROFILE, ...(o.config !== undefined ? { config: o.config } : {}),
  }, io.env);
  if (!r.ok) return { result: { kind: 'error', message: sanitize(r.error), exitCode: r.exit }, exit: r.exit };
  if (!o.json) io.out(reportText(r.report));
  return { result: { kind: 'done', message: `doctor (${r.report.blueprint.name}): ${summaryText(r.report.summary)}`, exitCode: r.exit }, data: r.report, exit: r.exit };
}
