import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pauseGroup } from '../../src/daemon/adapters/process.js';
import { boundNewest, follow, linesBackward, logFiles, MAX_LINE_BYTES, rotateIfNeeded, searchLines, tailLines } from '../../src/daemon/logs.js';

const dir = mkdtempSync(join(tmpdir(), 'sov-logs-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch {} }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let n = 0;
const fresh = (name = 'e') => join(dir, `${name}-${n++}.log`);

/** A separate process appending `count` numbered lines to `file` (O_APPEND, one write per line), as fast as it can. */
function writer(file: string, count: number): { proc: ChildProcess; done: Promise<void> } {
  // paced a little (1 ms every 500 lines) so that rotations happen while it writes even on a busy machine
  const code = `const fs=require('fs');const fd=fs.openSync(process.argv[1],'a');const z=new Int32Array(new SharedArrayBuffer(4));for(let i=0;i<${count};i++){fs.writeSync(fd,'line '+String(i).padStart(6,'0')+' ${'x'.repeat(40)}\\n');if(i%500===499)Atomics.wait(z,0,0,1);}`;
  const proc = spawn(process.execPath, ['-e', code, file], { stdio: 'ignore', detached: true });
  children.push(proc);
  const done = new Promise<void>((r) => proc.on('exit', () => r()));
  return { proc, done };
}

function numbersIn(files: string[]): number[] {
  return files.filter(existsSync).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => Number(l.slice(5, 11))));
}

describe('rotation (copytruncate) under a fast writer', () => {
  it('loses no line of 50k and keeps them in order, with the writer paused for the truncate', async () => {
    const file = fresh();
    const N = 50_000;
    const maxBytes = 64 * 1024;
    const keep = 60; // enough that nothing is dropped: everything written must be found
    const w = writer(file, N);
    let finished = false;
    void w.done.then(() => { finished = true; });
    let rotations = 0;
    while (!finished) {
      if (await rotateIfNeeded(file, { maxBytes, keep, pause: () => pauseGroup(w.proc.pid!) })) rotations++;
      await sleep(2);
    }
    expect(rotations).toBeGreaterThan(0); // it rotated while the writer wrote
    const files = logFiles(file, keep).reverse(); // oldest first
    const nums = numbersIn(files);
    expect(nums.length).toBe(N);
    expect(nums.every((x, i) => x === i)).toBe(true);
    // once the writer is done, one more pass leaves the live file under the cap
    await rotateIfNeeded(file, { maxBytes, keep });
    expect(statSync(file).size).toBeLessThan(maxBytes);
  });

  it('without the pause: never duplicates or reorders (the copytruncate window may drop a few lines)', async () => {
    const file = fresh();
    const N = 20_000;
    const w = writer(file, N);
    let finished = false;
    void w.done.then(() => { finished = true; });
    while (!finished) {
      await rotateIfNeeded(file, { maxBytes: 32 * 1024, keep: 80 });
      await sleep(2);
    }
    const nums = numbersIn(logFiles(file, 80).reverse());
    expect(nums.length).toBeGreaterThan(N * 0.5);
    expect(existsSync(`${file}.81`)).toBe(false);
    for (let i = 1; i < nums.length; i++) expect(nums[i]).toBeGreaterThan(nums[i - 1]!);
  });

  it('shifts .1 → .2 … and drops what is beyond keep; below maxBytes it does nothing', async () => {
    const file = fresh();
    const keep = 3;
    const opts = { maxBytes: 1024, keep };
    writeFileSync(file, 'small\n');
    expect(await rotateIfNeeded(file, opts)).toBe(false);
    for (let round = 0; round < 6; round++) {
      writeFileSync(file, `${`round ${round}\n`.repeat(200)}`, { flag: 'a' });
      expect(await rotateIfNeeded(file, opts)).toBe(true);
      expect(statSync(file).size).toBe(0);
    }
    expect(existsSync(`${file}.4`)).toBe(false);
    expect(readFileSync(`${file}.1`, 'utf8').split('\n')[0]).toBe('round 5');
    expect(readFileSync(`${file}.2`, 'utf8').split('\n')[0]).toBe('round 4');
    expect(readFileSync(`${file}.3`, 'utf8').split('\n')[0]).toBe('round 3');
    const total = logFiles(file, keep).filter(existsSync).reduce((a, f) => a + statSync(f).size, 0);
    expect(total).toBeLessThanOrEqual(opts.maxBytes * 2 * (keep + 1));
    // the first round included "small": it is gone with the rotated-away files
    expect(await tailLines(logFiles(file, keep), 1000)).not.toContain('small');
  });

  it('the engine side keeps appending at the new end after the truncate', async () => {
    const file = fresh();
    writeFileSync(file, 'x'.repeat(2000) + '\n');
    const w = writer(file, 10);
    await w.done;
    expect(await rotateIfNeeded(file, { maxBytes: 1024, keep: 2 })).toBe(true);
    appendFileSync(file, 'after\n');
    expect(readFileSync(file, 'utf8')).toBe('after\n');
  });
});

