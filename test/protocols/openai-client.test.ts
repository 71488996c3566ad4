// THE OpenAI client against the simulated llama.cpp server over real HTTP on 127.0.0.1: a stream that ends
// cleanly without [DONE] and without a finish_reason is a cut stream (the partial kept, the chain goes on, as for
// a reset), and the bench, which streams through the same client, counts it as a failed request.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTINUE_PROMPT, runChain, type ChainEvent } from '../../src/chat/chain.js';
import { benchRequest } from '../../src/engines/bench.js';
import { parseSimArgs } from '../../src/demo/engine.js';
import { streamChat } from '../../src/protocols/openai-client.js';
import { parseSseChunk } from '../../src/protocols/sse.js';
import { cleanup, local, recordingProxy, sim } from '../chat/helpers.js';

afterEach(cleanup);

const messages = [{ role: 'user' as const, content: 'tell me something' }];
const REPLY = 'one two three four five six seven eight';

/** the raw answer: status, body, and whether the response ended as framed (not reset) */
function post(url: string, body: unknown): Promise<{ status: number; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, complete: res.complete }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('the simulated engine ends a stream cleanly without [DONE] or a finish reason (--end-after-tokens)', () => {
  it('the response ends as framed, after K tokens, with no [DONE] and no finish_reason', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: REPLY, endAfterTokens: 3 });
    const r = await post(e.url, { messages, stream: true });
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    const events = parseSseChunk(r.body);
    expect(events.some((ev) => 'done' in ev && ev.done)).toBe(false);
    expect(r.body).not.toMatch(/"finish_reason":"(stop|length)"/);
    expect(events.filter((ev) => 'data' in ev && /"content":"[^"]/.test(ev.data))).toHaveLength(3);
    expect(e.stats.generatedTokens).toBe(3);
  });

  it('is a flag of the simulated engine', () => {
    expect(parseSimArgs(['--end-after-tokens', '3'])).toMatchObject({ opts: { endAfterTokens: 3 } });
  });
});

describe('the cut-stream rule, through THE client', () => {
  it('streamChat: not ok, kind cut, the partial kept (today it was taken as a finished answer)', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: REPLY, endAfterTokens: 3 });
    const pieces: string[] = [];
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages, onToken: (t) => pieces.push(t) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('cut');
    expect(r.error.message).toMatch(/without \[DONE\] or a finish reason/);
    expect(r.partial).toBe('one two three');
    expect(pieces.join('')).toBe('one two three');
    expect(r).toMatchObject({ tokens: 3, tokensFrom: 'chunks' });
  });

  it('the same engine without the knob: a finished answer, figures said where they came from', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: REPLY });
    const r = await streamChat({ baseUrl: `${e.url}/v1`, messages });
    expect(r.ok).toBe(true);
    expect(r).toMatchObject({ tokens: 8, tokensFrom: 'usage', tokPerSecFrom: 'timings', finishReason: 'stop' });
    expect(r.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it('the chain keeps the partial and the next provider continues it, as for a reset', async () => {
    const a = await sim({ tokensPerSec: 0, replyText: REPLY, endAfterTokens: 4 });
    const b = await sim({ tokensPerSec: 0, replyText: ' five six seven eight' });
    const pb = await recordingProxy(b.url);
    const events: ChainEvent[] = [];
    const out = await runChain({ chain: [local('a', a.url), local('b', pb.url)], messages, onEvent: (ev) => events.push(ev) });
    expect(out.type).toBe('done');
    if (out.type !== 'done') return;
    expect(out.provider).toBe('b');
    expect(out.prefix + out.text).toBe(REPLY);
    expect(out.tokPerSecFrom).toBe('timings');
    expect(out.skipped).toMatchObject([{ provider: 'a', kind: 'cut' }]);
    expect(events.find((ev) => ev.type === 'partial')).toMatchObject({ provider: 'a', text: 'one two three four' });
    expect(events.find((ev) => ev.type === 'switch')).toMatchObject({ from: 'a', to: 'b', withPartial: true });
    const sent = pb.bodies.find((x) => typeof x === 'object' && x !== null && 'messages' in x) as { messages: { role: string; content: string }[] };
    expect(sent.messages.slice(1)).toEqual([{ role: 'assistant', content: 'one two three four' }, { role: 'user', content: CONTINUE_PROMPT }]);
  });
});

describe('the bench streams through the same client', () => {
  it('a cut stream is a failed request with the reason; a whole one is measured by the shared figures', async () => {
    const cut = await sim({ tokensPerSec: 0, replyText: REPLY, endAfterTokens: 2 });
    const bad = await benchRequest({ baseUrl: `${cut.url}/v1`, model: 'm', prompt: 'p', maxTokens: 16, timeoutMs: 10_000, now: () => performance.now() });
    expect(bad.error).toMatch(/without \[DONE\] or a finish reason/);
    expect(bad.completionTokens).toBe(2);
    const ok = await sim({ tokensPerSec: 500, replyTokens: 20 });
    const good = await benchRequest({ baseUrl: `${ok.url}/v1`, model: 'm', prompt: 'p', maxTokens: 16, timeoutMs: 10_000, now: () => performance.now() });
    expect(good.error).toBeUndefined();
    expect(good).toMatchObject({ completionTokens: 16, genFrom: 'timings', predictedN: 16 });
    expect(good.genTokPerSec).toBeGreaterThan(0);
    expect(good.genMs).toBeGreaterThan(0);
  });

  it('a request past its deadline says so', async () => {
    const e = await sim({ hangBeforeFirstTokenMs: 10_000 });
    const r = await benchRequest({ baseUrl: `${e.url}/v1`, model: 'm', prompt: 'p', maxTokens: 4, timeoutMs: 300, now: () => performance.now() });
    expect(r.error).toMatch(/no first token within 300 ms|no complete answer within/);
    expect(r.completionTokens).toBe(0);
  });
});
