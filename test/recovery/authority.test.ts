import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthority, demoStateDir, initKey, type Authority } from '../../src/recovery/authority.js';
import { readAudit } from '../../src/recovery/audit.js';
import { actionCode } from '../../src/recovery/codes.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';
import type { BeginRequest, Who } from '../../src/recovery/types.js';

const root = mkdtempSync(join(tmpdir(), 'sov-auth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const who: Who = { uid: 1000, user: 'op', via: 'cli', ssh: '100.64.0.2 51514 100.64.0.1 22' };
const T0_SEC = 1_800_000_000;
let n = 0;
let dir: string;
let clock: number;
const open: Authority[] = [];
const auth = (config = {}) => { const a = createAuthority({ stateDir: dir, now: () => clock, config }); open.push(a); return a; };
const key = () => { const k = readKey(join(dir, 'tripcode.key')); if (!k.ok) throw new Error(k.reason); return k.key; };
const signNow = (code: string, offsetSec = 0) => sign(key(), code, Math.floor(clock / 1000) + offsetSec);
const entries = () => readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
const last = () => entries().at(-1)!;
const req = (over: Partial<BeginRequest> = {}): BeginRequest => ({
  action: 'engine.restart', args: { name: 'llama' }, tier: 'T1', host: 'localhost', who, checks: [], dryRun: 'restart llama', confirmation: { kind: 'yes' }, ...over,
});

beforeEach(() => { dir = join(root, `s${++n}`); clock = T0_SEC * 1000; });
afterEach(() => { for (const a of open.splice(0)) a.close(); });

describe('the authority on a new box', () => {
  it('makes a 0600 key and a signed empty head; status says all is well', async () => {
    const a = auth();
    expect(statSync(join(dir, 'tripcode.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(await a.status()).toEqual({ lockdown: false, auditEntries: 0 });
    expect(readAudit(dir, { key: key() })).toMatchObject({ ok: true, entries: 0 });
  });

  it('the demo state dir is per user under TMPDIR', () => {
    expect(demoStateDir({ TMPDIR: '/x/tmp' })).toBe(`/x/tmp/sov-demo-${process.getuid!()}`);
    expect(demoStateDir({})).toBe(`/tmp/sov-demo-${process.getuid!()}`);
  });
});

describe('tripcodes through the authority: each refusal has its reason and its audit entry', () => {
  it('good, wrong key, tampered, expired, future, replayed, cooldown, malformed', async () => {
    const a = auth();
    const other = sign(Buffer.alloc(32, 7), 'RECOVERY:LOCKDOWN', T0_SEC);
    const good = signNow('RECOVERY:LOCKDOWN');
    const tampered = good.replace('LOCKDOWN', 'UNLOCK');
    const vectors: [string, string][] = [
      ['wrong key', other], ['tampered', tampered], ['expired', signNow('RECOVERY:LOCKDOWN', -301)],
      ['future', signNow('RECOVERY:LOCKDOWN', 31)], ['malformed', 'RECOVERY:LOCKDOWN'],
    ];
    for (const [, p] of vectors) {
      const before = entries().length;
      const r = await a.applyTripcode(p, who);
      expect(r.ok).toBe(false);
      expect(entries().length).toBe(before + 1);
      expect(last()).toMatchObject({ kind: 'refused', code: r.ok ? '' : r.code, who });
    }
    expect(entries().map((e) => e.code)).toEqual(['tripcode-wrong-key', 'tripcode-tampered', 'tripcode-expired', 'tripcode-future', 'tripcode-malformed']);
    expect(await a.status()).toMatchObject({ lockdown: false });

    expect(await a.applyTripcode(good, who)).toMatchObject({ ok: true, code: 'RECOVERY:LOCKDOWN' });
    expect(last()).toMatchObject({ kind: 'lockdown', confirmation: { kind: 'tripcode', code: 'RECOVERY:LOCKDOWN', ts: T0_SEC } });
    expect(JSON.stringify(entries())).not.toContain(key().toString('hex'));
    expect(JSON.stringify(entries())).not.toContain(good.split('|')[2]!);
    expect(await a.applyTripcode(good, who)).toMatchObject({ ok: false, code: 'tripcode-replayed' });
    expect(last()).toMatchObject({ kind: 'refused', code: 'tripcode-replayed' });

    // cooldown: PHOENIX twice within 600 s (each a fresh, validly signed payload)
    await a.applyTripcode(signNow('RECOVERY:UNLOCK'), who);
    const b1 = await a.begin(req({ action: 'stack.phoenix', args: {}, tier: 'T3', confirmation: { kind: 'tripcode', payload: signNow('RECOVERY:PHOENIX') } }));
    expect(b1.ok).toBe(true);
    clock += 120_000;
    const b2 = await a.begin(req({ action: 'stack.phoenix', args: {}, tier: 'T3', confirmation: { kind: 'tripcode', payload: signNow('RECOVERY:PHOENIX') } }));
    expect(b2).toMatchObject({ ok: false, code: 'tripcode-cooldown' });
    expect(last()).toMatchObject({ kind: 'refused', code: 'tripcode-cooldown', action: 'stack.phoenix' });
  });

  it('a used tripcode stays used, and a lockdown stays on, after a restart (replayed from the log)', async () => {
    const a = auth();
    const lock = signNow('RECOVERY:LOCKDOWN');
    expect((await a.applyTripcode(lock, who)).ok).toBe(true);
    a.close();
    const b = auth();
    expect(await b.status()).toMatchObject({ lockdown: true, since: clock, auditEntries: 1 });
    expect(await b.applyTripcode(lock, who)).toMatchObject({ ok: false, code: 'tripcode-replayed' });
    expect(await b.begin(req())).toMatchObject({ ok: false, code: 'lockdown' });
    expect((await b.applyTripcode(signNow('RECOVERY:UNLOCK'), who)).ok).toBe(true);
    b.close();
    const c = auth();
    expect(await c.status()).toMatchObject({ lockdown: false });
    expect((await c.begin(req())).ok).toBe(true);
  });

  it('the config sets the window, the skew and the cooldowns', async () => {
    const a = auth({ windowSec: 30, skewSec: 0, cooldownSec: { 'RECOVERY:LOCKDOWN': 100 } });
    expect(await a.applyTripcode(signNow('RECOVERY:LOCKDOWN', -31), who)).toMatchObject({ code: 'tripcode-expired' });
    expect(await a.applyTripcode(signNow('RECOVERY:LOCKDOWN', 1), who)).toMatchObject({ code: 'tripcode-future' });
    expect((await a.applyTripcode(signNow('RECOVERY:LOCKDOWN'), who)).ok).toBe(true);
    clock += 50_000;
    expect(await a.applyTripcode(signNow('RECOVERY:LOCKDOWN'), who)).toMatchObject({ code: 'tripcode-cooldown' });
  });
});

describe('begin and end', () => {
  it('records begin and end with who, args, tier, checks, dry run, outcome, duration', async () => {
    const a = auth();
    const b = await a.begin(req({ checks: [{ name: 'engine known', state: 'pass', detail: 'llama' }] }));
    expect(b.ok).toBe(true);
    const id = b.ok ? b.id : '';
    await a.end({ id, outcome: 'ok', message: 'llama: restart → healthy', durationMs: 1234, exitCode: 0, post: [{ name: 'healthy', state: 'pass', detail: '3 s' }] });
    const [begin, end] = entries();
    expect(begin).toMatchObject({ seq: 1, kind: 'begin', action: 'engine.restart', args: { name: 'llama' }, tier: 'T1', who, host: 'localhost', dryRun: 'restart llama', confirmation: { kind: 'yes' } });
    expect(end).toMatchObject({ seq: 2, kind: 'end', begin: id, outcome: 'ok', exitCode: 0, durationMs: 1234, action: 'engine.restart', post: [{ name: 'healthy', state: 'pass' }] });
    expect(await a.recent(1)).toEqual([end]);
  });

  it('refuses by rule: a failed precondition, the wrong confirmation for the tier, a tripcode for something else', async () => {
    const a = auth();
    expect(await a.begin(req({ checks: [{ name: 'headroom', state: 'fail', detail: 'tank: 3 % free (≥ 10 % needed)' }] }))).toMatchObject({ ok: false, code: 'precondition', reason: expect.stringMatching(/tank: 3 % free/) });
    expect(await a.begin(req({ confirmation: { kind: 'none' } }))).toMatchObject({ ok: false, code: 'confirmation' });
    expect(await a.begin(req({ tier: 'T2', confirmation: { kind: 'yes' } }))).toMatchObject({ ok: false, code: 'confirmation' });
    expect((await a.begin(req({ tier: 'T2', confirmation: { kind: 'typed', text: 'tank' } }))).ok).toBe(true);
    expect(await a.begin(req({ tier: 'T3', confirmation: { kind: 'typed', text: 'x' } }))).toMatchObject({ ok: false, code: 'confirmation' });
    const rollback = { action: 'zfs.rollback', args: { snapshot: 'tank/a@1' }, tier: 'T3' as const };
    const wrong = signNow('RECOVERY:REVERT_SNAPSHOT::tank/a@2');
    expect(await a.begin(req({ ...rollback, confirmation: { kind: 'tripcode', payload: wrong } }))).toMatchObject({ ok: false, code: 'tripcode-wrong-code' });
    // an ACTION code covers exactly its arguments; it is used up by the begin
    const exact = signNow(actionCode('zfs.rollback', { snapshot: 'tank/a@1' }));
    expect((await a.begin(req({ ...rollback, confirmation: { kind: 'tripcode', payload: exact } }))).ok).toBe(true);
    expect(await a.begin(req({ ...rollback, confirmation: { kind: 'tripcode', payload: exact } }))).toMatchObject({ ok: false, code: 'tripcode-replayed' });
    expect(entries().map((e) => `${e.kind}:${e.code ?? ''}`)).toEqual([
      'refused:precondition', 'refused:confirmation', 'refused:confirmation', 'begin:', 'refused:confirmation', 'refused:tripcode-wrong-code', 'begin:', 'refused:tripcode-replayed',
    ]);
  });

  it('a tripcode given to a T1 action is not verified, so it neither uses up that payload nor starts its code\'s cooldown', async () => {
    const a = auth();
    const forged = `${T0_SEC}|RECOVERY:PHOENIX|${'0'.repeat(8)}.${'0'.repeat(64)}`;
    expect((await a.begin(req({ confirmation: { kind: 'tripcode', payload: forged } }))).ok).toBe(true);
    expect(last()).toMatchObject({ kind: 'begin', confirmation: { kind: 'tripcode', unverified: true, code: 'RECOVERY:PHOENIX' } });
    const good = signNow('RECOVERY:PHOENIX');
    expect((await a.begin(req({ confirmation: { kind: 'tripcode', payload: good } }))).ok).toBe(true);
    expect((await a.begin(req({ action: 'stack.phoenix', args: {}, tier: 'T3', confirmation: { kind: 'tripcode', payload: good } }))).ok).toBe(true);
  });

  it('applyTripcode verifies an action code without using it up; the begin uses it', async () => {
    const a = auth();
    const p = signNow('RECOVERY:REVERT_SNAPSHOT::tank/a@1');
    expect(await a.applyTripcode(p, who)).toMatchObject({ ok: true, action: { id: 'zfs.rollback', args: { snapshot: 'tank/a@1' } } });
    expect(last()).toMatchObject({ kind: 'tripcode', outcome: 'verified' });
    expect((await a.begin(req({ action: 'zfs.rollback', args: { snapshot: 'tank/a@1' }, tier: 'T3', confirmation: { kind: 'tripcode', payload: p } }))).ok).toBe(true);
    expect(await a.applyTripcode(p, who)).toMatchObject({ ok: false, code: 'tripcode-replayed' });
  });

  it('box.lockdown takes effect when it begins; while locked T1+ is refused (and recorded), T0 is not', async () => {
    const a = auth();
    const p = signNow(actionCode('box.lockdown', {}));
    expect((await a.begin(req({ action: 'box.lockdown', args: {}, tier: 'T3', confirmation: { kind: 'tripcode', payload: p } }))).ok).toBe(true);
    expect(a.locked()).toBe(true);
    expect(entries().map((e) => e.kind)).toEqual(['begin', 'lockdown']);
    expect(await a.begin(req())).toMatchObject({ ok: false, code: 'lockdown' });
    expect(a.guard('engine.start', { name: 'llama' }, who)).toMatchObject({ ok: false, code: 'lockdown' });
    expect(last()).toMatchObject({ kind: 'refused', code: 'lockdown', action: 'engine.start' });
    expect((await a.begin(req({ tier: 'T0', confirmation: { kind: 'none' } }))).ok).toBe(true);
    // an action code is refused while locked, UNLOCK is not
    expect(await a.applyTripcode(signNow('RECOVERY:PHOENIX'), who)).toMatchObject({ ok: false, code: 'lockdown' });
    expect((await a.applyTripcode(signNow('RECOVERY:UNLOCK'), who)).ok).toBe(true);
    expect(a.guard('engine.start', { name: 'llama' }, who)).toEqual({ ok: true });
  });
});

describe('fail closed', () => {
  it('the log gone under its head: everything above T0 is refused with the reason', async () => {
    const a = auth();
    await a.begin(req());
    a.close();
    unlinkSync(join(dir, 'audit.jsonl'));
    const b = auth();
    const s = await b.status();
    expect(s.auditError).toMatch(/fail closed.*truncated/);
    expect(await b.begin(req())).toMatchObject({ ok: false, code: 'audit-unwritable' });
    expect(await b.applyTripcode(signNow('RECOVERY:UNLOCK'), who)).toMatchObject({ ok: false, code: 'audit-unwritable' });
  });

  it('the log and its head both removed (the key left): refused, not a new box; init --force starts over on purpose', async () => {
    const a = auth();
    expect((await a.applyTripcode(signNow('RECOVERY:LOCKDOWN'), who)).ok).toBe(true);
    a.close();
    unlinkSync(join(dir, 'audit.jsonl'));
    unlinkSync(join(dir, 'audit.head'));
    const b = auth();
    expect((await b.status()).auditError).toMatch(/audit\.head is missing while the box key exists/);
    expect(await b.begin(req())).toMatchObject({ ok: false, code: 'audit-unwritable' });
    b.close();
    initKey(dir, true);
    const c = auth();
    expect(await c.status()).toEqual({ lockdown: false, auditEntries: 0 });
  });

  it('an edited log refuses; a loose or missing key refuses', async () => {
    const a = auth();
    await a.begin(req());
    await a.begin(req());
    a.close();
    const f = join(dir, 'audit.jsonl');
    const text = readFileSync(f, 'utf8');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(f, text.replace('engine.restart', 'engine.restarT'));
    expect((await auth().status()).auditError).toMatch(/entry 1 .* was edited/);
    open.pop()!.close();
    writeFileSync(f, text);
    chmodSync(join(dir, 'tripcode.key'), 0o644);
    expect((await auth().status()).auditError).toMatch(/readable or writable by group or others/);
    open.pop()!.close();
    unlinkSync(join(dir, 'tripcode.key'));
    const c = auth();
    expect((await c.status()).auditError).toMatch(/key .*missing but the audit log exists/);
    expect(await c.begin(req())).toMatchObject({ ok: false, code: 'audit-unwritable' });
  });

  it('a write that fails refuses (audit-unwritable) and says so; once it can write again it goes on', async () => {
    const a = auth();
    expect((await a.begin(req())).ok).toBe(true);
    // the head's temp file name taken by a directory: the head cannot be written
    const block = join(dir, `audit.head.${process.pid}.tmp`);
    mkdirSync(block);
    expect(await a.begin(req())).toMatchObject({ ok: false, code: 'audit-unwritable' });
    expect((await a.status()).auditError).toMatch(/could not be written/);
    await expect(a.end({ id: '1', outcome: 'ok', message: '', durationMs: 1, post: [] })).rejects.toThrow();
    rmdirSync(block);
    expect((await a.begin(req())).ok).toBe(true);
    expect((await a.status()).auditError).toBeUndefined();
    const r = readAudit(dir, { key: key() });
    expect(r.ok).toBe(true);
    expect(r.warnings.join()).toMatch(/head not updated before a crash/);
  });

  it('init --force re-keys and re-signs the head of a chain that verifies', async () => {
    const a = auth();
    await a.begin(req());
    a.close();
    const before = readKey(join(dir, 'tripcode.key'));
    const r = initKey(dir, true);
    expect(r.created).toBe(true);
    expect(before.ok && r.fingerprint !== before.fingerprint).toBe(true);
    expect(readAudit(dir, { key: key() })).toMatchObject({ ok: true, entries: 1 });
    expect(initKey(dir)).toMatchObject({ created: false, fingerprint: r.fingerprint });
  });
});
