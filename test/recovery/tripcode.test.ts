import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { actionCode, codeCovers } from '../../src/recovery/codes.js';
import { cooldownFor, keyFingerprint, parseTripcode, readKey, sign, sigHash, verifyTripcode, type VerifyOptions } from '../../src/recovery/tripcode.js';

const KEY = Buffer.from('11'.repeat(32), 'hex');
const OTHER = Buffer.from('22'.repeat(32), 'hex');
const T = 1_800_000_000; // unix seconds
const at = (sec: number) => sec * 1000;
const base: VerifyOptions = { key: KEY, nowMs: at(T) };

/** flips one bit of the character at `i` in a way that keeps the payload's form (hex stays hex, digits stay digits) */
function flip(s: string, i: number): string {
  const c = s[i]!;
  const hex = '0123456789abcdef';
  const n = hex.indexOf(c);
  const swapped = n >= 0 ? hex[n ^ 1]! : String.fromCharCode(c.charCodeAt(0) ^ 1);
  return s.slice(0, i) + swapped + s.slice(i + 1);
}

describe('tripcode vectors', () => {
  const good = sign(KEY, 'RECOVERY:LOCKDOWN', T);

  it('a good payload has the documented form and verifies', () => {
    expect(good).toMatch(/^1800000000\|RECOVERY:LOCKDOWN\|[0-9a-f]{8}\.[0-9a-f]{64}$/);
    expect(good.split('|')[2]!.slice(0, 8)).toBe(keyFingerprint(KEY));
    const v = verifyTripcode(good, base);
    expect(v).toEqual({ ok: true, facts: { code: 'RECOVERY:LOCKDOWN', ts: T, sigHash: sigHash(good.split('|')[2]!) } });
    // pasted with whitespace around it
    expect(verifyTripcode(`  ${good}\n`, base).ok).toBe(true);
  });

  it('each refusal has its own code', () => {
    const cases: [string, string, VerifyOptions][] = [
      ['wrong key', sign(OTHER, 'RECOVERY:LOCKDOWN', T), base],
      ['bit flipped in the HMAC', flip(good, good.length - 1), base],
      ['bit flipped in the fingerprint', flip(good, good.indexOf('|', 12) + 1), base],
      ['bit flipped in the ts', flip(good, 9), base],
      ['code changed', good.replace('LOCKDOWN', 'UNLOCK'), base],
      ['expired', sign(KEY, 'RECOVERY:LOCKDOWN', T - 301), base],
      ['future', sign(KEY, 'RECOVERY:LOCKDOWN', T + 31), base],
      ['replayed', good, { ...base, isUsed: (h) => h === sigHash(good.split('|')[2]!) }],
      ['cooldown', sign(KEY, 'RECOVERY:PHOENIX', T), { ...base, lastUsedAt: (c) => (c === 'RECOVERY:PHOENIX' ? at(T - 599) : undefined), cooldownSec: (c) => cooldownFor(c, {}) }],
      ['malformed: two fields', 'abc|def', base],
      ['malformed: unknown code', `${T}|RECOVERY:SELF_DESTRUCT|${'0'.repeat(8)}.${'0'.repeat(64)}`, base],
      ['malformed: control characters', `${T}|RECOVERY:LOCKDOWN\x1b[2J|${'0'.repeat(8)}.${'0'.repeat(64)}`, base],
      ['no key', good, { nowMs: at(T) }],
    ];
    const got = cases.map(([name, p, o]) => { const v = verifyTripcode(p, o); return [name, v.ok ? 'ok' : v.code]; });
    expect(got).toEqual([
      ['wrong key', 'tripcode-wrong-key'],
      ['bit flipped in the HMAC', 'tripcode-tampered'],
      ['bit flipped in the fingerprint', 'tripcode-wrong-key'],
      ['bit flipped in the ts', 'tripcode-tampered'],
      ['code changed', 'tripcode-tampered'],
      ['expired', 'tripcode-expired'],
      ['future', 'tripcode-future'],
      ['replayed', 'tripcode-replayed'],
      ['cooldown', 'tripcode-cooldown'],
      ['malformed: two fields', 'tripcode-malformed'],
      ['malformed: unknown code', 'tripcode-malformed'],
      ['malformed: control characters', 'tripcode-malformed'],
      ['no key', 'tripcode-no-key'],
    ]);
  });

  it('the window and the skew are edges, not approximations', () => {
    expect(verifyTripcode(sign(KEY, 'RECOVERY:UNLOCK', T - 300), base).ok).toBe(true);
    expect(verifyTripcode(sign(KEY, 'RECOVERY:UNLOCK', T + 30), base).ok).toBe(true);
    expect(verifyTripcode(sign(KEY, 'RECOVERY:UNLOCK', T - 60), { ...base, windowSec: 59 })).toMatchObject({ ok: false, code: 'tripcode-expired' });
    const cool = { ...base, lastUsedAt: () => at(T - 600), cooldownSec: (c: string) => cooldownFor(c, {}) };
    expect(verifyTripcode(sign(KEY, 'RECOVERY:PHOENIX', T), cool).ok).toBe(true);
  });

  it('the reasons say what to do, and never echo the key', () => {
    const v = verifyTripcode(sign(OTHER, 'RECOVERY:LOCKDOWN', T), base);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.reason).toContain(keyFingerprint(OTHER));
      expect(v.reason).not.toContain(KEY.toString('hex'));
    }
    const e = verifyTripcode(sign(KEY, 'RECOVERY:LOCKDOWN', T - 1000), base);
    expect(!e.ok && e.reason).toMatch(/signed 1000 s ago \(valid for 300 s\)/);
  });

  it('cooldowns: config by exact code, then by base, then the defaults', () => {
    expect(cooldownFor('RECOVERY:LOCKDOWN', {})).toBe(0);
    expect(cooldownFor('RECOVERY:UNLOCK', {})).toBe(0);
    expect(cooldownFor('RECOVERY:PHOENIX', {})).toBe(600);
    expect(cooldownFor('RECOVERY:REVERT_SNAPSHOT::tank/a@b', {})).toBe(60);
    expect(cooldownFor('RECOVERY:REVERT_SNAPSHOT::tank/a@b', { 'RECOVERY:REVERT_SNAPSHOT': 5 })).toBe(5);
    expect(cooldownFor(actionCode('box.lockdown', {}), { ACTION: 7 })).toBe(7);
    expect(cooldownFor('RECOVERY:PHOENIX', { 'RECOVERY:PHOENIX': 1 })).toBe(1);
  });

  it('parse never throws on garbage', () => {
    for (const x of [undefined, null, 42, {}, '', '|||', 'a'.repeat(10_000), `${T}|ACTION::x::y|sig`, '\u0000|\u0000|\u0000']) {
      const p = parseTripcode(x);
      expect(p.ok).toBe(false);
    }
    expect(parseTripcode(sign(KEY, actionCode('zfs.rollback', { snapshot: 'tank/a@1' }), T)).ok).toBe(true);
  });
});

