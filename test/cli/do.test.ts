/**
 * `sov do`: the declared actions headless, against the real daemon server over its socket (in this process, with an
 * in-memory supervisor), in a private XDG tree under the temp dir.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/actions/index.js';
import { HEADLESS, runDoCli } from '../../src/cli/do.js';
import { runTripcodeCli } from '../../src/cli/tripcode.js';
import type { EngineConfig } from '../../src/config/schema.js';
import { resolvePaths, type SovPaths } from '../../src/daemon/paths.js';
import { startDaemon, type DaemonServer } from '../../src/daemon/server.js';
import { EXIT, type EngineStatus, type Supervisor } from '../../src/daemon/types.js';
import { runnerFor } from '../../src/hosts/runner.js';
import type { Runner } from '../../backends/types.js';
import { demoStateDir } from '../../src/recovery/authority.js';

/** engines from the config, all stopped but `up` (running, pid 4242); start/stop flip states */
class FakeSupervisor implements Supervisor {
  engines = new Map<string, EngineStatus>();
  calls: string[] = [];
  constructor(cfg: EngineConfig[]) { this.set(cfg); }
  private set(cfg: EngineConfig[]) {
    this.engines = new Map(cfg.map((c) => [c.name, { name: c.name, kind: c.kind, state: c.name === 'up' ? 'healthy' : 'stopped', pids: c.name === 'up' ? [4242] : [], ...(c.name === 'up' ? { pid: 4242 } : {}), restarts: 0, warnings: [], port: 8080 }]));
  }
  private get(name: string): EngineStatus {
    const e = this.engines.get(name);
    if (!e) throw Object.assign(new Error(`no engine named "${name}"`), { code: 'notFound' });
    return e;
  }
  list() { return [...this.engines.values()].map((e) => ({ ...e })); }
  async start(name: string) { this.calls.push(`start ${name}`); const e = this.get(name); e.state = 'starting'; e.pid = 4343; return { ...e }; }
  async stop(name: string) { this.calls.push(`stop ${name}`); const e = this.get(name); e.state = 'stopped'; delete e.pid; return { ...e }; }
  async restart(name: string) { await this.stop(name); return this.start(name); }
  async logs(name: string, o: { lines?: number } = {}) {
    this.calls.push(`logs ${name} ${o.lines}`);
    this.get(name);
    return { name, file: `/logs/${name}.log`, lines: ['line one', 'line \x1b[31mtwo'] };
  }
  async setEngines(cfg: EngineConfig[]) { this.set(cfg); }
  async detach() {}
}

let dir: string;
let env: NodeJS.ProcessEnv;
let paths: SovPaths;
let sup: FakeSupervisor | undefined;
let server: DaemonServer | undefined;

async function serve(): Promise<FakeSupervisor> {
  // the engines' supervisor is the one under test; the daemon's second one (its tunnels, <state>/tunnels) is left alone
  server = await startDaemon({ paths, createSupervisor: async (o) => { const f = new FakeSupervisor(o.engines); if (!o.stateDir.endsWith('/tunnels')) sup = f; return f; } });
  return sup!;
}

async function sovDo(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDoCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sovdo-'));
  env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config'), PATH: process.env.PATH };
  mkdirSync(env.XDG_RUNTIME_DIR!, { mode: 0o700 });
  mkdirSync(join(env.XDG_CONFIG_HOME!, 'sov'), { recursive: true });
  paths = resolvePaths({ env });
  writeFileSync(paths.configPath, `engines:
  - name: alpha
    kind: process
    argv: [/usr/bin/llama-server, -m, /models/a.gguf, --port, "8080"]
  - name: up
    kind: process
    argv: [/bin/true]
    stop: { signal: SIGINT, timeoutSec: 7 }
`);
  sup = undefined;
});

