// contrib/examples/scripts.yaml through the real config loader (so the example cannot rot), its chores run for
// real against PATH shims that know exactly one argv (nvidia-smi, docker, systemctl: they cannot run here) and a
// real curl against a Qdrant-like HTTP server on loopback; and the demo box's scripts, run as real processes.
import { createServer, type Server } from 'node:http';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scriptAction } from '../../src/actions/scripts.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { loadConfig } from '../../src/config/load.js';
import type { ScriptConfig } from '../../src/config/scripts.js';
import { prepare } from '../../src/recovery/perform.js';
import { DEMO_SCRIPTS } from '../../src/scripts/demo.js';
import { repoRoot, samplesDir } from '../helpers/samples.js';

const EXAMPLE = join(repoRoot, 'contrib', 'examples', 'scripts.yaml');
let dir: string;
let shims: string;
let scripts: ScriptConfig[];

/** A shim that answers exactly one argv (printing a file) and fails loudly on any other. */
async function shim(name: string, argv: string[], out: string): Promise<void> {
  await writeFile(join(shims, `${name}.out`), out);
  await writeFile(join(shims, name), `#!/bin/sh
if [ "$*" = ${JSON.stringify(argv.join(' '))} ]; then cat "$(dirname "$0")/${name}.out"; exit 0; fi
echo "${name} shim: unknown argv: $*" >&2; exit 99
`);
  await chmod(join(shims, name), 0o755);
}

/** What nvidia-smi prints for the example's query: from a real capture's columns when ../shared/samples is here. */
async function pcieCsv(): Promise<string> {
  const file = join(samplesDir, 'nvidia', 'nvgpuexp-linux-h100-80gb-hbm3-drv590.48.01-query-gpu-all-fields-load.csv');
  const fields = ['index', 'pcie.link.gen.current', 'pcie.link.gen.max', 'pcie.link.width.current'];
  const rows = existsSync(file) ? (await readFile(file, 'utf8')).trim().split('\n').map((l) => l.split(', ')) : [fields, ['0', '5', '5', '16']];
  const at = fields.map((f) => rows[0]!.indexOf(f));
  return rows.map((r) => at.map((i) => r[i]).join(', ')).join('\n');
}

