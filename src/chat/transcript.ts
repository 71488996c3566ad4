/**
 * Transcripts: one JSONL file per conversation, `$XDG_STATE_HOME/sov/chats/<id>.jsonl` (0600, dir 0700), appended
 * and fsynced record by record by a single writer (a `<id>.lock` file names its pid; a dead writer's lock is taken
 * over). kill -9 at any moment loses no completed record: the user's message is on disk before the request goes
 * out, a streaming reply is flushed as `delta` records from its first token, then every ~1 s or N tokens (so it
 * reads back as a partial), and the final `assistant` record supersedes them. A torn last line is reported by the reader, never dropped silently.
 * Keys never reach this file: records carry provider names, never URLs with credentials or headers.
 */
import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChainEvent, Skip } from './chain.js';
import type { ChatMessage } from './client.js';
import { oneLine } from '../text/sanitize.js';

export const TRANSCRIPT_VERSION = 1;

export interface MetaRecord { t: 'meta'; v: number; id: string; at: number; systemPrompt?: string; chain?: string[]; offline?: boolean }
export interface UserRecord { t: 'user'; id: string; at: number; text: string }
export interface SystemRecord { t: 'system'; id: string; at: number; text: string }
export interface AssistantFields {
  replyTo?: string;
  provider?: string;
  model?: string;
  /** the reply is incomplete: cut (the next provider continued it), cancelled, or every provider failed */
  partial?: true;
  /** why it is partial */
  reason?: string;
  /** this reply continues the partial reply with this id */
  continues?: string;
  ttftMs?: number;
  tokPerSec?: number;
  tokens?: number;
  skipped?: Skip[];
}
export interface AssistantRecord extends AssistantFields { t: 'assistant'; id: string; at: number; text: string }
/** a piece of a reply still streaming; superseded by the assistant record with the same id */
export interface DeltaRecord { t: 'delta'; id: string; at: number; text: string; provider?: string; model?: string; replyTo?: string; continues?: string }
export interface NoteRecord { t: 'note'; at: number; kind: string; text: string }
export type TranscriptRecord = MetaRecord | UserRecord | SystemRecord | AssistantRecord | DeltaRecord | NoteRecord;

export interface TranscriptMessage extends AssistantFields {
  id: string;
  role: 'user' | 'assistant' | 'system';
  text: string;
  at: number;
  partial?: true;
  /** the writer died mid-stream: only flushed pieces exist */
  interrupted?: true;
}

export interface TranscriptRead {
  id: string;
  path: string;
  meta?: MetaRecord;
  messages: TranscriptMessage[];
  notes: NoteRecord[];
  /** the last line has no newline: the writer died in the middle of it */
  torn?: { line: number; bytes: number; recovered: boolean; preview: string };
  /** lines that are not records */
  corrupt: { line: number; reason: string }[];
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'sov');
}

export function chatsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'chats');
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/;
export const isValidId = (id: string): boolean => ID_RE.test(id) && !id.includes('..');