afterEach(async () => {
  await server?.stop('test done');
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('sov do --list', () => {
  it('every action says how it runs headless: its own form, or its tier\'s rule (T2 --confirm, T3 --tripcode)', async () => {
    const rows = JSON.parse((await sovDo('--list', '--json')).out) as { id: string; tier: string; headless: string }[];
    for (const a of ACTIONS) {
      const row = rows.find((r) => r.id === a.id)!;
      if (HEADLESS[a.id]) expect(row.headless).toBe(HEADLESS[a.id]!.how);
      else expect(row.headless, a.id).toMatch(a.tier === 'T3' ? /--tripcode/ : a.tier === 'T2' ? /--confirm/ : a.tier === 'T1' ? /audit/ : /at once/);
    }
  });

  it('lists id, title, tier, description and how it runs headless (text and --json)', async () => {
    const text = await sovDo('--list');
    expect(text.code).toBe(0);
    for (const a of ACTIONS) expect(text.out).toContain(`${a.id}`);
    expect(text.out).toMatch(/engine\.stop\s+T1\s+Stop: stop the selected engine/);
    expect(text.out).toContain('sov do engine.stop --arg name=NAME');
    const json = await sovDo('--list', '--json');
    const rows = JSON.parse(json.out) as { id: string; title: string; tier: string; description: string; headless: string; args: Record<string, string> }[];
    expect(rows.map((r) => r.id)).toEqual(ACTIONS.map((a) => a.id));
    expect(rows.find((r) => r.id === 'engine.logs')).toMatchObject({ title: 'Logs', tier: 'T0', headless: expect.stringMatching(/prints the last 50 lines/) });
    expect(rows.find((r) => r.id === 'engine.bench')?.headless).toMatch(/sov engines bench/);
    expect(rows.find((r) => r.id === 'engine.start')?.args).toHaveProperty('name');
  });
});

describe('sov do: bad arguments', () => {
  it('an unknown action exits 2 and names the known ones', async () => {
    const r = await sovDo('engine.explode', '--arg', 'name=alpha');
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/unknown action "engine\.explode"; known actions: engine\.start, engine\.stop, engine\.restart, engine\.logs, engine\.bench/);
    expect((await sovDo()).code).toBe(EXIT.usage);
  });

  it('a bad, unknown, repeated or missing --arg exits 2', async () => {
    expect(await sovDo('engine.start', '--arg', 'alpha')).toMatchObject({ code: EXIT.usage, err: expect.stringMatching(/--arg wants k=v, got "alpha"/) });
    expect(await sovDo('engine.start', '--arg', 'name=alpha', '--arg', 'port=1')).toMatchObject({ code: EXIT.usage, err: expect.stringMatching(/engine\.start has no argument "port" \(it takes --arg name=…\)/) });
    expect(await sovDo('engine.start', '--arg', 'name=a', '--arg', 'name=b')).toMatchObject({ code: EXIT.usage, err: expect.stringMatching(/given twice/) });
    expect(await sovDo('engine.start')).toMatchObject({ code: EXIT.usage, err: expect.stringMatching(/engine\.start needs --arg name=…/) });
    expect(await sovDo('engine.start', 'alpha')).toMatchObject({ code: EXIT.usage, err: expect.stringMatching(/unexpected argument: alpha/) });
    expect((await sovDo('engine.start', '--bogus')).code).toBe(EXIT.usage);
  });

  it('an unknown engine exits 3, naming the known ones', async () => {
    const s = await serve();
    const r = await sovDo('engine.start', '--arg', 'name=nope');
    expect(r.code).toBe(EXIT.notFound);
    expect(r.err).toMatch(/no engine named "nope" \(known: alpha, up\)/);
    expect(s.calls).toEqual([]);
  });
});

describe('sov do against the daemon', () => {
  it('--dry-run prints describe() only and changes nothing', async () => {
    const s = await serve();
    const r = await sovDo('engine.stop', '--arg', 'name=up', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toBe('stop up: SIGINT pid 4242 (its process group), SIGKILL after 7 s');
    expect(r.err).toMatch(/dry run: nothing was run/);
    const j = await sovDo('engine.start', '--arg', 'name=alpha', '--dry-run', '--json');
    expect(JSON.parse(j.out)).toEqual({
      action: 'engine.start', args: { name: 'alpha' }, tier: 'T1', checks: [], dryRun: true, when: true, result: null,
      describe: 'start alpha: `/usr/bin/llama-server -m /models/a.gguf --port 8080`',
    });
    expect(s.calls).toEqual([]);
    expect(s.engines.get('up')?.state).toBe('healthy');
  });

  it('--dry-run with no daemon: what it would run, from the config, without starting one', async () => {
    const r = await sovDo('engine.start', '--arg', 'name=alpha', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toBe('start alpha: `/usr/bin/llama-server -m /models/a.gguf --port 8080`');
    expect(r.err).toMatch(/the daemon is not running/);
    expect((await sovDo('engine.start', '--arg', 'name=nope', '--dry-run')).code).toBe(EXIT.notFound);
  });

  it('runs the action: describe() first, then the result (--json: one document)', async () => {
    const s = await serve();
    const r = await sovDo('engine.start', '--arg', 'name=alpha');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(['start alpha: `/usr/bin/llama-server -m /models/a.gguf --port 8080`', 'alpha: start → starting (pid 4343)']);
    expect(s.calls).toEqual(['start alpha']);
    const j = await sovDo('engine.stop', '--arg', 'name=up', '--json');
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ action: 'engine.stop', args: { name: 'up' }, tier: 'T1', outcome: 'ok', auditId: expect.any(String), describe: 'stop up: SIGINT pid 4242 (its process group), SIGKILL after 7 s', result: { kind: 'done', message: 'up: stop → stopped' } });
    // both runs are in the daemon's audit log: who, what, the outcome
    const audit = readFileSync(join(paths.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; action: string; outcome?: string });
    expect(audit.map((e) => `${e.kind} ${e.action}${e.outcome ? ` ${e.outcome}` : ''}`)).toEqual(['begin engine.start', 'end engine.start ok', 'begin engine.stop', 'end engine.stop ok']);
  });

  it('a refusal from when() prints the reason and exits 1', async () => {
    const s = await serve();
    const r = await sovDo('engine.stop', '--arg', 'name=alpha');
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toBe('sov do: alpha is not running');
    const b = await sovDo('engine.bench', '--arg', 'name=alpha', '--json');
    expect(b.code).toBe(EXIT.failed);
    expect(JSON.parse(b.out)).toMatchObject({ action: 'engine.bench', outcome: 'refused', refused: { code: 'unavailable' }, result: { kind: 'error', message: 'alpha is stopped: start it first' } });
    expect(s.calls).toEqual([]);
  });

  it('--read-only refuses T1 actions with the cockpit\'s words; T0 (logs) still runs and prints the tail', async () => {
    const s = await serve();
    for (const id of ['engine.start', 'engine.stop', 'engine.restart', 'engine.bench']) {
      const r = await sovDo(id, '--arg', 'name=up', '--read-only');
      const title = ACTIONS.find((a) => a.id === id)!.title;
      expect(r, id).toMatchObject({ code: EXIT.failed, err: `sov do: ${title} is disabled: sov runs --read-only` });
    }
    expect(s.calls).toEqual([]);
    const logs = await sovDo('engine.logs', '--arg', 'name=up', '--read-only');
    expect(logs.code).toBe(0);
    // control sequences from the log never reach the terminal
    expect(logs.out.split('\n')).toEqual(['show the log of up', 'line one', 'line two', '2 lines of the log of up (/logs/up.log)']);
    expect(s.calls).toEqual(['logs up 50']);
  });

  it('--read-only with no daemon: refused without starting one', async () => {
    const r = await sovDo('engine.start', '--arg', 'name=alpha', '--read-only');
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/Start is disabled: sov runs --read-only/);
  });
});

