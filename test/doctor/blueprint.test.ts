import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { loadBlueprint, MAX_BLUEPRINT_BYTES, parseBlueprint } from '../../src/doctor/blueprint.js';
import { runChecks } from '../../src/doctor/checks.js';
import { chooseBlueprint, demoBlueprint, profiles } from '../../src/doctor/load.js';
import { viewSamples } from '../../src/store/store.js';
import { demoStore } from '../helpers/demo-state.js';
import { repoRoot } from '../helpers/samples.js';

const tmp = mkdtempSync(join(tmpdir(), `sov-doctor-bp-${process.pid}-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the shipped blueprints load (so they cannot rot)', () => {
  it.each(['omni.yaml', 'zfs-plan.yaml', 'workstation.yaml'])('contrib/blueprints/%s', async (f) => {
    const r = await loadBlueprint(join(repoRoot, 'contrib', 'blueprints', f));
    if (!r.ok) throw new Error(r.text);
    expect(r.blueprint.name).toMatch(/\S/);
  });
  it('they say what the seeds say', async () => {
    const get = async (f: string) => { const r = await loadBlueprint(join(repoRoot, 'contrib', 'blueprints', f)); if (!r.ok) throw new Error(r.text); return r.blueprint; };
    const omni = await get('omni.yaml');
    expect(omni).toMatchObject({ gpus: { count: 2, pcie: { gen: 5 }, minFreeVramGiB: 80 }, numa: { nodes: 4 }, memory: { speedMTs: 6400 } });
    expect(omni.engines?.[0]).toMatchObject({ models: [expect.any(String)], minTokPerSec: 15 });
    const zfs = await get('zfs-plan.yaml');
    expect(zfs.zfs?.pools?.[0]?.layout).toEqual({ data: { vdevs: 2, kind: 'raidz2', width: 7 }, special: { vdevs: 1, kind: 'mirror', width: 2 } });
    expect(zfs.zfs?.datasets?.[0]).toMatchObject({ compression: 'on', specialSmallBlocks: '<= recordsize' });
    expect((await get('workstation.yaml')).engines).toEqual([{ name: '*', loopbackOnly: true }]);
  });
  it('the demo box has one, and it fails honestly against the demo box: GPU1 at Gen4 under load, ember resilvering', async () => {
    const d = demoBlueprint();
    if (!d.ok) throw new Error(d.error);
    const { store, now } = await demoStore();
    const rows = runChecks(d.blueprint, { samples: viewSamples(store.getState()), now, staleMs: 15_000 });
    const st = (id: string) => rows.find((r) => r.id === id);
    expect(st('gpu.1.pcie')).toMatchObject({ status: 'FAIL', evidence: expect.stringMatching(/^Gen4 x16 of Gen5 x16 under load/) });
    expect(st('gpu.0.pcie')?.status).toBe('PASS');
    expect(st('numa.nodes')?.status).toBe('PASS');
    expect(st('memory.speed')?.status).toBe('UNKNOWN');
    expect(st('zfs.pool.ember.health')).toMatchObject({ status: 'FAIL', evidence: expect.stringContaining('resilver') });
    expect(st('zfs.pool.ember.layout')?.status).toBe('PASS');
    expect(st('zfs.ds.ember/scratch.compression')?.status).toBe('FAIL');
    expect(st('zfs.ds.ember/vm.small')?.status).toBe('FAIL');
    // no engines source in this store: unknown, never pass
    for (const r of rows.filter((x) => x.group === 'engines')) expect(r.status).toBe('UNKNOWN');
  });
});

describe('a bad blueprint is refused whole, each problem with its line and key', () => {
  const cases: [string, string, RegExp[]][] = [
    ['unknown key', 'name: x\ngpus:\n  count: 2\n  colour: red\n', [/^ {2}b\.yaml:4:3: gpus\.colour: unknown key "colour"$/m]],
    ['wrong type', 'name: x\nnuma:\n  nodes: four\n', [/b\.yaml:3:10: numa\.nodes: expected number, got string/]],
    ['bad enum', 'name: x\nzfs:\n  pools:\n    - name: t\n      layout: { data: { vdevs: 2, kind: raidz9 } }\n', [/b\.yaml:5:\d+: zfs\.pools\[0\]\.layout\.data\.kind: expected one of .*"raidz2".*got "raidz9"/]],
    ['two problems', 'name: x\nmemory: { totalGiB: -1 }\nservices: [1]\n', [/memory\.totalGiB/, /services\[0\]: expected string, got number/]],
    ['missing name', 'gpus: { count: 1 }\n', [/name: required: expected string, got nothing/]],
    ['YAML syntax', 'name: x\ngpus: { count: 2\n', [/b\.yaml:\d+:\d+: YAML:/]],
    ['duplicate key', 'name: x\nname: y\n', [/YAML:.*[Dd]uplicate|unique/]],
    ['not a mapping', '- a\n- b\n', [/expected a mapping .* got a list/]],
    ['empty', '', [/expected a mapping .* got nothing/]],
    ['special small blocks says something else', 'name: x\nzfs:\n  datasets: [{ name: t, specialSmallBlocks: 64K }]\n', [/zfs\.datasets\[0\]\.specialSmallBlocks: expected "<= recordsize", got "64K"/]],
  ];
  it.each(cases)('%s', (_n, text, want) => {
    const r = parseBlueprint(text, 'b.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.text).toMatch(/^blueprint b\.yaml is invalid \(\d+ problems?\):/);
    for (const w of want) expect(r.text).toMatch(w);
  });
  it('too large, unreadable and missing files are refused with why', async () => {
    const big = parseBlueprint(`name: x\n#${'x'.repeat(MAX_BLUEPRINT_BYTES)}`, 'big.yaml');
    expect(!big.ok && big.text).toMatch(/larger than 256 KiB/);
    const missing = await loadBlueprint(join(tmp, 'nope.yaml'));
    expect(!missing.ok && missing.text).toMatch(/nope\.yaml: no such file/);
    const dir = join(tmp, 'a-dir.yaml');
    mkdirSync(dir);
    const unreadable = await loadBlueprint(dir);
    expect(!unreadable.ok && unreadable.text).toMatch(/not a regular file \(a directory\)/);
    // a device that never ends is refused, not read
    const zero = await loadBlueprint('/dev/zero');
    expect(!zero.ok && zero.text).toMatch(/\/dev\/zero: not a regular file \(a device, socket or FIFO\)/);
    const huge = join(tmp, 'huge.yaml');
    writeFileSync(huge, `name: x\n#${'x'.repeat(MAX_BLUEPRINT_BYTES)}\n`);
    expect((await loadBlueprint(huge)).ok).toBe(false);
  });
});

