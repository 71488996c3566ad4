import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_FILE, HEAD_FILE, openAuditWriter, readAudit, TORN_FILE } from '../../src/recovery/audit.js';
import { hashLine, verifyChain } from '../../src/recovery/chain.js';
import { repoRoot } from '../helpers/samples.js';

const KEY = Buffer.from('ab'.repeat(32), 'hex');
const root = mkdtempSync(join(tmpdir(), 'sov-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
let dir: string;

function makeLog(entries: number, o: { maxFileBytes?: number; keepFiles?: number } = {}): void {
  const w = openAuditWriter({ stateDir: dir, key: KEY, ...o });
  if (!w.ok) throw new Error(w.reason);
  for (let i = 1; i <= entries; i++) w.writer.append({ kind: 'begin', action: `test.action${i}`, args: { i: String(i) }, tier: 'T1' });
  w.writer.close();
}
const live = () => join(dir, AUDIT_FILE);
const lines = () => readFileSync(live(), 'utf8').split('\n').slice(0, -1);
const setLines = (ls: string[]) => writeFileSync(live(), ls.map((l) => l + '\n').join(''));
const check = () => readAudit(dir, { key: KEY });

beforeEach(() => { dir = join(root, `d${++n}`); });

describe('audit log: an intact chain', () => {
  it('verifies, chains each entry to the previous line, signs the head', () => {
    makeLog(10);
    const r = check();
    expect(r).toMatchObject({ ok: true, entries: 10, firstSeq: 1, lastSeq: 10, warnings: [] });
    const ls = lines();
    expect(JSON.parse(ls[0]!).prev).toBe('0'.repeat(64));
    expect(JSON.parse(ls[4]!).prev).toBe(hashLine(ls[3]!));
    const head = JSON.parse(readFileSync(join(dir, HEAD_FILE), 'utf8'));
    expect(head).toMatchObject({ seq: 10, hash: hashLine(ls[9]!), firstSeq: 1 });
    // the head cannot be checked without the key, and another key refuses it
    expect(readAudit(dir).problem?.kind).toBe('no-key');
    expect(readAudit(dir, { key: Buffer.alloc(32, 1) }).problem?.kind).toBe('head');
  });
});

describe('audit log: tampering is named, with the first bad entry', () => {
  it('one byte edited', () => {
    makeLog(10);
    const ls = lines();
    ls[3] = ls[3]!.replace('test.action4', 'test.actioN4');
    setLines(ls);
    expect(check().problem).toMatchObject({ kind: 'edited', seq: 4, line: 4 });
  });

  it('one byte edited in the last entry (only the head knows it)', () => {
    makeLog(10);
    const ls = lines();
    ls[9] = ls[9]!.replace('"T1"', '"T2"');
    setLines(ls);
    expect(check().problem).toMatchObject({ kind: 'edited', seq: 10 });
  });

  it('a line deleted', () => {
    makeLog(10);
    const ls = lines();
    ls.splice(4, 1);
    setLines(ls);
    expect(check().problem).toMatchObject({ kind: 'deleted', seq: 5, line: 5 });
    expect(check().problem!.message).toMatch(/entry 5 is missing/);
  });

  it('a line inserted: a copy of an old one, a forged one with the next seq, a non-entry', () => {
    makeLog(10);
    const ls = lines();
    setLines([...ls.slice(0, 6), ls[2]!, ...ls.slice(6)]);
    expect(check().problem).toMatchObject({ kind: 'inserted', line: 7 });
    const forged = JSON.stringify({ seq: 7, at: new Date().toISOString(), prev: hashLine(ls[5]!), kind: 'unlock' });
    setLines([...ls.slice(0, 6), forged, ...ls.slice(6)]);
    expect(check().problem).toMatchObject({ kind: 'inserted', line: 7, seq: 7 });
    setLines([...ls.slice(0, 6), 'hello', ...ls.slice(6)]);
    expect(check().problem).toMatchObject({ kind: 'not-json', line: 7 });
  });

  it('a forged entry appended with the right chain but no key', () => {
    makeLog(10);
    const ls = lines();
    const f1 = JSON.stringify({ seq: 11, at: new Date().toISOString(), prev: hashLine(ls[9]!), kind: 'unlock' });
    const f2 = JSON.stringify({ seq: 12, at: new Date().toISOString(), prev: hashLine(f1), kind: 'unlock' });
    setLines([...ls, f1, f2]);
    expect(check().problem).toMatchObject({ kind: 'inserted', seq: 11 });
  });

  it('two lines swapped', () => {
    makeLog(10);
    const ls = lines();
    [ls[3], ls[4]] = [ls[4]!, ls[3]!];
    setLines(ls);
    expect(check().problem).toMatchObject({ kind: 'reordered', seq: 4, line: 4 });
  });

  it('the tail truncated: whole lines, or mid-line', () => {
    makeLog(10);
    const ls = lines();
    setLines(ls.slice(0, 8));
    expect(check().problem).toMatchObject({ kind: 'truncated', seq: 9 });
    expect(check().problem!.message).toMatch(/ends at entry 8 but the signed head says 10/);
    writeFileSync(live(), ls.slice(0, 9).map((l) => l + '\n').join('') + ls[9]!.slice(0, 20));
    expect(check().problem).toMatchObject({ kind: 'truncated', seq: 10 });
    expect(check().problem!.message).toMatch(/cut inside entry 10/);
  });

  it('the head edited, removed; the log removed under its head', () => {
    makeLog(5);
    const headPath = join(dir, HEAD_FILE);
    const head = JSON.parse(readFileSync(headPath, 'utf8'));
    writeFileSync(headPath, JSON.stringify({ ...head, seq: 4 }));
    expect(check().problem).toMatchObject({ kind: 'head' });
    unlinkSync(headPath);
    expect(check().problem).toMatchObject({ kind: 'missing-head' });
    writeFileSync(headPath, JSON.stringify(head));
    unlinkSync(live());
    expect(check().problem).toMatchObject({ kind: 'truncated' });
  });
});

describe('audit log: crashes are not tampering', () => {
  it('a torn last line is a warning; the next writer sets it aside and goes on', () => {
    makeLog(5);
    appendFileSync(live(), '{"seq":6,"at":"2026-');
    const r = check();
    expect(r.ok).toBe(true);
    expect(r.warnings.join('\n')).toMatch(/torn last line \(crash\)/);
    makeLog(2);
    expect(check()).toMatchObject({ ok: true, lastSeq: 7, warnings: [] });
    expect(readFileSync(join(dir, TORN_FILE), 'utf8')).toContain(Buffer.from('{"seq":6,"at":"2026-').toString('base64'));
  });

  it('one entry written but its head not updated is adopted (and says so); two are not', () => {
    makeLog(5);
    const headBefore = readFileSync(join(dir, HEAD_FILE), 'utf8');
    makeLog(1);
    writeFileSync(join(dir, HEAD_FILE), headBefore);
    const r = check();
    expect(r).toMatchObject({ ok: true, unsignedTail: 1 });
    makeLog(1);
    const after = check();
    expect(after).toMatchObject({ ok: true, lastSeq: 7 });
    expect(after.warnings.join('\n')).toMatch(/entry 6 was written but the head not updated before a crash/);
  });

  it('a SIGKILLed writer mid-append loop leaves a chain that verifies, and the next writer continues it', async () => {
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/recovery/append-child.ts'), dir, KEY.toString('hex'), '20000'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`the writer did not get going: ${err}`)), 30_000);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          // wait for some appends past this round's start, then kill it wherever it is
          if ((out.match(/^\d+$/gm) ?? []).length >= 2 + round) { clearTimeout(t); resolve(); }
        });
      });
      process.kill(child.pid!, 'SIGKILL');
      await gone;
      const r = check();
      expect(r.problem).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.lastSeq).toBeGreaterThanOrEqual(50);
    }
    const before = check().lastSeq;
    makeLog(1);
    const r = check();
    expect(r).toMatchObject({ ok: true, lastSeq: before + 1 });
    expect(r.files.length).toBeGreaterThan(1); // it rotated at 20000 bytes on the way
  }, 90_000);
});

