import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../../src/protocols/errors.js';
import { parseHealth, parseModels } from '../../src/protocols/health.js';
import { oneLine } from '../../src/protocols/json.js';
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

describe('parseHealth: vLLM, ollama, odd answers', () => {
  it('vLLM: 200 with an empty body is ready', () => {
    expect(parseHealth(200, '')).toEqual({ state: 'ready', warnings: [] });
  });
  it('ollama /api/version', () => {
    expect(parseHealth(200, '{"version":"0.5.7"}')).toEqual({ state: 'ready', version: '0.5.7', warnings: [] });
    expect(parseHealth(200, 'Ollama is running')).toEqual({ state: 'ready', warnings: [] });
  });
  it('old llama.cpp shapes', () => {
    expect(parseHealth(503, '{"status":"loading model"}').state).toBe('loading');
    expect(parseHealth(503, '{"status":"no slot available","slots_idle":0,"slots_processing":4}')).toMatchObject({ state: 'ready', message: 'no slot available' });
    expect(parseHealth(200, '{"status":"unhealthy"}')).toMatchObject({ state: 'error', message: 'unhealthy' });
    expect(parseHealth(500, '{"status":"error","error":"Model failed to load"}')).toMatchObject({ state: 'error', message: 'HTTP 500: Model failed to load' });
  });
  it('a 503 that is not loading, an HTML page on 200, garbage', () => {
    expect(parseHealth(503, '')).toEqual({ state: 'error', message: 'the server answered 503 Service Unavailable with an empty body', warnings: [] });
    expect(parseHealth(200, '<!DOCTYPE html><html><title>llama.cpp</title></html>', 'text/html')).toMatchObject({
      state: 'error', message: 'the server answered with an HTML page (status 200), not JSON: llama.cpp',
    });
    expect(parseHealth(200, '{"status":')).toMatchObject({ state: 'ready', warnings: ['health: body is not JSON: "{"status":"'] });
  });
});

