import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boxLockdown } from '../../src/actions/box.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { createAuthority } from '../../src/recovery/authority.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';

const dir = mkdtempSync(join(tmpdir(), 'sov-box-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('box.lockdown through prepare/perform and an in-process authority', () => {
  it('asks for its own tripcode, locks the box when it begins, and says so after', async () => {
    const a = createAuthority({ stateDir: dir });
    const ctx: ActionCtx = { readOnly: false, setLogs: () => {}, recovery: a, who: { uid: 1, user: 'op', via: 'demo' }, host: 'demo' };
    const p = await prepare(boxLockdown, ctx);
    expect(p.refused).toBeUndefined();
    expect(p.confirm).toBe('tripcode');
    expect(p.code).toMatch(/^ACTION::box\.lockdown::[0-9a-f]{16}$/);
    expect(p.checks).toEqual([{ name: 'not locked yet', state: 'pass', detail: 'the box accepts T1+ requests now' }]);

    const refused = await perform(p, { kind: 'yes' });
    expect(refused.outcome).toBe('refused');
    expect(a.locked()).toBe(false);

    const k = readKey(join(dir, 'tripcode.key'));
    if (!k.ok) throw new Error(k.reason);
    const r = await perform(p, { kind: 'tripcode', payload: sign(k.key, p.code!, Math.floor(Date.now() / 1000)) });
    expect(r.outcome).toBe('ok');
    expect(r.post).toEqual([{ name: 'lockdown in force', state: 'pass', detail: 'the authority reports lockdown' }]);
    expect(a.locked()).toBe(true);
    const kinds = (await a.recent(10) as { kind: string; code?: string }[]).map((e) => `${e.kind}${e.code ? `:${e.code}` : ''}`);
    expect(kinds).toEqual(['refused:confirmation', 'begin', 'lockdown', 'end']);
    // already locked: its precondition fails, and the authority refuses it too
    const again = await prepare(boxLockdown, ctx);
    expect(again.refused).toMatchObject({ code: 'precondition' });
    a.close();
  });

  it('without an authority it cannot run, and says why', async () => {
    expect(boxLockdown.when({ readOnly: false, setLogs: () => {}, noLink: 'the daemon is not running' })).toMatch(/needs the recovery authority \(the daemon is not running\)/);
  });
});
