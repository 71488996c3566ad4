// The OpenAI stream's rules as event sequences (no sockets, no clock): the cut-stream rule, the reply's state,
// and THE figures (TTFT, tok/s, from usage / timings / counted chunks, said which).
import { describe, expect, it } from 'vitest';
import {
  chatRequestBody, newStreamState, streamFigures, streamStep, streamVerdict, type StreamInput, type StreamState,
} from '../../src/protocols/openai.js';

const content = (text: string, atMs: number, extra: Record<string, unknown> = {}): StreamInput =>
  ({ type: 'data', atMs, data: JSON.stringify({ model: 'm', choices: [{ index: 0, delta: { content: text }, finish_reason: null }], ...extra }) });
const finish = (reason: string, atMs: number): StreamInput =>
  ({ type: 'data', atMs, data: JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: reason }] }) });
const usage = (completion: number, atMs: number): StreamInput =>
  ({ type: 'data', atMs, data: JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: completion, total_tokens: 7 + completion } }) });
const DONE: StreamInput = { type: 'done' };

/** feeds the events; returns the state, the text, and the content pieces (as the client counts them) */
function run(events: StreamInput[]): { st: StreamState; text: string; pieces: number } {
  const st = newStreamState();
  let text = '';
  let pieces = 0;
  for (const e of events) { const d = streamStep(st, e); if (d !== '') { text += d; pieces++; } }
  return { st, text, pieces };
}

describe('the cut-stream rule', () => {
  it('content, finish_reason and [DONE]: finished', () => {
    const { st, text, pieces } = run([content('Hel', 10), content('lo', 20), finish('stop', 30), DONE]);
    expect(text).toBe('Hello');
    expect(streamVerdict(st, true, pieces)).toEqual({ ok: true });
    expect(st.finishReason).toBe('stop');
  });

  it('a finish_reason without [DONE], or [DONE] without a finish_reason: finished (servers differ)', () => {
    const a = run([content('a', 1), finish('length', 2)]);
    expect(streamVerdict(a.st, true, a.pieces).ok).toBe(true);
    const b = run([content('a', 1), DONE]);
    expect(streamVerdict(b.st, true, b.pieces).ok).toBe(true);
  });

  it('a response that ends cleanly with neither [DONE] nor a finish_reason is CUT, the partial counted', () => {
    const { st, text, pieces } = run([content('half an ', 1), content('answer', 2)]);
    expect(text).toBe('half an answer');
    const v = streamVerdict(st, true, pieces);
    expect(v).toMatchObject({ ok: false, kind: 'cut' });
    expect(!v.ok && v.message).toMatch(/after 2 tokens without \[DONE\] or a finish reason/);
  });

  it('usage alone does not finish a stream; a null finish_reason is no finish_reason', () => {
    const { st, pieces } = run([content('x', 1), usage(1, 2)]);
    expect(streamVerdict(st, true, pieces)).toMatchObject({ ok: false, kind: 'cut' });
  });

  it('a socket closed early is cut even after a finish_reason', () => {
    const { st, pieces } = run([content('x', 1), finish('stop', 2)]);
    expect(streamVerdict(st, false, pieces)).toMatchObject({ ok: false, kind: 'cut' });
  });

  it('nothing at all: a bad answer, not a partial', () => {
    const { st, pieces } = run([]);
    expect(streamVerdict(st, true, pieces)).toMatchObject({ ok: false, kind: 'bad-response' });
    const m = run([{ type: 'malformed', reason: 'malformed line 1: "garbage"' }, { type: 'data', data: 'not json', atMs: 1 }]);
    expect(streamVerdict(m.st, true, m.pieces)).toMatchObject({ ok: false, kind: 'bad-response' });
    expect(m.st.malformed).toBe(2);
    expect(m.st.warnings).toHaveLength(2);
  });

  it('an error object in the stream: cut after content, a bad answer before', () => {
    const err: StreamInput = { type: 'data', atMs: 3, data: '{"error":{"code":500,"message":"slot crashed","type":"server_error"}}' };
    const a = run([content('x', 1), err, DONE]);
    expect(streamVerdict(a.st, true, a.pieces)).toMatchObject({ ok: false, kind: 'cut', message: expect.stringMatching(/slot crashed/) });
    const b = run([err, DONE]);
    expect(streamVerdict(b.st, true, b.pieces)).toMatchObject({ ok: false, kind: 'bad-response' });
  });

  it('warnings are bounded whatever the stream holds', () => {
    const { st } = run(Array.from({ length: 500 }, (): StreamInput => ({ type: 'malformed', reason: 'bad' })));
    expect(st.malformed).toBe(500);
    expect(st.warnings.length).toBeLessThanOrEqual(20);
  });
});

