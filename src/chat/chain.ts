/**
 * The fallback chain: providers tried in order until one answers. A provider is left for the next one on
 * connection refused, DNS failure, connect timeout, first-token timeout, 429 (a short Retry-After is waited for
 * first), 5xx, 4xx, a bad answer, or a stream cut mid-way — then the partial reply is kept, marked partial, and
 * the next provider continues it with the partial as context. A provider that failed sits out a cooldown (circuit
 * breaker). Blackout (offline) tries loopback providers only and never opens a socket to anything else.
 */
import type { LookupFunction } from 'node:net';
import { DEFAULT_MAX_REPLY_BYTES, listModels, streamChat, type ChatErrorKind, type ChatMessage, type ConnectAttempt } from './client.js';
import type { Provider } from './providers.js';

export type SkipKind = ChatErrorKind | 'cooldown' | 'blackout' | 'config';

export interface Skip { provider: string; kind: SkipKind; reason: string }

export interface DoneFigures {
  provider: string;
  model?: string;
  ttftMs?: number;
  tokPerSec?: number;
  /** where tokPerSec came from (THE figures, src/protocols/openai.ts): the engine's timings, usage, or counted chunks */
  tokPerSecFrom?: 'timings' | 'usage' | 'chunks';
  tokens: number;
  skipped: Skip[];
  /** the reply reached the size bound (maxReplyBytes) and was cut there */
  truncated?: { limitBytes: number };
}

export type ChainEvent =
  | { type: 'provider-start'; provider: string; model?: string; loopback: boolean; continuing: boolean }
  | { type: 'skip'; provider: string; kind: SkipKind; reason: string }
  | { type: 'retry'; provider: string; waitMs: number; reason: string }
  | { type: 'token'; provider: string; text: string }
  /** a stream was cut: this much of the reply is kept (marked partial) and the next provider continues it */
  | { type: 'partial'; provider: string; model?: string; text: string; reason: string; ttftMs?: number; tokPerSec?: number; tokens: number }
  | { type: 'switch'; from: string; to: string; reason: string; withPartial: boolean }
  /** `text` is what this provider wrote; `prefix` the kept partials it continued (fullText = prefix + text) */
  | ({ type: 'done'; text: string; prefix: string; warnings: string[] } & DoneFigures)
  | { type: 'failed'; reasons: Skip[]; partial: string }
  | { type: 'cancelled'; provider?: string; partial: string };

export type ChainOutcome = Extract<ChainEvent, { type: 'done' | 'failed' | 'cancelled' }>;

/** The text the next provider gets after a cut reply, behind the partial as an assistant message. */
export const CONTINUE_PROMPT = 'Your previous reply was cut off mid-way (shown above). Continue it from exactly where it stopped; do not repeat what was already written.';

export interface Cooldown { provider: string; untilMs: number; reason: string; failures: number }

/** A monotonic clock in ms (a wall-clock jump neither ends a cooldown early nor makes it last for ever). */
export const monotonicNow = (): number => performance.now();

/** Per-provider cooldowns: a provider that failed is skipped until its cooldown ends (on a monotonic clock). */
export class CircuitBreaker {
  private readonly m = new Map<string, Cooldown>();
  constructor(public cooldownMs = 60_000, readonly now: () => number = monotonicNow) {}
  /** the active cooldown, if any */
  check(provider: string): Cooldown | undefined {
    const c = this.m.get(provider);
    return c && c.untilMs > this.now() ? c : undefined;
  }
  fail(provider: string, reason: string): void {
    const prev = this.m.get(provider);
    const failures = (prev?.failures ?? 0) + 1;
    this.m.set(provider, { provider, untilMs: this.now() + this.cooldownMs, reason, failures });
  }
  succeed(provider: string): void { this.m.delete(provider); }
  /** active cooldowns, soonest end first */
  list(): Cooldown[] {
    const t = this.now();
    return [...this.m.values()].filter((c) => c.untilMs > t).sort((a, b) => a.untilMs - b.untilMs);
  }
}

export interface ChainOptions {
  chain: Provider[];
  messages: ChatMessage[];
  /** blackout: only loopback providers */
  offline?: boolean;
  breaker?: CircuitBreaker;
  /** the model for the first provider of the chain (the one the user picked); others use their own */
  model?: string;
  /** resolved models by provider name (a session keeps one across requests) */
  modelCache?: Map<string, string>;
  stream?: boolean;
  connectTimeoutMs?: number;
  firstTokenTimeoutMs?: number;
  stallTimeoutMs?: number;
  /** a 429's Retry-After up to this long is waited for (then the same provider is asked again); default 5000 */
  maxRetryAfterMs?: number;
  maxTokens?: number;
  /** the bound on the whole reply (kept partials included), in UTF-8 bytes; default DEFAULT_MAX_REPLY_BYTES */
  maxReplyBytes?: number;
  lookup?: LookupFunction;
  onConnect?: (a: ConnectAttempt & { provider: string }) => void;
  signal?: AbortSignal;
  onEvent?: (e: ChainEvent) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) { resolve(); return; }
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const fmtS = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;

