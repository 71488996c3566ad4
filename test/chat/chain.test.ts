// The fallback chain over real HTTP: each failure mode moves on, a cut stream is continued with its partial as
// context, the circuit breaker holds a failed provider out, and blackout never opens a non-loopback socket.
import net, { type LookupFunction } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CONTINUE_PROMPT, runChain, type ChainEvent } from '../../src/chat/chain.js';
import type { Provider } from '../../src/chat/providers.js';
import { cleanup, local, recordingProxy, refusedPort, server, sim } from './helpers.js';

afterEach(async () => { vi.restoreAllMocks(); await cleanup(); });

const messages = [{ role: 'user' as const, content: 'tell me something' }];

function collect() {
  const events: ChainEvent[] = [];
  return { events, onEvent: (e: ChainEvent) => events.push(e), types: () => events.filter((e) => e.type !== 'token').map((e) => e.type) };
}

describe('the fallback chain', () => {
  it('429 with a short Retry-After waits, then asks the same provider again', async () => {
    const e = await sim({ failFirst: 1, failStatus: 429, retryAfterS: 1, tokensPerSec: 0, replyText: 'after the wait' });
    const waits: number[] = [];
    const c = collect();
    const out = await runChain({ chain: [local('a', e.url)], messages, onEvent: c.onEvent, sleep: async (ms) => { waits.push(ms); } });
    expect(out.type).toBe('done');
    expect(out.type === 'done' && out.text).toBe('after the wait');
    expect(out.type === 'done' && out.provider).toBe('a');
    expect(waits).toEqual([1000]);
    expect(c.types()).toEqual(['provider-start', 'retry', 'provider-start', 'done']);
    expect(e.stats.chatRequests).toBe(2);
  });

  it('429 with a long Retry-After moves on, and says why', async () => {
    const a = await sim({ failFirst: 5, failStatus: 429, retryAfterS: 120 });
    const b = await sim({ tokensPerSec: 0, replyText: 'from b' });
    const out = await runChain({ chain: [local('a', a.url), local('b', b.url)], messages, maxRetryAfterMs: 5000, sleep: async () => { throw new Error('must not wait'); } });
    expect(out.type === 'done' && out.provider).toBe('b');
    expect(out.type === 'done' && out.skipped).toMatchObject([{ provider: 'a', kind: 'http-429' }]);
    expect(out.type === 'done' && out.skipped[0]!.reason).toMatch(/Retry-After 120 s.*longer than 5 s, moved on/);
  });

  it('503, 500, a hang before the first token, a refused port and a DNS failure each move on to the next', async () => {
    const s503 = await sim({ failFirst: 9, failStatus: 503 });
    const s500 = await sim({ failFirst: 9, failStatus: 500 });
    const hang = await sim({ hangBeforeFirstTokenMs: 10_000 });
    const port = await refusedPort();
    const ok = await sim({ tokensPerSec: 0, replyText: 'the last resort answers' });
    const lookup = ((host: string, _o: unknown, cb: (e: NodeJS.ErrnoException) => void) => cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }))) as unknown as LookupFunction;
    const remote: Provider = { name: 'remote', kind: 'remote', baseUrl: 'http://api.example.invalid/v1', loopback: false, model: 'm' };
    const chain = [remote, local('s503', s503.url), local('s500', s500.url), local('hang', hang.url), local('refused', `http://127.0.0.1:${port}`), local('local', ok.url)];
    const c = collect();
    const out = await runChain({ chain, messages, lookup, firstTokenTimeoutMs: 300, onEvent: c.onEvent });
    expect(out.type === 'done' && out.text).toBe('the last resort answers');
    expect(out.type === 'done' && out.skipped.map((s) => [s.provider, s.kind])).toEqual([
      ['remote', 'dns'], ['s503', 'http-5xx'], ['s500', 'http-5xx'], ['hang', 'first-token-timeout'], ['refused', 'refused'],
    ]);
    expect(c.events.filter((e) => e.type === 'switch')).toHaveLength(5);
  });

  it('a stream cut mid-way: the partial is kept, and the next provider continues it with the partial as context', async () => {
    const a = await sim({ tokensPerSec: 0, replyText: 'one two three four five six seven eight', cutAfterTokens: 4 });
    const b = await sim({ tokensPerSec: 0, replyText: ' five six seven eight' });
    const pa = await recordingProxy(a.url);
    const pb = await recordingProxy(b.url);
    const c = collect();
    const out = await runChain({ chain: [local('a', pa.url), local('b', pb.url)], messages, onEvent: c.onEvent });
    expect(out.type).toBe('done');
    if (out.type !== 'done') return;
    expect(out.prefix).toBe('one two three four');
    expect(out.prefix + out.text).toBe('one two three four five six seven eight');
    expect(out.skipped).toMatchObject([{ provider: 'a', kind: 'cut' }]);
    expect(out.skipped[0]!.reason).toMatch(/partial reply .* is kept and the next provider continues it/);
    const partial = c.events.find((e) => e.type === 'partial');
    expect(partial).toMatchObject({ type: 'partial', provider: 'a', text: 'one two three four' });
    expect(c.events.find((e) => e.type === 'switch')).toMatchObject({ from: 'a', to: 'b', withPartial: true });
    // what b was actually sent, on the wire
    const sent = pb.bodies.find((x) => typeof x === 'object' && x !== null && 'messages' in x) as { messages: { role: string; content: string }[] };
    expect(sent.messages).toEqual([
      { role: 'user', content: 'tell me something' },
      { role: 'assistant', content: 'one two three four' },
      { role: 'user', content: CONTINUE_PROMPT },
    ]);
    expect(c.events.find((e) => e.type === 'provider-start' && e.provider === 'b')).toMatchObject({ continuing: true });
  });

  it('every provider failing reports each reason', async () => {
    const p1 = await refusedPort();
    const s = await sim({ failFirst: 9, failStatus: 500 });
    const out = await runChain({ chain: [local('x', `http://127.0.0.1:${p1}`), local('y', s.url)], messages });
    expect(out.type).toBe('failed');
    expect(out.type === 'failed' && out.reasons.map((r) => r.provider)).toEqual(['x', 'y']);
    expect(out.type === 'failed' && out.reasons[0]!.reason).toMatch(/refused/);
    expect(out.type === 'failed' && out.reasons[1]!.reason).toMatch(/HTTP 500/);
  });

  it('a failed provider sits out its cooldown; when nothing else is left it is asked anyway', async () => {
    let t = 1_000_000;
    const breaker = new CircuitBreaker(60_000, () => t);
    const bad = await sim({ failFirst: 1, failStatus: 503, tokensPerSec: 0, replyText: 'bad is back' });
    const good = await sim({ tokensPerSec: 0, replyText: 'good' });
    const chain = [local('bad', bad.url), local('good', good.url)];
    const first = await runChain({ chain, messages, breaker });
    expect(first.type === 'done' && first.provider).toBe('good');
    expect(breaker.list().map((c) => c.provider)).toEqual(['bad']);
    const second = await runChain({ chain, messages, breaker });
    expect(second.type === 'done' && second.skipped).toMatchObject([{ provider: 'bad', kind: 'cooldown' }]);
    expect(bad.stats.chatRequests).toBe(1);
    // only the cooling provider is left: it is asked (half-open) and answers
    const third = await runChain({ chain: [local('bad', bad.url)], messages, breaker });
    expect(third.type === 'done' && third.provider).toBe('bad');
    expect(breaker.list()).toEqual([]);
    t += 120_000;
  });

  it('a provider without a model takes the first one /v1/models lists; an empty list skips it with a clear reason', async () => {
    const e = await sim({ model: 'listed-model', tokensPerSec: 0, replyText: 'ok' });
    const cache = new Map<string, string>();
    const out = await runChain({ chain: [local('a', e.url, { model: undefined })], messages, modelCache: cache });
    expect(out.type === 'done' && out.model).toBe('listed-model');
    expect(cache.get('a')).toBe('listed-model');
    const empty = await server((_req, _b, res) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"data":[]}'); });
    const out2 = await runChain({ chain: [local('empty', empty, { model: undefined }), local('a', e.url)], messages });
    expect(out2.type === 'done' && out2.skipped).toMatchObject([{ provider: 'empty', kind: 'bad-response' }]);
    expect(out2.type === 'done' && out2.skipped[0]!.reason).toMatch(/lists no models/);
  });

  it('cancel stops the chain with the partial', async () => {
    const e = await sim({ tokensPerSec: 50, replyTokens: 5000 });
    const ac = new AbortController();
    let n = 0;
    const out = await runChain({ chain: [local('a', e.url), local('b', e.url)], messages, signal: ac.signal, onEvent: (ev) => { if (ev.type === 'token' && ++n === 2) ac.abort(); } });
    expect(out.type).toBe('cancelled');
    expect(out.type === 'cancelled' && out.partial.length).toBeGreaterThan(0);
  });
});

