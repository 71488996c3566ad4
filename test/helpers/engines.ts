import type { DaemonLink } from '../../src/daemon/client.js';
import type { EngineState, EngineStatus, RpcMethods } from '../../src/daemon/types.js';

export const T0 = 1_750_000_000_000;

export function engine(name: string, state: EngineState, extra: Partial<EngineStatus> = {}): EngineStatus {
  const running = state === 'healthy' || state === 'starting' || state === 'degraded';
  return {
    name, kind: 'process', state, pids: running ? [4242, 4243] : [], restarts: 0, warnings: [],
    ...(running ? { pid: 4242, startedAt: T0 - 3_723_000, rssBytes: 6.5 * 2 ** 30, tokPerSec: 42.5, models: ['/models/qwen2.5-7b-q8_0.gguf'], health: { state: state === 'starting' ? 'loading' : 'ready', at: T0 - 2000 } } : {}),
    port: 8080, host: '127.0.0.1', openai: 'http://127.0.0.1:8080/v1',
    ...extra,
  };
}

export const ALL_STATES: EngineState[] = ['stopped', 'starting', 'healthy', 'degraded', 'crashed', 'backoff', 'crashloop'];

export function everyState(): EngineStatus[] {
  return ALL_STATES.map((s, i) => engine(`eng-${s}`, s, {
    port: 8080 + i,
    ...(s === 'crashed' ? { lastExit: { code: 139, at: T0 - 60_000 }, restarts: 2 } : {}),
    ...(s === 'backoff' ? { message: 'restart in 4 s', nextRestartAt: T0 + 4000, lastExit: { code: 1, at: T0 - 1000 }, restarts: 3 } : {}),
    ...(s === 'crashloop' ? { message: '5 failures within 10 min; last exit 1', lastExit: { code: 1, at: T0 - 5000 }, restarts: 5 } : {}),
    ...(s === 'degraded' ? { message: 'health: 503 Loading model', health: { state: 'error', message: 'HTTP 500', at: T0 - 1000 } } : {}),
  }));
}

type Handler = { [M in keyof RpcMethods]?: (p: RpcMethods[M][0]) => RpcMethods[M][1] | Promise<RpcMethods[M][1]> };

/** A DaemonLink that answers from handlers; `down()` makes it behave like a daemon that went away. */
export function fakeLink(handlers: Handler, state: 'up' | 'down' = 'up') {
  const calls: { method: string; params: unknown }[] = [];
  const subs = new Set<(l: DaemonLink) => void>();
  let st = state;
  let lastError: string | undefined = state === 'down' ? 'connect ECONNREFUSED /tmp/sovd.sock' : undefined;
  const link: DaemonLink & { calls: typeof calls; set(s: 'up' | 'down', err?: string): void } = {
    get state() { return st; },
    get lastError() { return lastError; },
    since: T0,
    paths: {} as DaemonLink['paths'],
    calls,
    async call(method, params) {
      calls.push({ method, params });
      if (st !== 'up') throw new Error(`daemon down, reconnecting (${lastError})`);
      const h = handlers[method] as ((p: unknown) => unknown) | undefined;
      if (!h) throw new Error(`no handler for ${method}`);
      return (await h(params)) as never;
    },
    onChange(cb) { subs.add(cb); return () => { subs.delete(cb); }; },
    reconnectNow() {},
    close() {},
    set(s, err) { st = s; lastError = err; for (const cb of subs) cb(link); },
  };
  return link;
}
