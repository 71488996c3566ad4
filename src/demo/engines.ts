/**
 * The demo box's engines: a simulated daemon link answering engines.list / logs / start / stop / restart from a
 * small state table on the demo clock. llama-server holds the 96 GB card (pid 4242, as the demo's nvidia-smi says,
 * so the VRAM join works) and vLLM the 5090 (pid 5151); KTransformers is in backoff (CUDA OOM at load, restarting
 * with growing delays); a RamaLlama worker is in crashloop. Logs move with the clock. Its tunnels: src/demo/tunnels.ts.
 *
 * Why simulated rather than a real daemon running simulated engines: the demo must cost nothing on a 2 GB box and
 * leave nothing behind when the SSH session drops (no daemon, no engine processes to leak); the real supervisor is
 * tested with real processes elsewhere. The chat, on the other hand, talks over real HTTP to a simulated engine
 * (src/demo/chat.ts).
 */
import type { DaemonLink } from '../daemon/client.js';
import type { EngineState, EngineStatus, LogsResult, RpcMethods } from '../daemon/types.js';
import { createDemoTunnels } from './tunnels.js';

interface Sim {
  name: string;
  kind: EngineStatus['kind'];
  /** how it behaves when started: up (healthy after loadSec), oom (crashes at load, then backoff), missing (exits at once) */
  behaviour: 'up' | 'oom' | 'missing';
  pid?: number;
  /** the pid it runs as when up (the demo's nvidia-smi lists it on a GPU); default a fresh one per start */
  homePid?: number;
  port: number;
  model: string;
  loadSec: number;
  state: EngineState;
  since: number;
  restarts: number;
  lastExit?: { code: number | null; at: number };
  nextRestartAt?: number;
  failures: number[];
  log: string[];
}

const LOG_KEEP = 400;
const BASE_TOKS = { llama: 41, vllm: 118 } as Record<string, number>;

/** the scaled box's engines beyond the four (bench's ×N): 2N more, healthy; the first N − 2 on GPUs 2… (pids 4300 + i) */
function scaledSeeds(now: number, scale: number, s: (o: Partial<Sim> & Pick<Sim, 'name' | 'behaviour' | 'port' | 'model'>) => Sim): Sim[] {
  if (scale <= 1) return [];
  return Array.from({ length: 2 * Math.round(scale) }, (_, k) => {
    const pid = k < scale - 2 ? 4302 + k : 6100 + k;
    return s({ name: `worker-${String(k + 1).padStart(2, '0')}`, behaviour: 'up', pid, homePid: pid, port: 8100 + k, model: 'granite-3.3-8b-instruct', state: 'healthy', since: now - (k + 1) * 60_000 });
  });
}

function seeds(now: number, scale: number): Sim[] {
  const s = (o: Partial<Sim> & Pick<Sim, 'name' | 'behaviour' | 'port' | 'model'>): Sim => ({ kind: 'process', loadSec: 4, state: 'stopped', since: now, restarts: 0, failures: [], log: [], ...o });
  return [
    s({ name: 'llama', behaviour: 'up', pid: 4242, homePid: 4242, port: 8080, model: 'qwen3-235b-a22b-q4_k_m', state: 'healthy', since: now - 3 * 3600_000 }),
    s({ name: 'vllm', behaviour: 'up', pid: 5151, homePid: 5151, port: 8000, model: 'Qwen/Qwen3-32B-AWQ', state: 'healthy', since: now - 26 * 60_000, restarts: 1 }),
    s({ name: 'ktransformers', behaviour: 'oom', port: 10002, model: 'DeepSeek-V3-0324-Q4_K_M', state: 'backoff', since: now, restarts: 3, nextRestartAt: now + 8000 }),
    s({ name: 'ramalama-worker', behaviour: 'missing', port: 8081, model: 'granite-3.3-8b', state: 'crashloop', since: now - 90_000, restarts: 5, lastExit: { code: 1, at: now - 90_000 } }),
    ...scaledSeeds(now, scale, s),
  ];
}

const stamp = (t: number) => new Date(t).toISOString().slice(11, 23);

