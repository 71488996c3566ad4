// Measuring one command in a pseudo-terminal: steady CPU, terminal bytes/s, peak RSS, time to first full frame.
import stripAnsi from 'strip-ansi';
import { sampleTree, type TreeSample } from './proc.js';
import { runInPty, type PtyRunResult } from './pty.js';

export interface Sample extends TreeSample {
  /** ms since spawn */
  t: number;
}

/**
 * First full frame: the moment the last byte of the first burst of output arrived, where the burst contains the
 * marker text (or, without a marker, any visible text) and is followed by `quietMs` of silence.
 */
export class FirstFrameDetector {
  private text = '';
  private ready = false;
  private lastDataAt = -1;
  result: number | undefined;

  constructor(
    private readonly marker?: string,
    private readonly quietMs = 100,
  ) {}

  feed(chunk: string, t: number): void {
    if (this.result !== undefined) return;
    this.check(t);
    if (this.result !== undefined) return;
    this.lastDataAt = t;
    if (!this.ready) {
      this.text = (this.text + stripAnsi(chunk)).slice(-65536);
      this.ready = this.marker ? this.text.includes(this.marker) : /\S/.test(this.text);
    }
  }

  /** Call from time to time (and at the end); fixes the result once the output has been quiet long enough. */
  check(now: number): number | undefined {
    if (this.result === undefined && this.ready && now - this.lastDataAt >= this.quietMs) this.result = this.lastDataAt;
    return this.result;
  }
}

/** CPU % of one core between the first sample at or after warm-up and the last sample. */
export function steadyCpuPct(samples: Sample[], warmupMs: number): number | undefined {
  const from = samples.find((s) => s.t >= warmupMs);
  const to = samples[samples.length - 1];
  if (!from || !to || to.t <= from.t) return undefined;
  return ((to.cpuSeconds - from.cpuSeconds) / ((to.t - from.t) / 1000)) * 100;
}

/** Bytes per second of output that arrived in [fromMs, toMs). */
export function bytesPerSec(chunks: { t: number; bytes: number }[], fromMs: number, toMs: number): number | undefined {
  if (toMs <= fromMs) return undefined;
  let sum = 0;
  for (const c of chunks) if (c.t >= fromMs && c.t < toMs) sum += c.bytes;
  return sum / ((toMs - fromMs) / 1000);
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}

export function peakRss(samples: Sample[]): number | undefined {
  if (samples.length === 0) return undefined;
  return Math.max(...samples.map((s) => Math.max(s.rssBytes, s.rootHwmBytes)));
}

export interface RunSpec {
  cmd: string;
  args: string[];
  cols: number;
  rows: number;
  env: NodeJS.ProcessEnv;
  seconds: number;
  sampleMs?: number;
}

export interface RawRun {
  run: PtyRunResult;
  samples: Sample[];
  chunks: { t: number; bytes: number }[];
  firstFrameMs?: number;
}

/** Runs the command, sampling its process tree every `sampleMs` (500) and timing every chunk of output. */
export async function recordRun(spec: RunSpec, marker?: string): Promise<RawRun> {
  const samples: Sample[] = [];
  const chunks: { t: number; bytes: number }[] = [];
  const detector = new FirstFrameDetector(marker);
  let sampler: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  const run = await runInPty(spec.cmd, spec.args, {
    cols: spec.cols,
    rows: spec.rows,
    env: spec.env,
    seconds: spec.seconds,
    onSpawn: (term, started) => {
      const take = () => {
        const s = sampleTree(term.pid);
        if (s) samples.push({ ...s, t: performance.now() - started });
      };
      take();
      sampler = setInterval(take, spec.sampleMs ?? 500);
      poller = setInterval(() => {
        if (detector.check(performance.now() - started) !== undefined) clearInterval(poller);
      }, 10);
    },
    onData: (chunk, t) => {
      chunks.push({ t, bytes: Buffer.byteLength(chunk) });
      detector.feed(chunk, t);
    },
  });
  clearInterval(sampler);
  clearInterval(poller);
  return { run, samples, chunks, firstFrameMs: detector.check(run.durationMs) };
}

export interface Measurement {
  command: string;
  seconds: number;
  warmupSeconds: number;
  cpuPct?: number;
  bytesPerSec?: number;
  peakRssBytes?: number;
  firstFrameMs?: number;
  totalBytes: number;
  exitedEarly: boolean;
  exitCode: number;
}

export function summarize(spec: RunSpec, raw: RawRun, warmupSeconds: number): Measurement {
  const warmupMs = warmupSeconds * 1000;
  const end = raw.samples[raw.samples.length - 1]?.t ?? raw.run.durationMs;
  return {
    command: [spec.cmd, ...spec.args].join(' '),
    seconds: spec.seconds,
    warmupSeconds,
    cpuPct: steadyCpuPct(raw.samples, warmupMs),
    bytesPerSec: bytesPerSec(raw.chunks, warmupMs, end),
    peakRssBytes: peakRss(raw.samples),
    firstFrameMs: raw.firstFrameMs,
    totalBytes: raw.run.bytes,
    exitedEarly: raw.run.exitedEarly,
    exitCode: raw.run.exitCode,
  };
}

export interface SoakResult {
  command: string;
  seconds: number;
  warmupSeconds: number;
  ticksSimulated: number;
  startRssBytes?: number;
  endRssBytes?: number;
  growthBytes?: number;
  peakRssBytes?: number;
  exitedEarly: boolean;
  exitCode: number;
}

/**
 * RSS at start = median of the samples in the 5 s after warm-up; at end = median of the last 5 s of samples
 * (medians, so that one garbage collection more or less does not decide the result).
 */
export function soakSummary(spec: RunSpec, raw: RawRun, warmupSeconds: number, tickMs: number): SoakResult {
  const warmupMs = warmupSeconds * 1000;
  const last = raw.samples[raw.samples.length - 1]?.t ?? 0;
  // RSS saws up and down with the garbage collector (here ~105 → ~158 MB and back, tens of seconds a cycle): a leak
  // shows as a rising floor. The floor (lowest RSS) of the first quarter after the warm-up against that of the last.
  const floor = (from: number, to: number) => {
    const xs = raw.samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.rssBytes);
    return xs.length ? Math.min(...xs) : undefined;
  };
  const windowMs = Math.max(5000, (last - warmupMs) / 4);
  const startRssBytes = floor(warmupMs, warmupMs + windowMs);
  const endRssBytes = floor(Math.max(warmupMs + windowMs, last - windowMs), last);
  return {
    command: [spec.cmd, ...spec.args].join(' '),
    seconds: spec.seconds,
    warmupSeconds,
    ticksSimulated: Math.round((raw.run.durationMs - 0) / tickMs),
    startRssBytes,
    endRssBytes,
    growthBytes: startRssBytes !== undefined && endRssBytes !== undefined ? endRssBytes - startRssBytes : undefined,
    peakRssBytes: peakRss(raw.samples),
    exitedEarly: raw.run.exitedEarly,
    exitCode: raw.run.exitCode,
  };
}