describe('THE figures', () => {
  it('TTFT from the request to the first chunk; tok/s from usage over first → last chunk, said so', () => {
    const { st } = run([content('a', 150), content('b', 250), content('c', 350), finish('stop', 360), usage(11, 370), DONE]);
    const f = streamFigures({ startMs: 100, firstMs: st.firstMs, lastMs: st.lastMs, chunks: st.chunks, usage: st.usage, timings: st.timings });
    expect(f.ttftMs).toBe(50);
    expect(f.genMs).toBe(200);
    expect(f).toMatchObject({ tokens: 11, tokensFrom: 'usage', tokPerSecFrom: 'usage' });
    expect(f.tokPerSec).toBeCloseTo((10 * 1000) / 200);
  });

  it('without usage: counted chunks, said so', () => {
    const { st } = run([content('a', 0), content('b', 100), content('c', 200), DONE]);
    const f = streamFigures({ startMs: 0, firstMs: st.firstMs, lastMs: st.lastMs, chunks: st.chunks });
    expect(f).toMatchObject({ tokens: 3, tokensFrom: 'chunks', tokPerSecFrom: 'chunks', ttftMs: 0 });
    expect(f.tokPerSec).toBeCloseTo(10);
  });

  it("llama.cpp's timings win for tok/s (the engine's own clock); prompt tok/s comes only from them", () => {
    const timings = { predicted_n: 40, predicted_ms: 500, prompt_n: 100, prompt_ms: 50 };
    const { st } = run([content('a', 10), content('b', 20), { type: 'data', atMs: 30, data: JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }], timings }) }, DONE]);
    const f = streamFigures({ startMs: 0, firstMs: st.firstMs, lastMs: st.lastMs, chunks: st.chunks, usage: st.usage, timings: st.timings });
    expect(f).toMatchObject({ tokPerSec: 80, tokPerSecFrom: 'timings', promptTokPerSec: 2000, tokens: 2, tokensFrom: 'chunks' });
  });

  it('reasoning chunks count for TTFT and the rate but add no text', () => {
    const think: StreamInput = { type: 'data', atMs: 40, data: JSON.stringify({ choices: [{ delta: { reasoning_content: 'hmm' } }] }) };
    const { st, text } = run([think, content('ok', 90), DONE]);
    expect(text).toBe('ok');
    expect(st.chunks).toBe(2);
    expect(streamFigures({ startMs: 0, firstMs: st.firstMs, lastMs: st.lastMs, chunks: st.chunks }).ttftMs).toBe(40);
  });

  it('one chunk, no time between chunks, or nothing: no tok/s rather than a made-up one', () => {
    expect(streamFigures({ startMs: 0, firstMs: 5, lastMs: 5, chunks: 1 }).tokPerSec).toBeUndefined();
    expect(streamFigures({ startMs: 0, firstMs: 5, lastMs: 5, chunks: 9, usage: { completionTokens: 9 } }).tokPerSec).toBeUndefined();
    const none = streamFigures({ startMs: 0, chunks: 0 });
    expect(none).toEqual({ tokens: 0, tokensFrom: 'chunks' });
    const backwards = streamFigures({ startMs: 10, firstMs: 5, lastMs: 1, chunks: 2 });
    expect(backwards.ttftMs).toBe(0);
    expect(backwards.genMs).toBeUndefined();
    expect(backwards.tokPerSec).toBeUndefined();
  });
});

describe('the request body', () => {
  it('streams ask for the usage chunk; optional fields only when set', () => {
    const msgs = [{ role: 'user' as const, content: 'hi' }];
    expect(JSON.parse(chatRequestBody({ messages: msgs, stream: true, model: 'm', maxTokens: 5, temperature: 0 }))).toEqual({
      messages: msgs, stream: true, model: 'm', stream_options: { include_usage: true }, max_tokens: 5, temperature: 0,
    });
    expect(JSON.parse(chatRequestBody({ messages: msgs, stream: false }))).toEqual({ messages: msgs, stream: false });
  });
});