describe('tail and search, read backwards', () => {
  it('tails across live and rotated files, in order, with and without a final newline', async () => {
    const file = fresh();
    writeFileSync(`${file}.2`, 'a1\na2\n');
    writeFileSync(`${file}.1`, 'b1\r\nb2\n\nb4\n');
    writeFileSync(file, 'c1\nc2');
    const files = logFiles(file, 3);
    expect(await tailLines(files, 3)).toEqual(['b4', 'c1', 'c2']);
    expect(await tailLines(files, 100)).toEqual(['a1', 'a2', 'b1', 'b2', '', 'b4', 'c1', 'c2']);
    expect(await tailLines(files, 0)).toEqual([]);
    expect(await tailLines(join(dir, 'missing.log'), 10)).toEqual([]);
  });

  it('reads a big file in chunks: lines across chunk borders, multibyte text, a capped giant line', async () => {
    const file = fresh();
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) lines.push(`${i} ünïcødé ✓ ${'y'.repeat(i % 97)}`);
    const giant = `GIANT${'g'.repeat(200_000)}`;
    writeFileSync(file, `${lines.slice(0, 15_000).join('\n')}\n${giant}\n${lines.slice(15_000).join('\n')}\n`);
    const back: string[] = [];
    for await (const l of linesBackward(file)) back.push(l);
    expect(back.length).toBe(30_001);
    expect(back[0]).toBe(lines[29_999]);
    expect(back[back.length - 1]).toBe(lines[0]);
    const g = back[15_000]!;
    expect(g.startsWith('GIANT')).toBe(true);
    expect(Buffer.byteLength(g)).toBe(MAX_LINE_BYTES);
    expect(back.filter((l) => l !== g).every((l, i) => l === lines[29_999 - i])).toBe(true);
    expect(await tailLines(file, 2)).toEqual([lines[29_998], lines[29_999]]);
  });

  it('searches case-insensitively, newest matches first capped at the limit, and counts them all', async () => {
    const file = fresh();
    writeFileSync(`${file}.1`, 'error one\nfine\nERROR two\n');
    writeFileSync(file, 'fine\nan Error three\nfine\n');
    const r = await searchLines(logFiles(file, 2), 'error', 2);
    expect(r).toEqual({ lines: ['ERROR two', 'an Error three'], matched: 3, scanned: 6 });
  });
});

describe('follow', () => {
  it('delivers appended lines, joins partial lines, and survives truncation', async () => {
    const file = fresh();
    writeFileSync(file, 'old line\n');
    const got: string[] = [];
    const f = follow(file, (ls) => got.push(...ls), { intervalMs: 20, unref: true });
    try {
      await sleep(80);
      appendFileSync(file, 'one\ntw');
      await waitFor(() => got.includes('one'));
      appendFileSync(file, 'o\n');
      await waitFor(() => got.includes('two'));
      truncateSync(file, 0);
      await sleep(60);
      appendFileSync(file, 'after truncate\n');
      await waitFor(() => got.includes('after truncate'));
    } finally {
      f.close();
    }
    expect(got).toEqual(['one', 'two', 'after truncate']);

    // truncated and refilled past the old position between two polls: seen by the bytes before the position
    const got2: string[] = [];
    const file2 = fresh();
    writeFileSync(file2, 'aaaaaaaaaa\n');
    const f2 = follow(file2, (ls) => got2.push(...ls), { intervalMs: 200, unref: true });
    try {
      await sleep(100);
      truncateSync(file2, 0);
      appendFileSync(file2, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbb\n');
      await waitFor(() => got2.length > 0);
      expect(got2).toEqual(['bbbbbbbbbbbbbbbbbbbbbbbbbbbb']);
    } finally {
      f2.close();
    }
  });

  it('waits for a file that does not exist yet, then reads all of it', async () => {
    const file = fresh();
    const got: string[] = [];
    const f = follow(file, (ls) => got.push(...ls), { intervalMs: 20, unref: true });
    try {
      await sleep(60);
      writeFileSync(file, 'first\nsecond\n');
      await waitFor(() => got.length >= 2);
      expect(got).toEqual(['first', 'second']);
    } finally {
      f.close();
    }
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(10);
  }
}


describe('boundNewest (container/systemd engines.logs byte bound)', () => {
  it('keeps the newest lines that fit, counting bytes newest first (multibyte counted as bytes), and says so', () => {
    const lines = ['old', 'middle', 'é'.repeat(4), 'new'];
    expect(boundNewest(lines, 1000)).toEqual({ lines });
    // 'new\n' 4 + 'éééé\n' 9 = 13 bytes; 'middle\n' would make 20
    expect(boundNewest(lines, 19)).toEqual({ lines: ['éééé', 'new'], truncated: '2 lines: the answer is capped at 19 bytes' });
    expect(boundNewest(['x'.repeat(50)], 10)).toEqual({ lines: [], truncated: '0 lines: the answer is capped at 10 bytes' });
    expect(boundNewest([], 10)).toEqual({ lines: [] });
  });
});