describe('blackout', () => {
  it('tries loopback providers only and never connects to (or resolves) anything else', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'local answer' });
    const resolved: string[] = [];
    const lookup = ((host: string, _o: unknown, cb: (e: NodeJS.ErrnoException | null, a?: string, f?: number) => void) => { resolved.push(host); cb(null, '10.255.255.1', 4); }) as unknown as LookupFunction;
    const connects: unknown[] = [];
    const orig = net.Socket.prototype.connect;
    vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
      connects.push(args[0]);
      return (orig as (...a: unknown[]) => net.Socket).apply(this, args);
    } as never);
    const attempts: string[] = [];
    const chain: Provider[] = [
      { name: 'remote-ip', kind: 'remote', baseUrl: 'http://10.255.255.1:9/v1', loopback: false, model: 'm' },
      { name: 'remote-name', kind: 'remote', baseUrl: 'https://api.example.com/v1', loopback: false, model: 'm' },
      local('local', e.url),
    ];
    const out = await runChain({ chain, messages, offline: true, lookup, onConnect: (a) => attempts.push(`${a.host}:${a.port}`) });
    expect(out.type === 'done' && out.provider).toBe('local');
    expect(out.type === 'done' && out.text).toBe('local answer');
    expect(out.type === 'done' && out.skipped).toMatchObject([{ provider: 'remote-ip', kind: 'blackout' }, { provider: 'remote-name', kind: 'blackout' }]);
    expect(resolved).toEqual([]);
    expect(attempts.every((a) => a.startsWith('127.0.0.1:'))).toBe(true);
    expect(connects.length).toBeGreaterThan(0);
    for (const c of connects) {
      const o = (Array.isArray(c) ? c[0] : c) as { host?: string; port?: number } | string | number;
      const host = typeof o === 'object' && o !== null ? o.host : undefined;
      expect(host === undefined || host === '127.0.0.1' || host === 'localhost').toBe(true);
    }
  });

  it('a provider that claims loopback but whose name resolves elsewhere is refused at lookup', async () => {
    const { guardedLookup } = await import('../../src/chat/client.js');
    const inner = ((_h: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, '10.1.2.3', 4)) as unknown as LookupFunction;
    const g = guardedLookup(inner, true);
    const err = await new Promise<NodeJS.ErrnoException | null>((r) => (g as unknown as (h: string, o: object, cb: (e: NodeJS.ErrnoException | null) => void) => void)('box.lan', {}, (e) => r(e)));
    expect(err?.code).toBe('EBLACKOUT');
  });
});
