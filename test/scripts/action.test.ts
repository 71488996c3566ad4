// script.NAME actions with real processes, run the way every entry point runs them: prepare() → perform() with a
// small recording RecoveryLink (begin/end), plus the action's own parts.
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { actionsFor } from '../../src/actions/index.js';
import { scriptAction, scriptActions } from '../../src/actions/scripts.js';
import { shellQuote } from '../../src/text/shell.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { scriptSchema, type ScriptConfig } from '../../src/config/scripts.js';
import { configSchema } from '../../src/config/schema.js';
import { isAlive } from '../../src/daemon/procfs.js';
import { createAuthority } from '../../src/recovery/authority.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import type { BeginRequest, EndRequest, RecoveryLink } from '../../src/recovery/types.js';
import { runScript } from '../../src/scripts/run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `sov-script-actions-${process.pid}-`));
  process.env.SOV_RUNTIME_DIR = join(dir, 'run'); // the script locks of this test, not the machine's
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const exists = (p: string) => access(p).then(() => true, () => false);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let n = 0;
const script = (s: Record<string, unknown>): ScriptConfig => scriptSchema.parse({ name: `s${process.pid}-${n++}`, ...s });

/** An authority that says yes and remembers what it was told. */
function recordingLink() {
  const begins: BeginRequest[] = [];
  const ends: EndRequest[] = [];
  const link: RecoveryLink = {
    status: async () => ({ lockdown: false, auditEntries: begins.length }),
    begin: async (req) => { begins.push(req); return { ok: true, id: `a${begins.length}` }; },
    end: async (req) => { ends.push(req); },
    applyTripcode: async () => ({ ok: false, code: 'tripcode-malformed', reason: 'not in this test' }),
    recent: async () => [],
  };
  return { link, begins, ends };
}

function ctx(over: Partial<ActionCtx> = {}): ActionCtx {
  return { readOnly: false, setLogs: vi.fn(), ...over };
}

/** a script that creates the file its input names: the marker proves whether anything ran */
const toucher = (tier = 'T1') => script({
  tier,
  inputs: [{ name: 'file', pattern: `${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[a-z]+` }],
  plan: ['sh', '-c', 'echo "would create $1"; touch "$1.plan"', 'plan', '{{file}}'],
  argv: ['sh', '-c', 'touch "$1"; echo "created $1"', 'touch', '{{file}}'],
});

