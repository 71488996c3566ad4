// The client against the real simulated engine over real HTTP on 127.0.0.1 (and small loopback servers for shapes
// the sim does not make). No timing assertions: timeouts are short only so that the tests end quickly.
import { afterEach, describe, expect, it } from 'vitest';
import type { LookupFunction } from 'node:net';
import { listModels, parseRetryAfter, streamChat } from '../../src/chat/client.js';
import { renderMarkdown } from '../../src/chat/markdown.js';
import { cleanup, refusedPort, server, sim } from './helpers.js';

afterEach(cleanup);

const ask = [{ role: 'user' as const, content: 'say something' }];

describe('streamChat against the sim engine', () => {
  it('streams a reply, with figures', async () => {
    const e = await sim({ tokensPerSec: 0, replyTokens: 40 });
    const pieces: string[] = [];
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask, onToken: (t) => pieces.push(t) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.text).toBe(pieces.join(''));
    expect(r.text.split(' ')).toHaveLength(40);
    expect(r.finishReason).toBe('stop');
    expect(r.tokens).toBe(40);
    expect(r.ttftMs).toBeGreaterThanOrEqual(0);
    expect(r.model).toContain('sim-shaped');
    expect(pieces.length).toBeGreaterThan(1);
  });

  it('reads a non-streamed completion', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'one two three' });
    const pieces: string[] = [];
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask, stream: false, onToken: (t) => pieces.push(t) });
    expect(r.ok && r.text).toBe('one two three');
    expect(pieces).toEqual(['one two three']);
    expect(r.tokens).toBe(3);
  });

  it('cancel mid-stream keeps what arrived and closes the request', async () => {
    const e = await sim({ tokensPerSec: 40, replyTokens: 2000 });
    const ac = new AbortController();
    let n = 0;
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask, signal: ac.signal, onToken: () => { if (++n === 3) ac.abort(); } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('cancelled');
    expect(r.partial.split(' ').length).toBeGreaterThanOrEqual(3);
    await new Promise((res) => setTimeout(res, 100));
    expect(e.stats.running).toBe(0);
  });

  it('429 carries Retry-After', async () => {
    const e = await sim({ failFirst: 1, failStatus: 429, retryAfterS: 7 });
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask });
    expect(!r.ok && r.error).toMatchObject({ kind: 'http-429', status: 429, retryAfterMs: 7000 });
    expect(!r.ok && r.error.message).toMatch(/Too many requests/);
  });

  it('503 and 500 are http-5xx with the server message', async () => {
    const a = await sim({ failFirst: 1, failStatus: 503 });
    const r1 = await streamChat({ baseUrl: `${a.url}/v1`, messages: ask });
    expect(!r1.ok && r1.error).toMatchObject({ kind: 'http-5xx', status: 503 });
    expect(!r1.ok && r1.error.message).toMatch(/no slot available/);
    const b = await sim({ failFirst: 1, failStatus: 500 });
    const r2 = await streamChat({ baseUrl: `${b.url}/v1`, messages: ask });
    expect(!r2.ok && r2.error).toMatchObject({ kind: 'http-5xx', status: 500 });
  });

  it('a model still loading (503) is http-5xx', async () => {
    const e = await sim({ loadMs: 60_000 });
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask });
    expect(!r.ok && r.error.kind).toBe('http-5xx');
    expect(!r.ok && r.error.message).toMatch(/Loading model/);
  });

  it('hang before the first token → first-token-timeout; a server that never answers too', async () => {
    const e = await sim({ hangBeforeFirstTokenMs: 10_000 });
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask, firstTokenTimeoutMs: 300 });
    expect(!r.ok && r.error.kind).toBe('first-token-timeout');
    const h = await sim({ hang: true });
    const r2 = await streamChat({ baseUrl: `${h.url}/v1`, messages: ask, firstTokenTimeoutMs: 300, stream: false });
    expect(!r2.ok && r2.error.kind).toBe('first-token-timeout');
  });

  it('a stream cut mid-way is `cut` with the partial kept', async () => {
    const e = await sim({ tokensPerSec: 0, replyTokens: 50, cutAfterTokens: 7 });
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask });
    expect(!r.ok && r.error.kind).toBe('cut');
    expect(!r.ok && r.partial.trim().split(' ')).toHaveLength(7);
  });

  it('a refused port is `refused`', async () => {
    const port = await refusedPort();
    const r = await streamChat({ baseUrl: `http://127.0.0.1:${port}/v1`, messages: ask });
    expect(!r.ok && r.error.kind).toBe('refused');
    expect(!r.ok && r.error.message).toMatch(/connection refused/);
  });

  it('an injected DNS failure is `dns`; the system resolver is never asked', async () => {
    const asked: string[] = [];
    const lookup = ((host: string, _o: unknown, cb: (e: NodeJS.ErrnoException | null, a?: string, f?: number) => void) => {
      asked.push(host);
      cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    }) as unknown as LookupFunction;
    const r = await streamChat({ baseUrl: 'http://llm.example.invalid:8080/v1', messages: ask, lookup });
    expect(!r.ok && r.error.kind).toBe('dns');
    expect(!r.ok && r.error.message).toMatch(/llm\.example\.invalid.*ENOTFOUND/);
    expect(asked).toEqual(['llm.example.invalid']);
  });

  it('localhost answers without a resolver', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'hi' });
    const lookup = (() => { throw new Error('the resolver must not be asked for localhost'); }) as unknown as LookupFunction;
    const r = await streamChat({ baseUrl: `http://localhost:${e.port}/v1`, messages: ask, lookup });
    expect(r.ok && r.text).toBe('hi');
  });

  it('a slow 2 tok/s stream and a fast 2000 tok/s stream both complete', async () => {
    const slow = await sim({ tokensPerSec: 2, replyTokens: 3 });
    const r1 = await streamChat({ baseUrl: `${slow.url}/v1`, messages: ask });
    expect(r1.ok && r1.tokens).toBe(3);
    const fast = await sim({ tokensPerSec: 2000, replyTokens: 2000 });
    let streamed = '';
    const r2 = await streamChat({ baseUrl: `${fast.url}/v1`, messages: ask, onToken: (t) => { streamed += t; } });
    expect(r2.ok).toBe(true);
    // the pieces may be regrouped (the redaction holds back what could start a key), never changed
    expect(r2.ok && r2.tokens).toBe(2000);
    expect(r2.ok && streamed).toBe(r2.ok && r2.text);
    expect(r2.ok && r2.text.split(' ')).toHaveLength(2000);
  });

  it('an HTML page instead of JSON is a clear bad-response (200) or http-5xx (502)', async () => {
    const ui = await sim({ htmlStatus: 200 });
    const r = await streamChat({ baseUrl: `${ui.url}/v1`, messages: ask });
    expect(!r.ok && r.error.kind).toBe('bad-response');
    expect(!r.ok && r.error.message).toMatch(/HTML page.*not JSON/);
    const proxy = await sim({ htmlStatus: 502 });
    const r2 = await streamChat({ baseUrl: `${proxy.url}/v1`, messages: ask });
    expect(!r2.ok && r2.error).toMatchObject({ kind: 'http-5xx', status: 502 });
    expect(!r2.ok && r2.error.message).toMatch(/HTML page.*502 Bad Gateway/);
    const m = await listModels({ baseUrl: `${ui.url}/v1` });
    expect(!m.ok && m.error.message).toMatch(/HTML page/);
  });

  it('malformed SSE lines are reported and the rest of the reply is kept', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'alpha beta gamma', malformedSse: true });
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask });
    expect(r.ok).toBe(true);
    expect(r.ok && r.text).toBe('alpha beta gamma');
    expect(r.warnings.join('\n')).toMatch(/malformed line/);
    expect(r.warnings.join('\n')).toMatch(/not JSON/);
  });

  it('a 10 MB reply, streamed and not, arrives whole', async () => {
    const word = 'x'.repeat(999);
    const replyText = Array.from({ length: 10_000 }, () => word).join(' ');
    const e = await sim({ tokensPerSec: 0, replyText });
    let chars = 0;
    const maxReplyBytes = 16 * 1024 * 1024; // above the 4 MiB default
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask, maxReplyBytes, onToken: (t) => { chars += t.length; } });
    expect(r.ok).toBe(true);
    expect(chars).toBe(replyText.length);
    expect(r.ok && r.text.length).toBe(replyText.length);
    expect(r.ok && r.truncated).toBeUndefined();
    const r2 = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask, stream: false, maxReplyBytes });
    expect(r2.ok && r2.text.length).toBe(replyText.length);
  });

  it('escape sequences arrive raw and are stripped from every rendered line', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'hello from the model', escapes: true });
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask });
    expect(r.ok && r.text).toContain('\u001b]0;');
    const lines = renderMarkdown(r.ok ? r.text : '', 80);
    const joined = lines.join('\n');
    expect(joined).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(joined).not.toContain('owned-by-the-model');
    expect(joined).toContain('hello from the model');
  });

  it('an empty model list is a clear message; a full one lists the ids', async () => {
    const empty = await server((_req, _b, res) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"object":"list","data":[]}'); });
    const r = await listModels({ baseUrl: `${empty}/v1` });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/lists no models.*set `model:`/);
    const e = await sim({ model: 'qwen3-8b' });
    const r2 = await listModels({ baseUrl: `${e.url}/v1` });
    expect(r2.ok && r2.ids).toEqual(['qwen3-8b']);
  });

  it('a JSON error body on 200 and a body that is neither JSON nor SSE are bad-response', async () => {
    const odd = await server((req, _b, res) => {
      if (req.url?.includes('odd')) { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('hello, I am not an API'); return; }
      res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"error":{"message":"model not loaded"}}');
    });
    const r = await streamChat({ baseUrl: `${odd}/v1`, messages: ask });
    expect(!r.ok && r.error).toMatchObject({ kind: 'bad-response' });
    expect(!r.ok && r.error.message).toMatch(/model not loaded/);
    const r2 = await streamChat({ baseUrl: `${odd}/odd`, messages: ask });
    expect(!r2.ok && r2.error.kind).toBe('bad-response');
  });

  it('the API key goes in the Authorization header only', async () => {
    const { Secret } = await import('../../src/chat/providers.js');
    const e = await sim({ apiKey: 'sk-test-123', tokensPerSec: 0, replyText: 'authorised' });
    const no = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask });
    expect(!no.ok && no.error).toMatchObject({ kind: 'http-4xx', status: 401 });
    const key = new Secret('sk-test-123');
    const yes = await streamChat({ baseUrl: `${e.url}/v1`, messages: ask, apiKey: key });
    expect(yes.ok && yes.text).toBe('authorised');
    expect(JSON.stringify({ key })).not.toContain('sk-test');
    expect(String(key)).not.toContain('sk-test');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
