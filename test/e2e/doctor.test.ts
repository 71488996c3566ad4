/**
 * `sov doctor` through the built binary: the demo box (GPU1 at Gen4 under load is a FAIL with its reading), this
 * machine (no GPU: the GPU checks are UNKNOWN, honestly; no daemon: engines UNKNOWN and the doctor starts none), and
 * a real daemon running real simulated engines on loopback (models, tok/s from a real benchmark, a 0.0.0.0 bind)
 * beside real TCP services, one up and one refused.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useZfsFuse, type ZfsFuse } from '../helpers/zfs-fuse.js';
import type { EngineStatus } from '../../src/daemon/types.js';
import { isAlive } from '../../src/daemon/procfs.js';
import { reportSchema } from '../../src/doctor/report.js';
import { freePort, runSov as sov, SIM, simEngineYaml } from '../helpers/proc.js';
import { repoRoot } from '../helpers/samples.js';
import stringWidth from 'string-width';
import { barePath, SOV, startDemo, type Tmux } from './tmux.js';

const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; } };

let dir: string;
let env: NodeJS.ProcessEnv;
const servers: Server[] = [];
let tmux: Tmux | undefined;
const enginePids: number[] = [];

beforeAll(() => {
  dir = mkdtempSync(`/tmp/sov-doctor-${process.pid}-`);
  env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  delete env.SOV_RUNTIME_DIR; delete env.SOV_STATE_DIR; delete env.NODE_OPTIONS;
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
});

afterAll(async () => {
  tmux?.kill();
  if (env) {
    for (const n of ['local', 'open']) await sov(['engines', 'stop', n], env).catch(() => undefined);
    let daemonPid: number | undefined;
    try { daemonPid = (JSON.parse((await sov(['daemon', 'status', '--json'], env)).stdout) as { pid?: number }).pid; } catch {}
    await sov(['daemon', 'stop'], env).catch(() => undefined);
    if (daemonPid && isAlive(daemonPid) && cmdline(daemonPid).includes(SOV)) { try { process.kill(daemonPid, 'SIGKILL'); } catch {} }
  }
  for (const pid of enginePids) if (isAlive(pid) && cmdline(pid).includes(SIM)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  for (const s of servers) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sov doctor --demo', () => {
  it('--json: one document; GPU1 running Gen4 under load is a FAIL with its reading; exit 1', async () => {
    const r = await sov(['doctor', '--demo', '--json'], env);
    expect(r.code).toBe(1);
    const doc = reportSchema.parse(JSON.parse(r.stdout));
    expect(doc.blueprint.name).toBe('omni-demo');
    const row = (id: string) => doc.rows.find((x) => x.id === id);
    expect(row('gpu.1.pcie')).toMatchObject({ status: 'FAIL', evidence: expect.stringMatching(/^Gen4 x16 of Gen5 x16 under load \(util \d+ %, P0\)/), hint: expect.stringContaining('riser') });
    expect(row('gpu.0.pcie')?.status).toBe('PASS');
    expect(row('memory.speed')).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('cannot tell') });
    expect(row('zfs.pool.ember.health')).toMatchObject({ status: 'FAIL', evidence: expect.stringContaining('DEGRADED') });
    // the demo's engines and services, as the cockpit and sov exporter --demo see them (they said "no daemon")
    expect(doc.rows.filter((x) => x.group === 'engines').map((x) => x.status)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(row('engine.llama.model.qwen3')?.evidence).toContain('qwen3-235b-a22b-q4_k_m');
    expect(doc.rows.filter((x) => x.group === 'services').map((x) => [x.status, x.evidence])).toEqual([['PASS', expect.stringMatching(/./)]]);
    expect(doc.summary.fail).toBe(doc.rows.filter((x) => x.status === 'FAIL').length);
  });
  it('the table: glyphs, the fix beneath each failure, the summary with the exit code', async () => {
    const r = await sov(['doctor', '--demo'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ FAIL +GPU1 PCIe under load ≥ Gen5 x16 +Gen4 x16/);
    expect(r.stdout).toMatch(/\n {10}fix: reseat GPU1/);
    expect(r.stdout).toMatch(/\d+ pass · \d+ warn · \d+ fail · \d+ unknown \(\d+ checks\) → exit 1\n?$/);
    expect(r.stdout).not.toMatch(/\x1b/);
  });
});

describe('sov do doctor.run (the action, headless)', () => {
  it('--demo --json: the report as the result\'s data, exit 1 on a FAIL; the table without --json', async () => {
    const r = await sov(['do', 'doctor.run', '--demo', '--json'], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { action: string; tier: string; args: Record<string, string>; data: unknown; result: { kind: string; message: string } };
    expect(doc).toMatchObject({ action: 'doctor.run', tier: 'T0', args: { profile: 'default' }, result: { kind: 'done', message: expect.stringMatching(/^doctor \(omni-demo\): \d+ pass/) } });
    const report = reportSchema.parse(doc.data);
    expect(report.rows.find((x) => x.id === 'gpu.1.pcie')?.status).toBe('FAIL');
    const t = await sov(['do', 'doctor.run', '--demo'], env);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/✖ FAIL +GPU1 PCIe under load/);
    const p = await sov(['do', 'doctor.run', '--demo', '--arg', 'profile=nightly'], env);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('no blueprint profile "nightly"');
  });
});

describe('sov doctor on this machine', () => {
  it('no GPU here: every GPU check is UNKNOWN with why, never PASS; no daemon: engines UNKNOWN, and none is started', async () => {
    const r = await sov(['doctor', '--json', '--blueprint', join(repoRoot, 'contrib', 'blueprints', 'omni.yaml')], { ...env, PATH: barePath() });
    const doc = reportSchema.parse(JSON.parse(r.stdout));
    const gpu = doc.rows.filter((x) => x.group === 'gpu');
    expect(gpu.map((x) => x.id)).toEqual(['gpu.count', 'gpu.pcie', 'gpu.vram.free']);
    for (const g of gpu) expect(g).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringMatching(/nvidia unavailable: nvidia-smi not found/) });
    for (const e of doc.rows.filter((x) => x.group === 'engines')) expect(e).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('the sov daemon is not running') });
    // NUMA and RAM are real readings of this machine: whatever they are, they are not unknown
    expect(doc.rows.find((x) => x.id === 'numa.nodes')?.status).toMatch(/PASS|FAIL/);
    expect(r.code).toBe(doc.summary.fail ? 1 : 0);
    expect(existsSync(join(dir, 'run', 'sov', 'sovd.sock'))).toBe(false);
  });
  it('no blueprint, a bad blueprint and bad arguments exit 2 and say why', async () => {
    const none = await sov(['doctor'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no blueprint: sov doctor --blueprint FILE, or recovery.blueprint in the config');
    expect(none.stderr).toContain('contrib/blueprints/omni.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\ngpus:\n  count: two\n');
    const b = await sov(['doctor', '--json', '--blueprint', bad], env);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`${bad}:3:10: gpus.count: expected number, got string`);
    expect(JSON.parse(b.stdout)).toMatchObject({ schema: 1, exit: 2, error: expect.stringContaining('gpus.count') });
    const u = await sov(['doctor', '--frobnicate'], env);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('usage:');
  });
});

describe('sov doctor with a real daemon, real engines and real services on loopback', () => {
  it('models, tok/s from a real benchmark, a 0.0.0.0 bind, an engine that is not there, services up and refused', async () => {
    const up = createServer((s) => s.destroy());
    servers.push(up);
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    const upPort = (up.address() as { port: number }).port;
    const [local, open, closed] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), `engines:
${simEngineYaml('local', local, ['--tokens-per-sec', '400', '--reply-tokens', '24', '-a', 'Qwen3-8B-Q4_K_M'])}
${simEngineYaml('open', open, ['--host', '0.0.0.0', '-a', 'llama-3-8b'])}
services:
  - { name: up, probe: { kind: tcp, host: 127.0.0.1, port: ${upPort} }, timeoutSec: 2 }
  - { name: down, probe: { kind: tcp, host: 127.0.0.1, port: ${closed} }, timeoutSec: 1 }
recovery:
  blueprint: blueprint.yaml
`);
    writeFileSync(join(dir, 'config', 'sov', 'blueprint.yaml'), `name: e2e
engines:
  - { name: local, models: [qwen3], minTokPerSec: 15, loopbackOnly: true }
  - { name: open, models: [qwen3], loopbackOnly: true }
  - { name: ghost, models: [anything] }
services: [up, down]
`);
    for (const n of ['local', 'open']) {
      const s = await sov(['engines', 'start', n], env, 90_000);
      expect(s.code, s.stderr).toBe(0);
    }
    const ls = JSON.parse((await sov(['engines', 'ls', '--json'], env)).stdout) as EngineStatus[];
    for (const e of ls) if (e.pid) enginePids.push(e.pid);
    const bench = await sov(['engines', 'bench', 'local', '--json'], env, 90_000);
    expect(bench.code, bench.stderr).toBe(0);

    // the daemon reads an engine's listening sockets every few seconds: wait until it has seen both
    const deadline = Date.now() + 30_000;
    for (;;) {
      const l = JSON.parse((await sov(['engines', 'ls', '--json'], env)).stdout) as EngineStatus[];
      if (l.every((e) => e.listen?.length) || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const r = await sov(['doctor', '--json'], env);
    const doc = reportSchema.parse(JSON.parse(r.stdout));
    const row = (id: string) => doc.rows.find((x) => x.id === id);
    expect(row('engine.local.model.qwen3')).toMatchObject({ status: 'PASS', evidence: 'listed: Qwen3-8B-Q4_K_M' });
    expect(row('engine.local.toks')).toMatchObject({ status: 'PASS', evidence: expect.stringMatching(/^\d+\.\d tok\/s: benchmark \d+s ago \(Qwen3-8B-Q4_K_M, 5\/5 prompts\)/) });
    expect(row('engine.local.bind')).toMatchObject({ status: 'PASS', evidence: `listens on 127.0.0.1:${local}` });
    expect(row('engine.open.model.qwen3')).toMatchObject({ status: 'FAIL', evidence: '/v1/models lists llama-3-8b' });
    expect(row('engine.open.bind')).toMatchObject({ status: 'FAIL', evidence: `listens on 0.0.0.0:${open}` });
    expect(row('engine.ghost')).toMatchObject({ status: 'FAIL', evidence: 'the daemon runs local, open' });
    expect(row('service.up')).toMatchObject({ status: 'PASS', evidence: expect.stringMatching(new RegExp(`^tcp 127\\.0\\.0\\.1:${upPort} up in`)) });
    expect(row('service.down')).toMatchObject({ status: 'FAIL', evidence: expect.stringContaining('refused') });
    expect(r.code).toBe(1);
  });
});

describe('the Doctor screen in a real terminal (tmux, the demo box)', () => {
  it.each([[80, 24], [120, 40]])('at %i×%i: 9 opens it, GPU1 fails first with its reading, / filters, nothing overflows', async (cols, rows) => {
    const demo = await startDemo(cols, rows, { shell: `cd ${repoRoot} && `, env: { HOME: env.HOME!, XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR!, XDG_STATE_HOME: env.XDG_STATE_HOME!, XDG_CONFIG_HOME: env.XDG_CONFIG_HOME! } });
    tmux = demo.t;
    try {
      tmux.keys('9');
      const s = await tmux.waitFor((x) => x.includes('Doctor · omni-demo') && /✖ FAIL +(gpu +)?GPU1 PCIe/.test(x), 15_000);
      expect(s).toMatch(/✖ 4 fail/);
      expect(s).toMatch(/Gen4 x16 of Gen5 x16 under load/);
      expect(s).toContain('fix: reseat GPU1');
      const lines = s.replace(/\n$/, '').split('\n');
      expect(lines.length).toBeLessThanOrEqual(rows);
      for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(cols);
      tmux.keys('/');
      tmux.text('scratch');
      // keys sent in one burst can arrive as one chunk: enter once the filter prompt (the status line) shows what was
      // typed ('ember/scratch' is on the screen already)
      await tmux.waitFor((x) => /^\/scratch/m.test(x), 10_000);
      tmux.keys('Enter');
      const f = await tmux.waitFor('Checks (filter "scratch")', 10_000);
      const shown = f.split('\n').filter((l) => /[✓✖▲?] (PASS|FAIL|WARN|UNKNOWN)/.test(l));
      expect(shown.length).toBe(2);
      for (const l of shown) expect(l).toContain('ember/scratch');
      tmux.keys('q');
    } finally {
      demo.close();
      tmux = undefined;
    }
  });
});

/**
 * A REAL zfs-fuse: two 4-wide raidz2 vdevs on sparse files (a zfs-fuse daemon this test starts and alone stops, by
 * its pid; one already running is used and never stopped), checked against the ZFS plan (7 wide + a special mirror:
 * FAIL, with the layout it saw) and a blueprint of what it is (PASS). zfs-fuse has no special_small_blocks: UNKNOWN.
 */
