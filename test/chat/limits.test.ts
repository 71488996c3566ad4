// Nothing lost, nothing let in (issue 7): a reply's size bound, bounded transcript lines, a huge old line, the
// conversation index, the monotonic cooldown clock, and keys kept out of what is printed and written.
import { closeSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, runChain } from '../../src/chat/chain.js';
import { streamChat, utf8Prefix } from '../../src/chat/client.js';
import {
  ChainRecorder, encodeRecord, historyFor, listConversations, newMessageId, PIECE_CHARS, readTranscript, searchConversations, TranscriptWriter,
} from '../../src/chat/transcript.js';
import { MAX_READ_LINE_BYTES } from '../../src/chat/transcript-read.js';
import { runChatCli } from '../../src/cli/chat.js';
import { cleanup, endless, local, server, tempDir } from './helpers.js';

afterEach(async () => { vi.useRealTimers(); await cleanup(); });

const ask = [{ role: 'user' as const, content: 'go on for ever' }];
const maxLineBytes = (path: string) => Math.max(...readFileSync(path, 'utf8').split('\n').map((l) => Buffer.byteLength(l)));

describe('a reply has a size bound', () => {
  it('a provider that streams without end is cut at maxReplyBytes: truncated, connection closed', async () => {
    const p = await endless(4096);
    let streamed = 0;
    const r = await streamChat({ baseUrl: `${p.url}/v1`, messages: ask, maxReplyBytes: 300_000, onToken: (t) => { streamed += Buffer.byteLength(t); } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.truncated).toEqual({ limitBytes: 300_000 });
    expect(r.finishReason).toBe('length');
    expect(Buffer.byteLength(r.text)).toBe(300_000);
    expect(streamed).toBe(300_000);
    await p.closed; // the request was closed, not left streaming
  });

  it('an SSE event that never ends (no newline) is bounded too: the stream is closed with a clear reason', async () => {
    let closed = false;
    const url = await server((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"');
      const chunk = 'q'.repeat(65536);
      res.on('close', () => { closed = true; });
      const pump = () => { while (!closed && res.write(chunk)); if (!closed) res.once('drain', pump); };
      pump();
    });
    const r = await streamChat({ baseUrl: `${url}/v1`, messages: ask, maxReplyBytes: 200_000 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ kind: 'bad-response', message: expect.stringMatching(/grew past 1 MB without ending/) });
  });

  it('utf8Prefix never cuts a character in two', () => {
    expect(utf8Prefix('aé漢🙂', 1)).toBe('a');
    expect(utf8Prefix('aé漢🙂', 2)).toBe('a');
    expect(utf8Prefix('aé漢🙂', 3)).toBe('aé');
    expect(utf8Prefix('aé漢🙂', 9)).toBe('aé漢');
    expect(utf8Prefix('aé漢🙂', 10)).toBe('aé漢🙂');
  });

  it('the chain reports truncated on done, and the transcript records it (partial, with the reason)', async () => {
    const p = await endless(1000);
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'trunc-1');
    const userId = newMessageId();
    w.append({ t: 'user', id: userId, at: 1, text: 'go on for ever' });
    const rec = new ChainRecorder(w, userId);
    const out = await runChain({ chain: [local('endless', p.url, { model: 'endless' })], messages: ask, maxReplyBytes: 200_000, onEvent: (e) => rec.onEvent(e) });
    w.close();
    expect(out.type).toBe('done');
    expect(out.type === 'done' && out.truncated).toEqual({ limitBytes: 200_000 });
    const t = readTranscript(w.path);
    const reply = t.messages.find((m) => m.role === 'assistant')!;
    expect(reply).toMatchObject({ truncated: true, partial: true, reason: expect.stringContaining('truncated') });
    expect(reply.text.length).toBe(200_000);
    expect(maxLineBytes(w.path)).toBeLessThan(PIECE_CHARS + 1024);
  });
});

