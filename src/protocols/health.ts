/**
 * Health and model lists of inference servers: llama.cpp `GET /health`, vLLM `GET /health`, ollama
 * `GET /api/version` and `GET /api/tags`, any OpenAI-compatible `GET /v1/models`. Pure and total: odd input
 * becomes `warnings`, unknown values stay `undefined`.
 */
import { parseErrorBody } from './errors.js';
import { count, errorMessageOf, isObj, looksLikeHtml, oneLine, str, tryJson, type Obj } from './json.js';
import type { HealthResult, ModelInfo, ModelList } from './types.js';


/**
 * `GET /health` for llama.cpp (503 `{"error":{"message":"Loading model",…}}` while loading, 200 `{"status":"ok"}`),
 * vLLM (200 with an empty body), or ollama's `GET /api/version` (200 `{"version":"0.5.7"}`).
 */
export function parseHealth(status: number, body: string, contentType?: string): HealthResult {
  const warnings: string[] = [];
  const text = typeof body === 'string' ? body : '';
  const j = text.trim() === '' ? undefined : tryJson(text);
  const value = j?.ok ? j.value : undefined;
  if (j && !j.ok && !looksLikeHtml(text, contentType) && !/^\s*ollama is running\s*$/i.test(text)) {
    warnings.push(`health: body is not JSON: "${oneLine(text, 60)}"`);
  }

  if (status >= 200 && status < 300) {
    if (looksLikeHtml(text, contentType)) {
      return { state: 'error', message: parseErrorBody(status, text, contentType), warnings };
    }
    const out: HealthResult = { state: 'ready', warnings };
    if (isObj(value)) {
      const version = str(value.version);
      if (version !== undefined) out.version = version;
      const st = str(value.status);
      if (st !== undefined && !/^(ok|ready|healthy)$/i.test(st)) {
        // old llama.cpp: 200 {"status":"no slot available"} is busy, not down
        if (/load/i.test(st)) out.state = 'loading';
        else if (/error|fail|unhealthy/i.test(st)) out.state = 'error';
        out.message = oneLine(st, 120);
      }
    }
    return out;
  }

  const { message } = errorMessageOf(value);
  const statusWord = isObj(value) ? str(value.status) : undefined;
  const said = message ?? statusWord;
  if (status === 503) {
    if (said !== undefined && /load/i.test(said)) return { state: 'loading', message: oneLine(said, 120), warnings };
    // old llama.cpp: 503 {"status":"no slot available"} — the model is up, every slot is busy
    if (said !== undefined && /no slot/i.test(said)) return { state: 'ready', message: oneLine(said, 120), warnings };
  }
  return { state: 'error', message: parseErrorBody(status, text, contentType), warnings };
}

// ---------------------------------------------------------------------------------------------------------------
// models

function modelFromOpenAi(d: Obj): ModelInfo | undefined {
  const id = str(d.id);
  if (id === undefined || id === '') return undefined;
  const m: ModelInfo = { id };
  const owned = str(d.owned_by);
  if (owned) m.ownedBy = owned;
  const meta = isObj(d.meta) ? d.meta : undefined;
  const ctx = count(meta?.n_ctx) ?? count(d.max_model_len) ?? count(d.context_length);
  if (ctx !== undefined) m.ctxTokens = ctx;
  const ctxTrain = count(meta?.n_ctx_train);
  if (ctxTrain !== undefined) m.ctxTrainTokens = ctxTrain;
  const size = count(meta?.size);
  if (size !== undefined) m.sizeBytes = size;
  const params = count(meta?.n_params);
  if (params !== undefined) m.params = params;
  const ftype = str(meta?.ftype);
  if (ftype) m.quantization = ftype;
  return m;
}

function modelFromOllama(d: Obj): ModelInfo | undefined {
  const id = str(d.name) || str(d.model);
  if (id === undefined || id === '') return undefined;
  const m: ModelInfo = { id };
  const size = count(d.size);
  if (size !== undefined) m.sizeBytes = size;
  const det = isObj(d.details) ? d.details : undefined;
  const ps = str(det?.parameter_size);
  if (ps) m.paramsLabel = ps;
  const q = str(det?.quantization_level);
  if (q) m.quantization = q;
  const fam = str(det?.family);
  if (fam) m.family = fam;
  return m;
}

/**
 * `GET /v1/models` (OpenAI `{object:"list", data:[{id,…}]}`; llama.cpp adds an ollama-shaped `models` array and
 * `meta`; vLLM adds `max_model_len`) or ollama's `GET /api/tags` (`{models:[{name,…}]}`).
 */
export function parseModels(body: string): ModelList {
  const warnings: string[] = [];
  const out: ModelList = { ids: [], models: [], warnings };
  const text = typeof body === 'string' ? body : '';
  if (text.trim() === '') { warnings.push('models: empty body'); return out; }
  const j = tryJson(text);
  if (!j.ok) {
    warnings.push(looksLikeHtml(text) ? 'models: the server answered with an HTML page, not JSON' : `models: body is not JSON: "${oneLine(text, 60)}"`);
    return out;
  }
  const v = j.value;
  const seen = new Map<string, ModelInfo>();
  const add = (m: ModelInfo | undefined, from: string, i: number) => {
    if (!m) { warnings.push(`models: ${from}[${i}] has no id`); return; }
    const prev = seen.get(m.id);
    if (prev) { for (const [k, val] of Object.entries(m)) if ((prev as unknown as Obj)[k] === undefined) (prev as unknown as Obj)[k] = val; return; }
    seen.set(m.id, m);
  };
  let found = false;
  if (isObj(v) && Array.isArray(v.data)) {
    found = true;
    v.data.forEach((d, i) => add(isObj(d) ? modelFromOpenAi(d) : undefined, 'data', i));
  }
  if (isObj(v) && Array.isArray(v.models)) {
    found = true;
    // llama.cpp lists the same models twice (data + models): only add what data did not name.
    v.models.forEach((d, i) => add(isObj(d) ? modelFromOllama(d) : undefined, 'models', i));
  }
  if (Array.isArray(v)) {
    found = true;
    v.forEach((d, i) => add(isObj(d) ? modelFromOpenAi(d) ?? modelFromOllama(d) : undefined, 'list', i));
  }
  if (!found) {
    const { message } = errorMessageOf(v);
    warnings.push(message ? `models: the server answered an error: ${oneLine(message, 120)}` : 'models: no "data" or "models" list');
  }
  out.models = [...seen.values()];
  out.ids = out.models.map((m) => m.id);
  return out;
}

