/**
 * Transcripts: one JSONL file per conversation, `$XDG_STATE_HOME/sov/chats/<id>.jsonl` (0600, dir 0700), appended
 * and fsynced record by record by a single writer (a `<id>.lock` file names its pid; a dead writer's lock is taken
 * over). kill -9 at any moment loses no completed record: the user's message is on disk before the request goes
 * out, a streaming reply is flushed as `delta` records from its first token, then every ~1 s or N tokens (so it
 * reads back as a partial), and the final `assistant` record supersedes them. A torn last line is reported by the reader, never dropped silently.
 * Keys never reach this file: records carry provider names, never URLs with credentials or headers.
 */
import { closeSync, constants, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChainEvent, Skip } from './chain.js';
import { truncatedReason, type ChatMessage } from './client.js';
import { oneLine } from '../text/sanitize.js';
import { redactFields } from './redact-fields.js';
import { DIGEST_CHARS, digestOf, INDEX_VERSION, readTranscript, writeIndex, type ConversationSummary, type DigestEntry } from './transcript-read.js';

export {
  damageReport, latestConversation, listConversations, readTranscript, searchConversations,
  type ConversationInfo, type SearchHit,
} from './transcript-read.js';

export const TRANSCRIPT_VERSION = 1;

export interface MetaRecord { t: 'meta'; v: number; id: string; at: number; systemPrompt?: string; chain?: string[]; offline?: boolean }
export interface UserRecord { t: 'user'; id: string; at: number; text: string; parts?: number }
export interface SystemRecord { t: 'system'; id: string; at: number; text: string; parts?: number }
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
  /** the reply reached the size bound (chat.maxReplyBytes) and was cut there */
  truncated?: true;
}
export interface AssistantRecord extends AssistantFields { t: 'assistant'; id: string; at: number; text: string; parts?: number }
/** a piece of a reply still streaming; superseded by the assistant record with the same id */
export interface DeltaRecord { t: 'delta'; id: string; at: number; text: string; provider?: string; model?: string; replyTo?: string; continues?: string }
export interface NoteRecord { t: 'note'; at: number; kind: string; text: string }
/** piece `n` of a long message: the message's own record follows its pieces, with `parts` and an empty text */
export interface PartRecord { t: 'part'; id: string; n: number; text: string }
export type TranscriptRecord = MetaRecord | UserRecord | SystemRecord | AssistantRecord | DeltaRecord | NoteRecord | PartRecord;

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

/** the most characters of message text one line carries: longer messages are stored as `part` records */
export const PIECE_CHARS = 64 * 1024;

/** One record as the lines that store it: each line holds at most PIECE_CHARS of text (a few hundred KB). */
export function encodeRecord(rec: TranscriptRecord): string[] {
  const line = (r: TranscriptRecord) => JSON.stringify(r) + '\n';
  if (!('text' in rec) || rec.text.length <= PIECE_CHARS || rec.t === 'part') return [line(rec)];
  const pieces: string[] = [];
  for (let i = 0; i < rec.text.length; i += PIECE_CHARS) pieces.push(rec.text.slice(i, i + PIECE_CHARS));
  if (rec.t === 'delta') return pieces.map((text) => line({ ...rec, text }));
  if (rec.t === 'note') return [line({ ...rec, text: `${pieces[0]}…` })];
  return [...pieces.map((text, n) => line({ t: 'part', id: rec.id, n, text })), line({ ...rec, text: '', parts: pieces.length })];
}

/** The first write that failed (disk full, I/O error): the conversation is kept up to it, the writer stops. */
export class TranscriptWriteError extends Error {}

/** What the index of a conversation is folded from: the start of every message, as records are appended. */
class IndexFold {
  createdAt: number | undefined;
  entries: (DigestEntry & { partial: boolean })[] = [];
  private byId = new Map<string, DigestEntry & { partial: boolean }>();
  private finals = new Set<string>();
  damaged = false;

  static from(r: TranscriptRead): IndexFold {
    const f = new IndexFold();
    f.createdAt = r.meta?.at;
    for (const m of r.messages) f.put(m.id, m.role, m.at, m.text, m.partial === true);
    for (const m of r.messages) if (m.role === 'assistant' && !m.interrupted) f.finals.add(m.id);
    f.damaged = r.torn !== undefined || r.corrupt.length > 0;
    return f;
  }

  private put(id: string, role: DigestEntry['role'], at: number, text: string, partial: boolean): void {
    const e = { id, role, at, text: text.slice(0, DIGEST_CHARS), partial };
    const prev = this.byId.get(id);
    if (prev) Object.assign(prev, e); else { this.entries.push(e); this.byId.set(id, e); }
  }

