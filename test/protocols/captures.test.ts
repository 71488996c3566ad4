// The protocol parsers on real llama.cpp captures (../shared/samples/engines), and 300 mutations of each (no parser throws).
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../../src/protocols/errors.js';
import { parseHealth, parseModels } from '../../src/protocols/health.js';
import { parseChatChunk } from '../../src/protocols/openai.js';
import { engineMetrics, parsePrometheus, tokensPerSecond } from '../../src/protocols/prometheus.js';
import { parseSseChunk, SseDecoder } from '../../src/protocols/sse.js';
import type { ChatChunk, SseEvent } from '../../src/protocols/types.js';
import { haveSamples, mutations, readSample, sampleFiles } from '../helpers/samples.js';

/** A captured HTTP response (status line, CRLF headers, blank line, body) → its parts. */
function splitHttp(text: string): { status: number; headers: Record<string, string>; body: string } | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r?\n/.exec(text);
  if (!m) return undefined;
  const sep = text.indexOf('\r\n\r\n');
  const head = text.slice(0, sep < 0 ? text.length : sep);
  const headers: Record<string, string> = {};
  for (const l of head.split(/\r?\n/).slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers, body: sep < 0 ? '' : text.slice(sep + 4) };
}

/** Decode a stream body the way a client would: events → chunks → text. */
function readStream(body: string, feed?: (d: SseDecoder) => SseEvent[]) {
  const d = new SseDecoder();
  const events = feed ? feed(d) : d.feed(body);
  events.push(...d.end());
  const chunks: ChatChunk[] = [];
  let text = '';
  let finishReason: string | undefined;
  let done = false;
  const errors: string[] = [];
  for (const e of events) {
    if ('error' in e) { errors.push(e.error); continue; }
    if (e.done) { done = true; continue; }
    const c = parseChatChunk(e.data);
    if (!c) { errors.push(`not JSON: ${e.data.slice(0, 40)}`); continue; }
    chunks.push(c);
    text += c.delta;
    finishReason = c.finishReason ?? finishReason;
  }
  return { events, chunks, text, finishReason, done, errors, last: chunks.filter((c) => c.usage || c.timings).at(-1) };
}

const TINY = '/var/lib/llm/ggufs/tiny-shaped-llama-f16.gguf';