describe('parseModels: vLLM and ollama', () => {
  it('vLLM /v1/models with max_model_len', () => {
    const body = JSON.stringify({
      object: 'list',
      data: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model', created: 1732000000, owned_by: 'vllm', root: 'meta-llama/Llama-3.1-8B-Instruct', parent: null, max_model_len: 8192, permission: [{ id: 'modelperm-1', object: 'model_permission' }] }],
    });
    expect(parseModels(body)).toEqual({
      ids: ['meta-llama/Llama-3.1-8B-Instruct'],
      models: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', ownedBy: 'vllm', ctxTokens: 8192 }],
      warnings: [],
    });
  });
  it('ollama /api/tags', () => {
    const body = JSON.stringify({
      models: [
        { name: 'llama3.1:8b', model: 'llama3.1:8b', modified_at: '2024-11-01T10:00:00Z', size: 4920753328, digest: 'sha256:46e0c10c039e', details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8.0B', quantization_level: 'Q4_K_M' } },
        { name: 'qwen2.5:7b', model: 'qwen2.5:7b', size: 4683087332, details: { family: 'qwen2', parameter_size: '7.6B', quantization_level: 'Q4_K_M' } },
        { digest: 'nameless' },
      ],
    });
    const r = parseModels(body);
    expect(r.ids).toEqual(['llama3.1:8b', 'qwen2.5:7b']);
    expect(r.models[0]).toEqual({ id: 'llama3.1:8b', sizeBytes: 4920753328, paramsLabel: '8.0B', quantization: 'Q4_K_M', family: 'llama' });
    expect(r.warnings).toEqual(['models: models[2] has no id']);
  });
  it('errors and non-JSON', () => {
    expect(parseModels('').warnings).toEqual(['models: empty body']);
    expect(parseModels('<html><body>hi</body></html>').warnings).toEqual(['models: the server answered with an HTML page, not JSON']);
    expect(parseModels('{"error":{"message":"Invalid API Key"}}').warnings).toEqual(['models: the server answered an error: Invalid API Key']);
    expect(parseModels('null').ids).toEqual([]);
  });
});

const VLLM_METRICS = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.0
# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.4275
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 123456.0
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 98765.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="meta-llama/Llama-3.1-8B-Instruct"} 42.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 42.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.14
`;

describe('Prometheus text format', () => {
  it('vLLM (v0 names) → engine metrics', () => {
    const p = parsePrometheus(VLLM_METRICS);
    expect(p.warnings).toEqual([]);
    expect(p.get('vllm:time_to_first_token_seconds_bucket')![1]!.labels.le).toBe('+Inf');
    expect(p.types.get('vllm:time_to_first_token_seconds')).toBe('histogram');
    expect(engineMetrics(p)).toEqual({
      engine: 'vllm', tokensGeneratedTotal: 98765, promptTokensTotal: 123456, requestsRunning: 3, requestsWaiting: 2,
      kvCacheUsagePct: 42.75,
    });
  });
  it('vLLM v1 (kv_cache_usage_perc), two models summed, fullest cache', () => {
    const text = [
      'vllm:kv_cache_usage_perc{model_name="a"} 0.1',
      'vllm:kv_cache_usage_perc{model_name="b"} 0.6',
      'vllm:num_requests_running{model_name="a"} 1',
      'vllm:num_requests_running{model_name="b"} 4',
      'vllm:generation_tokens_total{model_name="a"} 10',
      'vllm:generation_tokens_total{model_name="b"} 15',
    ].join('\n');
    expect(engineMetrics(parsePrometheus(text))).toEqual({ engine: 'vllm', kvCacheUsagePct: 60, requestsRunning: 5, tokensGeneratedTotal: 25 });
  });
  it('llama.cpp kv_cache_usage_ratio is a fraction', () => {
    expect(engineMetrics(parsePrometheus('llamacpp:kv_cache_usage_ratio 0.25\n'))).toEqual({ engine: 'llamacpp', kvCacheUsagePct: 25 });
  });
  it('escaped label values, NaN/Inf, timestamps, comments, CRLF, # EOF', () => {
    const text = [
      '# a free comment',
      '# HELP odd_metric A \\\\ help\\nline',
      'odd_metric{path="C:\\\\dir",msg="say \\"hi\\"\\nnext",} NaN 1700000000000',
      'odd_metric{ path = "x" } +Inf',
      'odd_metric -Inf\r',
      'spaced_metric   12.5e3   ',
      'ns:colon_metric{a="{}",b="a,b=c"} 0x1F',
      '# EOF',
    ].join('\n');
    const p = parsePrometheus(text);
    expect(p.warnings).toEqual([]);
    const s = p.get('odd_metric')!;
    expect(s[0]!.labels).toEqual({ path: 'C:\\dir', msg: 'say "hi"\nnext' });
    expect(Number.isNaN(s[0]!.value)).toBe(true);
    expect(s[0]!.timestampMs).toBe(1700000000000);
    expect(s[1]).toEqual({ labels: { path: 'x' }, value: Infinity });
    expect(s[2]).toEqual({ labels: {}, value: -Infinity });
    expect(p.get('spaced_metric')![0]!.value).toBe(12500);
    expect(p.get('ns:colon_metric')![0]).toEqual({ labels: { a: '{}', b: 'a,b=c' }, value: 31 });
    expect(p.help.get('odd_metric')).toBe('A \\ help\nline');
  });
  it('bad lines become warnings, the rest is kept', () => {
    const p = parsePrometheus('good 1\n{bad="x"} 2\nunterminated{a="x 3\nnovalue\nbadval{a="1"} abc\nts 1 notatime\ngood 2\n');
    expect(p.get('good')!.map((x) => x.value)).toEqual([1, 2]);
    expect(p.warnings).toHaveLength(5);
    expect(p.get('ts')).toEqual([{ labels: {}, value: 1 }]);
  });
  it('NaN and Inf gauges do not poison engine metrics', () => {
    expect(engineMetrics(parsePrometheus('llamacpp:requests_processing NaN\nllamacpp:kv_cache_usage_ratio +Inf\n'))).toEqual({ engine: 'llamacpp' });
    expect(engineMetrics(parsePrometheus('something_else 1\n'))).toEqual({});
  });
});

describe('tokensPerSecond', () => {
  it('rates, resets and missing readings', () => {
    expect(tokensPerSecond(100, 300, 2000)).toBe(100);
    expect(tokensPerSecond({ tokensGeneratedTotal: 1000 }, { tokensGeneratedTotal: 1500 }, 500)).toBe(1000);
    expect(tokensPerSecond(500, 10, 1000)).toBeUndefined(); // engine restarted
    expect(tokensPerSecond(1, 2, 0)).toBeUndefined();
    expect(tokensPerSecond(undefined, 2, 1000)).toBeUndefined();
    expect(tokensPerSecond({}, { tokensGeneratedTotal: 3 }, 1000)).toBeUndefined();
    expect(tokensPerSecond(5, 5, 1000)).toBe(0);
  });
});

describe('SseDecoder', () => {
  it('comments, multi-line data, event/id fields, [DONE]', () => {
    const d = new SseDecoder();
    expect(d.feed(': ping\n\nevent: message\nid: 7\ndata: a\ndata:b\n\ndata: [DONE]\n\n')).toEqual([
      { data: 'a\nb', event: 'message', id: '7' },
      { data: '[DONE]', id: '7', done: true },
    ]);
  });
  it('lines split anywhere, \\r\\n split across chunks, bare \\r', () => {
    const d = new SseDecoder();
    const out = [...d.feed('da'), ...d.feed('ta: x\r'), ...d.feed('\n\r'), ...d.feed('\ndata: y\r\r'), ...d.end()];
    expect(out).toEqual([{ data: 'x' }, { data: 'y' }]);
  });
  it('UTF-8 split inside a character', () => {
    const bytes = new TextEncoder().encode('data: кси é\n\n');
    const d = new SseDecoder();
    const out: SseEvent[] = [];
    for (const b of bytes) out.push(...d.feed(new Uint8Array([b])));
    expect(out).toEqual([{ data: 'кси é' }]);
  });
  it('malformed lines are reported and decoding goes on', () => {
    const d = new SseDecoder();
    const out = d.feed('<html>oops</html>\ndata: {"a":1}\n\n');
    expect(out).toEqual([{ error: 'malformed line 1: "<html>oops</html>"' }, { data: '{"a":1}' }]);
  });
  it('a stream that ends mid-event says so', () => {
    const d = new SseDecoder();
    expect(d.feed('data: {"choices":[')).toEqual([]);
    expect(d.end()).toEqual([{ error: 'the stream ended in the middle of an event' }]);
  });
  it('BOM at the start, empty data line', () => {
    expect(parseSseChunk('\ufeffdata:\n\n')).toEqual([{ data: '' }]);
  });
});

describe('parseChatChunk', () => {
  it('OpenAI/vLLM chunks: reasoning, finish reason, empty choices', () => {
    expect(parseChatChunk({ id: 'x', choices: [{ index: 0, delta: { reasoning_content: 'hmm', content: null } }] })).toEqual({ id: 'x', delta: '', reasoning: 'hmm', warnings: [] });
    expect(parseChatChunk('{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}')).toEqual({ delta: 'hi', finishReason: 'stop', warnings: [] });
    expect(parseChatChunk('{"choices":[{"index":0,"text":"legacy"}]}')!.delta).toBe('legacy');
    expect(parseChatChunk('{"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}')!.delta).toBe('ab');
  });
  it('an error chunk mid-stream', () => {
    expect(parseChatChunk('{"error":{"code":500,"message":"slot crashed\\n","type":"server_error"}}')).toEqual({ delta: '', error: 'slot crashed', warnings: [] });
  });
  it('not an object, or odd shapes', () => {
    expect(parseChatChunk('{"choices":[{"delta":')).toBeUndefined();
    expect(parseChatChunk('[1,2]')).toBeUndefined();
    expect(parseChatChunk(null)).toBeUndefined();
    expect(parseChatChunk('{"choices":"x"}')!.warnings).toEqual(['chunk: "choices" is not a list']);
    expect(parseChatChunk('{"choices":[{"delta":{"content":5}}]}')!.warnings).toEqual(['chunk: content is neither text nor null']);
    expect(parseChatChunk('{"usage":{"prompt_tokens":-1,"completion_tokens":"x"}}')).toEqual({ delta: '', warnings: [] });
  });
});

describe('parseErrorBody', () => {
  it('HTML pages, empty bodies, plain text', () => {
    expect(parseErrorBody(502, '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>', 'text/html'))
      .toBe('the server answered with an HTML page (status 502), not JSON: 502 Bad Gateway');
    expect(parseErrorBody(200, '<!doctype html>\n<p>no title</p>')).toBe('the server answered with an HTML page (status 200), not JSON');
    expect(parseErrorBody(502, '')).toBe('the server answered 502 Bad Gateway with an empty body');
    expect(parseErrorBody(599, '  \n')).toBe('the server answered 599 with an empty body');
    expect(parseErrorBody(500, 'upstream\nconnect error\u001b[31m red\u001b[0m\u0007')).toBe('HTTP 500: upstream connect error red');
  });
  it('vLLM, FastAPI and ollama error shapes', () => {
    expect(parseErrorBody(404, '{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}'))
      .toBe('HTTP 404: The model `x` does not exist. (NotFoundError)');
    expect(parseErrorBody(404, '{"detail":"Not Found"}')).toBe('HTTP 404: Not Found');
    expect(parseErrorBody(422, '{"detail":[{"loc":["body","messages"],"msg":"Field required","type":"missing"}]}')).toBe('HTTP 422: Field required');
    expect(parseErrorBody(404, '{"error":"model \\"llama9\\" not found, try pulling it first"}')).toBe('HTTP 404: model "llama9" not found, try pulling it first');
    expect(parseErrorBody(500, '{"unexpected":true}')).toBe('HTTP 500: {"unexpected":true}');
  });
  it('long messages are cut to one line', () => {
    const msg = parseErrorBody(500, JSON.stringify({ error: { message: 'x'.repeat(1000) } }));
    expect(msg.length).toBeLessThan(320);
    expect(oneLine('a\u001b]0;title\u0007b')).toBe('ab');
  });
});
