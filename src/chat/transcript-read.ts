/**
 * Reading transcripts, bounded: a file is read in chunks and split into lines as bytes, so no line (not even a
 * 563 MB one an older sov wrote) becomes one string; a line over MAX_READ_LINE_BYTES is salvaged from its first
 * bytes (its record's kind, id and the start of its text, marked partial) and reported. Long messages are stored as
 * `part` records that are joined here. Listing and searching read the per-conversation index the writer keeps
 * (`<id>.sum.json`: counts and title; `<id>.dig.json`: the start of every message), never the transcripts, while
 * the index matches the transcript's size.
 */
import { closeSync, openSync, readSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oneLine } from '../text/sanitize.js';
import type { MetaRecord, NoteRecord, TranscriptMessage, TranscriptRead, TranscriptRecord } from './transcript.js';

/** a line longer than this is not parsed: its start is salvaged */
export const MAX_READ_LINE_BYTES = 16 * 1024 * 1024;
/** how much of an oversized line is kept to salvage it */
const SALVAGE_BYTES = 64 * 1024;
const CHUNK_BYTES = 1024 * 1024;
export const INDEX_VERSION = 1;
/** the start of each message kept for --search, and the most kept per conversation */
export const DIGEST_CHARS = 1024;
export const DIGEST_MAX_CHARS = 48 * 1024;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asRecord(v: unknown): TranscriptRecord | string {
  if (!isObj(v)) return 'not a JSON object';
  const t = v.t;
  const hasId = typeof v.id === 'string';
  const hasText = typeof v.text === 'string';
  switch (t) {
    case 'meta': return hasId ? (v as unknown as MetaRecord) : 'meta without id';
    case 'user': case 'system': case 'assistant': case 'delta':
      return hasId && hasText ? (v as unknown as TranscriptRecord) : `${String(t)} record without id or text`;
    case 'part': return hasId && hasText && typeof v.n === 'number' ? (v as unknown as TranscriptRecord) : 'part without id, n or text';
    case 'note': return hasText ? (v as unknown as NoteRecord) : 'note without text';
    default: return `unknown record type ${JSON.stringify(t)}`;
  }
}

/** The start of an oversized line: its kind, id, time and the readable start of its text. */
export function salvageLine(head: string, totalBytes: number): TranscriptRecord | undefined {
  const m = /^\{"t":"(assistant|user|system|delta)","id":"([A-Za-z0-9._-]{1,80})","at":(\d+),"text":"/.exec(head);
  if (!m) return undefined;
  let body = head.slice(m[0].length, m[0].length + SALVAGE_BYTES);
  let text: string | undefined;
  for (let i = 0; i < 8 && text === undefined; i++) {
    try { const v: unknown = JSON.parse(`"${body}"`); if (typeof v === 'string') text = v; } catch { body = body.slice(0, -1); }
  }
  const note = `[only the first ${Math.round(Buffer.byteLength(text ?? '') / 1024)} KiB of this ${Math.round(totalBytes / 1024 / 1024)} MB message could be read]`;
  const t = m[1] === 'delta' ? 'assistant' : m[1] as 'assistant' | 'user' | 'system';
  const rec = { t, id: m[2]!, at: Number(m[3]), text: `${text ?? ''}\n${note}` } as TranscriptRecord;
  if (rec.t === 'assistant') { rec.partial = true; rec.reason = `stored as one ${Math.round(totalBytes / 1024 / 1024)} MB line; only its start was read`; }
  return rec;
}

/** Calls `onLine` for every line of `path` (as a string, or `undefined` plus its byte length when over the bound). */
function eachLine(path: string, onLine: (line: string | undefined, bytes: number, head: string) => void): { lastHadNewline: boolean } {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK_BYTES);
    let parts: Buffer[] = [];
    let partBytes = 0;
    let over = false;
    let head = '';
    let lastHadNewline = true;
    const emit = () => {
      if (over) onLine(undefined, partBytes, head);
      else onLine(Buffer.concat(parts).toString('utf8'), partBytes, '');
      parts = []; partBytes = 0; over = false; head = '';
    };
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK_BYTES, null);
      if (n <= 0) break;
      let from = 0;
      while (from < n) {
        const nl = buf.indexOf(10, from);
        const end = nl >= 0 && nl < n ? nl : n;
        const piece = buf.subarray(from, end);
        if (!over && partBytes + piece.length > MAX_READ_LINE_BYTES) {
          over = true;
          head = Buffer.concat([...parts, piece]).subarray(0, SALVAGE_BYTES + 256).toString('utf8');
          parts = [];
        }
        if (!over) parts.push(Buffer.from(piece));
        partBytes += piece.length;
        if (end < n) { emit(); lastHadNewline = true; from = end + 1; } else { lastHadNewline = partBytes === 0; from = n; }
      }
    }
    if (partBytes > 0) { lastHadNewline = false; emit(); }
    return { lastHadNewline };
  } finally { closeSync(fd); }
}

