/**
 * The log relay (src/daemon/relay.ts): the pure pieces table-tested, the Relay on real files in a temp dir, and the
 * relay PROCESS fed by a real flooding writer, its log directory sampled while it runs.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeFifo, openFifoForEngine, relayOpened, spawnRelay } from '../../src/daemon/adapters/process.js';
import { readStat } from '../../src/daemon/procfs.js';
import { parseRelayArgs, parseRelayStats, Relay, relayArgs, splitForCap } from '../../src/daemon/relay.js';

const root = mkdtempSync(join(tmpdir(), 'sov-relay-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const started: { pid: number; startTime: string }[] = [];
afterEach(() => {
  for (const p of started.splice(0)) {
    if (readStat(p.pid)?.startTime === p.startTime) { try { process.kill(p.pid, 'SIGKILL'); } catch {} }
  }
});
const track = (pid: number | undefined) => { const s = pid === undefined ? undefined : readStat(pid); if (s) started.push({ pid: s.pid, startTime: s.startTime }); };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const dirBytes = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.log') || /\.log\.\d+$/.test(f)).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

describe('splitForCap (pure)', () => {
  it.each([
    [0, 10, 100, [10]],
    [95, 10, 100, [5, 5]],
    [100, 10, 100, [0, 10]],
    [150, 10, 100, [0, 10]],
    [0, 250, 100, [100, 100, 50]],
    [99, 1, 100, [1]],
    [0, 0, 100, [0]],
  ])('size %i + %i bytes, cap %i → %j', (size, n, cap, want) => {
    expect(splitForCap(size, n, cap)).toEqual(want);
  });
});

describe('relay arguments and stats (pure, total)', () => {
  it('round-trips and refuses what is missing or odd', () => {
    const o = { file: '/x/a.log', maxBytes: 1024, keep: 3, statsFile: '/x/.a.relay' };
    expect(parseRelayArgs(relayArgs(o))).toEqual(o);
    expect(parseRelayArgs(relayArgs({ ...o, keepFreeBytes: 5 }))).toEqual({ ...o, keepFreeBytes: 5 });
    expect(parseRelayArgs(['--file=/a'])).toBeUndefined();
    expect(parseRelayArgs(relayArgs(o).map((a) => a.replace('--keep=3', '--keep=0')))).toBeUndefined();
    expect(parseRelayArgs([...relayArgs(o).slice(0, 3), '--keep-free=-1', relayArgs(o)[4]!])).toBeUndefined();
  });
  it('stats: padded JSON parses; torn, empty or odd text does not', () => {
    const s = { pid: 1, writtenBytes: 2, droppedBytes: 3, rotations: 0, floorBytes: 0, at: 5 };
    expect(parseRelayStats(JSON.stringify(s) + ' '.repeat(100))).toEqual(s);
    expect(parseRelayStats(JSON.stringify(s).slice(0, 20))).toBeUndefined();
    expect(parseRelayStats('')).toBeUndefined();
    expect(parseRelayStats('null')).toBeUndefined();
    expect(parseRelayStats(JSON.stringify({ ...s, droppedBytes: 'x' }))).toBeUndefined();
  });
});

describe('Relay on real files', () => {
  it('never lets the live file pass the cap, keeps `keep` rotated files, loses and reorders nothing', () => {
    const dir = mkdtempSync(join(root, 'cap-'));
    const file = join(dir, 'e.log');
    const r = new Relay({ file, maxBytes: 1000, keep: 2, statsFile: join(dir, '.e.relay'), keepFreeBytes: 0 });
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const l = `line ${i} ${'x'.repeat(i % 37)}\n`;
      lines.push(l);
      r.write(Buffer.from(l));
      expect(statSync(file).size).toBeLessThanOrEqual(1000);
      expect(dirBytes(dir)).toBeLessThanOrEqual(3000);
    }
    r.close();
    expect(existsSync(`${file}.3`)).toBe(false);
    expect(statSync(`${file}.1`).size).toBe(1000);
    expect(statSync(`${file}.2`).size).toBe(1000);
    const kept = readFileSync(`${file}.2`, 'utf8') + readFileSync(`${file}.1`, 'utf8') + readFileSync(file, 'utf8');
    expect(lines.join('').endsWith(kept)).toBe(true);
    expect(r.stats.rotations).toBeGreaterThan(2);
    expect(r.stats.droppedBytes).toBe(0);
  });

  it('one chunk larger than the cap is split across files at the exact size', () => {
    const dir = mkdtempSync(join(root, 'big-'));
    const file = join(dir, 'e.log');
    const r = new Relay({ file, maxBytes: 100, keep: 5, statsFile: join(dir, '.e.relay'), keepFreeBytes: 0 });
    r.write(Buffer.from('a'.repeat(350)));
    r.close();
    expect([file, `${file}.1`, `${file}.2`, `${file}.3`].map((f) => statSync(f).size)).toEqual([50, 100, 100, 100]);
  });

  it('below the free-space floor: drops and counts, then writes one "N bytes dropped: disk nearly full" marker', () => {
    const dir = mkdtempSync(join(root, 'floor-'));
    const file = join(dir, 'e.log');
    const s = statfsSync(dir);
    let t = 0;
    const r = new Relay({ file, maxBytes: 1 << 20, keep: 1, statsFile: join(dir, '.e.relay'), keepFreeBytes: s.bavail * s.bsize * 2 }, () => (t += 200));
    r.write(Buffer.from('first\n'));
    r.write(Buffer.from('second\n'));
    expect(r.stats.droppedBytes).toBe(13);
    expect(readFileSync(file, 'utf8')).toBe('');
    r.flushStats(true);
    expect(parseRelayStats(readFileSync(join(dir, '.e.relay'), 'utf8'))?.droppedBytes).toBe(13);
    expect(statSync(join(dir, '.e.relay')).size).toBe(512);
    (r.stats as { floorBytes: number }).floorBytes = 0; // the disk has room again
    r.write(Buffer.from('third\n'));
    r.close();
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^--- sov: 13 bytes dropped: disk nearly full \(free \d+ bytes, floor \d+\) ---\nthird\n$/);
  });
});

describe('the relay process with a real flooding writer', () => {
  it('holds the cap while a writer floods as fast as it can, and ends at end of input', async () => {
    const dir = mkdtempSync(join(root, 'proc-'));
    const file = join(dir, 'f.log');
    const cap = 256 * 1024;
    const fifo = join(dir, '.f.fifo');
    makeFifo(fifo);
    const wfd = openFifoForEngine(fifo);
    const { relay, relayPid } = spawnRelay({ file, maxBytes: cap, keep: 2, statsFile: join(dir, '.f.relay'), keepFreeBytes: 0, input: fifo }, { name: 'f', box: 'test' });
    track(relayPid);
    // the writer: 1.5 s of output as fast as node can write it, on the FIFO; it fails loudly (exit 3) on any write error
    const w = spawn(process.execPath, ['-e', `const b=Buffer.from('y'.repeat(1023)+'\\n');const end=Date.now()+1500;try{while(Date.now()<end)require('fs').writeSync(1,b);}catch(e){process.exit(3)}`], { stdio: ['ignore', wfd, 'inherit'] });
    let writerCode: number | null = null;
    w.once('exit', (c) => { writerCode = c; });
    track(w.pid);
    expect(await relayOpened(relayPid, fifo, 10_000)).toBe(true);
    closeSync(wfd);
    let peak = 0;
    let exited = false;
    relay.once('exit', () => { exited = true; });
    const until = Date.now() + 20_000;
    while (!exited && Date.now() < until) {
      try { peak = Math.max(peak, dirBytes(dir)); } catch {}
      await sleep(5);
    }
    expect(exited).toBe(true);
    expect(writerCode).toBe(0);
    const st = parseRelayStats(readFileSync(join(dir, '.f.relay'), 'utf8'));
    expect(st?.pid).toBe(relayPid);
    expect(st!.writtenBytes).toBeGreaterThan(3 * cap); // it really rotated, more than once
    expect(st!.rotations).toBeGreaterThan(2);
    expect(peak).toBeLessThanOrEqual(cap * 3);
    expect(dirBytes(dir)).toBeLessThanOrEqual(cap * 3);
  }, 30_000);
});
