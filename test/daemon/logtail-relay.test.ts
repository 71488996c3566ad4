/**
 * The cockpit's log tail (src/engines/logtail.ts) over the relay's rename rotation, on real files: a rotation
 * between two polls loses nothing (the rest of the old file is read from `.1`, a line split across the rename
 * is joined), and lines come in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Relay } from '../../src/daemon/relay.js';
import type { EngineStatus } from '../../src/daemon/types.js';
import { LogTail } from '../../src/engines/logtail.js';

const root = mkdtempSync(join(tmpdir(), 'sov-tail-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('LogTail over the relay', () => {
  it('one rename rotation between polls: every line, in order, none counted as dropped', async () => {
    const file = join(root, 'e.log');
    const relay = new Relay({ file, maxBytes: 1000, keep: 3, statsFile: join(root, '.e.relay'), keepFreeBytes: 0 });
    const tail = new LogTail('e', { capacity: 10_000 });
    const status = { name: 'e', kind: 'process', state: 'healthy', pids: [], restarts: 0, warnings: [], logFile: file } as EngineStatus;
    relay.write(Buffer.from('first line\n'));
    await tail.poll(status);
    const want = ['first line'];
    for (let i = 0; i < 200; i++) {
      const l = `line ${i} ${'x'.repeat(i % 50)}`;
      want.push(l);
      relay.write(Buffer.from(`${l}\n`));
      if (i % 9 === 8) await tail.poll(status); // ~ 9 lines per poll: at most one rotation in between
    }
    relay.close();
    const s = await tail.poll(status);
    expect(s.dropped).toBe(0);
    expect(s.lines).toEqual(want);
  });
});

describe('`sov engines logs -f` (follow) over the relay', () => {
  it('one rename rotation between polls loses nothing and keeps the order', async () => {
    const { follow } = await import('../../src/daemon/logs.js');
    const dir = mkdtempSync(join(root, 'follow-'));
    const file = join(dir, 'f.log');
    const relay = new Relay({ file, maxBytes: 700, keep: 2, statsFile: join(dir, '.f.relay'), keepFreeBytes: 0 });
    relay.write(Buffer.from('zero\n'));
    const seen: string[] = [];
    const f = follow(file, (ls) => seen.push(...ls), { intervalMs: 60_000, unref: true });
    const tick = f.tickNow;
    await tick();
    const want: string[] = [];
    for (let i = 0; i < 120; i++) {
      const l = `line ${i} ${'y'.repeat(i % 40)}`;
      want.push(l);
      relay.write(Buffer.from(`${l}\n`));
      if (i % 7 === 6) await tick();
    }
    relay.close();
    await tick();
    f.close();
    expect(seen).toEqual(want);
  });
});

describe('several rotations between two reads (both followers share src/daemon/follow.ts)', () => {
  const scenario = (dir: string, keep: number) => {
    const file = join(dir, 'm.log');
    const relay = new Relay({ file, maxBytes: 300, keep, statsFile: join(dir, '.m.relay'), keepFreeBytes: 0 });
    return { file, relay };
  };
  const write = (relay: Relay, from: number, to: number, want: string[]) => {
    for (let i = from; i < to; i++) {
      const l = `line ${i} ${'x'.repeat(20 + (i % 30))}`;
      want.push(l);
      relay.write(Buffer.from(`${l}\n`));
    }
  };

  it('LogTail: up to keep rotations between polls: every line, in order; more: the loss is counted, no fragment shown', async () => {
    const dir = mkdtempSync(join(root, 'multi-'));
    const { file, relay } = scenario(dir, 4);
    const status = { name: 'm', kind: 'process', state: 'healthy', pids: [], restarts: 0, warnings: [], logFile: file } as EngineStatus;
    const tail = new LogTail('m', { capacity: 10_000 });
    relay.write(Buffer.from('first\n'));
    await tail.poll(status);
    const want = ['first'];
    // 40 lines of ~50 bytes at 300 bytes per file: ~6 rotations, the file we had is deleted past `.4`
    write(relay, 0, 40, want);
    let s = await tail.poll(status);
    expect(s.droppedUnknown).toBe(true);
    expect(s.dropped).toBeGreaterThanOrEqual(1);
    for (const l of s.lines.slice(1)) expect(want).toContain(l); // no fragment: every line shown was written whole
    const before = s.lines.length;
    // now 3 rotations between polls (within keep): nothing more is lost
    const want2: string[] = [];
    write(relay, 40, 58, want2);
    s = await tail.poll(status);
    relay.close();
    expect(s.lines.slice(before)).toEqual(want2);
    expect(s.total - s.dropped).toBe(s.lines.length);
  });

  it('follow (logs -f): 3 rotations between ticks lose nothing; rotated past keep: a marker, then whole lines', async () => {
    const { follow } = await import('../../src/daemon/logs.js');
    const dir = mkdtempSync(join(root, 'multif-'));
    const { file, relay } = scenario(dir, 4);
    relay.write(Buffer.from('zero\n'));
    const seen: string[] = [];
    const f = follow(file, (ls) => seen.push(...ls), { intervalMs: 60_000, unref: true });
    await f.tickNow();
    const want: string[] = [];
    for (let round = 0; round < 5; round++) {
      write(relay, round * 18, round * 18 + 18, want); // ~ 900 bytes: 3 rotations
      await f.tickNow();
    }
    expect(seen).toEqual(want);
    const lost: string[] = [];
    write(relay, 200, 260, lost); // ~ 4500 bytes: 15 rotations, past .4
    await f.tickNow();
    relay.close();
    f.close();
    const after = seen.slice(want.length);
    expect(after[0]).toMatch(/^--- sov: the log rotated away/);
    for (const l of after.slice(1)) expect(lost).toContain(l);
    expect(after.at(-1)).toBe(lost.at(-1));
  });
});
