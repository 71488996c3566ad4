import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJson, writeFileAtomic } from '../../src/daemon/atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'sov-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic / readJson', () => {
  it('replaces the file whole, with the mode asked for, leaving no temp file behind', async () => {
    const p = join(dir, 'sub', 'engines.json');
    await writeFileAtomic(p, JSON.stringify({ a: 1 }));
    expect(await readJson(p)).toEqual({ a: 1 });
    expect(statSync(p).mode & 0o777).toBe(0o600);
    await Promise.all(Array.from({ length: 20 }, (_x, i) => writeFileAtomic(p, JSON.stringify({ i, pad: 'x'.repeat(10_000) }), 0o640)));
    const v = await readJson<{ i: number; pad: string }>(p);
    expect(v?.pad.length).toBe(10_000);
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['engines.json']);
    expect(readFileSync(p, 'utf8')).toBe(JSON.stringify(v));
  });

  it('readJson: undefined for a missing file or one that is not JSON', async () => {
    expect(await readJson(join(dir, 'missing.json'))).toBeUndefined();
    writeFileSync(join(dir, 'bad.json'), '{"half":');
    expect(await readJson(join(dir, 'bad.json'))).toBeUndefined();
  });
});
