// npm run bench: the app (default `node dist/sov.js --demo`) and htop side by side in a 120×40 pseudo-terminal,
// then a soak that ages the app a simulated day fast, then the daemon's supervision overhead and restart latency
// with 5 simulated engines, and chat rendering at 2000 tok/s. Usage: docs/bench.md, or `tsx bench/run.ts --help`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseBenchArgs, UsageError, type BenchOptions } from './args.js';
import { median, recordRun, soakSummary, summarize, type Measurement, type RunSpec, type SoakResult } from './measure.js';
import { formatChatBench, measureChatRendering, type ChatBenchResult } from './chat.js';
import { BUDGETS, buildRows, formatTable } from './report.js';
import { formatSupervision, measureSupervision, type SupervisionResult } from './supervision.js';
import { formatAuditBench, measureAudit, type AuditBenchResult } from './audit.js';
import { formatKeyLatency, measureKeyLatency, type KeyLatencyResult } from './keys.js';

function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The environment the cockpit would get from a login shell: NODE_ENV unset, not CI, a 256-colour xterm. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', CI: 'false' };
  for (const key of ['NODE_ENV', 'COLUMNS', 'LINES', 'FORCE_COLOR', 'NO_COLOR']) delete env[key];
  return env;
}

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function measure(opts: BenchOptions, argv: string[], marker: string | undefined): Promise<Measurement> {
  const spec: RunSpec = { cmd: argv[0]!, args: argv.slice(1), cols: opts.cols, rows: opts.rows, env: childEnv(), seconds: opts.seconds };
  const runs: Measurement[] = [];
  for (let i = 0; i < opts.repeat; i++) {
    log(`${argv.join(' ')}: run ${i + 1}/${opts.repeat}, ${opts.seconds} s at ${opts.cols}×${opts.rows}`);
    const m = summarize(spec, await recordRun(spec, marker), opts.warmupSeconds);
    if (m.exitedEarly) log(`  exited by itself with code ${m.exitCode} before ${opts.seconds} s: figures are not valid`);
    runs.push(m);
  }
  if (runs.length === 1) return runs[0]!;
  const med = (f: (m: Measurement) => number | undefined) => median(runs.map(f).filter((v): v is number => v !== undefined));
  return {
    ...runs[0]!,
    cpuPct: med((m) => m.cpuPct),
    bytesPerSec: med((m) => m.bytesPerSec),
    peakRssBytes: med((m) => m.peakRssBytes),
    firstFrameMs: med((m) => m.firstFrameMs),
    totalBytes: med((m) => m.totalBytes) ?? 0,
    exitedEarly: runs.some((m) => m.exitedEarly),
  };
}