/** `openai`: where an engine's OpenAI API really answers (the demo's simulated llama.cpp server), so chat and benchmarks reach it */
export function createDemoEnginesLink(o: { now: () => number; configPath?: string; openai?: Record<string, string>; scale?: number }): DaemonLink {
  const scale = o.scale ?? 1;
  const sims = seeds(o.now(), scale);
  // the scaled box (bench's ×N): llama logs 1250·N lines/s (10k at ×8); only the newest LOG_KEEP are made, as a
  // daemon's engines.logs answers only a tail
  const floodPerSec = scale > 1 ? 1250 * scale : 0;
  let flooded = 0;
  let floodAt = o.now();
  const tunnels = createDemoTunnels(o.now);
  let tick = 0;
  const say = (e: Sim, t: number, line: string) => { e.log.push(`${stamp(t)} ${line}`); if (e.log.length > LOG_KEEP) e.log.splice(0, e.log.length - LOG_KEEP); };
  const crash = (e: Sim, t: number, code: number, why: string) => {
    say(e, t, why);
    e.lastExit = { code, at: t };
    delete e.pid;
    e.failures = [...e.failures.filter((f) => t - f < 600_000), t];
    if (e.failures.length >= 5) { e.state = 'crashloop'; e.since = t; delete e.nextRestartAt; say(e, t, `sov: ${e.failures.length} failures within 10 min: stopped restarting (crashloop); s starts it again`); return; }
    e.state = 'backoff';
    e.since = t;
    e.nextRestartAt = t + Math.min(60, 2 ** e.failures.length) * 1000;
  };
  const start = (e: Sim, t: number) => {
    e.state = 'starting';
    e.since = t;
    e.pid = e.behaviour === 'up' ? (e.homePid ?? 6000 + tick) : 7000 + (tick % 900);
    delete e.nextRestartAt;
    say(e, t, `main: loading model '${e.model}' (${e.kind})`);
  };
  /** moves every engine along the demo clock */
  const flood = (t: number) => {
    const n = Math.floor(((t - floodAt) / 1000) * floodPerSec);
    if (n <= 0) return;
    floodAt += (n / floodPerSec) * 1000;
    const e = sims[0]!;
    if (e.state !== 'healthy') { flooded += n; return; }
    for (let i = Math.max(0, n - LOG_KEEP); i < n; i++) say(e, t, `srv  log_server_r: request ${flooded + i + 1}: POST /v1/chat/completions 127.0.0.1 200`);
    flooded += n;
  };
  const advance = () => {
    const t = o.now();
    tick++;
    if (floodPerSec > 0) flood(t);
    for (const e of sims) {
      if (e.state === 'backoff' && e.nextRestartAt !== undefined && t >= e.nextRestartAt) { e.restarts++; start(e, t); }
      if (e.state === 'starting' && t - e.since >= e.loadSec * 1000) {
        if (e.behaviour === 'up') { e.state = 'healthy'; e.since = t; say(e, t, `main: server is listening on http://127.0.0.1:${e.port} - starting the main loop`); }
        else if (e.behaviour === 'oom') crash(e, t, 1, 'CUDA error: out of memory (tried to allocate 18.50 GiB; GPU 1 has 4.1 GiB free): exit 1');
        else crash(e, t, 1, `error: failed to open model '${e.model}': No such file or directory`);
      }
      if (e.state === 'healthy' && tick % 2 === 0) {
        const tps = (BASE_TOKS[e.name] ?? 30) * (0.85 + 0.3 * Math.abs(Math.sin(t / 7000)));
        say(e, t, `slot print_timing: id 0 | task ${tick} | prompt eval 412 tokens, ${Math.round(tps * 9)} tok/s | eval ${Math.round(tps * 3)} tokens, ${tps.toFixed(1)} tok/s`);
      }
    }
  };
  const status = (e: Sim, t: number): EngineStatus => {
    const up = e.state === 'healthy' || e.state === 'starting';
    const tps = e.state === 'healthy' ? (BASE_TOKS[e.name] ?? 30) * (0.85 + 0.3 * Math.abs(Math.sin(t / 7000))) : undefined;
    return {
      name: e.name, kind: e.kind, state: e.state,
      ...(e.state === 'backoff' && e.nextRestartAt ? { message: `restart ${e.restarts + 1} in ${Math.max(0, Math.ceil((e.nextRestartAt - t) / 1000))} s (CUDA out of memory at load)` } : {}),
      ...(e.state === 'crashloop' ? { message: `${Math.max(5, e.failures.length)} failures within 10 min; last exit ${e.lastExit?.code ?? '?'}: model file missing` } : {}),
      ...(up && e.pid !== undefined ? { pid: e.pid, startedAt: e.since } : {}),
      pids: up && e.pid !== undefined ? [e.pid] : [],
      restarts: e.restarts,
      ...(e.lastExit ? { lastExit: e.lastExit } : {}),
      ...(e.nextRestartAt !== undefined ? { nextRestartAt: e.nextRestartAt } : {}),
      ...(up ? { health: { state: e.state === 'healthy' ? 'ready' as const : 'loading' as const, at: t } } : {}),
      ...(e.state === 'healthy' ? { models: [e.model], tokPerSec: tps, requestsRunning: Math.round(1 + Math.abs(Math.sin(t / 5000)) * 2), requestsWaiting: 0, kvCachePct: 40 + 20 * Math.abs(Math.sin(t / 9000)) } : {}),
      ...(up ? { rssBytes: (e.name === 'llama' ? 131 : 9.5) * 2 ** 30, listen: [{ address: '127.0.0.1', port: e.port, loopback: true }] } : {}),
      ...(up && e.name === 'llama' ? { numaBytes: { '0': 64 * 2 ** 30, '1': 67 * 2 ** 30 } } : {}),
      warnings: [],
      port: e.port, host: '127.0.0.1', openai: o.openai?.[e.name] ?? `http://127.0.0.1:${e.port}/v1`,
    };
  };
  const find = (name: string) => {
    const e = sims.find((x) => x.name === name);
    if (!e) throw Object.assign(new Error(`no engine named "${name}" (known: ${sims.map((x) => x.name).join(', ')})`), { code: 404 });
    return e;
  };
  const handlers: { [M in keyof RpcMethods]?: (p: RpcMethods[M][0]) => RpcMethods[M][1] } = {
    'engines.list': () => { advance(); const t = o.now(); return sims.map((e) => status(e, t)); },
    'engines.start': ({ name }) => { const e = find(name); const t = o.now(); e.failures = []; start(e, t); return status(e, t); },
    'engines.stop': ({ name }) => { const e = find(name); const t = o.now(); say(e, t, 'main: SIGTERM received, shutting down'); e.state = 'stopped'; e.since = t; delete e.pid; delete e.nextRestartAt; e.lastExit = { code: 0, at: t }; return status(e, t); },
    'engines.restart': ({ name }) => { const e = find(name); const t = o.now(); say(e, t, 'main: SIGTERM received, shutting down'); e.restarts++; start(e, t); return status(e, t); },
    'tunnels.list': () => tunnels.list(),
    'tunnels.start': ({ name }) => tunnels.start(name),
    'tunnels.stop': ({ name }) => tunnels.stop(name),
    'tunnels.restart': ({ name }) => tunnels.restart(name),
    'engines.logs': ({ name, lines, search }): LogsResult => {
      const e = find(name);
      const all = search ? e.log.filter((l) => l.includes(search)) : e.log;
      return { name, lines: all.slice(-(lines ?? 100)), ...(search ? { matched: all.length } : {}) };
    },
  };
  // a few lines of history so a newcomer's first look at a log is not empty
  for (const e of sims) for (let i = 8; i > 0; i--) say(e, o.now() - i * 4000, e.behaviour === 'up' ? `slot print_timing: id 0 | eval 128 tokens, ${(BASE_TOKS[e.name] ?? 30).toFixed(1)} tok/s` : e.behaviour === 'oom' ? 'CUDA error: out of memory (tried to allocate 18.50 GiB): exit 1' : `error: failed to open model '${e.model}': No such file or directory`);
  return {
    state: 'up',
    since: o.now(),
    paths: { configPath: o.configPath ?? 'the demo box (built in)' } as DaemonLink['paths'],
    async call(method, params) {
      const h = handlers[method] as ((p: unknown) => unknown) | undefined;
      if (!h) throw new Error(`the demo box does not answer ${method}`);
      return h(params) as never;
    },
    onChange: () => () => {},
    reconnectNow() {},
    close() {},
  };
}
