/** The daemon's event log on real files: rotated by rename while running, never past maxBytes × 2. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_EVENT_LINE_BYTES, openEventLog } from '../../src/daemon/eventlog.js';

const root = mkdtempSync(join(tmpdir(), 'sov-eventlog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('daemon event log', () => {
  it('rotates to .1 while running whenever the next line would pass maxBytes; keeps appending to an existing file', () => {
    const file = join(root, 'daemon.log');
    writeFileSync(file, 'from before\n');
    const log = openEventLog(file, 1000);
    for (let i = 0; i < 200; i++) log.write(`line ${i} ${'z'.repeat(40)}`);
    log.close();
    expect(statSync(file).size).toBeLessThanOrEqual(1000);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(1000);
    const live = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(live.at(-1)).toBe(`line 199 ${'z'.repeat(40)}`);
    const older = readFileSync(`${file}.1`, 'utf8').trimEnd().split('\n');
    // the two files are consecutive: .1 ends right before the live file starts
    expect(Number(older.at(-1)!.split(' ')[1]) + 1).toBe(Number(live[0]!.split(' ')[1]));
  });

  it('caps a giant line (ending it with …)', () => {
    const file = join(root, 'd2.log');
    const log = openEventLog(file, 1024 * 1024);
    log.write('x'.repeat(100_000));
    log.write('next');
    log.close();
    const [first, second] = readFileSync(file, 'utf8').split('\n');
    expect(Buffer.byteLength(`${first}\n`)).toBe(MAX_EVENT_LINE_BYTES);
    expect(first!.endsWith('…')).toBe(true);
    expect(second).toBe('next');
  });
});