/** A sortable, readable id: 20250131-142501-k3x9 */
export function newConversationId(now = Date.now()): string {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, '0');
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const r = [...randomBytes(4)].map((b) => abc[b % abc.length]).join('');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${r}`;
}

export function newMessageId(): string {
  return randomBytes(6).toString('hex');
}

export class TranscriptBusyError extends Error {}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * The single writer of one conversation's file. Every append is one write of one whole line, then fsync.
 * Opening a file whose last line is torn closes that line and appends a note saying so.
 */
export class TranscriptWriter {
  private fd: number;
  private lockPath: string;
  readonly path: string;
  private closed = false;

  private constructor(readonly dir: string, readonly id: string, fd: number, lockPath: string) {
    this.path = join(dir, `${id}.jsonl`);
    this.fd = fd;
    this.lockPath = lockPath;
  }

  /** Opens (or creates) `<dir>/<id>.jsonl`; a new file starts with a meta record. */
  static open(dir: string, id: string, meta: Omit<MetaRecord, 't' | 'v' | 'id' | 'at'> = {}, now: () => number = Date.now): TranscriptWriter {
    if (!isValidId(id)) throw new Error(`not a conversation id: ${JSON.stringify(id)}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lockPath = join(dir, `${id}.lock`);
    takeLock(lockPath, id);
    const path = join(dir, `${id}.jsonl`);
    let fd: number;
    let fresh = false;
    try {
      fresh = !existsSync(path);
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    } catch (e) {
      try { unlinkSync(lockPath); } catch {}
      throw e;
    }
    const w = new TranscriptWriter(dir, id, fd, lockPath);
    if (fresh) {
      try { const dfd = openSync(dir, 'r'); try { fsyncSync(dfd); } finally { closeSync(dfd); } } catch {}
      w.append({ t: 'meta', v: TRANSCRIPT_VERSION, id, at: now(), ...meta });
    } else {
      const size = statSync(path).size;
      if (size > 0) {
        const tail = readTail(path, 1);
        if (tail !== '\n') {
          const r = readTranscript(path);
          writeSync(fd, '\n');
          w.append({ t: 'note', at: now(), kind: 'torn', text: r.torn ? `line ${r.torn.line} was torn (${r.torn.bytes} bytes, the writer died mid-write)${r.torn.recovered ? '; its record was complete and is kept' : '; it is kept above, unreadable'}` : 'the last line had no newline' });
        }
      }
    }
    return w;
  }

  append(rec: TranscriptRecord): void {
    if (this.closed) throw new Error('transcript is closed');
    writeSync(this.fd, JSON.stringify(rec) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try { closeSync(this.fd); } catch {}
    try {
      const owner = Number(readFileSync(this.lockPath, 'utf8').trim());
      if (owner === process.pid) unlinkSync(this.lockPath);
    } catch {}
  }
}

function takeLock(lockPath: string, id: string): void {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let pid = NaN;
      try { pid = Number(readFileSync(lockPath, 'utf8').trim()); } catch {}
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new TranscriptBusyError(`conversation ${id} is open in another sov (pid ${pid}); one writer per conversation`);
      }
      // a dead writer's (or our own) lock: take it over
      try { unlinkSync(lockPath); } catch {}
    }
  }
  writeFileSync(lockPath, `${process.pid}\n`, { mode: 0o600 });
}

function readTail(path: string, n: number): string {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(Math.min(n, size));
    readSync(fd, b, 0, b.length, size - b.length);
    return b.toString('utf8');
  } finally { closeSync(fd); }
}

/**
 * Writes a streaming reply: `delta` records at most every `everyMs` or `everyTokens` pieces (so a kill -9 leaves a
 * readable partial), and the final `assistant` record, which supersedes them.
 */
export class ReplyRecorder {
  private pending: string[] = [];
  private pendingTokens = 0;
  private begun = false;
  private lastFlush: number;
  constructor(
    private readonly w: TranscriptWriter,
    readonly id: string,
    private readonly base: { replyTo?: string; continues?: string },
    private readonly o: { everyMs?: number; everyTokens?: number; now?: () => number } = {},
    private provider?: string,
    private model?: string,
  ) {
    this.lastFlush = (o.now ?? Date.now)();
  }

  setProvider(provider: string, model?: string): void { this.flush(); this.provider = provider; this.model = model; }

  token(text: string): void {
    this.pending.push(text);
    this.pendingTokens++;
    const now = (this.o.now ?? Date.now)();
    // the first piece at once (a reply that has begun is on disk, marked partial, from its first token), then
    // every everyMs or everyTokens
    if (!this.begun || this.pendingTokens >= (this.o.everyTokens ?? 256) || now - this.lastFlush >= (this.o.everyMs ?? 1000)) { this.begun = true; this.flush(); }
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const rec: DeltaRecord = { t: 'delta', id: this.id, at: (this.o.now ?? Date.now)(), text: this.pending.join('') };
    if (this.provider !== undefined) rec.provider = this.provider;
    if (this.model !== undefined) rec.model = this.model;
    if (this.base.replyTo !== undefined) rec.replyTo = this.base.replyTo;
    if (this.base.continues !== undefined) rec.continues = this.base.continues;
    this.w.append(rec);
    this.pending = [];
    this.pendingTokens = 0;
    this.lastFlush = (this.o.now ?? Date.now)();
  }