  apply(r: TranscriptRecord): void {
    if (r.t === 'meta') { this.createdAt ??= r.at; return; }
    if (r.t === 'note' || r.t === 'part') return;
    if (r.t === 'delta') {
      if (this.finals.has(r.id)) return;
      const prev = this.byId.get(r.id);
      if (prev) { if (prev.text.length < DIGEST_CHARS) prev.text = (prev.text + r.text).slice(0, DIGEST_CHARS); return; }
      this.put(r.id, 'assistant', r.at, r.text, true);
      return;
    }
    if (r.t === 'assistant') this.finals.add(r.id);
    this.put(r.id, r.t, r.at, r.text, r.t === 'assistant' && r.partial === true);
  }

  summary(size: number): ConversationSummary {
    const first = this.entries.find((e) => e.role === 'user');
    const s: ConversationSummary = {
      v: INDEX_VERSION, size, title: oneLine(first?.text ?? '(no messages)', 60), messages: this.entries.length,
      partials: this.entries.filter((e) => e.partial).length, damaged: this.damaged,
    };
    if (this.createdAt !== undefined) s.createdAt = this.createdAt;
    return s;
  }

  digest(): DigestEntry[] {
    return digestOf(this.entries.map((e) => ({ id: e.id, role: e.role, at: e.at, text: e.text })));
  }
}

/** Writes all of `buf` (a short write is continued); throws on the first error. */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * The single writer of one conversation's file. Every append is one write of whole lines (a long message is
 * stored as pieces, so no line is larger than a few hundred KB), then fsync. A write that fails (the disk is full)
 * is cut back to the last whole record, a note says where the conversation stops, and the writer stops writing.
 * Opening a file whose last line is torn closes that line and appends a note saying so. The writer keeps the
 * conversation's index (`<id>.sum.json`, `<id>.dig.json`) current after every message, for --list and --search.
 */
export class TranscriptWriter {
  private fd: number;
  private lockPath: string;
  readonly path: string;
  private closed = false;
  private size = 0;
  private fold = new IndexFold();
  /** set by the first write that failed */
  failure: string | undefined;

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
      w.size = statSync(path).size;
      const r = readTranscript(path);
      w.fold = IndexFold.from(r);
      if (w.size > 0 && readTail(path, 1) !== '\n') {
        writeAll(fd, Buffer.from('\n'));
        w.size += 1;
        w.append({ t: 'note', at: now(), kind: 'torn', text: r.torn ? `line ${r.torn.line} was torn (${r.torn.bytes} bytes, the writer died mid-write)${r.torn.recovered ? '; its record was complete and is kept' : '; it is kept above, unreadable'}` : 'the last line had no newline' });
      } else w.saveIndex();
    }
    return w;
  }

  /**
   * Appends one record (as one or more whole lines) and fsyncs. Throws TranscriptWriteError once, on the write
   * that failed; after that, appends are dropped (the caller has been told).
   */
  append(rec: TranscriptRecord): void {
    if (this.closed) throw new Error('transcript is closed');
    if (this.failure !== undefined) return;
    // keys never reach the file: every string field is redacted before the record is serialised and cut into lines
    const safe = redactFields(rec);
    const buf = Buffer.from(encodeRecord(safe).join(''));
    try {
      writeAll(this.fd, buf);
      fsyncSync(this.fd);
      this.size += buf.length;
    } catch (e) {
      this.failed(e as NodeJS.ErrnoException);
      throw new TranscriptWriteError(this.failure);
    }
    this.fold.apply(safe);
    if (rec.t !== 'delta') this.saveIndex();
  }

  private failed(e: NodeJS.ErrnoException): void {
    const why = e.code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : `a write failed (${e.code ?? e.message})`;
    this.failure = `${why}: the conversation is kept up to its last whole record; what follows is not saved`;
    // no half line is left behind: cut back to the last whole record, then say where the conversation stops
    try { ftruncateSync(this.fd, this.size); } catch {}
    const note = Buffer.from(JSON.stringify({ t: 'note', at: Date.now(), kind: 'disk-full', text: this.failure } satisfies NoteRecord) + '\n');
    try { writeAll(this.fd, note); fsyncSync(this.fd); this.size += note.length; } catch { try { ftruncateSync(this.fd, this.size); } catch {} }
    this.fold.damaged = true;
    this.saveIndex();
  }

  private saveIndex(): void {
    try { writeIndex(this.dir, this.id, this.fold.summary(this.size), this.fold.digest()); } catch {}
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.saveIndex();
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
        this.rec.final(e.text, {
          provider: e.provider, model: e.model, ttftMs: e.ttftMs, tokPerSec: e.tokPerSec, tokens: e.tokens, skipped: e.skipped.length ? e.skipped : undefined,
          ...(e.truncated ? { truncated: true as const, partial: true as const, reason: truncatedReason(e.truncated.limitBytes) } : {}),
        });
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