describe('transcript lines are bounded', () => {
  it('a long message is stored in pieces and read back whole; deltas are split too', () => {
    const text = 'z'.repeat(PIECE_CHARS * 3 + 17);
    const lines = encodeRecord({ t: 'assistant', id: 'a1', at: 1, text });
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => Buffer.byteLength(l) < PIECE_CHARS + 512)).toBe(true);
    expect(encodeRecord({ t: 'delta', id: 'a1', at: 1, text })).toHaveLength(4);
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'long-1');
    w.append({ t: 'user', id: 'u1', at: 1, text: 'q' });
    w.append({ t: 'delta', id: 'a1', at: 2, text });
    w.append({ t: 'assistant', id: 'a1', at: 3, text, replyTo: 'u1' });
    w.close();
    expect(maxLineBytes(w.path)).toBeLessThan(PIECE_CHARS + 512);
    const r = readTranscript(w.path);
    expect(r.corrupt).toEqual([]);
    expect(r.messages.map((m) => [m.role, m.text.length])).toEqual([['user', 1], ['assistant', text.length]]);
    expect(historyFor(r.messages)[1]!.content).toBe(text);
  });

  it('a huge old line (an older sov) never breaks --list or --resume: its start is salvaged, the prompt kept', () => {
    const dir = tempDir();
    const path = join(dir, 'old-1.jsonl');
    const fd = openSync(path, 'w');
    writeSync(fd, `${JSON.stringify({ t: 'meta', v: 1, id: 'old-1', at: 1 })}\n${JSON.stringify({ t: 'user', id: 'u1', at: 2, text: 'the prompt that must survive' })}\n`);
    writeSync(fd, '{"t":"assistant","id":"a1","at":3,"text":"');
    const block = Buffer.alloc(1024 * 1024, 'w');
    for (let i = 0; i < MAX_READ_LINE_BYTES / block.length + 2; i++) writeSync(fd, block);
    writeSync(fd, '","replyTo":"u1"}\n');
    closeSync(fd);
    expect(statSync(path).size).toBeGreaterThan(MAX_READ_LINE_BYTES);
    const r = readTranscript(path);
    expect(r.messages[0]).toMatchObject({ role: 'user', text: 'the prompt that must survive' });
    expect(r.messages[1]).toMatchObject({ role: 'assistant', partial: true });
    expect(r.messages[1]!.text).toMatch(/^w{1000}/);
    expect(r.messages[1]!.text.length).toBeLessThan(100_000);
    expect(r.corrupt[0]!.reason).toMatch(/MB on one line/);
    const list = listConversations(dir);
    expect(list).toMatchObject([{ id: 'old-1', title: 'the prompt that must survive', messages: 2, damaged: true }]);
    // the index was written: the next listing does not read the transcript
    expect(readdirSync(dir).sort()).toEqual(['old-1.dig.json', 'old-1.jsonl', 'old-1.sum.json']);
  });

  it('a torn last line is reported, and the writer closes it before appending', () => {
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'torn-1');
    w.append({ t: 'user', id: 'u1', at: 1, text: 'hello' });
    w.close();
    writeFileSync(w.path, readFileSync(w.path, 'utf8') + '{"t":"assistant","id":"a1","at":2,"te');
    expect(readTranscript(w.path).torn).toMatchObject({ recovered: false });
    const w2 = TranscriptWriter.open(dir, 'torn-1');
    w2.append({ t: 'user', id: 'u2', at: 3, text: 'again' });
    w2.close();
    const r = readTranscript(w2.path);
    expect(r.messages.map((m) => m.text)).toEqual(['hello', 'again']);
    expect(r.notes.map((n) => n.kind)).toEqual(['torn']);
  });
});

describe('the conversation index', () => {
  it('the writer keeps it current; --list and --search answer from it; a stale one is rebuilt', () => {
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'idx-1');
    w.append({ t: 'user', id: 'u1', at: 1, text: 'what is a zpool scrub' });
    w.append({ t: 'assistant', id: 'a1', at: 2, text: `A scrub reads every block. ${'x'.repeat(5000)} needle-at-the-end` });
    w.close();
    const sum = JSON.parse(readFileSync(join(dir, 'idx-1.sum.json'), 'utf8')) as { size: number; messages: number; title: string };
    expect(sum).toMatchObject({ size: statSync(w.path).size, messages: 2, title: 'what is a zpool scrub' });
    expect(searchConversations(dir, 'EVERY BLOCK')).toMatchObject([{ id: 'idx-1', messageId: 'a1', role: 'assistant' }]);
    // the fast search reads the start of each message; --deep reads everything
    expect(searchConversations(dir, 'needle-at-the-end')).toEqual([]);
    expect(searchConversations(dir, 'needle-at-the-end', 100, { deep: true })).toMatchObject([{ messageId: 'a1' }]);
    // the transcript grew behind the index's back (another tool appended): the size no longer matches, it is re-read
    writeFileSync(w.path, readFileSync(w.path, 'utf8') + JSON.stringify({ t: 'user', id: 'u2', at: 3, text: 'second' }) + '\n');
    expect(listConversations(dir)[0]).toMatchObject({ id: 'idx-1', messages: 3 });
  });
});