  /** the final record: the whole text, figures, partial or not */
  final(text: string, f: AssistantFields): void {
    this.pending = [];
    const rec: AssistantRecord = { t: 'assistant', id: this.id, at: (this.o.now ?? Date.now)(), text, ...this.base, ...f };
    for (const k of Object.keys(rec) as (keyof AssistantRecord)[]) if (rec[k] === undefined) delete rec[k];
    this.w.append(rec);
  }
}

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
    case 'note': return hasText ? (v as unknown as NoteRecord) : 'note without text';
    default: return `unknown record type ${JSON.stringify(t)}`;
  }
}

/** Reads one transcript: folds deltas and finals per message, reports a torn last line and unreadable lines. */
export function readTranscript(path: string): TranscriptRead {
  const id = path.replace(/^.*\//, '').replace(/\.jsonl$/, '');
  const out: TranscriptRead = { id, path, messages: [], notes: [], corrupt: [] };
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    out.corrupt.push({ line: 0, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return out;
  }
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const byId = new Map<string, TranscriptMessage>();
  const finals = new Set<string>();
  const order: TranscriptMessage[] = [];
  const apply = (r: TranscriptRecord) => {
    if (r.t === 'meta') { out.meta ??= r; return; }
    if (r.t === 'note') { out.notes.push(r); return; }
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
    const m: TranscriptMessage = r.t === 'assistant'
      ? (() => { const { t: _t, ...rest } = r; return { ...rest, role: 'assistant' as const }; })()
      : { id: r.id, role: r.t, text: r.text, at: r.at };
    if (r.t === 'assistant') finals.add(r.id);
    if (prev) { const i = order.indexOf(prev); order[i] = m; } else order.push(m);
    byId.set(r.id, m);
  };
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    let v: unknown;
    try { v = JSON.parse(l); } catch { out.corrupt.push({ line: i + 1, reason: `not JSON (${l.length} bytes)` }); return; }
    const r = asRecord(v);
    if (typeof r === 'string') { out.corrupt.push({ line: i + 1, reason: r }); return; }
    apply(r);
  });
  if (last !== '') {
    let recovered = false;
    try {
      const r = asRecord(JSON.parse(last));
      if (typeof r !== 'string') { apply(r); recovered = true; }
    } catch {}
    out.torn = { line: lines.length + 1, bytes: Buffer.byteLength(last), recovered, preview: oneLine(last.slice(0, 60), 60) };
  }
  out.messages = order;
  return out;
}

/** Human lines about a transcript's damage (torn last line, unreadable lines); empty when it is whole. */
export function damageReport(r: TranscriptRead): string[] {
  const out: string[] = [];
  if (r.torn) out.push(`${r.path}: the last line (${r.torn.line}, ${r.torn.bytes} bytes) is torn: the writer died mid-write; ${r.torn.recovered ? 'its record was complete and is used' : 'it could not be read and is left in the file'}`);
  for (const c of r.corrupt) out.push(`${r.path}: line ${c.line} is unreadable: ${c.reason}`);
  for (const n of r.notes) if (n.kind === 'torn') out.push(`${r.path}: ${n.text}`);
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

/** Every conversation in `dir`, most recently written first. */
export function listConversations(dir: string): ConversationInfo[] {
  let names: string[];
  try { names = readdirSync(dir).filter((f) => f.endsWith('.jsonl')); } catch { return []; }
  const out: ConversationInfo[] = [];
  for (const f of names) {
    const path = join(dir, f);
    const r = readTranscript(path);
    let mtime = 0;
    try { mtime = statSync(path).mtimeMs; } catch {}
    const first = r.messages.find((m) => m.role === 'user');
    const info: ConversationInfo = {
      id: r.id, path, updatedAt: mtime, title: oneLineTitle(first?.text ?? '(no messages)'),
      messages: r.messages.length, partials: r.messages.filter((m) => m.partial).length,
      damaged: r.torn !== undefined || r.corrupt.length > 0,
    };
    if (r.meta) info.createdAt = r.meta.at;
    out.push(info);
  }
  return out.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1));
}

function oneLineTitle(s: string): string {
  return oneLine(s, 60);
}

export interface SearchHit { id: string; messageId: string; role: TranscriptMessage['role']; at: number; snippet: string }

