// The protocol parsers on synthetic shapes: vLLM and ollama health and model lists, the Prometheus text format,
// SSE framing, chat chunks and error bodies (the real llama.cpp captures are in captures.test.ts).
import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../../src/protocols/errors.js';
import { parseHealth, parseModels } from '../../src/protocols/health.js';
import { oneLine } from '../../src/protocols/json.js';
import { parseChatChunk } from '../../src/protocols/openai.js';
import { engineMetrics, parsePrometheus, tokensPerSecond } from '../../src/protocols/prometheus.js';
import { parseSseChunk, SseDecoder } from '../../src/protocols/sse.js';
import type { SseEvent } from '../../src/protocols/types.js';

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
