import stripAnsi from 'strip-ansi';
import { beforeAll, describe, expect, it } from 'vitest';
import { doctorScreen } from '../../screens/doctor.js';
import { renderScreen } from '../../screens/host.js';
import type { DoctorCtx, ScreenCtx } from '../../screens/types.js';
import { parseBlueprint } from '../../src/doctor/blueprint.js';
import { chooseBlueprint, demoBlueprint } from '../../src/doctor/load.js';
import { viewSamples } from '../../src/store/store.js';
import type { Samples } from '../../src/store/types.js';
import { noColor } from '../../themes/index.js';
import { width } from '../../widgets/primitives/text.js';
import { wrap } from '../../widgets/panels/doctor.js';
import { demoStore } from '../helpers/demo-state.js';

let samples: Samples;
let now: number;
let history: ScreenCtx['history'];
beforeAll(async () => {
  const d = await demoStore();
  samples = viewSamples(d.store.getState());
  history = d.store.getState().hosts[d.store.getState().current]!.history;
  now = d.now;
});

function demoDoctor(): DoctorCtx {
  const c = demoBlueprint();
  if (!c.ok) throw new Error(c.error);
  return { blueprint: c.blueprint, path: c.path };
}

function draw(cols: number, rows: number, o: { doctor?: DoctorCtx; filter?: string; scroll?: Record<string, number> } = {}): string[] {
  const ctx: ScreenCtx = {
    samples, history, theme: noColor, cols, rows, now, staleMs: 15_000, scroll: o.scroll ?? {}, filter: o.filter ?? '',
    ...(o.doctor ? { doctor: o.doctor } : {}), drawn: {},
  };
  const panels = doctorScreen.panels(ctx);
  ctx.focusId = panels[1]!.id;
  return renderScreen(doctorScreen, ctx, panels);
}

describe('the Doctor screen', () => {
  it.each([[80, 22], [120, 38]])('at %i×%i: the summary, then the failures first with their readings and fixes', (cols, rows) => {
    const lines = draw(cols, rows, { doctor: demoDoctor() });
    expect(lines).toHaveLength(rows);
    for (const l of lines) expect(width(l)).toBe(cols);
    const text = stripAnsi(lines.join('\n'));
    expect(text).toContain('Doctor · omni-demo');
    expect(text).toMatch(/✖ 4 fail +▲ 0 warn +\? 5 unknown +✓ 20 pass · 29 checks/);
    expect(text).toContain('✖ 4 failing');
    // worst first: the first check row is a failure, GPU1's link, with its reading and the fix beneath
    const body = lines.slice(4).map((l) => stripAnsi(l));
    const first = body.findIndex((l) => l.includes('✖ FAIL'));
    expect(body[first]).toMatch(/GPU1 PCIe under load/);
    expect(body.slice(first, first + 3).join('\n')).toMatch(/Gen4 x16 of Gen5 x16 under load/);
    expect(text).toMatch(/fix: reseat GPU1/);
    if (cols >= 100) expect(text).toMatch(/✖ FAIL +gpu +GPU1 PCIe/);
  });

  it('filters with / like the other tables', () => {
    const lines = draw(120, 38, { doctor: demoDoctor(), filter: 'scratch' }).map((l) => stripAnsi(l));
    const rows = lines.filter((l) => /[✓✖▲?] (PASS|FAIL|WARN|UNKNOWN)/.test(l));
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toContain('ember/scratch');
    expect(lines.join('\n')).toContain('Checks (filter "scratch")');
    expect(draw(80, 22, { doctor: demoDoctor(), filter: 'zzz' }).join('\n')).toContain('no check matches "zzz"');
  });

  it('scrolls: the rows below the fold are reached', () => {
    const top = stripAnsi(draw(80, 22, { doctor: demoDoctor() }).join('\n'));
    const down = stripAnsi(draw(80, 22, { doctor: demoDoctor(), scroll: { 'doctor.checks': 40 } }).join('\n'));
    expect(top).not.toContain('ember/models/gguf special');
    expect(down).toContain('✓ PASS');
  });

  it('without a blueprint it says how to get one; a refused blueprint shows its lines and keys', async () => {
    const t0 = stripAnsi(draw(80, 22, { doctor: {} }).join('\n'));
    expect(t0).toContain('no blueprint: sov doctor --blueprint FILE, or recovery.blueprint in the config');
    // before the app has chosen one (it does so after the first frame) the screen says it is reading, not "none"
    const reading = stripAnsi(draw(80, 22, {}).join('\n'));
    expect(reading).toContain('reading the blueprint');
    expect(reading).not.toContain('no blueprint');
    const none = await chooseBlueprint({ demo: false, configPath: '/nonexistent/config.yaml' });
    expect(!none.ok && stripAnsi(draw(120, 38, { doctor: { error: none.error } }).join('\n'))).toContain('contrib/blueprints/omni.yaml');
    const bad = parseBlueprint('name: x\nnuma: { nodes: many }\n', '/etc/sov/bp.yaml');
    const t = stripAnsi(draw(120, 38, { doctor: { error: bad.ok ? '' : bad.text } }).join('\n'));
    expect(t).toContain('/etc/sov/bp.yaml:2:16: numa.nodes: expected number, got string');
  });

  it('text from outside never reaches the terminal raw', () => {
    const bp = parseBlueprint('name: "evil\\e[2J\\e]0;x\\a"\nmemory: { speedMTs: 6400 }\n');
    if (!bp.ok) throw new Error(bp.text);
    const t = draw(80, 22, { doctor: { blueprint: bp.blueprint, path: 'p\u001b[31m' } }).join('\n');
    // the theme's own SGR is all that is left: no screen clear, no title change, no bell, no colour from outside
    expect(t).not.toMatch(/\u001b\[2J|\u001b\]|\u0007|\u001b\[31m/);
    expect(t).toContain('Doctor · evil ');
    expect(stripAnsi(t)).toMatch(/│p +│/);
  });

  it('wraps a long reading at spaces, ending in … when cut', () => {
    expect(wrap('aa bb cc dd', 5, 3)).toEqual(['aa bb', 'cc dd']);
    const cut = wrap('one two three four five six', 7, 2);
    expect(cut).toHaveLength(2);
    expect(cut[1]!.endsWith('…')).toBe(true);
  });
});
