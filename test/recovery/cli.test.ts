import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runAuditCli } from '../../src/cli/audit.js';
import { runTripcodeCli } from '../../src/cli/tripcode.js';
import { createAuthority, demoStateDir } from '../../src/recovery/authority.js';
import { actionCode } from '../../src/recovery/codes.js';

const root = mkdtempSync(join(tmpdir(), 'sov-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
let env: NodeJS.ProcessEnv;
let out: string[];
let err: string[];
const io = () => ({ out: (s: string) => { out.push(s); }, err: (s: string) => { err.push(s); }, env });
const tripcode = (argv: string[], runDo?: (a: string[]) => Promise<number>) => runTripcodeCli(argv, { ...io(), ...(runDo ? { runDo } : {}) });
const audit = (argv: string[]) => runAuditCli(argv, io());

beforeEach(() => {
  const d = join(root, `t${++n}`);
  // the demo box's state dir lives under TMPDIR; the real box's under SOV_STATE_DIR
  env = { TMPDIR: d, SOV_STATE_DIR: join(d, 'state'), HOME: d, PATH: process.env.PATH };
  out = []; err = [];
});

describe('sov tripcode', () => {
  it('bad arguments exit 2 with the usage', async () => {
    for (const argv of [[], ['frob'], ['sign'], ['sign', 'RECOVERY:NOPE'], ['sign', 'RECOVERY:UNLOCK', '--ts', 'soon'], ['apply'], ['code', 'no.such'], ['init', 'x'], ['code', 'box.lockdown', '--arg', 'oops']]) {
      err = [];
      expect(await tripcode(argv)).toBe(2);
      expect(err.join('\n')).toMatch(/usage:/);
    }
  });

  it('init, sign and apply on the demo box: LOCKDOWN takes effect once; the same payload is then refused as replayed', async () => {
    expect(await tripcode(['init', '--demo'])).toBe(0);
    expect(out[0]).toMatch(/made .*sov-demo-\d+\/tripcode\.key \(fingerprint [0-9a-f]{8}\)/);
    out = [];
    expect(await tripcode(['sign', 'RECOVERY:LOCKDOWN', '--demo'])).toBe(0);
    const payload = out[0]!;
    expect(payload).toMatch(/^\d+\|RECOVERY:LOCKDOWN\|[0-9a-f]{8}\.[0-9a-f]{64}$/);
    out = [];
    expect(await tripcode(['apply', payload, '--demo'])).toBe(0);
    expect(out.join()).toMatch(/RECOVERY:LOCKDOWN: lockdown/);
    expect(await tripcode(['apply', payload, '--demo'])).toBe(1);
    expect(err.join()).toMatch(/refused \(tripcode-replayed\)/);
    const a = createAuthority({ stateDir: demoStateDir(env) });
    expect((await a.status()).lockdown).toBe(true);
    a.close();
  });

  it('an action code runs sov do with the code\'s arguments and the payload; an ACTION code takes --arg', async () => {
    await tripcode(['init', '--demo']);
    const calls: string[][] = [];
    const runDo = async (a: string[]) => { calls.push(a); return 0; };
    out = [];
    await tripcode(['sign', 'RECOVERY:REVERT_SNAPSHOT::tank/data@before', '--demo']);
    const p1 = out[0]!;
    expect(await tripcode(['apply', p1, '--demo'], runDo)).toBe(0);
    expect(calls[0]).toEqual(['zfs.rollback', '--arg', 'snapshot=tank/data@before', '--tripcode', p1, '--demo']);
    expect(await tripcode(['apply', p1, '--demo', '--arg', 'snapshot=tank/other@x'], runDo)).toBe(2);
    expect(err.join()).toMatch(/--arg snapshot differs from the code's own/);
    out = [];
    expect(await tripcode(['code', 'box.lockdown'])).toBe(0);
    expect(out[0]).toBe(actionCode('box.lockdown', {}));
    out = [];
    await tripcode(['sign', actionCode('vm.reimage', { vm: 'agent1' }), '--demo']);
    const p2 = out[0]!;
    expect(await tripcode(['apply', p2, '--demo', '--arg', 'vm=agent1'], runDo)).toBe(0);
    expect(calls[1]).toEqual(['vm.reimage', '--arg', 'vm=agent1', '--tripcode', p2, '--demo']);
  });

  it('code knows the config\'s actions (a T3 script), and the demo box\'s with --demo; --arg is parsed as sov do parses it', async () => {
    const cfg = join(root, `c${n}.yaml`);
    writeFileSync(cfg, 'scripts:\n  - name: wipe\n    argv: [echo, "{{disk}}"]\n    tier: T3\n    inputs:\n      - name: disk\n        choices: [sdb, sdc]\n');
    expect(await tripcode(['code', 'script.wipe', '--arg', 'disk=sdb', '--config', cfg])).toBe(0);
    expect(out).toEqual([actionCode('script.wipe', { disk: 'sdb' })]);
    // not in this config: unknown, as sov do has it
    expect(await tripcode(['code', 'script.wipe', '--config', join(root, 'none.yaml')])).toBe(2);
    expect(err.join()).toMatch(/unknown action "script\.wipe"/);
    err = [];
    expect(await tripcode(['code', 'script.wipe', '--arg', 'disk=sdb', '--arg', 'disk=sdc', '--config', cfg])).toBe(2);
    expect(err.join()).toMatch(/--arg disk given twice/);
  });

  it('sign refuses a key file others may read, saying so', async () => {
    const key = join(root, `k${n}.key`);
    writeFileSync(key, 'ab'.repeat(32) + '\n', { mode: 0o600 });
    chmodSync(key, 0o644);
    expect(await tripcode(['sign', 'RECOVERY:UNLOCK', '--key', key])).toBe(1);
    expect(err.join()).toMatch(/readable or writable by group or others \(mode 644\)/);
    chmodSync(key, 0o600);
    expect(await tripcode(['sign', 'RECOVERY:UNLOCK', '--key', key, '--ts', '1800000000'])).toBe(0);
    expect(out[0]).toMatch(/^1800000000\|RECOVERY:UNLOCK\|/);
  });
});

describe('sov audit', () => {
  const seed = async () => {
    const a = createAuthority({ stateDir: env.SOV_STATE_DIR! });
    const who = { uid: 1, user: 'op\x1b]0;pwned\x07', via: 'cli' as const };
    await a.begin({ action: 'engine.start', args: { name: 'llama\x1b[2J' }, tier: 'T1', host: 'box', who, checks: [{ name: 'x', state: 'pass', detail: '\x1b[31mred\x1b[0m' }], dryRun: 'start', confirmation: { kind: 'yes' } });
    await a.applyTripcode('not-a-tripcode', who);
    a.close();
  };

  it('ls prints one clean line per entry (no escape sequence from the log reaches the terminal); --json is the entries', async () => {
    await seed();
    expect(await audit(['ls'])).toBe(0);
    expect(out).toHaveLength(2);
    expect(out.join('\n')).not.toMatch(/[\x1b\x07]/);
    expect(out[0]).toMatch(/^#1 +\S+ +begin +op\/cli +engine\.start name=llama +T1$/);
    expect(out[1]).toMatch(/^#2 .* refused .* refused: tripcode-malformed/);
    out = [];
    expect(await audit(['ls', '--json', '-n', '1'])).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject([{ seq: 2, kind: 'refused', code: 'tripcode-malformed' }]);
    expect(await audit(['ls', '-n', 'lots'])).toBe(2);
  });

  it('verify: 0 intact, 0 with a warning for a torn line, 1 tampered naming the entry, 3 without the key', async () => {
    await seed();
    expect(await audit(['verify'])).toBe(0);
    expect(out[0]).toMatch(/^ok: 2 entries \(1–2\) in 1 file\(s\)/);
    const log = join(env.SOV_STATE_DIR!, 'audit.jsonl');
    const text = readFileSync(log, 'utf8');
    appendFileSync(log, '{"seq":3,"at');
    err = [];
    expect(await audit(['verify'])).toBe(0);
    expect(err.join()).toMatch(/warning: torn last line \(crash\)/);
    writeFileSync(log, text.replace('"T1"', '"T3"'));
    out = [];
    expect(await audit(['verify'])).toBe(1);
    expect(out[0]).toMatch(/^TAMPERED: entry 1 .* was edited/);
    out = [];
    expect(await audit(['verify', '--json'])).toBe(1);
    expect(JSON.parse(out.join(''))).toMatchObject({ ok: false, exit: 1, problem: { kind: 'edited', seq: 1 } });
    writeFileSync(log, text);
    unlinkSync(join(env.SOV_STATE_DIR!, 'tripcode.key'));
    err = [];
    expect(await audit(['verify'])).toBe(3);
    expect(err.join()).toMatch(/cannot check the log: .*key is missing/);
  });

  it('an empty state dir is not an error', async () => {
    expect(await audit(['verify'])).toBe(0);
    expect(out[0]).toMatch(/no audit log/);
    out = [];
    expect(await audit(['ls'])).toBe(0);
    expect(out[0]).toMatch(/no audit entries/);
  });
});
