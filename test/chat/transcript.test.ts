// Transcripts: JSONL per conversation, fsynced per record, one writer; kill -9 mid-stream loses no completed
// message and leaves the partial marked partial; a torn last line is reported; list, resume and search.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chatsDir, damageReport, historyFor, listConversations, readTranscript, ReplyRecorder, searchConversations,
  TranscriptBusyError, TranscriptWriter,
} from '../../src/chat/transcript.js';
import { createChatSession } from '../../src/chat/session.js';
import { repoRoot } from '../helpers/samples.js';
import { cleanup, sim, tempDir } from './helpers.js';

const children: number[] = [];
afterEach(async () => {
  for (const pid of children.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  await cleanup();
});

describe('transcript files', () => {
  it('lives under $XDG_STATE_HOME/sov/chats', () => {
    expect(chatsDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' })).toBe('/x/state/sov/chats');
    expect(chatsDir({ HOME: '/home/u' })).toBe('/home/u/.local/state/sov/chats');
  });

  it('writes one JSON line per record (0600), folds deltas into a final record, reads back', () => {
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'c1', { systemPrompt: 'be brief' });
    w.append({ t: 'user', id: 'u1', at: 1, text: 'hello' });
    const r = new ReplyRecorder(w, 'a1', { replyTo: 'u1' }, { everyTokens: 2, everyMs: 1e9 }, 'local', 'm');
    for (const t of ['He', 'llo', ' the', 're', '!']) r.token(t);
    r.final('Hello there!', { provider: 'local', model: 'm', ttftMs: 12, tokPerSec: 40, tokens: 5 });
    w.close();
    const path = join(dir, 'c1.jsonl');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string });
    expect(lines.map((l) => l.t)).toEqual(['meta', 'user', 'delta', 'delta', 'delta', 'assistant']); // the first piece at once, then every 2
    const t = readTranscript(path);
    expect(t.meta?.systemPrompt).toBe('be brief');
    expect(t.messages).toHaveLength(2);
    expect(t.messages[1]).toMatchObject({ role: 'assistant', text: 'Hello there!', provider: 'local', ttftMs: 12 });
    expect(t.messages[1]!.partial).toBeUndefined();
    expect(damageReport(t)).toEqual([]);
    expect(existsSync(join(dir, 'c1.lock'))).toBe(false);
  });

  it('a delta quoting a header (escaped quotes and newlines) is written, redacted, and reads back whole', () => {
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'hdr');
    const text = 'try:\ncurl -H "Authorization: Bearer $KEY" -H "x-api-key: sk-abcdef123456" http://x\n"done"';
    w.append({ t: 'delta', id: 'a1', at: 1, text });
    w.append({ t: 'assistant', id: 'a1', at: 2, text });
    w.close();
    const lines = readFileSync(join(dir, 'hdr.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; text?: string });
    const want = 'try:\ncurl -H "Authorization: Bearer [redacted]" -H "x-api-key: [redacted]" http://x\n"done"';
    expect(lines.filter((l) => l.t !== 'meta').map((l) => l.text)).toEqual([want, want]);
    expect(readTranscript(join(dir, 'hdr.jsonl')).messages[0]).toMatchObject({ role: 'assistant', text: want });
  });

  it('has a single writer: a live writer holds the conversation; a dead one\'s lock is taken over', () => {
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'c2');
    writeFileSync(join(dir, 'c2.lock'), '1\n'); // pid 1 is alive and not us
    expect(() => TranscriptWriter.open(dir, 'c2')).toThrow(TranscriptBusyError);
    writeFileSync(join(dir, 'c2.lock'), '999999999\n'); // no such process
    const w2 = TranscriptWriter.open(dir, 'c2');
    w2.close();
    w.close();
    expect(() => TranscriptWriter.open(dir, '../escape')).toThrow(/not a conversation id/);
  });

  it('a torn last line is detected and reported, never silently dropped; reopening notes it', () => {
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'torn');
    w.append({ t: 'user', id: 'u1', at: 1, text: 'complete message' });
    w.close();
    const path = join(dir, 'torn.jsonl');
    appendFileSync(path, '{"t":"assistant","id":"a1","at":2,"text":"half a li');
    const r = readTranscript(path);
    expect(r.torn).toMatchObject({ line: 3, recovered: false });
    expect(r.messages.map((m) => m.text)).toEqual(['complete message']);
    expect(damageReport(r).join('\n')).toMatch(/last line \(3, \d+ bytes\) is torn/);
    expect(listConversations(dir)[0]).toMatchObject({ id: 'torn', damaged: true });
    // the writer that resumes closes the torn line and says so in the file
    const w2 = TranscriptWriter.open(dir, 'torn');
    w2.append({ t: 'user', id: 'u2', at: 3, text: 'after the tear' });
    w2.close();
    const r2 = readTranscript(path);
    expect(r2.torn).toBeUndefined();
    expect(r2.corrupt).toMatchObject([{ line: 3 }]);
    expect(r2.notes.map((n) => n.kind)).toContain('torn');
    expect(r2.messages.map((m) => m.text)).toEqual(['complete message', 'after the tear']);
    expect(damageReport(r2).join('\n')).toMatch(/line 3 is unreadable/);
  });

  it('lists, searches and builds the model history (a cut partial joined to its continuation; a regenerated reply supersedes)', () => {
    const dir = tempDir();
    const w = TranscriptWriter.open(dir, 'old');
    w.append({ t: 'user', id: 'u1', at: 1, text: 'What is ZFS?' });
    w.append({ t: 'assistant', id: 'a1', at: 2, text: 'A file system ', partial: true, reason: 'cut', provider: 'a' });
    w.append({ t: 'assistant', id: 'a2', at: 3, text: 'with pools.', continues: 'a1', provider: 'b' });
    w.append({ t: 'user', id: 'u2', at: 4, text: 'And NUMA?' });
    w.append({ t: 'assistant', id: 'a3', at: 5, text: 'first try', provider: 'b' });
    w.append({ t: 'assistant', id: 'a4', at: 6, text: 'Non-uniform memory access.', provider: 'b' });
    w.close();
    const w2 = TranscriptWriter.open(dir, 'new');
    w2.append({ t: 'user', id: 'x', at: 7, text: 'unrelated' });
    w2.close();
    const list = listConversations(dir);
    expect(list.map((c) => c.id).sort()).toEqual(['new', 'old']);
    expect(list.find((c) => c.id === 'old')).toMatchObject({ title: 'What is ZFS?', messages: 6, partials: 1 });
    const hits = searchConversations(dir, 'numa');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ id: 'old', messageId: 'u2', role: 'user' });
    const h = historyFor(readTranscript(join(dir, 'old.jsonl')).messages, 'sys');
    expect(h).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'What is ZFS?' },
      { role: 'assistant', content: 'A file system with pools.' },
      { role: 'user', content: 'And NUMA?' },
      { role: 'assistant', content: 'Non-uniform memory access.' },
    ]);
  });

  it('kill -9 mid-stream: every completed message is there, the partial is marked partial, resume works', async () => {
    const fast = await sim({ tokensPerSec: 0, replyText: 'the first answer is complete' });
    const slow = await sim({ tokensPerSec: 40, replyTokens: 5000 });
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/chat/kill-child.ts'), dir, 'killed', fast.url, slow.url], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child.pid!);
    let out = '';
    let errOut = '';
    child.stderr.on('data', (c: Buffer) => { errOut += c.toString(); });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('STREAMING')) resolve(); });
      child.on('exit', (code) => reject(new Error(`child exited (${code}) before streaming: ${out} ${errOut}`)));
    });
    await new Promise((r) => setTimeout(r, 250));
    process.kill(child.pid!, 'SIGKILL');
    await new Promise<void>((r) => { if (child.exitCode !== null || child.signalCode !== null) r(); else child.on('exit', () => r()); });
    expect(child.signalCode).toBe('SIGKILL');

    const path = join(dir, 'killed.jsonl');
    const t = readTranscript(path);
    expect(t.torn).toBeUndefined(); // every append is one write of one whole line
    expect(t.messages.map((m) => [m.role, m.partial ?? false])).toEqual([['user', false], ['assistant', false], ['user', false], ['assistant', true]]);
    expect(t.messages[1]!.text).toBe('the first answer is complete');
    const partial = t.messages[3]!;
    expect(partial.interrupted).toBe(true);
    expect(partial.text.trim().split(' ').length).toBeGreaterThanOrEqual(10);
    expect(partial.provider).toBe('slow');
    expect(existsSync(join(dir, 'killed.lock'))).toBe(true); // the dead writer's lock…

    // …is taken over on resume; the session shows the conversation and says what was cut
    const s = createChatSession({ providers: [], dir, resumeId: 'killed' });
    const st = s.getState();
    expect(st.messages.filter((m) => m.role !== 'note').map((m) => m.text)).toEqual(t.messages.map((m) => m.text));
    expect(st.messages.some((m) => m.role === 'note' && /cut when sov stopped mid-stream/.test(m.text))).toBe(true);
    s.dispose();
    await s.idle();
  });
});
