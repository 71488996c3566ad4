/**
 * Types for what local inference engines expose over HTTP: llama.cpp `llama-server`, vLLM, ollama, and any
 * OpenAI-compatible server. Absent values are `undefined`, never 0. Names carry units.
 */

export type EngineKind = 'llamacpp' | 'vllm' | 'ollama' | 'openai';

/** `GET /health` (llama.cpp, vLLM) or `GET /api/version` (ollama), read. */
export interface HealthResult {
  state: 'ready' | 'loading' | 'error';
  /** one line for the operator: "Loading model", "HTTP 500: …" */
  message?: string;
  /** ollama's /api/version */
  version?: string;
  warnings: string[];
}

export interface ModelInfo {
  id: string;
  ownedBy?: string;
  /** context length the server runs the model with (llama.cpp meta.n_ctx, vLLM max_model_len) */
  ctxTokens?: number;
  /** context length the model was trained with (llama.cpp meta.n_ctx_train) */
  ctxTrainTokens?: number;
  sizeBytes?: number;
  params?: number;
  /** "8.0B" (ollama details.parameter_size) */
  paramsLabel?: string;
  /** "Q4_0", "F16" */
  quantization?: string;
  family?: string;
}

/** `GET /v1/models` (OpenAI shape, llama.cpp adds an ollama-shaped `models` array) or ollama `GET /api/tags`. */
export interface ModelList {
  ids: string[];
  models: ModelInfo[];
  warnings: string[];
}

/** One sample line of the Prometheus text format. */
export interface PromSample {
  labels: Record<string, string>;
  /** NaN, +Inf and -Inf are kept as the numbers they are */
  value: number;
  timestampMs?: number;
}

/** What an engine's `/metrics` says, in our words. Counters are cumulative since the engine started. */
export interface EngineMetrics {
  engine?: 'llamacpp' | 'vllm';
  tokensGeneratedTotal?: number;
  promptTokensTotal?: number;
  requestsRunning?: number;
  requestsWaiting?: number;
  /** 0–100 */
  kvCacheUsagePct?: number;
}

/** One event of a `text/event-stream`, or a line the decoder could not read. */
export type SseEvent =
  | { data: string; event?: string; id?: string; /** data was `[DONE]` */ done?: true }
  | { error: string };

export interface ChatUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
  cachedTokens?: number;
}

/** llama.cpp's `timings` object. */
export interface ChatTimings {
  cacheN?: number;
  promptN?: number;
  promptMs?: number;
  promptPerSecond?: number;
  predictedN?: number;
  predictedMs?: number;
  predictedPerSecond?: number;
}

/** One `chat.completion.chunk` (or a whole non-streamed `chat.completion`), read. */
export interface ChatChunk {
  /** text to append ('' for role-only, finish and usage chunks) */
  delta: string;
  /** reasoning text (vLLM/llama.cpp `reasoning_content`) */
  reasoning?: string;
  role?: string;
  finishReason?: string;
  usage?: ChatUsage;
  timings?: ChatTimings;
  id?: string;
  model?: string;
  /** the chunk is an error object (llama.cpp sends `data: {"error":…}` when a stream fails) */
  error?: string;
  warnings: string[];
}