/** Runs the chain once; every event goes to onEvent, and the last one (done / failed / cancelled) is returned. */
export async function runChain(o: ChainOptions): Promise<ChainOutcome> {
  const emit = (e: ChainEvent) => { try { o.onEvent?.(e); } catch {} };
  const sleep = o.sleep ?? abortableSleep;
  const maxRa = o.maxRetryAfterMs ?? 5000;
  const skipped: Skip[] = [];
  const partials: string[] = [];
  let lastTried: string | undefined;
  let lastReason = '';
  const skip = (s: Skip) => { skipped.push(s); emit({ type: 'skip', ...s }); };
  const prefix = () => partials.join('');
  const cancelled = (provider?: string, partial = ''): ChainOutcome => {
    const e: ChainOutcome = { type: 'cancelled', partial: prefix() + partial };
    if (provider !== undefined) e.provider = provider;
    emit(e);
    return e;
  };

  const eligible: Provider[] = [];
  const cooling: Provider[] = [];
  for (const p of o.chain) {
    if (p.problem) { skip({ provider: p.name, kind: 'config', reason: p.problem }); continue; }
    if (o.offline && !p.loopback) { skip({ provider: p.name, kind: 'blackout', reason: 'blackout: not a loopback provider, not tried' }); continue; }
    eligible.push(p);
  }

  /** tries one provider; true when it answered (done was emitted) */
  const attempt = async (p: Provider, first: boolean): Promise<ChainOutcome | undefined> => {
    let model = first && o.model !== undefined ? o.model : p.model ?? o.modelCache?.get(p.name);
    if (model === undefined) {
      const m = await listModels({ baseUrl: p.baseUrl, apiKey: p.apiKey, signal: o.signal, connectTimeoutMs: o.connectTimeoutMs, timeoutMs: o.firstTokenTimeoutMs, lookup: o.lookup, loopbackOnly: o.offline, onConnect: (a) => o.onConnect?.({ ...a, provider: p.name }) });
      if (o.signal?.aborted) return cancelled(p.name);
      if (!m.ok) {
        o.breaker?.fail(p.name, m.error.message);
        lastTried = p.name; lastReason = m.error.message;
        skip({ provider: p.name, kind: m.error.kind, reason: m.error.message });
        return undefined;
      }
      model = m.ids[0]!;
      o.modelCache?.set(p.name, model);
    }
    if (lastTried !== undefined) emit({ type: 'switch', from: lastTried, to: p.name, reason: lastReason, withPartial: partials.length > 0 });
    const messages: ChatMessage[] = partials.length > 0
      ? [...o.messages, { role: 'assistant', content: prefix() }, { role: 'user', content: CONTINUE_PROMPT }]
      : o.messages;
    for (let retry = 0; ; retry++) {
      emit({ type: 'provider-start', provider: p.name, model, loopback: p.loopback, continuing: partials.length > 0 });
      const r = await streamChat({
        baseUrl: p.baseUrl, apiKey: p.apiKey, model, messages, stream: o.stream, signal: o.signal,
        connectTimeoutMs: o.connectTimeoutMs, firstTokenTimeoutMs: o.firstTokenTimeoutMs, stallTimeoutMs: o.stallTimeoutMs,
        maxTokens: o.maxTokens, lookup: o.lookup, loopbackOnly: o.offline, now: o.now,
        maxReplyBytes: Math.max(0, (o.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES) - Buffer.byteLength(prefix())),
        onConnect: (a) => o.onConnect?.({ ...a, provider: p.name }),
        onToken: (text) => emit({ type: 'token', provider: p.name, text }),
      });
      if (r.ok) {
        o.breaker?.succeed(p.name);
        const done: ChainOutcome = { type: 'done', provider: p.name, model: r.model ?? model, text: r.text, prefix: prefix(), ttftMs: r.ttftMs, tokPerSec: r.tokPerSec, tokens: r.tokens, skipped: [...skipped], warnings: r.warnings };
        if (r.truncated) done.truncated = r.truncated;
        if (r.tokPerSecFrom !== undefined) done.tokPerSecFrom = r.tokPerSecFrom;
        emit(done);
        return done;
      }
      const e = r.error;
      if (e.kind === 'cancelled') return cancelled(p.name, r.partial);
      if (e.kind === 'http-429' && e.retryAfterMs !== undefined && e.retryAfterMs <= maxRa && retry < 2) {
        emit({ type: 'retry', provider: p.name, waitMs: e.retryAfterMs, reason: e.message });
        await sleep(e.retryAfterMs, o.signal);
        if (o.signal?.aborted) return cancelled(p.name);
        continue;
      }
      let reason = e.message;
      if (e.kind === 'http-429') reason = e.retryAfterMs !== undefined ? `${e.message}: longer than ${fmtS(maxRa)}, moved on` : `${e.message} (no Retry-After), moved on`;
      if (r.partial !== '') {
        partials.push(r.partial);
        reason = `${reason}; the partial reply (${r.partial.length} chars) is kept and the next provider continues it`;
        emit({ type: 'partial', provider: p.name, model: r.model ?? model, text: r.partial, reason: e.message, ttftMs: r.ttftMs, tokPerSec: r.tokPerSec, tokens: r.tokens });
      }
      o.breaker?.fail(p.name, e.message);
      lastTried = p.name; lastReason = reason;
      skip({ provider: p.name, kind: e.kind, reason });
      return undefined;
    }
  };

  for (const p of eligible) {
    if (o.signal?.aborted) return cancelled();
    const cd = o.breaker?.check(p.name);
    if (cd) { cooling.push(p); skip({ provider: p.name, kind: 'cooldown', reason: `cooling down for ${fmtS(cd.untilMs - o.breaker!.now())} after: ${cd.reason}` }); continue; }
    const out = await attempt(p, p === o.chain[0]);
    if (out) return out;
  }
  // every provider outside a cooldown failed: the ones cooling down are asked anyway (half-open), in order
  for (const p of cooling) {
    if (o.signal?.aborted) return cancelled();
    const out = await attempt(p, p === o.chain[0]);
    if (out) return out;
  }
  if (o.signal?.aborted) return cancelled();
  const reasons = skipped.length > 0 ? skipped : [{ provider: '(none)', kind: 'config' as const, reason: 'no provider is configured' }];
  const failed: ChainOutcome = { type: 'failed', reasons, partial: prefix() };
  emit(failed);
  return failed;
}

