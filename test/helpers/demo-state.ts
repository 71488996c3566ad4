import { BACKENDS } from '../../backends/index.js';
import type { Attempt, SourceId } from '../../backends/types.js';
import { omniDemo } from '../../src/demo/omni/index.js';
import { createDemoRunner } from '../../src/runner/demo.js';
import { createAppStore, type Store } from '../../src/store/store.js';
import type { AttemptBatch } from '../../src/store/types.js';

/** A store filled by the real backends reading the demo box twice (rates need two readings). */
export async function demoStore(cols = 120, rows = 40): Promise<{ store: Store; now: number; attempts: AttemptBatch }> {
  let clock = 1_750_000_000_000;
  const runner = createDemoRunner(omniDemo, { clock: () => clock });
  const store = createAppStore({ host: runner.host, cols, rows, theme: 'no-color' });
  const sources = BACKENDS.map((b) => b.create(runner));
  let attempts: AttemptBatch = {};
  for (let i = 0; i < 3; i++) {
    const results = await Promise.all(sources.map((s) => s.sample()));
    attempts = Object.fromEntries(sources.map((s, k) => [s.id, results[k]])) as AttemptBatch;
    store.getState().ingest(runner.host, attempts, runner.now());
    clock += 1000;
    await new Promise((r) => setTimeout(r, 30));
  }
  for (const s of sources) s.dispose();
  return { store, now: runner.now(), attempts };
}

export function failAll(store: Store, at: number, make: (id: SourceId) => Attempt<unknown>): void {
  const batch = Object.fromEntries((['nvidia', 'numa', 'system', 'zfs'] as SourceId[]).map((id) => [id, make(id)])) as AttemptBatch;
  store.getState().ingest(store.getState().current, batch, at);
}
