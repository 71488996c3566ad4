/**
 * The doctor's report as a document (`sov doctor --json`, schema 1: add fields, never rename) and as plain text
 * (a table fit for mail from cron). Pure; every string in it was sanitised when its row was made.
 */
import { z } from 'zod';
import { sanitize } from '../../widgets/primitives/text.js';
import type { Blueprint } from './blueprint.js';
import { exitOf, summarize, summaryText, type Row, type Status, type Summary } from './rows.js';

export const REPORT_SCHEMA = 1;

export const STATUS_GLYPH: Record<Status, string> = { PASS: '✓', WARN: '▲', FAIL: '✖', UNKNOWN: '?' };

export interface Report {
  schema: 1;
  host: string;
  /** epoch ms of the readings */
  at: number;
  blueprint: { name: string; description?: string; path: string };
  rows: Row[];
  summary: Summary;
}

export function makeReport(host: string, at: number, bp: Blueprint, path: string, rows: Row[]): Report {
  return {
    schema: REPORT_SCHEMA, host: sanitize(host), at,
    blueprint: { name: sanitize(bp.name), ...(bp.description !== undefined ? { description: sanitize(bp.description) } : {}), path: sanitize(path) },
    rows, summary: summarize(rows),
  };
}

const status = z.enum(['PASS', 'WARN', 'FAIL', 'UNKNOWN']);
/** The public contract of `sov doctor --json`. */
export const reportSchema = z.object({
  schema: z.literal(1),
  host: z.string(),
  at: z.number(),
  blueprint: z.object({ name: z.string(), description: z.string().optional(), path: z.string() }),
  rows: z.array(z.object({
    id: z.string(), group: z.enum(['gpu', 'numa', 'memory', 'engines', 'zfs', 'services']), check: z.string(), status,
    evidence: z.string(), hint: z.string().optional(),
  })),
  summary: z.object({ pass: z.number(), warn: z.number(), fail: z.number(), unknown: z.number(), total: z.number() }),
});

/** The table: a line per check (status, check, evidence), the fix beneath any that is not a pass, then the summary. */
export function reportText(r: Report): string {
  const out = [`sov doctor · ${r.host} · ${new Date(r.at).toISOString()}`, `blueprint ${r.blueprint.name} (${r.blueprint.path})${r.blueprint.description ? `: ${r.blueprint.description}` : ''}`, ''];
  if (!r.rows.length) out.push('the blueprint declares no checks');
  const checkW = Math.min(48, Math.max(5, ...r.rows.map((x) => x.check.length)));
  let group = '';
  for (const x of r.rows) {
    if (x.group !== group) { group = x.group; out.push(`[${group}]`); }
    out.push(`${STATUS_GLYPH[x.status]} ${x.status.padEnd(7)} ${x.check.padEnd(checkW)}  ${x.evidence}`);
    if (x.hint) out.push(`${' '.repeat(10)}fix: ${x.hint}`);
  }
  out.push('', `${summaryText(r.summary)} → exit ${exitOf(r.summary)}${r.summary.fail === 0 && (r.summary.warn || r.summary.unknown) ? ' (WARN and UNKNOWN alone do not fail)' : ''}`);
  return out.join('\n');
}
