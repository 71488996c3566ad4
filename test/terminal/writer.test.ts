import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../src/terminal/cells.js';
import { createScreenWriter } from '../../src/terminal/writer.js';
import { VirtualTerminal } from './vt.js';

const ESC = '\u001b';
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A fake terminal: records writes, has a size, emits 'resize' and 'drain'. */
class FakeTerminal extends EventEmitter {
  writes: string[] = [];
  accept = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write(data: string): boolean {
    this.writes.push(data);
    return this.accept;
  }
}

describe('createScreenWriter', () => {
  it('coalesces many renders in one tick into one write of the latest frame', async () => {
    const term = new FakeTerminal(20, 3);
    const w = createScreenWriter(term);
    for (let i = 0; i < 10; i++) w.inkStdout.write(`frame ${i}`);
    expect(term.writes).toHaveLength(0);
    await nextTurn();
    expect(term.writes).toHaveLength(1);
    expect(term.writes[0]).toContain('frame 9');
    expect(term.writes[0]).not.toContain('frame 8');
    expect(w.stats).toMatchObject({ renders: 10, frames: 1, fullRepaints: 1 });
    expect(w.stats.bytesWritten).toBe(Buffer.byteLength(term.writes[0]!));
    w.close();
  });

  it('waits minIntervalMs between writes, then sends only what changed', async () => {
    const term = new FakeTerminal(20, 3);
    const w = createScreenWriter(term, { minIntervalMs: 40 });
    w.inkStdout.write('count 1');
    await nextTurn();
    w.inkStdout.write('count 2');
    await nextTurn();
    expect(term.writes).toHaveLength(1);
    await sleep(60);
    expect(term.writes).toHaveLength(2);
    expect(term.writes[1]).toBe(`${ESC}[?2026h${ESC}[1;7H${ESC}[0m2${ESC}[?2026l`);
    w.close();
  });

  it('writes nothing for an identical frame', async () => {
    const term = new FakeTerminal(20, 3);
    const w = createScreenWriter(term, { minIntervalMs: 0 });
    w.inkStdout.write('same');
    w.flush();
    w.inkStdout.write('same');
    w.flush();
    await nextTurn();
    expect(term.writes).toHaveLength(1);
    expect(w.stats.renders).toBe(2);
    w.close();
  });

  it('follows a resize of the real terminal: tells Ink, then repaints fully at the new size', async () => {
    const term = new FakeTerminal(20, 3);
    const w = createScreenWriter(term, { minIntervalMs: 0 });
    let inkSawResize = 0;
    w.inkStdout.on('resize', () => inkSawResize++);
    w.inkStdout.write('wide enough line');
    w.flush();
    term.columns = 8;
    term.rows = 2;
    term.emit('resize');
    expect(inkSawResize).toBe(1);
    expect([w.inkStdout.columns, w.inkStdout.rows]).toEqual([8, 2]);
    await nextTurn(); // Ink did not re-render: the last frame is redrawn, clipped
    expect(term.writes).toHaveLength(2);
    expect(term.writes[1]).toContain(`${ESC}[2J`);
    expect(term.writes[1]).not.toContain(`${ESC}[3J`);
    const vt = new VirtualTerminal(8, 2);
    vt.write(term.writes[1]!);
    expect(vt.grid()).toEqual(parseFrame('wide enough line', 8, 2));
    w.close();
  });

  it('skips frames while the terminal has not drained (slow SSH), then sends the latest', async () => {
    const term = new FakeTerminal(20, 3);
    const w = createScreenWriter(term, { minIntervalMs: 0 });
    term.accept = false;
    w.inkStdout.write('one');
    w.flush();
    w.inkStdout.write('two');
    w.inkStdout.write('three');
    await nextTurn();
    expect(term.writes).toHaveLength(1);
    term.accept = true;
    term.emit('drain');
    await nextTurn();
    expect(term.writes).toHaveLength(2);
    const vt = new VirtualTerminal(20, 3);
    for (const data of term.writes) vt.write(data);
    expect(vt.grid()).toEqual(parseFrame('three', 20, 3));
    w.close();
  });

  it('pauses for a hand-off and repaints fully on resume; writes nothing after close', async () => {
    const term = new FakeTerminal(20, 3);
    const w = createScreenWriter(term, { minIntervalMs: 0 });
    w.inkStdout.write('before');
    w.flush();
    w.pause();
    w.inkStdout.write('during');
    await nextTurn();
    expect(term.writes).toHaveLength(1);
    w.resume();
    await nextTurn();
    expect(term.writes).toHaveLength(2);
    expect(term.writes[1]).toContain(`${ESC}[2J`);
    w.close();
    w.inkStdout.write('after');
    await nextTurn();
    expect(term.writes).toHaveLength(2);
    expect(term.listenerCount('resize')).toBe(0);
  });
});