/** Case-insensitive substring search over every message of every conversation. */
export function searchConversations(dir: string, query: string, limit = 100): SearchHit[] {
  const q = query.toLowerCase();
  if (q === '') return [];
  const hits: SearchHit[] = [];
  for (const c of listConversations(dir)) {
    for (const m of readTranscript(c.path).messages) {
      const i = m.text.toLowerCase().indexOf(q);
      if (i < 0) continue;
      const from = Math.max(0, i - 30);
      const snippet = (from > 0 ? '…' : '') + oneLineTitle(m.text.slice(from, i + q.length + 30)).replace(/…$/, '') + (i + q.length + 30 < m.text.length ? '…' : '');
      hits.push({ id: c.id, messageId: m.id, role: m.role, at: m.at, snippet });
      if (hits.length >= limit) return hits;
    }
  }
  return hits;
}

/** The newest conversation's id, if any. */
export function latestConversation(dir: string): string | undefined {
  return listConversations(dir)[0]?.id;
}

/**
 * The messages to send a model for a conversation: its system prompt, then user and assistant turns; a cut
 * partial and the reply that continued it are joined into one assistant turn.
 */
export function historyFor(messages: TranscriptMessage[], systemPrompt?: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  let sys = systemPrompt;
  for (const m of messages) if (m.role === 'system') sys = m.text;
  if (sys !== undefined && sys.trim() !== '') out.push({ role: 'system', content: sys });
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'user') { out.push({ role: 'user', content: m.text }); continue; }
    const prev = out[out.length - 1];
    if (m.continues !== undefined && prev?.role === 'assistant') { prev.content += m.text; continue; }
    if (m.text === '') continue;
    // a regenerated reply to the same message supersedes the earlier one
    if (prev?.role === 'assistant') { prev.content = m.text; continue; }
    out.push({ role: 'assistant', content: m.text });
  }
  return out;
}

/**
 * Records one run of the chain into a transcript: streamed pieces as deltas, a cut partial as its own
 * partial record (the continuation names it in `continues`), then the final reply, or the partial that a
 * cancel or a total failure left, and a note with every reason when every provider failed.
 */
export class ChainRecorder {
  private rec: ReplyRecorder;
  private current: string[] = [];
  private continues: string | undefined;
  replyId: string;
  constructor(private readonly w: TranscriptWriter, private readonly userId: string, private readonly o: { everyMs?: number; everyTokens?: number; now?: () => number } = {}) {
    this.replyId = newMessageId();
    this.rec = new ReplyRecorder(w, this.replyId, { replyTo: userId }, o);
  }

  /** the text streamed since the last partial */
  get streamed(): string { return this.current.join(''); }

  onEvent(e: ChainEvent): void {
    switch (e.type) {
      case 'token': this.current.push(e.text); this.rec.token(e.text); return;
      case 'provider-start': this.rec.setProvider(e.provider, e.model); return;
      case 'partial': {
        this.rec.final(e.text, { partial: true, reason: `cut: ${e.reason}`, provider: e.provider, model: e.model, ttftMs: e.ttftMs, tokPerSec: e.tokPerSec, tokens: e.tokens, continues: this.continues });
        this.continues = this.replyId;
        this.replyId = newMessageId();
        this.current = [];
        this.rec = new ReplyRecorder(this.w, this.replyId, { replyTo: this.userId, continues: this.continues }, this.o);
        return;
      }
      case 'done':
        this.rec.final(e.text, { provider: e.provider, model: e.model, ttftMs: e.ttftMs, tokPerSec: e.tokPerSec, tokens: e.tokens, skipped: e.skipped.length ? e.skipped : undefined });
        return;
      case 'cancelled':
        if (this.streamed !== '') this.rec.final(this.streamed, { partial: true, reason: 'cancelled' });
        return;
      case 'failed':
        if (this.streamed !== '') this.rec.final(this.streamed, { partial: true, reason: 'every provider failed' });
        this.w.append({ t: 'note', at: (this.o.now ?? Date.now)(), kind: 'failed', text: `every provider failed: ${e.reasons.map((r) => `${r.provider}: ${r.reason}`).join(' | ')}` });
        return;
      default:
    }
  }
}
