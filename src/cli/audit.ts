/**
 * `sov audit ls [--json] [-n N] [--demo]` and `sov audit verify [--json] [--demo]` (issue 8): read the audit log
 * straight from the state dir (no daemon needed: a check must not depend on the writer it checks).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolvePaths } from '../daemon/paths.js';
import { EXIT } from '../daemon/types.js';
import { auditFiles, readAudit } from '../recovery/audit.js';
import { demoStateDir } from '../recovery/authority.js';
import { keyPath, readKey } from '../recovery/tripcode.js';
import { clean } from './engines.js';

export const AUDIT_USAGE = `usage:
  sov audit ls [--json] [-n N] [--demo]   the newest N entries (default 20), oldest first
  sov audit verify [--json] [--demo]      check the hash chain, every rotated file and the signed head

verify names the first bad entry and what happened to it: edited, deleted, inserted, reordered, truncated, the head
edited or removed. A torn last line (a crash mid-append) or one entry the crash left unsigned is a warning, not
tampering. --demo reads the demo box's log (${'${TMPDIR:-/tmp}'}/sov-demo-<uid>).

exit codes: 0 ok (warnings are printed) · 1 tampered · 2 bad arguments · 3 cannot be checked (no key, unreadable)`;

interface Io { out: (s: string) => void; err: (s: string) => void; env: NodeJS.ProcessEnv }

type Entry = Record<string, unknown>;

/** the newest `n` entries of the log, as written (not checked: `verify` does that) */
export function lastEntries(stateDir: string, n: number): { entries: Entry[]; unreadable: number } {
  const out: Entry[] = [];
  let unreadable = 0;
  for (const f of auditFiles(stateDir).reverse()) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch { unreadable++; continue; }
    const lines = text.split('\n').filter((l) => l.length > 0);
    for (let i = lines.length - 1; i >= 0 && out.length < n; i--) {
      try { out.push(JSON.parse(lines[i]!) as Entry); } catch { unreadable++; }
    }
    if (out.length >= n) break;
  }
  return { entries: out.reverse(), unreadable };
}

const str = (x: unknown): string => (typeof x === 'string' ? x : x === undefined ? '' : JSON.stringify(x));

/** one line per entry: seq, time, kind, who, action and args, tier, outcome or refusal, reason */
export function formatEntry(e: Entry): string {
  const who = e.who as { user?: unknown; via?: unknown; ssh?: unknown } | undefined;
  const args = e.args && typeof e.args === 'object' ? Object.entries(e.args as Record<string, unknown>).map(([k, v]) => `${k}=${str(v)}`).join(' ') : '';
  const conf = e.confirmation as { kind?: unknown; code?: unknown } | undefined;
  const what = [str(e.action), args].filter(Boolean).join(' ');
  const result = e.kind === 'refused' ? `refused: ${str(e.code)}` : e.kind === 'end' ? `${str(e.outcome)}${e.exitCode !== undefined ? ` exit ${str(e.exitCode)}` : ''}${e.durationMs !== undefined ? ` ${str(e.durationMs)} ms` : ''}` : str(e.outcome);
  const parts = [
    `#${str(e.seq)}`, str(e.at).replace(/\.\d+Z$/, 'Z'), str(e.kind).padEnd(8),
    who ? `${str(who.user)}/${str(who.via)}${who.ssh ? ` ssh ${str(who.ssh).split(' ')[0]}` : ''}` : '',
    what, e.tier !== undefined ? str(e.tier) : '', conf?.kind === 'tripcode' ? `tripcode ${str(conf.code)}` : '', result,
    e.reason !== undefined ? `— ${str(e.reason)}` : e.message ? `— ${str(e.message)}` : '',
  ];
  return clean(parts.filter((p) => p !== '').join('  ')).slice(0, 400);
}

export async function runAuditCli(argv: string[], ioIn: Partial<Io> = {}): Promise<number> {
  const io: Io = {
    out: ioIn.out ?? ((s) => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); }),
    err: ioIn.err ?? ((s) => { process.stderr.write(s.endsWith('\n') ? s : s + '\n'); }),
    env: ioIn.env ?? process.env,
  };
  const usage = (msg: string) => { io.err(`sov audit: ${msg}\n\n${AUDIT_USAGE}`); return EXIT.usage; };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { json: { type: 'boolean' }, n: { type: 'string', short: 'n' }, demo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    return usage((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) { io.out(AUDIT_USAGE); return EXIT.ok; }
  const [sub, ...rest] = parsed.positionals;
  if (rest.length) return usage(`unexpected argument: ${clean(rest[0]!)}`);
  const stateDir = v.demo ? demoStateDir(io.env) : resolvePaths({ env: io.env }).stateDir;
  if (sub === 'ls') {
    const n = v.n === undefined ? 20 : Number(v.n);
    if (!Number.isInteger(n) || n < 1 || n > 100_000) return usage(`-n wants an integer 1–100000, got "${clean(v.n ?? '')}"`);
    const { entries, unreadable } = lastEntries(stateDir, n);
    if (v.json) io.out(JSON.stringify(entries, null, 2));
    else if (entries.length === 0) io.out(`no audit entries in ${stateDir}`);
    else for (const e of entries) io.out(formatEntry(e));
    if (unreadable) io.err(`sov audit: ${unreadable} line(s) could not be read: sov audit verify says why`);
    return EXIT.ok;
  }
  if (sub === 'verify') return verify(stateDir, v.json ?? false, io);
  return usage(sub === undefined ? 'name a subcommand: ls, verify' : `unknown subcommand "${clean(sub)}"`);
}

function verify(stateDir: string, json: boolean, io: Io): number {
  const k = readKey(keyPath(stateDir));
  const r = readAudit(stateDir, k.ok ? { key: k.key } : {});
  const cannot = r.readError ?? (r.problem?.kind === 'no-key' ? `${r.problem.message}: ${k.ok ? '' : k.reason}` : undefined);
  const code = cannot !== undefined ? 3 : r.ok ? EXIT.ok : EXIT.failed;
  if (json) {
    io.out(JSON.stringify({
      ok: r.ok, exit: code, stateDir, files: r.files, entries: r.entries, firstSeq: r.firstSeq, lastSeq: r.lastSeq, headSeq: r.head?.seq,
      ...(r.problem ? { problem: r.problem } : {}), ...(cannot ? { error: cannot } : {}), ...(r.torn ? { torn: r.torn } : {}), warnings: r.warnings,
    }, null, 2));
  } else {
    for (const w of r.warnings) io.err(`warning: ${clean(w)}`);
    if (cannot !== undefined) io.err(`sov audit verify: cannot check the log: ${clean(cannot)}`);
    else if (!r.ok) io.out(`TAMPERED: ${clean(r.problem!.message)}`);
    else if (r.files.length === 0 && !r.head) io.out(`no audit log in ${stateDir} yet`);
    else io.out(`ok: ${r.entries} entries (${r.firstSeq ?? 0}–${r.lastSeq}) in ${r.files.length} file(s), chain intact, head signed at entry ${r.head?.seq ?? 0}`);
  }
  return code;
}