describe('audit log: rotation', () => {
  it('rotates by size, keeps the chain across files, drops the oldest and the head says so', () => {
    makeLog(60, { maxFileBytes: 1500, keepFiles: 3 });
    const r = readAudit(dir, { key: KEY, keep: 3 });
    expect(r.ok).toBe(true);
    expect(r.lastSeq).toBe(60);
    expect(r.files.map((f) => f.slice(dir.length + 1))).toEqual(['audit.jsonl.3', 'audit.jsonl.2', 'audit.jsonl.1', 'audit.jsonl']);
    expect(r.firstSeq).toBeGreaterThan(1);
    expect(JSON.parse(readFileSync(join(dir, HEAD_FILE), 'utf8')).firstSeq).toBe(r.firstSeq);
    expect(existsSync(join(dir, 'audit.jsonl.4'))).toBe(false);
    // the oldest kept file removed: its entries are missing
    const first = r.firstSeq!;
    unlinkSync(join(dir, 'audit.jsonl.3'));
    expect(readAudit(dir, { key: KEY, keep: 3 }).problem).toMatchObject({ kind: 'deleted', seq: first });
  });

  it('a rotated file cut short is tampering, not a torn line', () => {
    makeLog(30, { maxFileBytes: 1500, keepFiles: 3 });
    const f = join(dir, 'audit.jsonl.1');
    truncateSync(f, readFileSync(f).length - 10);
    expect(readAudit(dir, { key: KEY, keep: 3 }).problem).toMatchObject({ kind: 'truncated', file: 'audit.jsonl.1' });
  });
});

describe('verifyChain is total', () => {
  it('never throws on garbage files', () => {
    for (const text of ['', '\n', '\n\n\n', 'x\ny\n', '{"seq":"1","prev":1}\n', '[1,2,3]\n', '\u0000\u0001\n', 'null\n']) {
      expect(() => verifyChain([{ name: 'f', text }])).not.toThrow();
    }
  });
});
