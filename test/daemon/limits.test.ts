/**
 * Bounds on what comes in: RPC params (zod per method), batch size and the bytes of a batch's answer (a real
 * json-rpc-2.0 server with a method that answers 1 MiB), and the config file: an alias bomb, an oversized file,
 * a dangling symlink (real files in a temp dir).
 */
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSONRPCServer } from 'json-rpc-2.0';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { answerBounded, checkParams, MAX_BATCH, MAX_BATCH_RESPONSE_BYTES } from '../../src/daemon/rpc-limits.js';

const root = mkdtempSync(join(tmpdir(), 'sov-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('RPC params', () => {
  it.each([
    ['engines.logs', { name: 'a', lines: 100_000 }, /params\.lines: at most 10000 lines per request/],
    ['engines.logs', { name: 'a', lines: -1 }, /params\.lines/],
    ['engines.logs', { name: 'a', lines: 1.5 }, /params\.lines/],
    ['engines.logs', { name: 'a', search: 7 }, /params\.search/],
    ['engines.logs', { name: 'a', extra: 1 }, /Unrecognized key/],
    ['engines.logs', { name: 'x'.repeat(300) }, /params\.name/],
    ['engines.start', {}, /params\.name/],
    ['engines.stop', 'str', /params/],
    ['daemon.info', { a: 1 }, /params/],
  ])('%s %j is refused with -32602 naming the field', (method, params, re) => {
    let err: { code?: number; message?: string } | undefined;
    try { checkParams(method, params); } catch (e) { err = e as typeof err; }
    expect(err?.code).toBe(-32602);
    expect(err?.message).toMatch(re);
  });
  it('good params pass; no params is {}; methods it does not know pass through untouched', () => {
    expect(checkParams('engines.logs', { name: 'a', lines: 5, search: 'x' })).toEqual({ name: 'a', lines: 5, search: 'x' });
    expect(checkParams('daemon.info', undefined)).toEqual({});
    expect(checkParams('engines.list', [])).toEqual({});
    expect(checkParams('recovery.whatever', { any: 1 })).toEqual({ any: 1 });
  });
});

describe('batches', () => {
  const rpc = new JSONRPCServer({ errorListener: () => {} });
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  rpc.addMethod('big', async () => {
    calls++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return 'b'.repeat(1024 * 1024);
  });
  rpc.addMethod('small', () => 1);

  it(`a batch of more than ${MAX_BATCH} calls is refused whole (nothing run)`, async () => {
    calls = 0;
    const batch = Array.from({ length: 60 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'big' }));
    const text = await answerBounded(rpc, JSON.stringify(batch));
    expect(JSON.parse(text!)).toMatchObject({ error: { code: -32600, message: `a batch of 60 calls: at most ${MAX_BATCH}` } });
    expect(calls).toBe(0);
  });

  it('a batch runs one call at a time and its answer stops growing past the bound', async () => {
    calls = 0;
    maxInFlight = 0;
    const batch = Array.from({ length: MAX_BATCH }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'big' }));
    const text = (await answerBounded(rpc, JSON.stringify(batch)))!;
    const out = JSON.parse(text) as { id: number; result?: string; error?: { message: string } }[];
    expect(out).toHaveLength(MAX_BATCH);
    expect(maxInFlight).toBe(1);
    expect(text.length).toBeLessThanOrEqual(MAX_BATCH_RESPONSE_BYTES + 2 * 1024 * 1024);
    expect(calls).toBeLessThan(MAX_BATCH);
    expect(out[out.length - 1]!.error?.message).toMatch(/not run: the batch's answer passed/);
  });

  it('single calls, notifications and parse errors are answered as before', async () => {
    expect(JSON.parse((await answerBounded(rpc, '{"jsonrpc":"2.0","id":1,"method":"small"}'))!)).toEqual({ jsonrpc: '2.0', id: 1, result: 1 });
    expect(await answerBounded(rpc, '{"jsonrpc":"2.0","method":"small"}')).toBeNull();
    expect(JSON.parse((await answerBounded(rpc, '{nope'))!)).toMatchObject({ error: { code: -32700 } });
    expect(JSON.parse((await answerBounded(rpc, '[{"jsonrpc":"2.0","id":2,"method":"small"},{"jsonrpc":"2.0","method":"small"}]'))!)).toEqual([{ jsonrpc: '2.0', id: 2, result: 1 }]);
  });
});

describe('config limits (issue 7, finding 7)', () => {
  it('a YAML alias bomb is refused by the alias limit (not expanded), with a clear message, without a stack trace', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    // 9^12 nodes if expanded: the refusal names the alias limit, so the parser stopped at 100 expansions
    const r = parseConfigText(bomb.join('\n') + '\n', 'bomb.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.text).toMatch(/config bomb\.yaml is invalid .*\n.*YAML: Excessive alias count .*\(at most 100 alias expansions\)/);
      expect(r.text).not.toMatch(/\n\s+at /);
    }
  });

  it('a file over the size limit is refused before it is parsed', async () => {
    // a sparse 64 GiB file that starts with broken YAML: refused by its size (the number only stat knows), with
    // no YAML error, so it was neither read whole nor parsed
    const p = join(root, 'huge.yaml');
    writeFileSync(p, 'engines: [unclosed\n');
    truncateSync(p, 64 * 1024 ** 3);
    const r = await loadConfig(p);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.text).toMatch(/68719476736 bytes: a config may be at most 1048576 bytes/);
      expect(r.text).toContain('(1 problem)');
      expect(r.text).not.toMatch(/YAML:|unclosed|flow/);
    }
  });

  it('a dangling symlink is an error naming its target, not "no engines configured"', async () => {
    const p = join(root, 'link.yaml');
    symlinkSync(join(root, 'gone', 'config.yaml'), p);
    const r = await loadConfig(p);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.text).toContain(`a symlink to ${join(root, 'gone', 'config.yaml')}, which does not exist`);
    const missing = await loadConfig(join(root, 'absent.yaml'));
    expect(missing).toMatchObject({ ok: true, missing: true });
  });
});
