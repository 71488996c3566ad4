/**
 * The nvidia source: one long-lived `nvidia-smi --query-gpu=… -lms 1000` stream for the fast fields, and
 * `nvidia-smi -q -x` at most every 10 s for static facts, health and processes. Restarts are lazy (at the next
 * sample once runner.now() passes the backoff deadline), so the whole thing is deterministic under a fake runner.
 */
import type { Attempt, Runner, Source, StreamHandle, StreamExit } from '../types.js';
import { classifyNvidiaError, FAST_FIELDS, parseQueryCsvRow, parseQX, type NvidiaError } from './parse.js';
import type { Gpu, NvidiaData, PcieLink } from './types.js';

export const STREAM_INTERVAL_MS = 1000;
export const QX_EVERY_MS = 10_000;
export const QX_TIMEOUT_MS = 15_000;
export const BACKOFF_MAX_MS = 30_000;
/** stream rows older than this are dropped from the merge (the stream is down) */
const ROW_STALE_MS = 5 * STREAM_INTERVAL_MS;

/** Clock-reason field variants, newest first: drivers < 535 only know `clocks_throttle_reasons.active`. */
export const REASON_FIELDS = ['clocks_event_reasons.active', 'clocks_throttle_reasons.active', null] as const;

export function streamFields(variant: number): string[] {
  const base: string[] = FAST_FIELDS.filter((f) => f !== 'clocks_event_reasons.active');
  const r = REASON_FIELDS[variant];
  return r ? [...base, r] : base;
}

export function streamArgv(variant = 0, ms = STREAM_INTERVAL_MS): string[] {
  return ['nvidia-smi', `--query-gpu=${streamFields(variant).join(',')}`, '--format=csv,noheader,nounits', '-lms', String(ms)];
}

export const QX_ARGV = ['nvidia-smi', '-q', '-x'] as const;

export const NOT_FOUND: Attempt<NvidiaData> = {
  state: 'unavailable',
  reason: 'nvidia-smi not found on PATH',
  hint: 'install the NVIDIA driver utilities (nvidia-utils) or run sov where the GPUs are',
};

interface Row { gpu: Gpu; reasonsKnown: boolean; at: number }