describe('script actions', () => {
  it('an input its allowlist refuses never runs: not the plan, not the script (marker files never appear)', async () => {
    const s = toucher();
    const a = scriptAction(s);
    const rec = recordingLink();
    for (const bad of [`${dir}/ok; touch ${dir}/pwned`, `${dir}/../x`, `${dir}/a\n`, 'relative']) {
      const p = await prepare(a, ctx({ args: { file: bad }, recovery: rec.link }));
      expect(p.refused?.code).toBe('precondition');
      expect(p.checks.find((c) => c.name === 'input file')).toMatchObject({ state: 'fail' });
      expect(p.dryRun).toMatch(/plan not run: file: .* does not match/);
      const done = await perform(p, { kind: 'yes' });
      expect(done.outcome).toBe('refused');
      expect(done.result.kind).toBe('error');
    }
    // run() itself refuses too (no entry point can skip the checks)
    const direct = await a.run(ctx({ args: { file: `${dir}/ok; touch ${dir}/pwned` } }));
    expect(direct).toMatchObject({ kind: 'error', message: expect.stringMatching(/refused, nothing ran: file: /) });
    expect(await exists(join(dir, 'pwned'))).toBe(false);
    expect(await exists(join(dir, 'ok'))).toBe(false);
    expect(await exists(join(dir, 'ok; touch'))).toBe(false);
    // the authority heard of each refusal (it records the failed precondition) and of no run
    expect(rec.begins).toHaveLength(4);
    expect(rec.ends).toHaveLength(0);
  });

  it('runs end to end through perform(): checks, plan in the dry run, the authority told before and after, live output', async () => {
    const s = toucher();
    const a = scriptAction(s);
    const rec = recordingLink();
    const out: string[] = [];
    const file = `${dir}/good`;
    const p = await prepare(a, ctx({ args: { file }, recovery: rec.link, output: (l) => out.push(l) }));
    expect(p.refused).toBeUndefined();
    expect(p.confirm).toBe('yes');
    expect(p.checks.map((c) => `${c.name}:${c.state}`)).toEqual(['input file:pass', 'program:pass']);
    expect(p.dryRun).toContain(`sh -c 'touch "$1"; echo "created $1"' touch ${file}  (deadline 60 s)`);
    expect(p.dryRun).toContain(`would create ${file}`);
    expect(p.dryRun).toMatch(/\(plan: exit 0 in \d+\.\d s, 1 line\)$/);
    expect(await exists(`${file}.plan`)).toBe(true); // the plan ran for real
    expect(await exists(file)).toBe(false); // the script did not, yet
    const done = await perform(p, { kind: 'yes' });
    expect(done.outcome).toBe('ok');
    expect(done.result).toMatchObject({ kind: 'done', exitCode: 0, message: expect.stringMatching(new RegExp(`^${s.name}: exit 0 in \\d+\\.\\d s, 1 line$`)) });
    expect(await exists(file)).toBe(true);
    expect(out).toEqual([`created ${file}`]);
    expect(rec.begins).toHaveLength(1);
    expect(rec.begins[0]).toMatchObject({ action: `script.${s.name}`, tier: 'T1', args: { file }, confirmation: { kind: 'yes' } });
    expect(rec.begins[0]!.dryRun).toBe(p.dryRun);
    expect(rec.ends).toEqual([expect.objectContaining({ id: 'a1', outcome: 'ok', exitCode: 0 })]);
  });

  it('through the real authority: a hash-chained audit entry before and after, a refused input recorded and never run', async () => {
    const auth = createAuthority({ stateDir: join(dir, 'authority') });
    try {
      const a = scriptAction(toucher());
      const file = `${dir}/audited`;
      const done = await perform(await prepare(a, ctx({ args: { file }, recovery: auth })), { kind: 'yes' });
      expect(done.outcome).toBe('ok');
      expect(await exists(file)).toBe(true);
      const bad = await perform(await prepare(a, ctx({ args: { file: `${dir}/x y` }, recovery: auth })), { kind: 'yes' });
      expect(bad.outcome).toBe('refused');
      expect(await exists(`${dir}/x y`)).toBe(false);
      const log = (await auth.recent(10)) as Record<string, unknown>[];
      expect(log.map((e) => `${e.kind}:${e.action}`)).toEqual([`begin:${a.id}`, `end:${a.id}`, expect.stringMatching(new RegExp(`:${a.id.replace(/\./g, '\\.')}$`))]);
      expect(log[0]).toMatchObject({ tier: 'T1', args: { file }, confirmation: { kind: 'yes' }, dryRun: expect.stringContaining(`would create ${file}`) });
      expect(log[1]).toMatchObject({ outcome: 'ok', exitCode: 0, message: expect.stringMatching(/exit 0 in/) });
      expect(log[2]).toMatchObject({ checks: expect.arrayContaining([expect.objectContaining({ name: 'input file', state: 'fail' })]) });
    } finally {
      auth.close();
    }
  });

  it('a failing script is recorded as failed with its exit code and last line; T2 asks for its name', async () => {
    const s = script({ tier: 'T2', argv: ['sh', '-c', 'echo "checking"; echo "disk \u001b[31mfull\u001b[0m" >&2; exit 4'] });
    const a = scriptAction(s);
    const rec = recordingLink();
    const p = await prepare(a, ctx({ recovery: rec.link }));
    expect(p.confirm).toBe('typed');
    expect(p.target).toBe(s.name);
    const wrong = await perform(p, { kind: 'yes' });
    expect(wrong.outcome).toBe('refused');
    expect(wrong.refusal?.reason).toContain(`type "${s.name}" to confirm`);
    expect(rec.ends).toHaveLength(0);
    const done = await perform(p, { kind: 'typed', text: s.name });
    expect(done.outcome).toBe('failed');
    expect(done.result).toMatchObject({ kind: 'error', exitCode: 4 });
    expect(done.result.message).toMatch(/: exit 4 in \d+\.\d s, 2 lines — last line: disk full$/);
    expect(rec.ends.at(-1)).toMatchObject({ outcome: 'failed', exitCode: 4 });
  });

  it('ctrl+c (ctx.signal) cancels through perform(): the group is gone and the outcome recorded as cancelled', async () => {
    const a = scriptAction(script({ argv: ['sh', '-c', 'sleep 100 & echo $!; sleep 100'] }));
    const rec = recordingLink();
    const ac = new AbortController();
    const pids: number[] = [];
    const p = await prepare(a, ctx({ recovery: rec.link, signal: ac.signal, output: (l) => { pids.push(Number(l)); ac.abort(); } }));
    const done = await perform(p, { kind: 'yes' });
    expect(done.outcome).toBe('cancelled');
    expect(done.result.message).toMatch(/cancelled after \d+\.\d s: SIGTERM to its process group/);
    expect(rec.ends.at(-1)).toMatchObject({ outcome: 'cancelled' });
    await sleep(200);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('when() refuses while it runs (the reason says since when) and under --read-only; T0 runs under --read-only', async () => {
    const s = script({ argv: ['sleep', '0.5'] });
    const a = scriptAction(s);
    expect(a.when(ctx())).toBe(true);
    const running = runScript({ key: s.name, argv: s.argv, timeoutMs: 5000 });
    await sleep(100);
    expect(a.when(ctx())).toMatch(new RegExp(`^${s.name} is already running since \\d\\d:\\d\\d:\\d\\d \\(pid \\d+\\)$`));
    expect(await a.run(ctx())).toMatchObject({ kind: 'error', message: expect.stringMatching(/already running since/) });
    await running;
    expect(a.when(ctx())).toBe(true);
    // a run through the action holds the machine-wide lock (another sov refuses it) and lets it go after
    const locks = join(dir, 'run', 'scripts');
    const viaAction = a.run(ctx());
    await sleep(100);
    expect((await readdir(locks)).filter((f) => f.startsWith(`${s.name}-`))).toHaveLength(1);
    expect(await viaAction).toMatchObject({ kind: 'done' });
    expect((await readdir(locks)).filter((f) => f.startsWith(`${s.name}-`))).toHaveLength(0);
    // the demo box keeps its locks in its own state dir ($TMPDIR/sov-demo-<uid>), never in the real box's
    process.env.TMPDIR = join(dir, 'tmp');
    const demoLocks = join(dir, 'tmp', `sov-demo-${process.getuid!()}`, 'scripts');
    const onDemo = a.run(ctx({ who: { uid: 0, user: 'u', via: 'demo' }, demo: true }));
    await sleep(100);
    expect((await readdir(demoLocks)).filter((f) => f.startsWith(`${s.name}-`))).toHaveLength(1);
    expect((await readdir(locks)).filter((f) => f.startsWith(`${s.name}-`))).toHaveLength(0);
    await onDemo;
    expect(a.when(ctx({ readOnly: true }))).toBe(`${s.name} is disabled: sov runs --read-only`);
    expect(scriptAction(script({ tier: 'T0', argv: ['true'] })).when(ctx({ readOnly: true }))).toBe(true);
  });

  it('declares its inputs as arguments, defaults and choices; describe() shows the exact argv, quoted for reading', () => {
    const s = script({
      tier: 'T0', cwd: '/tmp', env: { MODE: 'a b' },
      inputs: [{ name: 'via', choices: ['docker', 'systemd'], default: 'docker', description: 'how it runs' }, { name: 'c', pattern: '[a-z ]+' }],
      argv: ['echo', '{{via}}', 'x={{c}}', "it's"],
    });
    const a = scriptAction(s);
    expect(a.id).toBe(`script.${s.name}`);
    expect(a.tier).toBe('T0');
    expect(a.confirm).toBe(false);
    expect(a.args).toEqual({ via: 'how it runs: one of docker, systemd', c: 'matching ^(?:[a-z ]+)$' });
    expect(a.argDefaults).toEqual({ via: 'docker' });
    expect(a.argChoices?.(ctx(), 'via')).toEqual(['docker', 'systemd']);
    expect(a.argChoices?.(ctx(), 'c')).toEqual([]);
    expect(a.plan).toBeUndefined();
    expect(a.describe(ctx({ args: { c: 'two words' } }))).toBe(`MODE='a b' echo docker 'x=two words' 'it'\\''s'  (in /tmp, deadline 60 s)`);
    // text from outside never reaches the terminal raw, even in describe()
    expect(a.describe(ctx({ args: { c: 'a\u001b[2Jb' } }))).not.toContain('\u001b');
    expect(shellQuote('plain/path-1.0')).toBe('plain/path-1.0');
  });

  it('checks() names a missing program, a missing cwd, a missing required input and unknown arguments', async () => {
    const a = scriptAction(script({ cwd: join(dir, 'nope'), inputs: [{ name: 'c', pattern: '[a-z]+' }], argv: ['sov-no-such-tool', '{{c}}'] }));
    const checks = await a.checks!(ctx({ args: { extra: '1' } }));
    expect(checks).toEqual([
      { name: 'input c', state: 'fail', detail: 'required' },
      { name: 'arguments', state: 'fail', detail: 'unknown argument "extra" (inputs: c)' },
      { name: 'program', state: 'fail', detail: 'sov-no-such-tool: not found on PATH' },
      { name: 'cwd', state: 'fail', detail: `${join(dir, 'nope')}: no such directory` },
    ]);
  });

  it('plan output arrives sanitised; a deadline bounds the plan', async () => {
    const a = scriptAction(script({ planTimeoutSec: 0.4, plan: ['sh', '-c', 'printf "\\033]0;t\\007would \\342\\200\\256free\\n"; sleep 100'], argv: ['true'] }));
    const text = await a.plan!(ctx());
    expect(text).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(text).toContain('would free');
    expect(text).toMatch(/\(plan: timed out after 0.4 s: SIGTERM to its process group, 1 line\)$/);
  });

  it('actionsFor(config) adds the config\'s scripts after the built-in actions', () => {
    const config = configSchema.parse({ scripts: [{ name: 'one', argv: ['true'] }, { name: 'two', argv: ['true'], tier: 'T3' }] });
    const ids = actionsFor(config).map((a) => a.id);
    expect(ids.slice(-2)).toEqual(['script.one', 'script.two']);
    expect(ids).toContain('engine.start');
    expect(actionsFor().some((a) => a.id.startsWith('script.'))).toBe(false);
    expect(scriptActions(config.scripts).map((a) => a.tier)).toEqual(['T1', 'T3']);
    // the same objects for the same config (the cockpit asks on every frame)
    expect(actionsFor(config).at(-1)).toBe(actionsFor(config).at(-1));
  });
});
