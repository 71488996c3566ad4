import { BACKENDS } from '../../backends/index.js';
import type { Attempt, Sample, SourceId } from '../../backends/types.js';
import type { Options } from '../app/options.js';
import { runnerFor } from '../hosts/runner.js';
import type { Runner } from '../../backends/types.js';
import { statusHosts } from '../hosts/status.js';
import { emptySamples, nextSample } from '../store/sample.js';
import type { Samples } from '../store/types.js';
import { killAllChildren } from '../runner/local.js';
import { summarize } from './summary.js';

export const SCHEMA = 1;
/** `sov status` answers within this, whatever the tools do (a source that has not answered by then is an error) */
export const STATUS_DEADLINE_MS = 15_000;

const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * A sample that settles by `deadlineAt` (monotonic ms); a rejection is an error; the error states the time it
 * really waited and `budget`, what the caller allows in all.
 */
export async function guarded<T = unknown>(p: Promise<Attempt<T>>, deadlineAt: number, budget = `sov status waits ${fmtS(STATUS_DEADLINE_MS)} in all`): Promise<Attempt<T>> {
  const t0 = performance.now();
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<Attempt<T>>((r) => {
    t = setTimeout(() => r({ state: 'error', message: `no answer within ${fmtS(performance.now() - t0)} (${budget})` }), Math.max(0, deadlineAt - t0));
  });
  try { return await Promise.race([p.catch((e: unknown) => ({ state: 'error' as const, message: String((e as Error)?.message ?? e) })), timeout]); } finally { clearTimeout(t); }
}

/**
 * Samples every source twice, a second apart (rates and utilisation need two readings; a streamed source needs
 * its first line), and keeps the second reading unless it is worse than the first. Everything together ends by
 * `deadlineMs`; the commands still running then are killed with their process groups.
 */
export async function collect(o: Pick<Options, 'demo' | 'demoSpeed'>, settleMs = 1100, deadlineMs = STATUS_DEADLINE_MS, on?: Runner, only?: readonly SourceId[]): Promise<{ host: string; at: number; samples: Samples }> {
  const deadlineAt = performance.now() + deadlineMs;
  const runner = on ?? runnerFor(o);
  const sources = BACKENDS.filter((b) => !only || only.includes(b.id)).map((b) => b.create(runner));
  try {
    const first = await Promise.all(sources.map((s) => guarded(s.sample(), deadlineAt)));
    const settle = Math.min(settleMs / o.demoSpeed, Math.max(0, deadlineAt - performance.now()));
    await new Promise((r) => setTimeout(r, settle));
    // a source that already used its time is not asked again
    const second = await Promise.all(sources.map((s, i) => (first[i]!.state === 'unavailable' || performance.now() >= deadlineAt ? first[i]! : guarded(s.sample(), deadlineAt))));
    const samples = emptySamples();
    const at = runner.now();
    sources.forEach((s, i) => {
      const a = second[i]!.state === 'ok' || first[i]!.state !== 'ok' ? second[i]! : first[i]!;
      (samples as Record<SourceId, Sample<unknown>>)[s.id] = nextSample<unknown>({ state: 'pending' }, a, at);
    });
    return { host: runner.host, at, samples };
  } finally {
    for (const s of sources) s.dispose();
    // several hosts sampled at once (--all-hosts) share the runner's groups: their caller ends them all at the end
    if (!on) killAllChildren();
  }
}

/** `sov status`: one JSON document (--json) or a short summary; exit 2 when a --require'd source is not ok. */
export async function runStatus(o: Options, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  // SIGTERM, SIGHUP, SIGINT or a crash while sampling: the tools' process groups go with sov (the local runner's
  // guard, src/runner/local.ts)
  // --host NAME / --all-hosts: the config's hosts over SSH (src/hosts/status.ts)
  if (o.host !== undefined || o.allHosts) return statusHosts(o, out, (runner, only) => collect(o, 1100, STATUS_DEADLINE_MS, runner, only));
  const r = await collect(o);
  // the public contract: the host sources only (engines and services come from the daemon and `sov engines`)
  const host = Object.fromEntries(BACKENDS.map((b) => [b.id, r.samples[b.id]]));
  if (o.json) out(JSON.stringify({ schema: SCHEMA, host: r.host, at: r.at, samples: host }, null, 2) + '\n');
  else out(summarize(r.host, r.at, r.samples) + '\n');
  const missing = o.require.filter((id) => r.samples[id].state !== 'ok');
  if (missing.length && !o.json) process.stderr.write(`sov: required source not ok: ${missing.join(', ')}\n`);
  return missing.length ? 2 : 0;
}
