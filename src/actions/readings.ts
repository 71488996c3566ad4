/**
 * One reading of every host source through a given runner, for actions run headless: their preconditions need
 * the box as it is now (the pool's free space, the GPU's processes), read through the same runner they then act
 * with (on the demo box, the one simulated box they change). Each source has a deadline; one that hangs is `error`.
 */
import { BACKENDS } from '../../backends/index.js';
import type { Attempt, Runner, Sample, SourceId } from '../../backends/types.js';
import { emptySamples, nextSample } from '../store/sample.js';
import type { Samples } from '../store/types.js';

export async function readSamples(runner: Runner, only?: SourceId[], deadlineMs = 15_000): Promise<Samples> {
  const samples = emptySamples();
  const sources = BACKENDS.filter((b) => !only || only.includes(b.id)).map((b) => b.create(runner));
  try {
    const attempts = await Promise.all(sources.map(async (s) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<Attempt<unknown>>((r) => { timer = setTimeout(() => r({ state: 'error', message: `no answer within ${deadlineMs / 1000} s` }), deadlineMs); });
      try {
        return await Promise.race([s.sample().catch((e: unknown): Attempt<unknown> => ({ state: 'error', message: String((e as Error)?.message ?? e) })), late]);
      } finally { clearTimeout(timer); }
    }));
    const at = runner.now();
    sources.forEach((s, i) => { (samples as Record<SourceId, Sample<unknown>>)[s.id] = nextSample<unknown>({ state: 'pending' }, attempts[i]!, at); });
    return samples;
  } finally {
    for (const s of sources) s.dispose();
  }
}