/** Reads one transcript: folds deltas, parts and finals per message, reports a torn last line and unreadable lines. */
export function readTranscript(path: string): TranscriptRead {
  const id = path.replace(/^.*\//, '').replace(/\.jsonl$/, '');
  const out: TranscriptRead = { id, path, messages: [], notes: [], corrupt: [] };
  const byId = new Map<string, TranscriptMessage>();
  const finals = new Set<string>();
  const parts = new Map<string, string[]>();
  const order: TranscriptMessage[] = [];
  const apply = (r: TranscriptRecord, lineNo: number) => {
    if (r.t === 'meta') { out.meta ??= r; return; }
    if (r.t === 'note') { out.notes.push(r); return; }
    if (r.t === 'part') { const p = parts.get(r.id) ?? []; p[r.n] = r.text; parts.set(r.id, p); return; }
    const prev = byId.get(r.id);
    if (r.t === 'delta') {
      if (finals.has(r.id)) return;
      if (prev) { prev.text += r.text; if (r.provider) prev.provider = r.provider; if (r.model) prev.model = r.model; return; }
      const m: TranscriptMessage = { id: r.id, role: 'assistant', text: r.text, at: r.at, partial: true, interrupted: true, reason: 'the writer stopped mid-stream (sov was killed or crashed)' };
      if (r.provider) m.provider = r.provider;
      if (r.model) m.model = r.model;
      if (r.replyTo) m.replyTo = r.replyTo;
      if (r.continues) m.continues = r.continues;
      byId.set(r.id, m);
      order.push(m);
      return;
    }
    const nParts = r.parts;
    let m: TranscriptMessage;
    if (r.t === 'assistant') { const { t: _t, parts: _p, ...rest } = r; m = { ...rest, role: 'assistant' }; } else m = { id: r.id, role: r.t, text: r.text, at: r.at };
    if (typeof nParts === 'number') {
      const got = parts.get(r.id) ?? [];
      const have = got.filter((x) => typeof x === 'string').length;
      m.text = got.join('');
      if (have !== nParts) out.corrupt.push({ line: lineNo, reason: `message ${r.id} has ${have} of its ${nParts} pieces` });
      parts.delete(r.id);
    }
    if (r.t === 'assistant') finals.add(r.id);
    if (prev) { const i = order.indexOf(prev); order[i] = m; } else order.push(m);
    byId.set(r.id, m);
  };
  let lineNo = 0;
  let lastLine: { text: string | undefined; bytes: number; head: string; no: number } | undefined;
  const take = (l: { text: string | undefined; bytes: number; head: string; no: number }, torn: boolean) => {
    if (l.text === undefined) {
      const r = salvageLine(l.head, l.bytes);
      if (r) apply(r, l.no);
      out.corrupt.push({ line: l.no, reason: `${Math.round(l.bytes / 1024 / 1024)} MB on one line, over the ${MAX_READ_LINE_BYTES / 1024 / 1024} MiB bound${r ? ': only its start was read' : ''}` });
      return;
    }
    if (l.text.trim() === '') return;
    let v: unknown;
    try { v = JSON.parse(l.text); } catch {
      if (torn) { out.torn = { line: l.no, bytes: l.bytes, recovered: false, preview: oneLine(l.text.slice(0, 60), 60) }; return; }
      out.corrupt.push({ line: l.no, reason: `not JSON (${l.bytes} bytes)` });
      return;
    }
    const r = asRecord(v);
    if (typeof r === 'string') { if (torn) out.torn = { line: l.no, bytes: l.bytes, recovered: false, preview: oneLine(l.text.slice(0, 60), 60) }; else out.corrupt.push({ line: l.no, reason: r }); return; }
    apply(r, l.no);
    if (torn) out.torn = { line: l.no, bytes: l.bytes, recovered: true, preview: oneLine(l.text.slice(0, 60), 60) };
  };
  let ended: { lastHadNewline: boolean };
  try {
    ended = eachLine(path, (text, bytes, head) => {
      if (lastLine) take(lastLine, false);
      lastLine = { text, bytes, head, no: ++lineNo };
    });
  } catch (e) {
    out.corrupt.push({ line: 0, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return out;
  }
  if (lastLine) take(lastLine, !ended.lastHadNewline);
  out.messages = order;
  return out;
}

/** Human lines about a transcript's damage (torn last line, unreadable lines); empty when it is whole. */
export function damageReport(r: TranscriptRead): string[] {
  const out: string[] = [];
  if (r.torn) out.push(`${r.path}: the last line (${r.torn.line}, ${r.torn.bytes} bytes) is torn: the writer died mid-write; ${r.torn.recovered ? 'its record was complete and is used' : 'it could not be read and is left in the file'}`);
  for (const c of r.corrupt) out.push(`${r.path}: line ${c.line} is unreadable: ${c.reason}`);
  for (const n of r.notes) if (n.kind === 'torn' || n.kind === 'disk-full') out.push(`${r.path}: ${n.text}`);
  return out;
}

export interface ConversationInfo {
  id: string;
  path: string;
  createdAt?: number;
  updatedAt: number;
  title: string;
  messages: number;
  partials: number;
  damaged: boolean;
}

/** What the index keeps per conversation; valid while `size` is the transcript's size. */
export interface ConversationSummary { v: number; size: number; createdAt?: number; title: string; messages: number; partials: number; damaged: boolean }
export interface DigestEntry { id: string; role: TranscriptMessage['role']; at: number; text: string }

export const sumPath = (dir: string, id: string) => join(dir, `${id}.sum.json`);
export const digPath = (dir: string, id: string) => join(dir, `${id}.dig.json`);

export function summaryOf(r: Pick<TranscriptRead, 'meta' | 'messages' | 'torn' | 'corrupt'>, size: number): ConversationSummary {
  const first = r.messages.find((m) => m.role === 'user');
  const s: ConversationSummary = {
    v: INDEX_VERSION, size, title: oneLine(first?.text ?? '(no messages)', 60), messages: r.messages.length,
    partials: r.messages.filter((m) => m.partial).length, damaged: r.torn !== undefined || r.corrupt.length > 0,
  };
  if (r.meta) s.createdAt = r.meta.at;
  return s;
}

export function digestOf(messages: TranscriptMessage[]): DigestEntry[] {
  const out: DigestEntry[] = [];
  let total = 0;
  for (const m of messages) {
    if (total >= DIGEST_MAX_CHARS) break;
    const text = m.text.slice(0, DIGEST_CHARS);
    total += text.length;
    out.push({ id: m.id, role: m.role, at: m.at, text });
  }
  return out;
}

/** Writes the index files (a cache: replaced whole by rename, never fsynced; a lost one is rebuilt). */
export function writeIndex(dir: string, id: string, summary: ConversationSummary, digest: DigestEntry[]): void {
  for (const [path, body] of [[digPath(dir, id), digest], [sumPath(dir, id), summary]] as const) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
    renameSync(tmp, path);
  }
}

function readJson(path: string): unknown {
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch { return undefined; }
}

function validSummary(v: unknown, size: number): v is ConversationSummary {
  return isObj(v) && v.v === INDEX_VERSION && v.size === size && typeof v.title === 'string' && typeof v.messages === 'number';
}

function lockedByLiveWriter(dir: string, id: string): boolean {
  try {
    const pid = Number(readFileSync(join(dir, `${id}.lock`), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  } catch { return false; }
}

/** The summary of one conversation: the index when it matches the file, else read (and the index rebuilt). */
function summarize(dir: string, id: string, size: number): { summary: ConversationSummary; digest?: DigestEntry[] } {
  const s = readJson(sumPath(dir, id));
  if (validSummary(s, size)) return { summary: s };
  const r = readTranscript(join(dir, `${id}.jsonl`));
  const summary = summaryOf(r, size);
  const digest = digestOf(r.messages);
  // a conversation being written keeps its own index; a finished one gets its index now (a cache, by rename)
  if (!lockedByLiveWriter(dir, id)) { try { writeIndex(dir, id, summary, digest); } catch {} }
  return { summary, digest };
}

/** Every conversation in `dir`, most recently written first. */
export function listConversations(dir: string): ConversationInfo[] {
  let names: string[];
  try { names = readdirSync(dir).filter((f) => f.endsWith('.jsonl')); } catch { return []; }
  const out: ConversationInfo[] = [];
  for (const f of names) {
    const path = join(dir, f);
    const id = f.slice(0, -'.jsonl'.length);
    let st;
    try { st = statSync(path); } catch { continue; }
    const { summary: s } = summarize(dir, id, st.size);
    const info: ConversationInfo = { id, path, updatedAt: st.mtimeMs, title: s.title, messages: s.messages, partials: s.partials, damaged: s.damaged };
    if (s.createdAt !== undefined) info.createdAt = s.createdAt;
    out.push(info);
  }
  return out.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1));
}

export interface SearchHit { id: string; messageId: string; role: TranscriptMessage['role']; at: number; snippet: string }

function snippetOf(text: string, i: number, qLen: number): string {
  const from = Math.max(0, i - 30);
  return (from > 0 ? '…' : '') + oneLine(text.slice(from, i + qLen + 30), 60).replace(/\u2026$/, '') + (i + qLen + 30 < text.length ? '…' : '');
}

/**
 * Case-insensitive substring search. Fast (default): the index's start of every message (DIGEST_CHARS each);
 * `deep`: every message whole, reading every transcript.
 */
export function searchConversations(dir: string, query: string, limit = 100, o: { deep?: boolean } = {}): SearchHit[] {
  const q = query.toLowerCase();
  if (q === '') return [];
  const hits: SearchHit[] = [];
  for (const c of listConversations(dir)) {
    let entries: { id: string; role: TranscriptMessage['role']; at: number; text: string }[];
    if (o.deep) entries = readTranscript(c.path).messages;
    else {
      const d = readJson(digPath(dir, c.id));
      entries = Array.isArray(d) ? (d as DigestEntry[]).filter((e) => isObj(e) && typeof e.text === 'string') : digestOf(readTranscript(c.path).messages);
    }
    for (const m of entries) {
      const i = m.text.toLowerCase().indexOf(q);
      if (i < 0) continue;
      hits.push({ id: c.id, messageId: m.id, role: m.role, at: m.at, snippet: snippetOf(m.text, i, q.length) });
      if (hits.length >= limit) return hits;
    }
  }
  return hits;
}

/** The newest conversation's id, if any. */
export function latestConversation(dir: string): string | undefined {
  return listConversations(dir)[0]?.id;
}
