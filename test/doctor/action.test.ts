import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorRun } from '../../src/actions/doctor.js';
import { ACTIONS } from '../../src/actions/index.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { parseConfigText } from '../../src/config/load.js';
import { codeCovers, parseCode } from '../../src/recovery/codes.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import { viewSamples } from '../../src/store/store.js';
import type { Samples } from '../../src/store/types.js';
import { demoStore } from '../helpers/demo-state.js';

let samples: Samples;
let now: number;
const tmp = mkdtempSync(join(tmpdir(), `sov-doctor-action-${process.pid}-`));
beforeAll(async () => {
  const d = await demoStore();
  samples = viewSamples(d.store.getState());
  now = d.now;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const demoCtx = (extra: Partial<ActionCtx> = {}): ActionCtx => ({
  readOnly: true, setLogs: () => {}, samples, who: { uid: 0, user: 't', via: 'demo' }, demo: true,
  runner: { host: 'omni (demo)', now: () => now } as ActionCtx['runner'], ...extra,
});

describe('doctor.run', () => {
  it('is declared once: T0, profile defaults to "default", offered the config\'s profiles', () => {
    expect(ACTIONS.filter((a) => a.id === 'doctor.run')).toHaveLength(1);
    expect(ACTIONS.find((a) => a.id === 'doctor.run')).toBe(doctorRun);
    expect(doctorRun).toMatchObject({ tier: 'T0', argDefaults: { profile: 'default' } });
    const cfg = parseConfigText('recovery:\n  blueprints: { nightly: n.yaml }\n');
    if (!cfg.ok) throw new Error(cfg.text);
    expect(doctorRun.argChoices?.({ readOnly: false, setLogs: () => {}, config: cfg.config }, 'profile')).toEqual(['default', 'nightly']);
  });

  it('the tripcode RECOVERY:DIAGNOSTIC::<profile> stands for it with that profile', () => {
    expect(parseCode('RECOVERY:DIAGNOSTIC::nightly')).toEqual({ kind: 'action', id: 'doctor.run', args: { profile: 'nightly' } });
    expect(codeCovers('RECOVERY:DIAGNOSTIC::nightly', 'doctor.run', { profile: 'nightly' })).toBe(true);
    expect(codeCovers('RECOVERY:DIAGNOSTIC::nightly', 'doctor.run', { profile: 'default' })).toBe(false);
  });

  it('in the cockpit: runs even --read-only (T0, nothing recorded), opens the Doctor screen and says the summary; each problem goes to the output', async () => {
    const out: string[] = [];
    const p = await prepare(doctorRun, demoCtx({ output: (l) => out.push(l) }));
    expect(p.refused).toBeUndefined();
    expect(p.dryRun).toBe('check the box against the demo box\'s blueprint (reads only)');
    const r = await perform(p, { kind: 'none' });
    expect(r.outcome).toBe('ok');
    expect(r.result).toEqual({ kind: 'navigate', screen: 'doctor', message: 'doctor (omni-demo): 20 pass · 0 warn · 4 fail · 5 unknown (29 checks)' });
    expect(out).toHaveLength(9);
    expect(out[0]).toMatch(/^✖ FAIL GPU1 PCIe under load ≥ Gen5 x16: Gen4 x16/);
  });

  it('a named profile loads its file from the config (relative to it); an unknown one says which exist', async () => {
    mkdirSync(join(tmp, 'cfg'), { recursive: true });
    writeFileSync(join(tmp, 'cfg', 'numa.yaml'), 'name: numa-only\nnuma: { nodes: 4 }\n');
    const cfg = parseConfigText('recovery:\n  blueprints: { numa: numa.yaml }\n', join(tmp, 'cfg', 'config.yaml'));
    if (!cfg.ok) throw new Error(cfg.text);
    const link = { paths: { configPath: join(tmp, 'cfg', 'config.yaml') } } as ActionCtx['link'];
    const shown: { blueprint?: { name: string } }[] = [];
    const ok = await doctorRun.run(demoCtx({ config: cfg.config, link, args: { profile: 'numa' }, setDoctor: (d) => shown.push(d) }));
    expect(ok).toEqual({ kind: 'navigate', screen: 'doctor', message: 'doctor (numa-only): 1 pass · 0 warn · 0 fail · 0 unknown (1 check)' });
    // the Doctor screen is handed the profile's blueprint, not the default one
    expect(shown.map((d) => d.blueprint?.name)).toEqual(['numa-only']);
    const bad = await doctorRun.run(demoCtx({ config: cfg.config, link, args: { profile: 'weekly' } }));
    expect(bad.kind === 'navigate' && bad.message).toMatch(/no blueprint profile "weekly" .*\(profiles: default, numa\)/);
  });
});
