/**
 * The OpenAI chat-completions wire format, pure: the request body, one `chat.completion.chunk` (or a whole
 * `chat.completion`) read, usage and llama.cpp timings, the stream's state as events arrive (the cut-stream rule),
 * and THE one computation of TTFT and tok/s that chat and bench both use. None of it throws or does I/O.
 */
import { count, errorMessageOf, isObj, oneLine, str, tryJson } from './json.js';
import type { ChatChunk, ChatTimings, ChatUsage } from './types.js';


function usageOf(u: unknown): ChatUsage | undefined {
  if (!isObj(u)) return undefined;
  const out: ChatUsage = {};
  const p = count(u.prompt_tokens);
  if (p !== undefined) out.promptTokens = p;
  const c = count(u.completion_tokens);
  if (c !== undefined) out.completionTokens = c;
  const t = count(u.total_tokens);
  if (t !== undefined) out.totalTokens = t;
  const det = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : undefined;
  const cached = count(det?.cached_tokens);
  if (cached !== undefined) out.cachedTokens = cached;
  return Object.keys(out).length > 0 ? out : undefined;
}

function timingsOf(t: unknown): ChatTimings | undefined {
  if (!isObj(t)) return undefined;
  const out: ChatTimings = {};
  const set = (k: keyof ChatTimings, v: unknown) => { const n = count(v); if (n !== undefined) out[k] = n; };
  set('cacheN', t.cache_n);
  set('promptN', t.prompt_n);
  set('promptMs', t.prompt_ms);
  set('promptPerSecond', t.prompt_per_second);
  set('predictedN', t.predicted_n);
  set('predictedMs', t.predicted_ms);
  set('predictedPerSecond', t.predicted_per_second);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `content` may be a string, null, or (some servers) an array of `{type:'text', text}` parts. */
function contentText(c: unknown): string | undefined {
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    const parts = c.map((p) => (isObj(p) ? str(p.text) : typeof p === 'string' ? p : undefined)).filter((p): p is string => p !== undefined);
    return parts.length > 0 ? parts.join('') : undefined;
  }
  return undefined;
}

/**
 * One `chat.completion.chunk` from an SSE `data:` line (a JSON string, or the already-parsed value), or a whole
 * non-streamed `chat.completion` (`choices[0].message`). Undefined when it is not a JSON object at all.
 */
export function parseChatChunk(json: unknown): ChatChunk | undefined {
  let v: unknown = json;
  if (typeof json === 'string') {
    const j = tryJson(json);
    if (!j.ok) return undefined;
    v = j.value;
  }
  if (!isObj(v)) return undefined;
  const warnings: string[] = [];
  const out: ChatChunk = { delta: '', warnings };
  const id = str(v.id);
  if (id !== undefined) out.id = id;
  const model = str(v.model);
  if (model !== undefined) out.model = model;
  if (v.error !== undefined) {
    const { message } = errorMessageOf(v);
    out.error = message !== undefined ? oneLine(message) : 'the server sent an error';
  }
  const usage = usageOf(v.usage);
  if (usage) out.usage = usage;
  const timings = timingsOf(v.timings);
  if (timings) out.timings = timings;
  if (v.choices !== undefined && !Array.isArray(v.choices)) warnings.push('chunk: "choices" is not a list');
  const choices = Array.isArray(v.choices) ? v.choices : [];
  const c0 = choices.find((c) => isObj(c) && (c.index === undefined || c.index === 0)) ?? choices[0];
  if (choices.length > 1) warnings.push(`chunk: ${choices.length} choices, only the first is read`);
  if (isObj(c0)) {
    const part = isObj(c0.delta) ? c0.delta : isObj(c0.message) ? c0.message : undefined;
    if (part) {
      const text = contentText(part.content);
      if (text !== undefined) out.delta = text;
      else if (part.content !== undefined && part.content !== null) warnings.push('chunk: content is neither text nor null');
      const reasoning = str(part.reasoning_content) ?? str(part.reasoning);
      if (reasoning !== undefined && reasoning !== '') out.reasoning = reasoning;
      const role = str(part.role);
      if (role !== undefined) out.role = role;
    } else if (typeof c0.text === 'string') {
      out.delta = c0.text; // legacy /v1/completions chunk
    }
    const fr = str(c0.finish_reason);
    if (fr !== undefined && fr !== '') out.finishReason = fr;
  } else if (c0 !== undefined) {
    warnings.push('chunk: the first choice is not an object');
  }
  return out;
}
