// The audit log's costs (issue 8): verifying 10,000 entries (budget: well under a second), an authority opening
// on them (verify + replay), and one append (fsync of the entry, atomic re-signed head). Standalone:
// `npx tsx bench/audit.ts [--entries N] [--appends N] [--json]`; bench/run.ts runs it too.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AUDIT_FILE, openAuditWriter, readAudit, writeHead } from '../src/recovery/audit.js';
import { createAuthority } from '../src/recovery/authority.js';
import { GENESIS, hashLine } from '../src/recovery/chain.js';

export interface AuditBenchResult {
  entries: number;
  fileBytes: number;
  /** median wall time; the machine's load shows in it */
  verifyMs: number;
  verifyRuns: number[];
  /** median CPU time of this process (user + system) per verify: what the verify itself costs */
  verifyCpuMs: number;
  loadAvg1: number;
  authorityOpenMs: number;
  appends: number;
  appendP50Ms: number;
  appendP95Ms: number;
  budgetMs: number;
  pass: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** entries as the authority writes them: who, args, checks, dry run, a tripcode's facts */
function entry(seq: number, prev: string): Record<string, unknown> {
  return {
    seq, at: new Date(1_800_000_000_000 + seq * 1000).toISOString(), prev, kind: seq % 2 ? 'begin' : 'end',
    who: { uid: 1000, user: 'op', via: 'cli', ssh: '100.64.0.2 51514 100.64.0.1 22' }, host: 'omni',
    action: 'zfs.scrub', args: { pool: 'tank' }, tier: 'T1',
    checks: [{ name: 'pool healthy', state: 'pass', detail: 'tank: ONLINE' }, { name: 'headroom', state: 'pass', detail: 'tank: 31 % free (≥ 10 % needed)' }],
    dryRun: 'zpool scrub tank', confirmation: { kind: 'yes' }, ...(seq % 2 ? {} : { outcome: 'ok', exitCode: 0, durationMs: 1234 }),
  };
}

export async function measureAudit(o: { entries?: number; appends?: number } = {}): Promise<AuditBenchResult> {
  const n = o.entries ?? 10_000;
  const appends = o.appends ?? 200;
  const dir = mkdtempSync(join(tmpdir(), 'sov-bench-audit-'));
  try {
    const key = Buffer.alloc(32, 0x5a);
    // the log written whole (the bench measures reading it; appends are measured below)
    const lines: string[] = [];
    let prev = GENESIS;
    for (let s = 1; s <= n; s++) { const l = JSON.stringify(entry(s, prev)); lines.push(l); prev = hashLine(l); }
    writeFileSync(join(dir, AUDIT_FILE), lines.join('\n') + '\n', { mode: 0o600 });
    writeHead(dir, key, { seq: n, hash: prev, firstSeq: 1, adopted: [] });
    writeFileSync(join(dir, 'tripcode.key'), key.toString('hex') + '\n', { mode: 0o600 });
    const fileBytes = statSync(join(dir, AUDIT_FILE)).size;

    const verifyRuns: number[] = [];
    const cpuRuns: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const c = process.cpuUsage();
      const r = readAudit(dir, { key });
      const dc = process.cpuUsage(c);
      verifyRuns.push(performance.now() - t);
      cpuRuns.push((dc.user + dc.system) / 1000);
      if (!r.ok || r.entries !== n) throw new Error(`the bench log does not verify: ${r.problem?.message ?? r.readError}`);
    }
    const t0 = performance.now();
    const a = createAuthority({ stateDir: dir });
    const authorityOpenMs = performance.now() - t0;
    const st = await a.status();
    a.close();
    if (st.auditError || st.auditEntries !== n) throw new Error(`the authority did not open the bench log: ${st.auditError ?? st.auditEntries}`);

    const w = openAuditWriter({ stateDir: dir, key });
    if (!w.ok) throw new Error(w.reason);
    const times: number[] = [];
    for (let i = 0; i < appends; i++) {
      const t = performance.now();
      w.writer.append({ kind: 'begin', action: 'zfs.scrub', args: { pool: 'tank' }, tier: 'T1' });
      times.push(performance.now() - t);
    }
    w.writer.close();
    const verifyMs = median(verifyRuns);
    const verifyCpuMs = median(cpuRuns);
    return {
      entries: n, fileBytes, verifyMs, verifyRuns, verifyCpuMs, loadAvg1: loadavg()[0]!, authorityOpenMs, appends,
      appendP50Ms: median(times), appendP95Ms: pct(times, 0.95), budgetMs: 1000, pass: verifyCpuMs < 250 && verifyMs < 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatAuditBench(r: AuditBenchResult): string {
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return [
    `audit log: verify ${r.entries.toLocaleString('en')} entries (${(r.fileBytes / 1024 / 1024).toFixed(1)} MB): CPU median ${ms(r.verifyCpuMs)}, wall median ${ms(r.verifyMs)} of ${r.verifyRuns.length} (runs ${r.verifyRuns.map((x) => x.toFixed(0)).join(', ')} ms; load average ${r.loadAvg1.toFixed(1)})`,
    `  budget "well under" ${r.budgetMs} ms, taken as CPU < 250 ms and wall < ${r.budgetMs} ms: ${r.pass ? 'PASS' : 'FAIL'}`,
    `  authority open (lock, verify, replay): ${ms(r.authorityOpenMs)} · append (fsync + signed head): p50 ${ms(r.appendP50Ms)}, p95 ${ms(r.appendP95Ms)} over ${r.appends}`,
  ].join('\n');
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const { values } = parseArgs({ options: { entries: { type: 'string' }, appends: { type: 'string' }, json: { type: 'boolean' } } });
  measureAudit({ ...(values.entries ? { entries: Number(values.entries) } : {}), ...(values.appends ? { appends: Number(values.appends) } : {}) }).then((r) => {
    process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatAuditBench(r)}\n`);
    process.exit(r.pass ? 0 : 1);
  }, (e: unknown) => { process.stderr.write(`bench/audit: ${(e as Error)?.stack ?? e}\n`); process.exit(1); });
}
