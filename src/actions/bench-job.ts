/** `b` on the engines screen: the benchmark as a background job; its progress and result land in the store. */
import type { Runner } from '../../backends/types.js';
import type { DaemonLink } from '../daemon/client.js';
import type { EngineStatus } from '../daemon/types.js';
import { appendBenchResult, BENCH_PROMPTS, runBench, sampleVramOf, type BenchOptions } from '../engines/bench.js';
import type { Store } from '../store/store.js';
import { engineBaseUrl } from './engines.js';
import type { ActionResult } from './types.js';

export interface BenchJobDeps {
  link?: DaemonLink;
  /** runs nvidia-smi for VRAM (local) */
  runner?: Pick<Runner, 'run'>;
  /** bench.jsonl; undefined: results are kept in memory only */
  file?: string;
  now(): number;
  /** test hook: fewer prompts, a smaller max */
  bench?: Partial<Pick<BenchOptions, 'prompts' | 'maxTokens' | 'pollMs'>>;
}

export function benchJobStarter(store: Store, deps: BenchJobDeps): (e: EngineStatus) => ActionResult {
  return (e) => {
    const id = `bench:${e.name}:${deps.now()}`;
    const n = deps.bench?.prompts?.length ?? BENCH_PROMPTS.length;
    const title = `benchmark ${e.name}`;
    const set = (patch: Partial<{ state: 'running' | 'done' | 'failed'; progress: string; message: string }>) => {
      const prev = store.getState().jobs[id];
      store.getState().setJob({ id, title, engine: e.name, state: 'running', at: deps.now(), ...prev, ...patch });
    };
    set({ state: 'running', progress: `0/${n} prompts` });
    let latest = e;
    const link = deps.link;
    const opts: BenchOptions = {
      baseUrl: engineBaseUrl(e), engine: e.name, ...deps.bench,
      onProgress: (p) => set({ progress: `${p.done}/${p.of} prompts` }),
    };
    if (link) {
      opts.sampleRss = async () => {
        const now = (await link.call('engines.list', {}, { timeoutMs: 3000 })).find((x) => x.name === e.name);
        if (now) latest = now;
        return now?.rssBytes;
      };
    }
    if (deps.runner) {
      const runner = deps.runner;
      opts.sampleVram = () => sampleVramOf(runner, latest.pids.length ? latest.pids : latest.pid !== undefined ? [latest.pid] : []);
    }
    void runBench(opts).then((r) => {
      if (deps.file) { try { appendBenchResult(deps.file, r); } catch {} }
      store.getState().addBench([r]);
      const summary = `gen ${r.genTokPerSec?.toFixed(1) ?? '—'} tok/s · TTFT p50 ${r.ttftMs.p50?.toFixed(0) ?? '—'} ms`;
      if (r.ok === 0) set({ state: 'failed', message: r.firstError ?? 'every request failed' });
      else set({ state: 'done', message: summary });
      store.getState().say(`${title}: ${r.ok === 0 ? `failed: ${r.firstError ?? ''}` : summary}`, deps.now());
    }, (err: unknown) => {
      set({ state: 'failed', message: String((err as Error)?.message ?? err) });
    });
    return { kind: 'job', id, message: `${title}: ${n} prompts through ${engineBaseUrl(e)} …` };
  };
}