describe('the key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sov-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a 0600 key; refuses group/other bits, symlinks, garbage; says missing', () => {
    const p = join(dir, 'tripcode.key');
    expect(readKey(p)).toMatchObject({ ok: false, missing: true });
    writeFileSync(p, '11'.repeat(32) + '\n', { mode: 0o600 });
    const k = readKey(p);
    expect(k.ok && k.key.equals(KEY)).toBe(true);
    chmodSync(p, 0o640);
    const loose = readKey(p);
    expect(loose.ok).toBe(false);
    expect(!loose.ok && loose.reason).toMatch(/readable or writable by group or others \(mode 640\).*chmod 600/);
    chmodSync(p, 0o600);
    const link = join(dir, 'link.key');
    symlinkSync(p, link);
    expect(readKey(link)).toMatchObject({ ok: false, missing: false, reason: expect.stringMatching(/symlink/) });
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'not a key\n', { mode: 0o600 });
    expect(readKey(bad)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not hold a key/) });
  });
});

describe('codes on another host', () => {
  it('an ACTION code made for a host covers that action there only; RECOVERY codes (this machine\'s things) never cover a remote host', () => {
    const args = { snapshot: 'tank/data@s1' };
    const here = actionCode('zfs.rollback', args);
    const onBox = actionCode('zfs.rollback', args, 'box');
    expect(onBox).not.toBe(here);
    expect(onBox).not.toBe(actionCode('zfs.rollback', args, 'vault'));
    expect(codeCovers(onBox, 'zfs.rollback', args, 'box')).toBe(true);
    expect(codeCovers(onBox, 'zfs.rollback', args, 'vault')).toBe(false);
    expect(codeCovers(onBox, 'zfs.rollback', args)).toBe(false);
    expect(codeCovers(here, 'zfs.rollback', args)).toBe(true);
    expect(codeCovers(here, 'zfs.rollback', args, 'box')).toBe(false);
    expect(codeCovers('RECOVERY:REVERT_SNAPSHOT::tank/data@s1', 'zfs.rollback', args)).toBe(true);
    expect(codeCovers('RECOVERY:REVERT_SNAPSHOT::tank/data@s1', 'zfs.rollback', args, 'box')).toBe(false);
  });
});