describe.runIf(haveSamples)('real llama.cpp captures (../shared/samples/engines)', () => {
  const files = sampleFiles('engines');
  const byName = (n: string) => {
    const f = files.find((p) => basename(p) === n);
    if (!f) throw new Error(`sample ${n} missing`);
    const text = readSample(f);
    return { text, http: splitHttp(text) };
  };

  it('has the captures this file asserts on', () => {
    expect(files.length).toBeGreaterThanOrEqual(14);
  });

  it('health while loading: 503 → loading, "Loading model"', () => {
    const { http } = byName('llamacpp-real-big-health-while-loading-503.txt');
    expect(http!.status).toBe(503);
    const h = parseHealth(http!.status, http!.body, http!.headers['content-type']);
    expect(h).toEqual({ state: 'loading', message: 'Loading model', warnings: [] });
    expect(parseErrorBody(503, http!.body)).toBe('HTTP 503: Loading model (unavailable_error)');
  });

  it('health: 200 {"status":"ok"} → ready', () => {
    const { http } = byName('llamacpp-real-tiny-health-get.txt');
    expect(parseHealth(http!.status, http!.body)).toEqual({ state: 'ready', warnings: [] });
  });

  it('wrong API key: 401 → one line', () => {
    const { http } = byName('llamacpp-real-tiny-apikey-chat-wrong-key-401.txt');
    expect(http!.status).toBe(401);
    expect(parseErrorBody(http!.status, http!.body, http!.headers['content-type'])).toBe('HTTP 401: Invalid API Key (authentication_error)');
    expect(parseHealth(http!.status, http!.body).state).toBe('error');
  });

  it('context too large: 400 → the server\'s message', () => {
    const { http } = byName('llamacpp-real-tiny-err-context-too-large.txt');
    expect(parseErrorBody(http!.status, http!.body)).toBe(
      'HTTP 400: request (5011 tokens) exceeds the available context size (4096 tokens), try increasing it (exceed_context_size_error)');
  });

  it('invalid JSON: 500 with nlohmann\'s parse error', () => {
    const { http } = byName('llamacpp-real-tiny-err-invalid-json.txt');
    expect(http!.status).toBe(500);
    const msg = parseErrorBody(http!.status, http!.body);
    expect(msg.startsWith('HTTP 500: [json.exception.parse_error.101] parse error at line 1, column 15')).toBe(true);
    expect(msg.endsWith('(server_error)')).toBe(true);
  });

  it('non-streamed chat: content, finish reason, usage, timings', () => {
    const { http } = byName('llamacpp-real-tiny-chat-nonstream.txt');
    const c = parseChatChunk(http!.body)!;
    expect(c.delta).toBe(' atomsGS');
    expect(c.role).toBe('assistant');
    expect(c.finishReason).toBe('stop');
    expect(c.model).toBe(TINY);
    expect(c.id).toBe('chatcmpl-taBPwPJhSSojh1uWdRdRYQd8a8EQ1r3I');
    expect(c.usage).toEqual({ promptTokens: 23, completionTokens: 3, totalTokens: 26, cachedTokens: 4 });
    expect(c.timings).toMatchObject({ cacheN: 4, promptN: 19, promptMs: 1.731, predictedN: 3, predictedMs: 1.425 });
    expect(c.timings!.predictedPerSecond).toBeCloseTo(1403.5087719298244, 6);
    expect(c.warnings).toEqual([]);
  });

  it('streamed chat: text, finish reason "length", timings on the finish chunk, [DONE]', () => {
    const { http } = byName('llamacpp-real-tiny-chat-stream.txt');
    expect(http!.headers['content-type']).toBe('text/event-stream');
    const r = readStream(http!.body);
    expect(r.errors).toEqual([]);
    expect(r.text).toBe(' ==>ícioibmustr insertupperício JuniorupperibmFOustrкси insert Bull sang');
    expect(r.finishReason).toBe('length');
    expect(r.done).toBe(true);
    expect(r.chunks).toHaveLength(18);
    expect(r.chunks[0]!.role).toBe('assistant');
    expect(r.last!.usage).toBeUndefined();
    expect(r.last!.timings).toMatchObject({ cacheN: 4, promptN: 13, predictedN: 16, predictedMs: 8.598 });
  });

  it('streamed chat with include_usage: the usage chunk has empty choices', () => {
    const { http } = byName('llamacpp-real-tiny-chat-stream-include-usage.txt');
    const r = readStream(http!.body);
    expect(r.errors).toEqual([]);
    expect(r.text).toBe('upperupper Activ márciusupperupperupperício');
    expect(r.finishReason).toBe('length');
    expect(r.done).toBe(true);
    expect(r.last!.delta).toBe('');
    expect(r.last!.usage).toEqual({ promptTokens: 14, completionTokens: 8, totalTokens: 22, cachedTokens: 4 });
    expect(r.last!.timings).toMatchObject({ promptN: 10, predictedN: 8, predictedMs: 4.345 });
  });

  it('the same stream fed byte by byte (as Uint8Array) decodes to the same events', () => {
    const { http } = byName('llamacpp-real-tiny-chat-stream.txt');
    const whole = readStream(http!.body);
    const bytes = new TextEncoder().encode(http!.body);
    const split = readStream('', (d) => {
      const out: SseEvent[] = [];
      for (let i = 0; i < bytes.length; i++) out.push(...d.feed(bytes.subarray(i, i + 1)));
      return out;
    });
    expect(split.events).toEqual(whole.events);
    expect(split.text).toBe(whole.text);
    // and with CRLF line ends, split at every 7 characters
    const crlf = readStream('', (d) => {
      const t = http!.body.replace(/\n/g, '\r\n');
      const out: SseEvent[] = [];
      for (let i = 0; i < t.length; i += 7) out.push(...d.feed(t.slice(i, i + 7)));
      return out;
    });
    expect(crlf.events).toEqual(whole.events);
  });

  it('metrics after a bench: counters and gauges', () => {
    const { http } = byName('llamacpp-real-tiny-metrics-after-bench.txt');
    expect(http!.headers['content-type']).toBe('text/plain; version=0.0.4');
    const p = parsePrometheus(http!.body);
    expect(p.warnings).toEqual([]);
    expect(p.get('llamacpp:tokens_predicted_total')).toEqual([{ labels: {}, value: 22396 }]);
    expect(p.get('llamacpp:prompt_seconds_total')![0]!.value).toBe(0.796897);
    expect(p.get('llamacpp:n_busy_slots_per_decode')![0]!.value).toBe(1.00009);
    expect(p.types.get('llamacpp:tokens_predicted_total')).toBe('counter');
    expect(p.types.get('llamacpp:requests_processing')).toBe('gauge');
    expect(p.help.get('llamacpp:prompt_tokens_total')).toBe('Number of prompt tokens processed, excluding cached tokens');
    expect(p.size).toBe(15);
    expect(engineMetrics(p)).toEqual({
      engine: 'llamacpp', tokensGeneratedTotal: 22396, promptTokensTotal: 10788, requestsRunning: 0, requestsWaiting: 0,
    });
  });

  it.each(['llamacpp-real-tiny-models-get.txt', 'llamacpp-real-tiny-v1-models-get.txt'])('models: %s', (name) => {
    const { http } = byName(name);
    const r = parseModels(http!.body);
    expect(r.warnings).toEqual([]);
    expect(r.ids).toEqual([TINY]);
    expect(r.models[0]).toEqual({
      id: TINY, ownedBy: 'llamacpp', ctxTokens: 4096, ctxTrainTokens: 4096, sizeBytes: 18027008, params: 9012352,
      quantization: 'F16',
    });
  });

  it('props and slots are JSON without a model list: no ids, a warning', () => {
    for (const n of ['llamacpp-real-tiny-props-get.txt', 'llamacpp-real-tiny-slots-get.txt']) {
      const r = parseModels(byName(n).http!.body);
      expect(r.ids).toEqual([]);
      expect(r.warnings.length).toBeGreaterThan(0);
    }
  });

  it('every capture goes through every parser', () => {
    for (const f of files) {
      const text = readSample(f);
      const http = splitHttp(text);
      const body = http?.body ?? text;
      expect(typeof parseErrorBody(http?.status ?? 0, body, http?.headers['content-type'])).toBe('string');
      expect(['ready', 'loading', 'error']).toContain(parseHealth(http?.status ?? 0, body).state);
      expect(Array.isArray(parseModels(body).ids)).toBe(true);
      expect(parsePrometheus(body)).toBeInstanceOf(Map);
      expect(Array.isArray(parseSseChunk(body))).toBe(true);
    }
  });

  describe('fuzz: 300 mutations of each capture, no parser throws', () => {
    for (const f of files) {
      it(basename(f), () => {
        const text = readSample(f);
        let n = 0;
        for (const m of mutations(text, 300, 7)) {
          n++;
          const http = splitHttp(m);
          const body = http?.body ?? m;
          const status = http?.status ?? 200;
          const msg = parseErrorBody(status, body, http?.headers['content-type']);
          expect(msg).not.toMatch(/[\n\r\u001b]/);
          const h = parseHealth(status, body);
          expect(['ready', 'loading', 'error']).toContain(h.state);
          const models = parseModels(body);
          expect(models.ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
          const prom = parsePrometheus(body);
          const em = engineMetrics(prom);
          if (em.kvCacheUsagePct !== undefined) expect(em.kvCacheUsagePct).toBeGreaterThanOrEqual(0);
          tokensPerSecond(em, em, 1000);
          const d = new SseDecoder();
          const events = [...d.feed(body.slice(0, n % body.length)), ...d.feed(body.slice(n % body.length)), ...d.end()];
          for (const e of events) {
            if ('error' in e) expect(e.error).toMatch(/malformed|ended/);
            else {
              const c = parseChatChunk(e.data);
              if (c) expect(typeof c.delta).toBe('string');
            }
          }
          parseChatChunk(body);
        }
        expect(n).toBe(300);
      });
    }
  });
});

