import { appendFileSync, truncateSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogTail } from '../../src/engines/logtail.js';
import { createEnginesSource, DAEMON_DOWN } from '../../src/engines/source.js';
import { engine, fakeLink } from '../helpers/engines.js';

const dir = mkdtempSync(join(tmpdir(), 'sov-logtail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engines source', () => {
  it('polls engines.list through the link', async () => {
    const link = fakeLink({ 'engines.list': () => [engine('llama', 'healthy')] });
    const a = await createEnginesSource({ link }).sample();
    expect(a).toMatchObject({ state: 'ok', data: { engines: [{ name: 'llama', state: 'healthy' }] } });
    // then its tunnels (a daemon that does not answer tunnels.list: none, the engines stay); the daemon's own health
    // (daemon.info) is read on the first tick, then every fifth
    expect(link.calls.map((c) => c.method)).toEqual(['engines.list', 'tunnels.list', 'daemon.info']);
    expect((a as { data: { tunnels?: unknown } }).data.tunnels).toBeUndefined();
  });
  it('the daemon\'s tunnels come with the engines, in the same sample', async () => {
    const t = { ...engine('omni-bridge', 'healthy'), forwards: ['8000→127.0.0.1:8000'], via: 'omni', probe: 'tcp 127.0.0.1:8000' };
    const link = fakeLink({ 'engines.list': () => [engine('llama', 'healthy')], 'tunnels.list': () => [t] });
    expect(await createEnginesSource({ link }).sample()).toMatchObject({ state: 'ok', data: { engines: [{ name: 'llama' }], tunnels: [{ name: 'omni-bridge', forwards: ['8000→127.0.0.1:8000'] }] } });
  });
  it('daemon down: an error saying so (the scheduler keeps the last list); back up: ok again', async () => {
    const link = fakeLink({ 'engines.list': () => [] }, 'down');
    const src = createEnginesSource({ link });
    const a = await src.sample();
    expect(a.state).toBe('error');
    expect(a.state === 'error' && a.message).toContain(DAEMON_DOWN);
    expect(link.calls).toHaveLength(0);
    link.set('up');
    expect((await src.sample()).state).toBe('ok');
  });
  it('a call that fails while up is an error too', async () => {
    const link = fakeLink({ 'engines.list': () => { throw new Error('boom'); } });
    expect(await createEnginesSource({ link }).sample()).toMatchObject({ state: 'error', message: expect.stringContaining('boom') });
  });
  it('no link (demo box): unavailable with the reason', async () => {
    expect(await createEnginesSource({ why: { reason: 'the demo box has no daemon' } }).sample()).toMatchObject({ state: 'unavailable', reason: 'the demo box has no daemon' });
  });
  it('tails the watched engine\'s log file', async () => {
    const file = join(dir, 'w.log');
    writeFileSync(file, 'one\ntwo\n');
    const w: { name?: string } = {};
    const link = fakeLink({ 'engines.list': () => [engine('llama', 'healthy', { logFile: file })] });
    const src = createEnginesSource({ link, watched: () => w.name });
    expect((await src.sample()).state === 'ok').toBe(true);
    w.name = 'llama';
    const a = await src.sample();
    expect(a.state === 'ok' && a.data.log).toMatchObject({ engine: 'llama', lines: ['one', 'two'], via: 'file' });
  });
});

describe('LogTail', () => {
  it('reads appended lines, keeps partial lines for later, strips escapes', async () => {
    const file = join(dir, 'a.log');
    writeFileSync(file, 'first\n');
    const t = new LogTail('e');
    const st = engine('e', 'healthy', { logFile: file });
    expect((await t.poll(st)).lines).toEqual(['first']);
    appendFileSync(file, 'sec\u001b[31mond\u001b[0m\nthi');
    expect((await t.poll(st)).lines).toEqual(['first', 'second']);
    appendFileSync(file, 'rd\n');
    const s = await t.poll(st);
    expect(s.lines).toEqual(['first', 'second', 'third']);
    expect(s).toMatchObject({ total: 3, dropped: 0 });
  });

  it('counts the lines that outran the view', async () => {
    const file = join(dir, 'b.log');
    writeFileSync(file, '');
    const t = new LogTail('e', { capacity: 100, maxReadBytes: 4096 });
    const st = engine('e', 'healthy', { logFile: file });
    await t.poll(st);
    appendFileSync(file, Array.from({ length: 10_000 }, (_, i) => `flood line ${i}`).join('\n') + '\n');
    const s = await t.poll(st);
    expect(s.total).toBe(10_000);
    expect(s.lines).toHaveLength(100);
    expect(s.lines.at(-1)).toBe('flood line 9999');
    expect(s.dropped).toBe(9_900);
  });

  it('starts over after rotation', async () => {
    const file = join(dir, 'c.log');
    writeFileSync(file, 'old 1\nold 2\n');
    const t = new LogTail('e');
    const st = engine('e', 'healthy', { logFile: file });
    await t.poll(st);
    renameSync(file, file + '.1');
    writeFileSync(file, 'new 1\n');
    expect((await t.poll(st)).lines).toEqual(['old 1', 'old 2', 'new 1']);
  });

  it('starts over after the daemon rotation (copytruncate): truncated in place and refilled past the old offset between polls', async () => {
    const file = join(dir, 'd.log');
    writeFileSync(file, 'old 1\nold 2\n');
    const t = new LogTail('e');
    const st = engine('e', 'healthy', { logFile: file });
    await t.poll(st);
    truncateSync(file, 0); // copytruncate: same inode
    appendFileSync(file, 'new line one\nnew line two\n');
    expect((await t.poll(st)).lines).toEqual(['old 1', 'old 2', 'new line one', 'new line two']);
  });

  it('without a file: engines.logs through the daemon, new lines found by overlap', async () => {
    let lines = ['a', 'b', 'c'];
    const link = fakeLink({ 'engines.logs': () => ({ name: 'u', lines }) });
    const t = new LogTail('u', { daemonLines: 3 });
    const st = engine('u', 'healthy', { kind: 'systemd' });
    expect((await t.poll(st, link)).lines).toEqual(['a', 'b', 'c']);
    lines = ['c', 'd', 'e'];
    expect((await t.poll(st, link)).lines).toEqual(['a', 'b', 'c', 'd', 'e']);
    lines = ['x', 'y', 'z'];
    const s = await t.poll(st, link);
    expect(s.lines.slice(-3)).toEqual(['x', 'y', 'z']);
    expect(s.droppedUnknown).toBe(true);
  });

  it('a missing file says so and does not throw', async () => {
    const s = await new LogTail('e').poll(engine('e', 'starting', { logFile: join(dir, 'nope.log') }));
    expect(s.error).toMatch(/no log file yet/);
  });
});