describe('sov doctor against a real zfs-fuse pool', () => {
  const ZPATH = `/usr/local/sbin:/usr/sbin:/sbin:${process.env.PATH ?? '/usr/bin:/bin'}`;
  const zenv = { ...process.env, PATH: ZPATH, LC_ALL: 'C' };
  const POOL = `sovdoc${process.pid}${Date.now() % 100000}`;
  let zdir = '';
  let created = false;
  const zsh = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { env: zenv, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });

  let zfs: ZfsFuse | undefined;
  beforeAll(async () => {
    zdir = mkdtempSync(join('/tmp', `sov-doctor-zfs-${process.pid}-`));
    // one file at a time uses zfs-fuse (test/helpers/zfs-fuse.ts)
    zfs = await useZfsFuse(zdir, zenv);
    const files = Array.from({ length: 8 }, (_, i) => {
      const f = join(zdir, `d${i}.img`);
      const fd = openSync(f, 'w'); ftruncateSync(fd, 128 * 1024 * 1024); closeSync(fd);
      return f;
    });
    mkdirSync(join(zdir, 'mnt'));
    zsh(['zpool', 'create', '-o', 'cachefile=none', '-m', join(zdir, 'mnt', POOL), POOL, 'raidz2', ...files.slice(0, 4), 'raidz2', ...files.slice(4)]);
    created = true;
    zsh(['zfs', 'create', '-o', 'compression=on', `${POOL}/models`]);
  }, 300_000);

  afterAll(async () => {
    if (created) { try { zsh(['zpool', 'destroy', '-f', POOL]); } catch {} }
    await zfs?.stop();
    if (zdir) rmSync(zdir, { recursive: true, force: true });
  }, 60_000);

  it('the plan fails with the layout it saw; the pool as built passes; compression per dataset; small blocks unknown', async () => {
    const plan = join(zdir, 'plan.yaml');
    writeFileSync(plan, `name: plan
zfs:
  pools:
    - { name: ${POOL}, minFreePct: 50, layout: { data: { vdevs: 2, kind: raidz2, width: 7 }, special: { vdevs: 1, kind: mirror, width: 2 } } }
    - { name: ${POOL}, layout: { data: { vdevs: 2, kind: raidz2, width: 4 } } }
  datasets:
    - { name: ${POOL}, compression: "on", specialSmallBlocks: "<= recordsize" }
`);
    const r = await sov(['doctor', '--json', '--blueprint', plan], { ...env, PATH: ZPATH });
    const doc = reportSchema.parse(JSON.parse(r.stdout));
    const rows = doc.rows.filter((x) => x.group === 'zfs');
    const byId = (id: string) => rows.filter((x) => x.id === id);
    expect(byId(`zfs.pool.${POOL}.health`).map((x) => x.status)).toEqual(['PASS', 'PASS']);
    const [want7, want4] = byId(`zfs.pool.${POOL}.layout`);
    expect(want7).toMatchObject({ status: 'FAIL', evidence: 'data: 2 × raidz2 4 wide (want 2 × raidz2 7 wide); special: none (want 1 × mirror 2 wide)' });
    expect(want4).toMatchObject({ status: 'PASS', evidence: 'data: 2 × raidz2 4 wide' });
    expect(byId(`zfs.pool.${POOL}.free`)[0]).toMatchObject({ status: 'PASS', evidence: expect.stringMatching(/^\d+\.\d % free/) });
    expect(byId(`zfs.ds.${POOL}.compression`)[0]).toMatchObject({ status: 'FAIL', evidence: 'compression=off' });
    expect(byId(`zfs.ds.${POOL}/models.compression`)[0]).toMatchObject({ status: 'PASS' });
    expect(byId(`zfs.ds.${POOL}/models.small`)[0]).toMatchObject({ status: 'UNKNOWN', evidence: expect.stringContaining('not both reported') });
    expect(r.code).toBe(1);
  });
});
