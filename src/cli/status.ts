import { BACKENDS } from '../../backends/index.js';
import type { Attempt, Sample, SourceId } from '../../backends/types.js';
import type { Options } from '../app/options.js';
import { runnerFor } from '../hosts/runner.js';
import { emptySamples, nextSample } from '../store/sample.js';
import type { Samples } from '../store/types.js';
import { summarize } from './summary.js';

export const SCHEMA = 1;
const GUARD_MS = 15_000;

async function guarded(p: Promise<Attempt<unknown>>): Promise<Attempt<unknown>> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<Attempt<unknown>>((r) => { t = setTimeout(() => r({ state: 'error', message: `no answer within ${GUARD_MS / 1000} s` }), GUARD_MS); });
  try { return await Promise.race([p.catch((e: unknown) => ({ state: 'error' as const, message: String((e as Error)?.message ?? e) })), timeout]); } finally { clearTimeout(t); }
}

/**
 * Samples every source twice, a second apart (rates and utilisation need two readings; a streamed source needs
 * its first line), and keeps the second reading unless it is worse than the first.
 */
export async function collect(o: Pick<Options, 'demo' | 'demoSpeed'>, settleMs = 1100): Promise<{ host: string; at: number; samples: Samples }> {
  const runner = runnerFor(o);
  const sources = BACKENDS.map((b) => b.create(runner));
  try {
    const first = await Promise.all(sources.map((s) => guarded(s.sample())));
    await new Promise((r) => setTimeout(r, settleMs / o.demoSpeed));
    const second = await Promise.all(sources.map((s, i) => (first[i]!.state === 'unavailable' ? first[i]! : guarded(s.sample()))));
    const samples = emptySamples();
    const at = runner.now();
    sources.forEach((s, i) => {
      const a = second[i]!.state === 'ok' || first[i]!.state !== 'ok' ? second[i]! : first[i]!;
      (samples as Record<SourceId, Sample<unknown>>)[s.id] = nextSample<unknown>({ state: 'pending' }, a, at);
    });
    return { host: runner.host, at, samples };
  } finally {
    for (const s of sources) s.dispose();
  }
}

/** `sov status`: one JSON document (--json) or a short summary; exit 2 when a --require'd source is not ok. */
export async function runStatus(o: Options, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const r = await collect(o);
  // the public contract: the host sources only (engines and services come from the daemon and `sov engines`)
  const host = Object.fromEntries(BACKENDS.map((b) => [b.id, r.samples[b.id]]));
  if (o.json) out(JSON.stringify({ schema: SCHEMA, host: r.host, at: r.at, samples: host }, null, 2) + '\n');
  else out(summarize(r.host, r.at, r.samples) + '\n');
  const missing = o.require.filter((id) => r.samples[id].state !== 'ok');
  if (missing.length && !o.json) process.stderr.write(`sov: required source not ok: ${missing.join(', ')}\n`);
  return missing.length ? 2 : 0;
}