describe('cooldowns use a monotonic clock', () => {
  it('a wall-clock jump of an hour neither ends a cooldown nor starts one', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const b = new CircuitBreaker(60_000);
    b.fail('cloud', 'HTTP 503');
    vi.setSystemTime(new Date('2026-01-01T01:00:00Z')); // the wall clock jumps an hour forward (NTP, suspend)
    expect(b.check('cloud')).toBeDefined();
    vi.setSystemTime(new Date('2025-12-31T00:00:00Z')); // and a day back
    expect(b.check('cloud')?.reason).toBe('HTTP 503');
  });

  it('an injected clock drives it exactly', () => {
    let t = 1000;
    const b = new CircuitBreaker(60_000, () => t);
    b.fail('cloud', 'x');
    t += 59_999;
    expect(b.check('cloud')).toBeDefined();
    t += 1;
    expect(b.check('cloud')).toBeUndefined();
  });
});

describe('keys never reach output or files', () => {
  it('a provider that echoes the request headers: no key on stdout, stderr, --json or in the transcript', async () => {
    const key = `sk-test-${Math.random().toString(36).slice(2)}${Date.now()}`;
    // the key bare, in a header line, and as a header value: the first only the registered Secret can catch
    const p = await endless(0, (h) => `your key is ${key}. you sent Authorization: ${String(h.authorization)} and x-api-key=${key} ok `);
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'chat:\n  maxReplyBytes: 65536\n');
    for (const json of [false, true]) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const stdin = new PassThrough();
      stdin.end();
      const code = await runChatCli(['--base-url', `${p.url}/v1`, '--config', config, ...(json ? ['--json'] : []), 'echo my headers'], {
        env: { HOME: dir, XDG_STATE_HOME: join(dir, 'state'), SOV_API_KEY: key, XDG_CONFIG_HOME: join(dir, 'cfg') },
        stdin: Object.assign(stdin, { isTTY: false }), stdout: { write: (s: string) => stdout.push(s) }, stderr: { write: (s: string) => stderr.push(s) },
      });
      expect(code).toBe(0);
      expect(p.headers.at(-1)!.authorization).toBe(`Bearer ${key}`); // the key was sent…
      const all = stdout.join('') + stderr.join('');
      expect(all).toContain('[redacted]'); // …and what came back was shown, redacted
      expect(all).not.toContain(key);
      expect(all).not.toContain(key.slice(0, 12));
      expect(all).toMatch(json ? /"truncated":\{"limitBytes":65536/ : /\[truncated: the reply reached 64 KiB/);
    }
    const chats = join(dir, 'state', 'sov', 'chats');
    const files = readdirSync(chats);
    expect(files.some((f) => f.endsWith('.jsonl'))).toBe(true);
    for (const f of files) expect(readFileSync(join(chats, f), 'utf8')).not.toContain(key.slice(0, 12));
  });
});

describe('the prompt is durable before the request goes out', () => {
  it('when the provider receives the request, the prompt is already in the transcript on disk', async () => {
    const dir = tempDir();
    const chats = join(dir, 'state', 'sov', 'chats');
    const seen: string[] = [];
    const url = await server((req, _body, res) => {
      // what a crash at this moment would leave: read the file as another process would
      const f = readdirSync(chats).find((x) => x.endsWith('.jsonl'));
      seen.push(f ? readFileSync(join(chats, f), 'utf8') : '(no transcript)');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model: 'm', choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }] }));
    });
    const stdin = new PassThrough();
    stdin.end();
    const code = await runChatCli(['--base-url', `${url}/v1`, '--model', 'm', '--no-stream', 'a prompt that must not be lost'], {
      env: { HOME: dir, XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'cfg') },
      stdin: Object.assign(stdin, { isTTY: false }), stdout: { write: () => true }, stderr: { write: () => true },
    });
    expect(code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('"t":"user"');
    expect(seen[0]).toContain('a prompt that must not be lost');
  });
});

describe('the cockpit shows a truncated reply', () => {
  it('the session marks the reply partial with the reason and adds a visible note', async () => {
    const { createChatSession } = await import('../../src/chat/session.js');
    const s = createChatSession({
      providers: [local('p', 'http://127.0.0.1:1')], schedule: () => () => {},
      run: async () => ({ type: 'done', provider: 'p', text: 'abc', prefix: '', tokens: 3, skipped: [], warnings: [], truncated: { limitBytes: 4 * 1024 * 1024 } }),
    });
    s.send('go');
    await s.idle();
    const msgs = s.getState().messages;
    expect(msgs.find((m) => m.role === 'assistant')).toMatchObject({ partial: true, reason: expect.stringMatching(/^truncated: the reply reached 4 MiB/) });
    expect(msgs.some((m) => m.role === 'note' && /truncated/.test(m.text))).toBe(true);
    s.dispose();
  });
});