describe('which blueprint', () => {
  const cfgPath = join(tmp, 'cfg', 'config.yaml');
  mkdirSync(join(tmp, 'cfg', 'bp'), { recursive: true });
  writeFileSync(join(tmp, 'cfg', 'bp', 'main.yaml'), 'name: main\n');
  writeFileSync(join(tmp, 'cfg', 'bp', 'night.yaml'), 'name: night\n');
  writeFileSync(join(tmp, 'given.yaml'), 'name: given\n');
  const parsed = parseConfigText('recovery:\n  blueprint: bp/main.yaml\n  blueprints:\n    night: bp/night.yaml\n', cfgPath);
  if (!parsed.ok) throw new Error(parsed.text);
  const config = parsed.config;
  const name = async (o: Parameters<typeof chooseBlueprint>[0]) => { const c = await chooseBlueprint(o); return c.ok ? c.blueprint.name : `${c.kind}: ${c.error}`; };

  it('--blueprint, then the profile, then the demo box, then recovery.blueprint (relative to the config)', async () => {
    expect(await name({ demo: true, blueprint: join(tmp, 'given.yaml'), config, configPath: cfgPath })).toBe('given');
    expect(await name({ demo: true, profile: 'night', config, configPath: cfgPath })).toBe('night');
    expect(await name({ demo: true, config, configPath: cfgPath })).toBe('omni-demo');
    expect(await name({ demo: false, config, configPath: cfgPath })).toBe('main');
    expect(profiles(config)).toEqual(['default', 'night']);
  });
  it('none says how to write one; an unknown profile names the known ones; a bad config says so', async () => {
    const empty = parseConfigText('', cfgPath);
    if (!empty.ok) throw new Error(empty.text);
    expect(await name({ demo: false, config: empty.config, configPath: cfgPath })).toMatch(/^none: no blueprint: sov doctor --blueprint FILE, or recovery\.blueprint in the config\n.*contrib\/blueprints/);
    expect(await name({ demo: false, profile: 'weekly', config, configPath: cfgPath })).toMatch(/^none: no blueprint profile "weekly" .* \(profiles: default, night\)/);
    expect(await name({ demo: false, configPath: cfgPath, configError: 'line 3: bad' })).toMatch(/^invalid: .*the config could not be loaded: line 3: bad/);
  });
  it('the config refuses a profile name that could not be a tripcode argument', () => {
    const r = parseConfigText('recovery:\n  blueprints:\n    "bad name!": x.yaml\n', cfgPath);
    expect(r.ok).toBe(false);
  });
});

describe('a blueprint is YAML with the config\'s limits', () => {
  it('an alias bomb is refused with a clear message, not expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`), 'name: *i'].join('\n');
    const r = parseBlueprint(bomb, 'bomb.yaml');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.text).toMatch(/alias/);
  });
});