async function soak(opts: BenchOptions): Promise<SoakResult> {
  const argv = opts.soakCmd;
  const spec: RunSpec = { cmd: argv[0]!, args: argv.slice(1), cols: opts.cols, rows: opts.rows, env: childEnv(), seconds: opts.soakSeconds };
  log(`soak: ${argv.join(' ')} for ${opts.soakSeconds} s`);
  const result = soakSummary(spec, await recordRun(spec), Math.min(opts.soakWarmupSeconds, opts.soakSeconds / 4), opts.soakIntervalMs);
  if (result.exitedEarly) log(`  soak command exited by itself with code ${result.exitCode}: figures are not valid`);
  return result;
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2), which('htop'));
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
  const app = opts.app ? await measure(opts, opts.cmd, opts.marker) : undefined;
  const htop = opts.htop ? await measure(opts, opts.htop, opts.htopMarker) : undefined;
  // the demo box ×N (issue 11: at most 2× the demo box's CPU): N GPUs and NUMA nodes, 200 disks, 500 datasets, 4 + 2N engines
  const scaled = opts.app && opts.scale > 1 ? { factor: opts.scale, m: await measure(opts, [...opts.cmd, '--demo-scale', String(opts.scale)], opts.marker) } : undefined;
  if (!opts.htop) log('htop not found (or --no-htop): ratios are N/A');
  let keys: KeyLatencyResult | { error: string } | undefined;
  if (opts.keys) {
    log(`keys: ${opts.cmd.join(' ')}: '2'/'1' screen switches through the PTY, the time to the end of each redraw`);
    try {
      keys = await measureKeyLatency({ cmd: opts.cmd[0]!, args: opts.cmd.slice(1), cols: opts.cols, rows: opts.rows, env: childEnv() });
    } catch (err) {
      keys = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  const soakResult = opts.soak ? await soak(opts) : undefined;
  let supervision: SupervisionResult | { error: string } | undefined;
  if (opts.supervision) {
    try {
      supervision = await measureSupervision({ seconds: opts.supervisionSeconds, restartTrials: opts.restartTrials, log });
    } catch (err) {
      supervision = { error: err instanceof Error ? err.message : String(err) };
      log(`supervision: failed: ${supervision.error}`);
    }
  }
  let chat: (ChatBenchResult & { keepsUp: boolean }) | { error: string } | undefined;
  if (opts.chat) {
    log('chat: a simulated engine streaming at 2000 tok/s into a chat session, the 120×40 chat screen composed per update');
    try {
      const r = await measureChatRendering({ tokensPerSec: 2000 });
      // "keeps up": every token shown by the end, and the screen never more than 1 s behind the wire
      chat = { ...r, keepsUp: r.keptUp && r.maxLagMs < 1000 };
    } catch (err) {
      chat = { error: err instanceof Error ? err.message : String(err) };
      log(`chat: failed: ${chat.error}`);
    }
  }

  // the audit log: 10,000 entries verified (issue 8); a few seconds, always run
  let audit: AuditBenchResult | { error: string };
  try { audit = await measureAudit(); } catch (err) { audit = { error: err instanceof Error ? err.message : String(err) }; }

  const rows = buildRows(app, htop, soakResult, scaled);
  process.stdout.write(`\n${formatTable(rows)}\n`);
  if (soakResult) {
    const mb = (b?: number) => (b === undefined ? '—' : `${(b / 1024 / 1024).toFixed(1)} MB`);
    process.stdout.write(
      `\nsoak: ${soakResult.seconds} s, ≈${soakResult.ticksSimulated} ticks (${(soakResult.ticksSimulated / 3600).toFixed(1)} simulated hours at 1 Hz); ` +
        `RSS start ${mb(soakResult.startRssBytes)}, end ${mb(soakResult.endRssBytes)}, peak ${mb(soakResult.peakRssBytes)}\n`,
    );
  }
  if (keys) process.stdout.write(`\n${'error' in keys ? `keys: FAILED: ${keys.error}` : formatKeyLatency(keys, BUDGETS.keyRedrawMs)}\n`);
  if (supervision) process.stdout.write(`\n${'error' in supervision ? `supervision: FAILED: ${supervision.error}` : formatSupervision(supervision)}\n`);
  if (chat) {
    process.stdout.write(
      `\n${'error' in chat ? `chat: FAILED: ${chat.error}` : `${formatChatBench(chat)}\n  keeps up (every token on screen, trailing the wire by < 1 s): ${chat.keepsUp ? 'PASS' : 'FAIL'}`}\n`,
    );
  }
  process.stdout.write(`\n${'error' in audit ? `audit log: FAILED: ${audit.error}` : formatAuditBench(audit)}\n`);
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  const doc = {
    at: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    terminal: { cols: opts.cols, rows: opts.rows },
    app,
    htop,
    scaled,
    keys,
    soak: soakResult,
    supervision,
    chat,
    audit,
    rows,
  };
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`\nresults: ${out}\n`);
  const keysFailed = keys !== undefined && ('error' in keys || keys.unanswered > 0 || keys.redrawMedianMs > BUDGETS.keyRedrawMs);
  const failed = rows.some((r) => r.verdict === 'FAIL' || r.verdict === 'INVALID') || (chat !== undefined && !('keepsUp' in chat && chat.keepsUp)) || keysFailed;
  return opts.strict && failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