function normBus(b: string | undefined): string | undefined {
  if (!b) return undefined;
  const m = /(?:([0-9a-f]+):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(b.trim());
  if (!m) return b.toLowerCase();
  return `${parseInt(m[1] ?? '0', 16)}:${parseInt(m[2]!, 16)}:${parseInt(m[3]!, 16)}.${m[4]}`;
}

/** Stream values win for the fast fields; -q -x fills the rest. */
export function mergeGpu(base: Gpu | undefined, row: Row | undefined): Gpu {
  if (!base) return row!.gpu;
  if (!row) return base;
  const s = row.gpu;
  const out: Gpu = { ...base };
  const fast = ['utilPct', 'memUtilPct', 'memUsedBytes', 'memTotalBytes', 'tempC', 'powerDrawW', 'powerLimitW', 'fanPct',
    'smClockMHz', 'memClockMHz', 'pstate'] as const;
  for (const k of fast) if (s[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = s[k];
  const pcie: PcieLink = { ...base.pcie };
  for (const k of Object.keys(s.pcie) as (keyof PcieLink)[]) if (s.pcie[k] !== undefined) pcie[k] = s.pcie[k];
  out.pcie = pcie;
  if (row.reasonsKnown) out.throttleReasons = s.throttleReasons;
  if (!out.uuid && s.uuid) out.uuid = s.uuid;
  if (s.fault && !out.fault) out.fault = s.fault;
  return out;
}

class NvidiaSource implements Source<NvidiaData> {
  readonly id = 'nvidia' as const;
  private handle: StreamHandle | undefined;
  private gen = 0;
  private variant = 0;
  private failures = 0;
  private nextStartAt = 0;
  private rows = new Map<number, Row>();
  private streamError: NvidiaError | undefined;
  private streamNote: string | undefined;
  private notFound = false;
  private disposed = false;
  private qx: { data: NvidiaData; at: number } | undefined;
  private qxAttemptAt: number | undefined;
  private qxError: { err?: NvidiaError; message: string } | undefined;
  private qxInFlight: Promise<void> | undefined;

  constructor(private readonly runner: Runner) {}

  private startStream(now: number): void {
    const gen = ++this.gen;
    const argv = streamArgv(this.variant);
    let invalid: NvidiaError | undefined;
    const onLine = (line: string) => {
      if (gen !== this.gen) return;
      const err = classifyNvidiaError(line);
      if (err) {
        if (err.kind === 'invalid-field') invalid = err;
        else this.streamError = err;
        return;
      }
      const warnings: string[] = [];
      const r = parseQueryCsvRow(line, streamFields(this.variant), warnings);
      if (!r) { if (warnings[0]) this.streamNote = warnings[0]; return; }
      this.rows.set(r.gpu.index, { ...r, at: this.runner.now() });
      this.failures = 0;
      this.streamError = undefined;
    };
    const onExit = (exit: StreamExit) => {
      if (gen !== this.gen) return;
      this.handle = undefined;
      const t = this.runner.now();
      if (exit.notFound) { this.notFound = true; return; }
      const err = invalid ?? classifyNvidiaError(exit.stderr);
      if (err?.kind === 'invalid-field' && this.variant < REASON_FIELDS.length - 1 && (err.field === undefined || err.field === REASON_FIELDS[this.variant])) {
        this.variant++;
        this.nextStartAt = t; // an immediate retry with the older field name is not a failure
        this.streamNote = `stream: ${err.message}; retrying with ${REASON_FIELDS[this.variant] ?? 'no clock-reason field'}`;
        return;
      }
      if (err) this.streamError = err;
      this.failures++;
      const delay = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** (this.failures - 1));
      this.nextStartAt = t + delay;
      const why = exit.spawnError ?? (err?.message || exit.stderr.trim().split('\n').pop() || `exit ${exit.exitCode ?? exit.signal ?? '?'}`);
      this.streamNote = `stream exited (${why.slice(0, 160)}); restart in ${delay / 1000} s`;
    };
    try {
      this.handle = this.runner.stream(argv, { onLine, onExit });
    } catch (e) {
      // a runner that cannot spawn at all: treat like an exit
      this.gen++;
      this.handle = undefined;
      this.failures++;
      const delay = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** (this.failures - 1));
      this.nextStartAt = now + delay;
      this.streamNote = `stream failed to start (${(e as Error).message.slice(0, 160)}); restart in ${delay / 1000} s`;
    }
  }

  private async runQx(): Promise<void> {
    this.qxAttemptAt = this.runner.now();
    try {
      const r = await this.runner.run([...QX_ARGV], { timeoutMs: QX_TIMEOUT_MS });
      if (r.notFound) { this.notFound = true; return; }
      const data = r.stdout.includes('<nvidia_smi_log') ? parseQX(r.stdout) : undefined;
      const err = classifyNvidiaError(`${r.stderr}\n${data ? '' : r.stdout}`);
      if (data && data.gpus.length) {
        if (err) data.warnings.push(err.message);
        if (r.timedOut) data.warnings.push('nvidia-smi -q -x timed out: partial output');
        this.qx = { data, at: this.runner.now() };
        this.qxError = err?.kind === 'gpu-lost' ? { err, message: err.message } : undefined;
        return;
      }
      if (err) { this.qxError = { err, message: err.message }; return; }
      if (r.timedOut) { this.qxError = { message: `nvidia-smi -q -x timed out after ${QX_TIMEOUT_MS / 1000} s` }; return; }
      if (r.spawnError) { this.qxError = { message: `nvidia-smi -q -x: ${r.spawnError}` }; return; }
      const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').pop() ?? '';
      this.qxError = { message: `nvidia-smi -q -x exited ${r.exitCode ?? '?'}${tail ? `: ${tail.slice(0, 160)}` : ''}` };
      if (data) this.qx = { data, at: this.runner.now() };
    } catch (e) {
      this.qxError = { message: `nvidia-smi -q -x: ${(e as Error).message}` };
    }
  }

  async sample(): Promise<Attempt<NvidiaData>> {
    try {
      return await this.sampleInner();
    } catch (e) {
      return { state: 'error', message: `nvidia: ${(e as Error).message}` };
    }
  }

  private async sampleInner(): Promise<Attempt<NvidiaData>> {
    if (this.disposed) return { state: 'error', message: 'nvidia source disposed' };
    const now = this.runner.now();
    if (!this.notFound && !this.handle && now >= this.nextStartAt) this.startStream(now);

    const due = this.qxAttemptAt === undefined || now - this.qxAttemptAt >= QX_EVERY_MS;
    if (due && !this.qxInFlight && !this.notFound) {
      const p = this.runQx().finally(() => { this.qxInFlight = undefined; });
      this.qxInFlight = p;
      // the first -q -x is awaited (so the very first sample has data); later ones refresh in the background
      if (!this.qx) await p;
    } else if (!this.qx && this.qxInFlight) {
      await this.qxInFlight;
    }
    if (this.notFound) return NOT_FOUND;
    return this.compose();
  }

  private compose(): Attempt<NvidiaData> {
    const now = this.runner.now();
    const rows = [...this.rows.values()].filter((r) => now - r.at <= ROW_STALE_MS);
    const base = this.qx?.data;
    const warnings = [...(base?.warnings ?? [])];

    // a driver-level failure after a good start: the cached -q -x data is no longer the truth
    const fatal = this.qxError?.err && this.qxError.err.kind !== 'gpu-lost' && this.qxError.err.kind !== 'invalid-field';
    if (!rows.length && (!base || fatal)) {
      const err = this.qxError?.err ?? this.streamError;
      if (err && (err.kind === 'driver-not-loaded' || err.kind === 'no-devices')) return { state: 'unavailable', reason: err.message, hint: err.hint };
      if (err) return { state: 'error', message: `${err.message} (${err.hint})` };
      if (this.qxError) return { state: 'error', message: this.qxError.message };
      return { state: 'error', message: this.streamNote ?? 'nvidia-smi gave no data' };
    }

    const gpus: Gpu[] = [];
    const used = new Set<Row>();
    for (const g of base?.gpus ?? []) {
      const row = rows.find((r) => !used.has(r) && g.uuid && r.gpu.uuid === g.uuid) ?? rows.find((r) => !used.has(r) && !r.gpu.uuid && r.gpu.index === g.index);
      if (row) used.add(row);
      gpus.push(mergeGpu(g, row));
    }
    for (const r of rows) if (!used.has(r)) gpus.push(mergeGpu(undefined, r));
    gpus.sort((a, b) => a.index - b.index);

    // a lost GPU the others still report around: show it as a fault, not as silence
    for (const err of [this.qxError?.err, this.streamError]) {
      if (err?.kind !== 'gpu-lost') continue;
      const bus = normBus(err.busId);
      const hit = bus ? gpus.find((g) => normBus(g.busId) === bus) : undefined;
      if (hit) { if (!hit.fault) hit.fault = err.message; }
      else if (!gpus.some((g) => g.fault)) {
        gpus.push({ index: gpus.reduce((m, g) => Math.max(m, g.index + 1), 0), uuid: '', name: 'unreachable GPU', busId: err.busId, pcie: {}, throttleReasons: [], processes: [], fault: err.message });
      }
    }
    if (this.qxError && !(this.qxError.err?.kind === 'gpu-lost')) warnings.push(`${this.qxError.message} (showing -q -x data from ${this.qx ? Math.round((now - this.qx.at) / 1000) + ' s ago' : 'never'})`);
    if (this.streamNote && !rows.length) warnings.push(this.streamNote);
    const data: NvidiaData = { gpus, warnings: warnings.slice(-50) };
    if (base?.driverVersion) data.driverVersion = base.driverVersion;
    if (base?.cudaVersion) data.cudaVersion = base.cudaVersion;
    return { state: 'ok', data };
  }

  dispose(): void {
    this.disposed = true;
    this.gen++;
    const h = this.handle;
    this.handle = undefined;
    try { h?.stop(); } catch {}
  }
}

export function createNvidiaSource(runner: Runner): Source<NvidiaData> {
  return new NvidiaSource(runner);
}