describe('sov do reads only what the action declares', () => {
  it('every built-in action declares the sources it reads (undeclared would read every source)', () => {
    // vm.* (src/actions/vms.ts, vm-ssh.ts) are still undeclared: they read all, as before
    const undeclared = ACTIONS.filter((a) => a.reads === undefined && !a.id.startsWith('vm.')).map((a) => a.id);
    expect(undeclared).toEqual([]);
  });

  it('--host NAME acts on another host through its runner (the demo\'s vault); the audit names it; an action that needs this machine, or an unknown host, exits 2', async () => {
    env = { ...env, TMPDIR: dir }; // the demo state dir (its audit log) under this test's dir
    const r = await sovDo('zfs.scrub.start', '--arg', 'pool=rpool', '--demo', '--host', 'vault', '--json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as { outcome: string; post: { name: string; state: string }[]; auditId: string };
    expect(doc.outcome).toBe('ok');
    expect(doc.post).toEqual([expect.objectContaining({ name: 'scrub running', state: 'pass' })]);
    const audit = readFileSync(join(demoStateDir(env), 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; action: string; host?: string });
    expect(audit.find((e) => e.kind === 'begin')).toMatchObject({ action: 'zfs.scrub.start', host: 'vault (demo)' });
    // forge has no zpool: the action says so (its own panels do too)
    const forge = await sovDo('zfs.scrub.start', '--arg', 'pool=rpool', '--demo', '--host', 'forge');
    expect(forge.code).toBe(1);
    expect(forge.out + forge.err).toMatch(/no zfs reading|not found/);
    const engine = await sovDo('engine.restart', '--arg', 'name=llama', '--demo', '--host', 'vault');
    expect(engine.code).toBe(EXIT.usage);
    expect(engine.err).toMatch(/acts on this machine \(omni \(demo\)\) only/);
    const nope = await sovDo('zfs.clear', '--arg', 'pool=rpool', '--demo', '--host', 'nope');
    expect(nope.code).toBe(EXIT.usage);
    expect(nope.err).toMatch(/no host named "nope" \(known: omni \(demo\), vault \(demo\), forge \(demo\)/);
    // this machine by its name: no SSH, as without --host
    const here = await sovDo('zfs.scrub.start', '--arg', 'pool=rpool', '--demo', '--host', 'omni', '--dry-run');
    expect(here.code, here.err).toBe(0);
  });

  it('a T3 action on another host needs a tripcode made for that host: RECOVERY codes (this machine\'s) are refused there; sov tripcode code --host makes the one that runs', async () => {
    env = { ...env, TMPDIR: dir };
    const snap = 'ember/vm@nightly-2026-11-22';
    const tc = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runTripcodeCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
      return { code, out: out.join('').trim(), err: err.join('') };
    };
    const here = await tc('sign', `RECOVERY:REVERT_SNAPSHOT::${snap}`, '--demo');
    expect(here.code, here.err).toBe(0);
    const refused = await sovDo('zfs.rollback', '--arg', `snapshot=${snap}`, '--demo', '--host', 'vault', '--tripcode', here.out, '--json');
    expect(refused.code).toBe(1);
    const r = JSON.parse(refused.out) as { outcome: string; refused: { code: string; reason: string } };
    expect(r, refused.out.slice(-800)).toMatchObject({ outcome: 'refused', refused: { code: 'tripcode-wrong-code' } });
    expect(r.refused.reason).toMatch(/on vault \(demo\) .*sov tripcode code zfs\.rollback --host vault \(demo\)/);
    // the code for vault differs from this machine's, and from forge's
    const forVault = await tc('code', 'zfs.rollback', '--arg', `snapshot=${snap}`, '--host', 'vault', '--demo');
    const forHere = await tc('code', 'zfs.rollback', '--arg', `snapshot=${snap}`, '--demo');
    const forForge = await tc('code', 'zfs.rollback', '--arg', `snapshot=${snap}`, '--host', 'forge', '--demo');
    expect(new Set([forVault.out, forHere.out, forForge.out]).size).toBe(3);
    expect((await tc('code', 'zfs.rollback', '--arg', `snapshot=${snap}`, '--host', 'omni', '--demo')).out).toBe(forHere.out);
    expect((await tc('code', 'zfs.rollback', '--host', 'nope', '--demo')).code).toBe(EXIT.usage);
    const signed = await tc('sign', forVault.out, '--demo');
    const ok = await sovDo('zfs.rollback', '--arg', `snapshot=${snap}`, '--demo', '--host', 'vault', '--tripcode', signed.out, '--json');
    expect(ok.code, ok.err).toBe(0);
    expect((JSON.parse(ok.out) as { outcome: string }).outcome).toBe('ok');
  });

  it('zfs.scrub.start --dry-run --demo runs only zpool/zfs on the demo box (no nvidia-smi, no numactl, no /proc)', async () => {
    const argv0: string[] = [];
    const files: string[] = [];
    const runner = (demo: boolean): Runner => {
      const r = runnerFor({ demo, demoSpeed: 1 });
      return {
        host: r.host, now: () => r.now(),
        run: (a, o) => { argv0.push(a[0]!); return r.run(a, o); },
        stream: (a, o) => { argv0.push(a[0]!); return r.stream(a, o); },
        readFile: (p) => { files.push(p); return r.readFile(p); },
        listDir: (p) => { files.push(p); return r.listDir(p); },
      };
    };
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDoCli(['zfs.scrub.start', '--arg', 'pool=rpool', '--dry-run', '--demo'], { out: (s) => out.push(s), err: (s) => err.push(s), env, runner });
    expect(code, err.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/zpool scrub rpool/);
    // the checks saw the pool: the zfs reading was taken
    expect(out.join('\n')).toMatch(/pool.*rpool/);
    expect(argv0.length).toBeGreaterThan(0);
    expect([...new Set(argv0)].sort()).toEqual(expect.arrayContaining(['zpool']));
    expect(argv0.filter((a) => a !== 'zpool' && a !== 'zfs')).toEqual([]);
    // the zfs source's own file (the ARC); none of the system, numa or vms sources' /proc and /sys reads
    expect(files.filter((f) => !f.startsWith('/proc/spl/kstat/zfs/'))).toEqual([]);
  });
});
