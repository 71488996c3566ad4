/**
 * `sov engines bench NAME [--json] [--url URL] [--model M] [-n N] [--max-tokens N] [--config PATH]`:
 * the engine benchmark (src/engines/bench.ts) from the command line. The daemon gives the engine's base URL and
 * its process tree (peak RSS, VRAM); `--url` benchmarks any OpenAI-compatible URL without the daemon.
 * The result is appended to <state>/bench.jsonl; --json prints it as one JSON document.
 */
import { parseArgs } from 'node:util';
import { engineBaseUrl } from '../actions/engines.js';
import { connectDaemon, type DaemonClient } from '../daemon/client.js';
import { EXIT, type EngineStatus } from '../daemon/types.js';
import { appendBenchResult, BENCH_MAX_TOKENS, BENCH_PROMPTS, benchFile, runBench, sampleVramOf, type BenchResult } from '../engines/bench.js';
import { createLocalRunner } from '../runner/local.js';
import { bytes, num } from '../../widgets/primitives/format.js';
import { exitFor } from './daemon.js';
import { clean } from './engines.js';

export const BENCH_USAGE = `usage:
  sov engines bench NAME [--json] [--model M] [-n N] [--max-tokens N] [--config PATH]
  sov engines bench [NAME] --url http://127.0.0.1:8080/v1 [--json] [--api-key-env VAR]

Runs ${BENCH_PROMPTS.length} fixed prompts (max ${BENCH_MAX_TOKENS} tokens each) one after another through the engine's
OpenAI-compatible API, streamed: TTFT p50/p95, generation and prompt tok/s, peak RSS and VRAM of the engine.
The result is appended to $XDG_STATE_HOME/sov/bench.jsonl (shown in the cockpit's engine detail).
--url needs no daemon (RSS and VRAM are then unknown).

exit codes: 0 ok · 1 every request failed · 2 bad arguments · 3 no such engine · 6 daemon down`;


export function benchSummary(r: BenchResult, file?: string): string {
  const ms = (v?: number) => (v === undefined ? '—' : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
  const from = r.genFrom === 'timings' ? ' (engine timings)' : r.genFrom === 'usage' ? ' (usage tokens over the stream, measured here)' : r.genFrom === 'chunks' ? ' (counted chunks over the stream, measured here)' : '';
  return [
    `${clean(r.engine)} · ${clean(r.model)} · ${r.prompts} prompts × ${r.maxTokens} max tokens · ${clean(r.baseUrl)}`,
    `  gen      ${num(r.genTokPerSec, ' tok/s', 1)}${from}`,
    `  prompt   ${num(r.promptTokPerSec, ' tok/s', 0)}`,
    `  TTFT     p50 ${ms(r.ttftMs.p50)} · p95 ${ms(r.ttftMs.p95)}`,
    `  peak     RSS ${bytes(r.peakRssBytes)} · VRAM ${bytes(r.peakVramBytes)}`,
    `  ${r.ok}/${r.prompts} ok · ${r.completionTokens} tokens · ${(r.durationMs / 1000).toFixed(1)} s${file ? ` · saved to ${file}` : ''}`,
    ...(r.firstError ? [`  first error: ${clean(r.firstError)}`] : []),
  ].join('\n');
}

export async function runBenchCli(argv: string[], io: { out?: (s: string) => void; err?: (s: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const out = io.out ?? ((s: string) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); });
  const err = io.err ?? ((s: string) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); });
  const env = io.env ?? process.env;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, url: { type: 'string' }, model: { type: 'string' }, n: { type: 'string', short: 'n' },
        'max-tokens': { type: 'string' }, config: { type: 'string' }, 'api-key-env': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`sov engines bench: ${(e as Error).message}\n\n${BENCH_USAGE}`);
    return EXIT.usage;
  }
  const v = parsed.values;
  if (v.help) { out(BENCH_USAGE); return EXIT.ok; }
  const [name, ...extra] = parsed.positionals;
  if (extra.length) { err(`sov engines bench: unexpected argument: ${extra[0]}\n\n${BENCH_USAGE}`); return EXIT.usage; }
  if (!name && !v.url) { err(`sov engines bench: name an engine (or give --url)\n\n${BENCH_USAGE}`); return EXIT.usage; }
  const int = (flag: string, raw: string | undefined, def: number, max: number) => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag} wants a whole number 1–${max}, got "${raw}"`);
    return n;
  };
  let count: number, maxTokens: number;
  try {
    count = int('n', v.n, BENCH_PROMPTS.length, 100);
    maxTokens = int('max-tokens', v['max-tokens'], BENCH_MAX_TOKENS, 32768);
  } catch (e) { err(`sov engines bench: ${(e as Error).message}`); return EXIT.usage; }
  const prompts = Array.from({ length: count }, (_, i) => BENCH_PROMPTS[i % BENCH_PROMPTS.length]!);
  const apiKey = v['api-key-env'] ? env[v['api-key-env']] : undefined;

  let client: DaemonClient | undefined;
  let baseUrl = v.url;
  let engineName = name ?? (() => { try { return new URL(v.url!).host; } catch { return 'url'; } })();
  let sampleRss: (() => Promise<number | undefined>) | undefined;
  let sampleVram: (() => Promise<number | undefined>) | undefined;
  try {
    if (!baseUrl) {
      client = await connectDaemon({ autostart: true, env, ...(v.config !== undefined ? { config: v.config } : {}) });
      const list = await client.call('engines.list', {});
      const e = list.find((x) => x.name === name);
      if (!e) { err(`sov engines bench: no engine named "${clean(name!)}" (known: ${list.map((x) => clean(x.name)).join(', ') || 'none'})`); return EXIT.notFound; }
      if (e.state !== 'healthy' && e.state !== 'degraded') { err(`sov engines bench: ${clean(e.name)} is ${e.state}: start it first (sov engines start ${clean(e.name)})`); return EXIT.failed; }
      baseUrl = engineBaseUrl(e);
      engineName = e.name;
      const c = client;
      let latest: EngineStatus = e;
      const runner = createLocalRunner();
      sampleRss = async () => {
        const now = (await c.call('engines.list', {}, { timeoutMs: 3000 })).find((x) => x.name === engineName);
        if (now) latest = now;
        return now?.rssBytes;
      };
      sampleVram = () => sampleVramOf(runner, latest.pids.length ? latest.pids : latest.pid !== undefined ? [latest.pid] : []);
    }
    const result = await runBench({
      baseUrl, engine: engineName, prompts, maxTokens, ...(v.model ? { model: v.model } : {}), ...(apiKey ? { apiKey } : {}),
      ...(sampleRss ? { sampleRss } : {}), ...(sampleVram ? { sampleVram } : {}),
      onProgress: (p) => { if (!v.json) err(`  ${p.done}/${p.of}${p.last?.error ? ` ✖ ${clean(p.last.error)}` : p.last?.ttftMs !== undefined ? ` TTFT ${p.last.ttftMs.toFixed(0)} ms` : ''}`); },
    });
    let file: string | undefined;
    try {
      file = await benchFile(env);
      appendBenchResult(file, result);
    } catch (e) {
      err(`sov engines bench: could not save the result: ${(e as Error).message}`);
      file = undefined;
    }
    out(v.json ? JSON.stringify(result) : benchSummary(result, file));
    return result.ok > 0 ? EXIT.ok : EXIT.failed;
  } catch (e) {
    err(`sov engines bench: ${clean((e as Error)?.message ?? String(e))}`);
    return exitFor(e);
  } finally {
    client?.close();
  }
}

export default runBenchCli;
