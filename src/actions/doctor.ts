/**
 * doctor.run (T0): the box against a blueprint. In the cockpit it opens the Doctor screen (the app switches to it on
 * `navigate`) and says the summary; headless (`sov do doctor.run`) it prints the report; the tripcode
 * RECOVERY:DIAGNOSTIC::<profile> stands for it (src/recovery/codes.ts). The profile names the blueprint: "default"
 * is recovery.blueprint, others recovery.blueprints.NAME (src/doctor/load.ts).
 */
import { resolvePaths } from '../daemon/paths.js';
import { runChecks } from '../doctor/checks.js';
import { chooseBlueprint, DEFAULT_PROFILE, profiles } from '../doctor/load.js';
import { STATUS_GLYPH } from '../doctor/report.js';
import { summarize, summaryText } from '../doctor/rows.js';
import type { Action, ActionCtx, ActionResult } from './types.js';

const profileOf = (ctx: ActionCtx) => ctx.args?.profile ?? DEFAULT_PROFILE;
/** the demo box: its own blueprint when the profile names none */
export const isDemo = (ctx: ActionCtx): boolean => ctx.demo === true;

export const doctorRun: Action = {
  id: 'doctor.run', title: 'Doctor',
  description: 'check the box against its blueprint: PASS / WARN / FAIL / UNKNOWN per check, with the reading and the fix (the Doctor screen; headless, the report)',
  keys: [], scope: 'recovery', tier: 'T0', confirm: false,
  // headless (`sov do`), its own form collects every source itself (src/cli/doctor.ts); the cockpit passes its live ones
  reads: [],
  args: { profile: 'which blueprint: "default" (recovery.blueprint in the config) or a name under recovery.blueprints' },
  argDefaults: { profile: DEFAULT_PROFILE },
  argChoices: (ctx, arg) => (arg === 'profile' ? profiles(ctx.config) : []),
  when: () => true,
  describe(ctx) {
    const p = profileOf(ctx);
    return `check the box against the ${p === DEFAULT_PROFILE ? (isDemo(ctx) ? 'demo box\'s' : 'configured') : `"${p}"`} blueprint (reads only)`;
  },
  async run(ctx): Promise<ActionResult> {
    const profile = profileOf(ctx);
    const chosen = await chooseBlueprint({
      demo: isDemo(ctx), profile, configPath: ctx.link?.paths.configPath ?? resolvePaths().configPath, ...(ctx.config ? { config: ctx.config } : {}),
    });
    ctx.setDoctor?.(chosen.ok ? { blueprint: chosen.blueprint, path: chosen.path } : { error: chosen.error });
    if (!chosen.ok) return { kind: 'navigate', screen: 'doctor', message: `doctor: ${chosen.error.split('\n')[0]}` };
    if (!ctx.samples) return { kind: 'navigate', screen: 'doctor', message: `doctor: blueprint ${chosen.blueprint.name}: the Doctor screen (9) checks it` };
    const rows = runChecks(chosen.blueprint, { samples: ctx.samples, now: ctx.runner?.now() ?? Date.now(), staleMs: 60_000 });
    for (const r of rows) if (r.status !== 'PASS') ctx.output?.(`${STATUS_GLYPH[r.status]} ${r.status} ${r.check}: ${r.evidence}`);
    return { kind: 'navigate', screen: 'doctor', message: `doctor (${chosen.blueprint.name}): ${summaryText(summarize(rows))}` };
  },
};

export const DOCTOR_ACTIONS: Action[] = [doctorRun];
