// `sov chat` headless with injected io: exit codes 0 / 2 / 3, NDJSON events, stdin prompts, transcripts, keys.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runChatCli } from '../../src/cli/chat.js';
import { readTranscript } from '../../src/chat/transcript.js';
import { cleanup, refusedPort, sim, tempDir } from './helpers.js';

afterEach(cleanup);

interface Run { code: number; out: string; err: string }

async function chat(argv: string[], env: NodeJS.ProcessEnv, stdin = '', extra: { lookup?: LookupFunction } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runChatCli(argv, {
    env, stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]),
    stdout: { write: (s: string) => { out += s; return true; } }, stderr: { write: (s: string) => { err += s; return true; } }, ...extra,
  });
  return { code, out, err };
}

function setup(yaml: string): { env: NodeJS.ProcessEnv; config: string; chats: string } {
  const home = tempDir('sov-chat-home-');
  const config = join(home, 'config.yaml');
  writeFileSync(config, yaml);
  return { env: { HOME: home, XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'cfg') }, config, chats: join(home, 'state', 'sov', 'chats') };
}

const parseNdjson = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('sov chat (headless)', () => {
  it('answers: 0, the reply on stdout, the figures on stderr, the conversation in its transcript', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'Hello from the engine.' });
    const s = setup(`engines:\n  - {name: llama, kind: process, argv: [llama-server], openai: "${e.url}/v1"}\nproviders:\n  - {name: local, engine: llama, model: sim}\n`);
    const r = await chat(['--config', s.config, 'say hello'], s.env);
    expect(r.code).toBe(0);
    expect(r.out).toBe('Hello from the engine.\n');
    expect(r.err).toMatch(/local · \S*sim-shaped.* · TTFT \d+ ms · [\d.]+ tok\/s · 4 tokens · conversation \S+/);
    const files = readdirSync(s.chats).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const t = readTranscript(join(s.chats, files[0]!));
    expect(t.messages.map((m) => [m.role, m.text])).toEqual([['user', 'say hello'], ['assistant', 'Hello from the engine.']]);
    // --list, --search, --resume print it back
    const list = await chat(['--list'], s.env);
    expect(list.out).toContain('say hello');
    const found = await chat(['--search', 'HELLO', '--json'], s.env);
    expect(parseNdjson(found.out)[0]).toMatchObject({ type: 'search', hits: [{ role: 'user' }, { role: 'assistant' }] });
    const resumed = await chat(['--resume'], s.env);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('Hello from the engine.');
  });

  it('--json: a reply quoting an Authorization header gives NDJSON that parses, the key redacted in it and in the transcript', async () => {
    const reply = 'run: curl -H "Authorization: Bearer sk-abcdef123456" http://x';
    const e = await sim({ tokensPerSec: 0, replyText: reply });
    const s = setup(`engines:\n  - {name: llama, kind: process, argv: [llama-server], openai: "${e.url}/v1"}\nproviders:\n  - {name: local, engine: llama, model: sim}\n`);
    const r = await chat(['--config', s.config, '--json', 'how?'], s.env);
    expect(r.code).toBe(0);
    const events = parseNdjson(r.out);
    expect(r.out).not.toContain('sk-abcdef123456');
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    const files = readdirSync(s.chats).filter((f) => f.endsWith('.jsonl'));
    const t = readTranscript(join(s.chats, files[0]!));
    expect(t.messages[1]!.text).toBe('run: curl -H "Authorization: Bearer [redacted]" http://x');
    const shown = await chat(['--resume', '--json'], s.env);
    expect(parseNdjson(shown.out)[0]).toMatchObject({ type: 'conversation', messages: [{ text: 'how?' }, { text: 'run: curl -H "Authorization: Bearer [redacted]" http://x' }] });
  });

  it('--json: NDJSON events that parse, ending with done and its figures; the prompt may come on stdin', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'one two three', escapes: true });
    const home = tempDir();
    const r = await chat(['--base-url', `${e.url}/v1`, '--json', '--model', 'sim'], { HOME: home, XDG_STATE_HOME: home }, 'from stdin\n');
    expect(r.code).toBe(0);
    const events = parseNdjson(r.out);
    expect(events[0]).toMatchObject({ type: 'start', chain: ['127.0.0.1'], offline: false });
    expect(events[1]).toMatchObject({ type: 'provider', provider: '127.0.0.1', loopback: true });
    const tokens = events.filter((x) => x.type === 'token');
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    // token text is sanitized (a script printing it cannot be driven by the model); the transcript keeps the raw
    expect(tokens.map((x) => x.text).join('')).toBe('one two three ');
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', provider: '127.0.0.1', skipped: [] });
    expect(typeof done.ttftMs).toBe('number');
    expect(done.tokens).toBeGreaterThan(0);
    const t = readTranscript(join(home, 'sov', 'chats', `${String(events[0]!.conversation)}.jsonl`));
    expect(t.messages[0]!.text).toBe('from stdin');
  });

  it('text output never carries the model\'s escape sequences', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'plain words here', escapes: true });
    const home = tempDir();
    const r = await chat(['--base-url', `${e.url}/v1`, '--no-save', 'hi'], { HOME: home, XDG_STATE_HOME: home });
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(r.out).toContain('plain words here');
  });

  it('every provider failed: 3, with each reason', async () => {
    const port = await refusedPort();
    const e = await sim({ failFirst: 9, failStatus: 503 });
    const s = setup(`providers:\n  - {name: gone, baseUrl: "http://127.0.0.1:${port}/v1", model: m}\n  - {name: busy, baseUrl: "${e.url}/v1", model: m}\n  - {name: cloud, baseUrl: "https://api.example.invalid/v1", model: m}\n`);
    const lookup = ((host: string, _o: unknown, cb: (e: NodeJS.ErrnoException) => void) => cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }))) as unknown as LookupFunction;
    const r = await chat(['--config', s.config, 'anyone?'], s.env, '', { lookup });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/every provider failed:\n {2}gone: connection refused[^\n]*\n {2}busy: HTTP 503[^\n]*\n {2}cloud: DNS lookup for api\.example\.invalid failed \(ENOTFOUND\)/);
    const j = await chat(['--config', s.config, '--json', 'anyone?'], s.env, '', { lookup });
    expect(j.code).toBe(3);
    expect(parseNdjson(j.out).at(-1)).toMatchObject({ type: 'failed', reasons: [{ provider: 'gone', kind: 'refused' }, { provider: 'busy', kind: 'http-5xx' }, { provider: 'cloud', kind: 'dns' }] });
  });

  it('--offline: remote providers are not tried; with none local, 3', async () => {
    const s = setup('providers:\n  - {name: cloud, baseUrl: "https://api.example.invalid/v1", model: m}\n');
    const lookup = (() => { throw new Error('blackout must not resolve anything'); }) as unknown as LookupFunction;
    const r = await chat(['--config', s.config, '--offline', 'hi'], s.env, '', { lookup });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cloud: blackout: not a loopback provider/);
  });

  it('bad arguments: 2', async () => {
    const s = setup('providers: []\n');
    expect((await chat(['--bogus', 'x'], s.env)).code).toBe(2);
    expect((await chat(['--config', s.config], s.env)).code).toBe(2); // no prompt
    expect((await chat(['--config', s.config, 'x'], s.env)).err).toMatch(/no providers/);
    const e = await sim();
    const s2 = setup(`providers:\n  - {name: a, baseUrl: "${e.url}/v1"}\n`);
    const r = await chat(['--config', s2.config, '--provider', 'nope', 'x'], s2.env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no provider named "nope" \(known: a\)/);
    expect((await chat(['--base-url', 'not a url', 'x'], s.env)).code).toBe(2);
    expect((await chat(['--resume=nope', 'x'], s.env)).code).toBe(2);
    expect((await chat(['--help'], s.env)).code).toBe(0);
    const bad = setup('providers: [{name: a}]\n');
    const rb = await chat(['--config', bad.config, 'x'], bad.env);
    expect(rb.code).toBe(7);
    expect(rb.err).toMatch(/config .* is invalid/);
  });

  it('the API key never reaches the transcript, stdout or stderr; an open key file is refused', async () => {
    const key = 'sk-VERY-SECRET-0123456789';
    const e = await sim({ apiKey: key, tokensPerSec: 0, replyText: 'authorised reply' });
    const s = setup(`providers:\n  - {name: cloud, baseUrl: "${e.url}/v1", model: m, apiKeyEnv: CLOUD_KEY}\n`);
    const r = await chat(['--config', s.config, '--json', 'secret handshake'], { ...s.env, CLOUD_KEY: key });
    expect(r.code).toBe(0);
    expect(r.out).toContain('authorised');
    expect(r.out + r.err).not.toContain(key);
    for (const f of readdirSync(s.chats)) expect(readFileSync(join(s.chats, f), 'utf8')).not.toContain(key);

    const keyFile = join(s.env.HOME!, 'key');
    writeFileSync(keyFile, key, { mode: 0o644 });
    const s2 = setup(`providers:\n  - {name: cloud, baseUrl: "${e.url}/v1", model: m, apiKeyFile: "${keyFile}"}\n`);
    const r2 = await chat(['--config', s2.config, 'x'], s2.env);
    expect(r2.code).toBe(3);
    expect(r2.err).toMatch(/refusing the key file .* chmod 600/);
    expect(r2.out + r2.err).not.toContain(key);
  });

  it('--resume ID continues a conversation with its history', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'noted' });
    const home = tempDir();
    const env = { HOME: home, XDG_STATE_HOME: home };
    const first = await chat(['--base-url', `${e.url}/v1`, '--json', 'remember 42'], env);
    const id = String(parseNdjson(first.out)[0]!.conversation);
    const second = await chat(['--base-url', `${e.url}/v1`, '--resume', id, 'what number?'], env);
    expect(second.code).toBe(0);
    const t = readTranscript(join(home, 'sov', 'chats', `${id}.jsonl`));
    expect(t.messages.map((m) => m.text)).toEqual(['remember 42', 'noted', 'what number?', 'noted']);
    expect(e.stats.promptTokens).toBeGreaterThan(0);
  });
});
