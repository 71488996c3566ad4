// Key → redraw latency through the PTY (issue 11: ≤ 50 ms): the cockpit runs in a pseudo-terminal; once its first
// frame is drawn, screen keys are pressed every few hundred ms ('2' GPU, '1' Overview, alternating: each press
// redraws most of the screen). For each press: the ms from writing the key to the first byte back, and to the end
// of that burst of output (no byte for QUIET_MS), which is when the terminal shows the new screen.
import { runInPty } from './pty.js';

export interface KeyLatencyResult {
  presses: number;
  /** ms to the first byte of the redraw, median and 95th percentile */
  firstByteMedianMs: number;
  firstByteP95Ms: number;
  /** ms to the end of the redraw (the last byte of its burst), median and 95th percentile */
  redrawMedianMs: number;
  redrawP95Ms: number;
  /** presses that drew nothing within 1 s */
  unanswered: number;
}

/** the end of a burst: no byte for this long */
const QUIET_MS = 25;
const GIVE_UP_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function measureKeyLatency(o: { cmd: string; args: string[]; cols: number; rows: number; env: NodeJS.ProcessEnv; presses?: number; keys?: string[] }): Promise<KeyLatencyResult> {
  const presses = o.presses ?? 30;
  const keys = o.keys ?? ['2', '1'];
  let last = -1;
  let first = -1;
  const firstByte: number[] = [];
  const redraw: number[] = [];
  let unanswered = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => { done = r; });
  await runInPty(o.cmd, o.args, {
    cols: o.cols, rows: o.rows, env: o.env,
    seconds: 8 + presses * 0.8,
    onData: (_chunk, t) => { last = t; if (first < 0) first = t; },
    onSpawn: (term, started) => {
      const now = () => performance.now() - started;
      void (async () => {
        // the first frame, then a second of ticks so start-up work is over
        while (first < 0 && now() < 10_000) await sleep(20);
        await sleep(1500);
        for (let i = 0; i < presses; i++) {
          // start between ticks: wait for a quiet moment so the burst measured is the key's, not the sampler's
          while (now() - last < 60) await sleep(5);
          const t0 = now();
          const before = last;
          term.write(keys[i % keys.length]!);
          while (last === before && now() - t0 < GIVE_UP_MS) await sleep(1);
          if (last === before) { unanswered++; continue; }
          firstByte.push(last - t0);
          while (now() - last < QUIET_MS) await sleep(1);
          redraw.push(last - t0);
          await sleep(250 + (i % 5) * 37);
        }
        done();
        try { term.kill('SIGTERM'); } catch {}
      })();
    },
  });
  await Promise.race([finished, sleep(100)]);
  return {
    presses, unanswered,
    firstByteMedianMs: percentile(firstByte, 50), firstByteP95Ms: percentile(firstByte, 95),
    redrawMedianMs: percentile(redraw, 50), redrawP95Ms: percentile(redraw, 95),
  };
}

export function formatKeyLatency(r: KeyLatencyResult, budgetMs: number): string {
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  return `key → redraw through the PTY ('2'/'1' screen switches, ${r.presses} presses${r.unanswered ? `, ${r.unanswered} unanswered` : ''}): ` +
    `first byte median ${f(r.firstByteMedianMs)} (p95 ${f(r.firstByteP95Ms)}), redraw done median ${f(r.redrawMedianMs)} (p95 ${f(r.redrawP95Ms)})\n` +
    `  budget ≤ ${budgetMs} ms (the redraw done, median): ${r.unanswered === 0 && r.redrawMedianMs <= budgetMs ? 'PASS' : 'FAIL'}`;
}