const ctx = (over: Partial<ActionCtx> = {}): ActionCtx => ({ readOnly: false, setLogs: vi.fn(), ...over });
const byName = (name: string) => scripts.find((s) => s.name === name)!;
/** the example with the shims first on its PATH */
const shimmed = (s: ScriptConfig): ScriptConfig => ({ ...s, env: { ...s.env, PATH: `${shims}:${process.env.PATH}` } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `sov-script-examples-${process.pid}-`));
  process.env.SOV_RUNTIME_DIR = join(dir, 'run'); // the script locks of this test, not the machine's
  shims = join(dir, 'bin');
  await import('node:fs/promises').then((f) => f.mkdir(shims));
  const r = await loadConfig(EXAMPLE);
  if (!r.ok) throw new Error(r.text);
  scripts = r.config.scripts;
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('contrib/examples/scripts.yaml', () => {
  it('loads through the config loader and declares the seeds\' chores with their tiers', () => {
    expect(scripts.map((s) => `${s.name}:${s.tier}`)).toEqual([
      'pcie-recheck:T0', 'restart-open-webui:T1', 'restart-open-webui-unit:T1', 'qdrant-snapshot:T1', 'free-page-cache:T2',
    ]);
    expect(scriptAction(byName('free-page-cache')).describe(ctx())).toBe("sh -c 'sync; echo 1 > /proc/sys/vm/drop_caches'  (deadline 120 s)");
  });

  it('re-checks the PCIe link with exactly the documented nvidia-smi argv', async () => {
    const argv = ['--query-gpu=index,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current', '--format=csv'];
    const csv = await pcieCsv();
    await shim('nvidia-smi', argv, `${csv}\n`);
    const out: string[] = [];
    const a = scriptAction(shimmed(byName('pcie-recheck')));
    const p = await prepare(a, ctx());
    expect(p.confirm).toBe('none');
    expect(p.checks).toEqual([{ name: 'program', state: 'pass', detail: join(shims, 'nvidia-smi') }]);
    const r = await a.run(ctx({ output: (l) => out.push(l) }));
    expect(r).toMatchObject({ kind: 'done', exitCode: 0 });
    expect(out).toEqual(csv.split('\n'));
    expect(out[0]).toBe('index, pcie.link.gen.current, pcie.link.gen.max, pcie.link.width.current');
    // on a box without nvidia-smi on its PATH: refused with the reason, before anything runs
    const bare = await prepare(scriptAction({ ...byName('pcie-recheck'), env: { PATH: dir } }), ctx());
    expect(bare.refused?.reason).toBe('refused: program: nvidia-smi: not found on PATH');
  });

  it('restarts Open WebUI with docker, or its systemd unit after showing its status', async () => {
    await shim('docker', ['restart', 'open-webui'], 'open-webui\n');
    await shim('systemctl', ['status', '--no-pager', '--lines=0', 'open-webui.service'], '● open-webui.service - Open WebUI\n     Active: active (running)\n');
    const docker = await scriptAction(shimmed(byName('restart-open-webui'))).run(ctx());
    expect(docker).toMatchObject({ kind: 'done', exitCode: 0, message: expect.stringMatching(/exit 0 in \d+\.\d s, 1 line$/) });
    const unit = scriptAction(shimmed(byName('restart-open-webui-unit')));
    const p = await prepare(unit, ctx());
    expect(p.dryRun).toContain('systemctl restart open-webui.service');
    expect(p.dryRun).toContain('Active: active (running)');
    // the shim knows only `status …`: the restart reaches it with its exact argv and fails loudly otherwise
    const r = await unit.run(ctx());
    expect(r).toMatchObject({ kind: 'error', exitCode: 99, message: expect.stringContaining('systemctl shim: unknown argv: restart open-webui.service') });
  });

  it('snapshots a Qdrant collection over loopback; a collection name outside the allowlist never reaches it', async () => {
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end(req.method === 'POST' ? '{"result":{"name":"memories-1.snapshot","size":1024},"status":"ok","time":0.01}' : '{"result":{"status":"green","points_count":12},"status":"ok"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const s = byName('qdrant-snapshot');
      // the example's own argv and plan, pointed at this test's port
      const local: ScriptConfig = { ...s, argv: s.argv.map((a) => a.replace(':6333/', `:${port}/`)), plan: s.plan!.map((a) => a.replace(':6333/', `:${port}/`)) };
      const a = scriptAction(local);
      const bad = await prepare(a, ctx({ args: { collection: '../../cluster' } }));
      expect(bad.refused?.reason).toMatch(/input collection: collection: "..\/..\/cluster" does not match/);
      expect(await a.run(ctx({ args: { collection: 'a?b' } }))).toMatchObject({ kind: 'error' });
      expect(seen).toEqual([]);
      const p = await prepare(a, ctx({ args: { collection: 'memories' } }));
      expect(p.refused).toBeUndefined();
      expect(p.dryRun).toContain('"points_count":12');
      const out: string[] = [];
      const r = await a.run(ctx({ args: { collection: 'memories' }, output: (l) => out.push(l) }));
      expect(r).toMatchObject({ kind: 'done', exitCode: 0 });
      expect(out.join('\n')).toContain('memories-1.snapshot');
      expect(seen).toEqual(['GET /collections/memories', 'POST /collections/memories/snapshots']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('free-page-cache is T2: its plan reads /proc/meminfo for real, the operator types its name (not run here)', async () => {
    const p = await prepare(scriptAction(byName('free-page-cache')), ctx());
    expect(p.confirm).toBe('typed');
    expect(p.target).toBe('free-page-cache');
    expect(p.dryRun).toMatch(/^Cached: +\d+ kB$/m);
    expect(p.dryRun).toMatch(/^Dirty: +\d+ kB$/m);
  });
});

describe('the demo box\'s scripts', () => {
  it('are the same chores, simulated, run as real processes that say so', async () => {
    expect(DEMO_SCRIPTS.map((s) => `${s.name}:${s.tier}`)).toEqual(['pcie-recheck:T0', 'restart-open-webui:T1', 'qdrant-snapshot:T1', 'free-page-cache:T2']);
    const demo = (name: string) => scriptAction(DEMO_SCRIPTS.find((s) => s.name === name)!);
    const lines: Record<string, string[]> = { pcie: [], webui: [], qdrant: [] };
    const [pcie, webui, qdrant, plan] = await Promise.all([
      demo('pcie-recheck').run(ctx({ output: (l) => lines.pcie!.push(l) })),
      demo('restart-open-webui').run(ctx({ args: { via: 'systemd' }, output: (l) => lines.webui!.push(l) })),
      demo('qdrant-snapshot').run(ctx({ output: (l) => lines.qdrant!.push(l) })),
      demo('free-page-cache').plan!(ctx()),
    ]);
    for (const l of Object.values(lines)) expect(l[0]).toBe('(demo box: simulated, nothing on this machine is read or changed)');
    // the demo box's GPU1 runs Gen4: the re-check says so and fails
    expect(pcie).toMatchObject({ kind: 'error', exitCode: 1, message: expect.stringContaining('GPU1: Gen4 x16 (max Gen5): DOWNGRADED') });
    expect(webui).toMatchObject({ kind: 'done', exitCode: 0 });
    expect(lines.webui).toContain('$ systemctl restart open-webui.service');
    expect(qdrant).toMatchObject({ kind: 'done' });
    expect(lines.qdrant).toContain('$ curl -fsS -X POST http://127.0.0.1:6333/collections/memories/snapshots');
    expect(plan).toContain('would run: sync; echo 1 > /proc/sys/vm/drop_caches');
    expect((await prepare(demo('qdrant-snapshot'), ctx({ args: { collection: 'x; rm -rf /' } }))).refused?.code).toBe('precondition');
  });
});
