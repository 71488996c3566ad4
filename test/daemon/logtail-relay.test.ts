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
