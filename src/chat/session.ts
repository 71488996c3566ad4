/**
 * The chat as the TUI sees it: a tiny store (subscribe / getState) with the messages, the reply streaming now, the
 * prompt being edited, the provider/model choice, the system prompt, blackout and the providers cooling down.
 *
 * Streams arrive at any rate; listeners hear at most one notification per `notifyMs` (default 50 ms → ≤ 20/s)
 * while tokens flow, and at once for everything the user does. Finished messages are immutable objects whose
 * rendered lines are cached (per width and style), so a frame re-wraps only the streaming message, and only what
 * was appended to it (IncrementalMarkdown). The transcript window is built from the bottom up: a frame touches the
 * messages it shows, not the whole conversation.
 */
import type { LookupFunction } from 'node:net';
import { CircuitBreaker, monotonicNow, runChain, type ChainEvent, type ChainOptions, type ChainOutcome, type Cooldown, type Skip } from './chain.js';
import { listModels, type ChatMessage } from './client.js';
import { copyText } from './copy.js';
import { backspace, cursorLine, deleteForward, insertText, lineEnd, lineHome, moveCursor, type Draft } from './editor.js';
import { partialMessage, settleReply } from './reply.js';
import { createWindow, type RenderKit, type TranscriptWindow } from './window.js';
import { defaultChain, type Provider } from './providers.js';
import {
  ChainRecorder, damageReport, historyFor, newConversationId, newMessageId, readTranscript, TranscriptWriter,
  type TranscriptMessage,
} from './transcript.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

export interface NoteMessage { id: string; role: 'note'; text: string; at: number; level: 'info' | 'warn' | 'crit' }
export type SessionMessage = TranscriptMessage | NoteMessage;

export interface Streaming {
  id: string;
  text: string;
  provider?: string;
  model?: string;
  startedAt: number;
  tokens: number;
  /** what the chain is doing: "asking local (loopback)…", "waiting 1 s (Retry-After)…" */
  activity: string;
  skipped: Skip[];
  continues?: string;
}

export interface ChatState {
  conversationId: string;
  messages: readonly SessionMessage[];
  streaming?: Streaming;
  /** the prompt being edited, and the cursor in it (UTF-16 index) */
  draft: string;
  cursor: number;
  providers: { name: string; kind: Provider['kind']; loopback: boolean; problem?: string }[];
  /** the provider picked first; undefined = the configured chain */
  choice?: string;
  /** the model for the picked provider; undefined = its configured (or first listed) model */
  model?: string;
  models: string[];
  systemPrompt?: string;
  offline: boolean;
  cooldowns: Cooldown[];
  status?: { text: string; level: 'info' | 'warn' | 'crit'; at: number };
  /** transcript lines scrolled up from the bottom */
  scroll: number;
  /** the transcript file, when there is one */
  transcriptPath?: string;
  version: number;
}

export interface ChatSettings {
  offline?: boolean;
  connectTimeoutSec?: number;
  firstTokenTimeoutSec?: number;
  cooldownSec?: number;
  maxRetryAfterSec?: number;
  systemPrompt?: string;
  chain?: string[];
  /** the bound on one reply in UTF-8 bytes (config chat.maxReplyBytes) */
  maxReplyBytes?: number;
}

export interface ChatSessionOptions {
  providers: Provider[];
  settings?: ChatSettings;
  /** transcripts directory; unset = nothing is written */
  dir?: string;
  /** an existing conversation to continue */
  resumeId?: string;
  env?: NodeJS.ProcessEnv;
  lookup?: LookupFunction;
  /** writes a sequence to the terminal (OSC 52 copy); the TUI passes its writer */
  emitTerminal?: (seq: string) => void;
  now?: () => number;
  /** the clock cooldowns run on: monotonic by default (performance.now); a test that injects `now` drives both */
  monotonicNow?: () => number;
  /** coalescing window for token notifications; default 50 ms */
  notifyMs?: number;
  schedule?: (fn: () => void, ms: number) => () => void;
  /** the chain runner (tests replace it) */
  run?: (o: ChainOptions) => Promise<ChainOutcome>;
  stream?: boolean;
  /** transcript delta flush cadence */
  flushEveryMs?: number;
  flushEveryTokens?: number;
}

export type { RenderKit, TranscriptWindow } from './window.js';

export interface ChatSession {
  subscribe(fn: () => void): () => void;
  getState(): ChatState;
  // editing
  insert(text: string): void;
  newline(): void;
  backspace(): void;
  deleteForward(): void;
  moveCursor(delta: number): void;
  cursorHome(): void;
  cursorEnd(): void;
  /** moves the cursor a line up/down in a multi-line draft; false when already on the first/last line */
  cursorLine(delta: -1 | 1): boolean;
  clearDraft(): void;
  // conversation
  send(text?: string): void;
  cancel(): boolean;
  regenerate(): void;
  isStreaming(): boolean;
  toggleOffline(): void;
  cycleProvider(): void;
  cycleModel(): Promise<void>;
  setSystemPrompt(text: string | undefined): void;
  newConversation(): void;
  copyLastReply(): void;
  scrollBy(lines: number): void;
  scrollToBottom(): void;
  /** the transcript lines to show in width × height, cached per finished message */
  window(width: number, height: number, kit: RenderKit, now: number): TranscriptWindow;
  /** resolves when the reply streaming now (if any) has ended */
  idle(): Promise<void>;
  dispose(): void;
}

const defaultSchedule = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
};

function lastIndex<T>(xs: readonly T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return i;
  return -1;
}

export function createChatSession(o: ChatSessionOptions): ChatSession {
  const now = o.now ?? Date.now;
  const settings = o.settings ?? {};
  const env = o.env ?? process.env;
  const schedule = o.schedule ?? defaultSchedule;
  const notifyMs = o.notifyMs ?? 50;
  const run = o.run ?? runChain;
  const mono = o.monotonicNow ?? (o.now ? o.now : monotonicNow);
  const breaker = new CircuitBreaker((settings.cooldownSec ?? 60) * 1000, mono);
  /** cooldowns as the screen sees them: their ends moved from the monotonic clock onto `now` */
  const cooldownsNow = (): Cooldown[] => { const shift = now() - mono(); return breaker.list().map((c) => ({ ...c, untilMs: c.untilMs + shift })); };
  const modelCache = new Map<string, string>();
  const listeners = new Set<() => void>();
  let writer: TranscriptWriter | undefined;
  let abort: AbortController | undefined;
  let running: Promise<void> | undefined;
  let cancelTimer: (() => void) | undefined;
  let pending: string[] = [];
  let pendingTokens = 0;

  let state: ChatState = {
    conversationId: o.resumeId ?? newConversationId(now()),
    messages: [],
    draft: '',
    cursor: 0,
    providers: o.providers.map((p) => ({ name: p.name, kind: p.kind, loopback: p.loopback, ...(p.problem ? { problem: p.problem } : {}) })),
    models: [],
    offline: settings.offline ?? false,
    cooldowns: [],
    scroll: 0,
    version: 0,
  };
  if (settings.systemPrompt !== undefined) state.systemPrompt = settings.systemPrompt;

  // ------------------------------------------------------------------ notification

  const flush = () => {
    if (cancelTimer) { cancelTimer(); cancelTimer = undefined; }
    let s = state;
    if (pending.length > 0 && s.streaming) {
      s = { ...s, streaming: { ...s.streaming, text: s.streaming.text + pending.join(''), tokens: s.streaming.tokens + pendingTokens } };
    }
    pending = [];
    pendingTokens = 0;
    state = { ...s, cooldowns: cooldownsNow(), version: s.version + 1 };
    for (const l of [...listeners]) { try { l(); } catch {} }
  };
  /** a user-visible change: notify now */
  const set = (patch: Partial<ChatState>) => { state = { ...state, ...patch }; flush(); };
  /** token-rate changes: at most one notification per notifyMs */
  const soon = () => { if (!cancelTimer) cancelTimer = schedule(() => { cancelTimer = undefined; flush(); }, notifyMs); };
  const say = (text: string, level: 'info' | 'warn' | 'crit' = 'info') => set({ status: { text, level, at: now() } });
  const addMessage = (m: SessionMessage) => { state = { ...state, messages: [...state.messages, m] }; };
  const note = (text: string, level: NoteMessage['level'] = 'info') => addMessage({ id: newMessageId(), role: 'note', text, at: now(), level });

  // ------------------------------------------------------------------ transcript

  const openWriter = (id: string) => {
    if (!o.dir) return;
    try {
      writer = TranscriptWriter.open(o.dir, id, { ...(state.systemPrompt !== undefined ? { systemPrompt: state.systemPrompt } : {}), offline: state.offline }, now);
      state = { ...state, transcriptPath: writer.path };
    } catch (e) {
      writer = undefined;
      note(`the transcript cannot be written: ${(e as Error).message}; this conversation is not saved`, 'crit');
    }
  };
  const record = (f: (w: TranscriptWriter) => void) => {
    if (!writer) return;
    try { f(writer); } catch (e) {
      note(`writing the transcript failed: ${(e as Error).message}`, 'crit');
    }
  };

  if (o.resumeId !== undefined && o.dir) {
    const path = join(o.dir, `${o.resumeId}.jsonl`);
    if (existsSync(path)) {
      const r = readTranscript(path);
      state = { ...state, messages: r.messages };
      const sys = [...r.messages].reverse().find((m) => m.role === 'system')?.text ?? r.meta?.systemPrompt;
      if (sys !== undefined) state.systemPrompt = sys;
      for (const d of damageReport(r)) note(d, 'warn');
      const partial = r.messages.filter((m) => m.role === 'assistant' && m.interrupted).length;
      if (partial > 0) note(`${partial} reply(ies) were cut when sov stopped mid-stream; they are kept, marked partial`, 'warn');
    } else {
      note(`no conversation ${o.resumeId} yet: starting it`, 'warn');
    }
  }
  openWriter(state.conversationId);

  // ------------------------------------------------------------------ the chain

  const chainFor = (): Provider[] => {
    const base = defaultChain(o.providers, settings.chain ?? []);
    if (state.choice === undefined) return base;
    const picked = o.providers.find((p) => p.name === state.choice);
    return picked ? [picked, ...base.filter((p) => p.name !== picked.name)] : base;
  };

  const history = (upTo: number): ChatMessage[] =>
    historyFor(state.messages.slice(0, upTo).filter((m): m is TranscriptMessage => m.role !== 'note'), state.systemPrompt);

  const start = (userIdx: number) => {
    const user = state.messages[userIdx];
    if (!user || user.role !== 'user') return;
    const messages = history(userIdx + 1);
    abort = new AbortController();
    const ac = abort;
    let cr: ChainRecorder | undefined;
    if (writer) {
      try { cr = new ChainRecorder(writer, user.id, { everyMs: o.flushEveryMs, everyTokens: o.flushEveryTokens, now }); } catch {}
    }
    let replyId = cr?.replyId ?? newMessageId();
    let continues: string | undefined;
    const skipped: Skip[] = [];
    state = { ...state, scroll: 0, streaming: { id: replyId, text: '', startedAt: now(), tokens: 0, activity: 'starting…', skipped: [] } };
    flush();
    const flushPending = () => {
      if (pending.length === 0 || !state.streaming) return;
      state = { ...state, streaming: { ...state.streaming, text: state.streaming.text + pending.join(''), tokens: state.streaming.tokens + pendingTokens } };
      pending = [];
      pendingTokens = 0;
    };
    const stream = (patch: Partial<Streaming>) => {
      if (state.streaming) state = { ...state, streaming: { ...state.streaming, ...patch } };
      flush();
    };
    const onEvent = (e: ChainEvent) => {
      if (cr) {
        try { cr.onEvent(e); } catch (err) { cr = undefined; note(`writing the transcript failed: ${(err as Error).message}; the rest of this reply is not saved`, 'crit'); }
      }
      if (!state.streaming) return;
      switch (e.type) {
        case 'token':
          pending.push(e.text);
          pendingTokens++;
          soon();
          return;
        case 'provider-start':
          flushPending();
          stream({ provider: e.provider, model: e.model, activity: `asking ${e.provider}${e.loopback ? ' (loopback)' : ''}${e.continuing ? ', continuing the cut reply' : ''}…` });
          return;
        case 'skip':
          skipped.push({ provider: e.provider, kind: e.kind, reason: e.reason });
          stream({ skipped: [...skipped], activity: `${e.provider} skipped: ${e.reason}` });
          return;
        case 'retry':
          stream({ activity: `${e.provider}: ${e.reason}; waiting ${Math.ceil(e.waitMs / 1000)} s` });
          return;
        case 'switch':
          stream({ activity: `switching ${e.from} → ${e.to}${e.withPartial ? ' with the partial reply as context' : ''}` });
          return;
        case 'partial': {
          flushPending();
          const m = partialMessage(e, { id: replyId, replyTo: user.id, ...(continues !== undefined ? { continues } : {}) }, skipped, now());
          addMessage(m);
          continues = replyId;
          replyId = cr?.replyId ?? newMessageId();
          skipped.length = 0;
          state = { ...state, streaming: { id: replyId, text: '', startedAt: now(), tokens: 0, activity: `${e.provider} was cut mid-way; the partial is kept`, skipped: [], continues } };
          flush();
          return;
        }
        default:
          return;
      }
    };

    running = run({
      chain: chainFor(), messages, offline: state.offline, breaker, model: state.choice !== undefined ? state.model : undefined, modelCache,
      stream: o.stream, connectTimeoutMs: (settings.connectTimeoutSec ?? 5) * 1000, firstTokenTimeoutMs: (settings.firstTokenTimeoutSec ?? 60) * 1000,
      maxRetryAfterMs: (settings.maxRetryAfterSec ?? 5) * 1000, lookup: o.lookup, signal: ac.signal, onEvent,
      ...(settings.maxReplyBytes !== undefined ? { maxReplyBytes: settings.maxReplyBytes } : {}),
    }).then((out) => {
      flushPending();
      const base: TranscriptMessage = { id: replyId, role: 'assistant', text: '', at: now(), replyTo: user.id, ...(continues !== undefined ? { continues } : {}) };
      const settled = settleReply(out, state.streaming, base);
      for (const m of settled.messages) addMessage(m);
      for (const n of settled.notes) note(n.text, n.level);
      state = { ...state, streaming: undefined };
      if (abort === ac) abort = undefined;
      flush();
    }, (e: unknown) => {
      note(`the chat failed: ${(e as Error)?.message ?? String(e)}`, 'crit');
      state = { ...state, streaming: undefined };
      if (abort === ac) abort = undefined;
      flush();
    }).finally(() => { running = undefined; });
  };

  // ------------------------------------------------------------------ commands

  const slash = (line: string): boolean => {
    const m = /^\/(\w+)\s*([\s\S]*)$/.exec(line.trim());
    if (!m) return false;
    const [, cmd, arg = ''] = m;
    switch (cmd) {
      case 'system': api.setSystemPrompt(arg.trim() === '' ? undefined : arg.trim()); return true;
      case 'model': set({ model: arg.trim() || undefined }); say(arg.trim() ? `model: ${arg.trim()}` : 'model: the provider\'s default'); return true;
      case 'provider': {
        const name = arg.trim();
        if (name === '' || name === 'auto') { set({ choice: undefined, model: undefined, models: [] }); say('provider: the configured chain'); return true; }
        if (!o.providers.some((p) => p.name === name)) { say(`no provider named "${name}" (known: ${o.providers.map((p) => p.name).join(', ') || 'none'})`, 'warn'); return true; }
        set({ choice: name, model: undefined, models: [] });
        say(`provider: ${name} first, then the rest of the chain`);
        return true;
      }
      case 'offline': if (!state.offline) api.toggleOffline(); return true;
      case 'online': if (state.offline) api.toggleOffline(); return true;
      case 'new': api.newConversation(); return true;
      case 'help':
        say('/system TEXT · /model NAME · /provider NAME|auto · /offline · /online · /new — enter sends, alt+enter or ctrl+j adds a line');
        return true;
      default: return false;
    }
  };

  const drawWindow = createWindow();
  /** an edit of the prompt: notify only when it changed something */
  const edit = (d: Draft | undefined) => { if (d && (d.draft !== state.draft || d.cursor !== state.cursor)) set(d); };

  const api: ChatSession = {
    subscribe(fn) { listeners.add(fn); return () => { listeners.delete(fn); }; },
    getState: () => state,

    insert(text) { edit(insertText(state, text)); },
    newline() { api.insert('\n'); },
    backspace() { edit(backspace(state)); },
    deleteForward() { edit(deleteForward(state)); },
    moveCursor(delta) { edit(moveCursor(state, delta)); },
    cursorHome() { edit(lineHome(state)); },
    cursorEnd() { edit(lineEnd(state)); },
    cursorLine(delta) { const d = cursorLine(state, delta); edit(d); return d !== undefined; },
    clearDraft() { set({ draft: '', cursor: 0 }); },

    send(text) {
      const line = text ?? state.draft;
      if (line.trim() === '') return;
      if (text === undefined) state = { ...state, draft: '', cursor: 0 };
      if (slash(line)) { flush(); return; }
      if (state.streaming) { say('a reply is still streaming: esc cancels it', 'warn'); return; }
      const m: TranscriptMessage = { id: newMessageId(), role: 'user', text: line, at: now() };
      // on disk (fsynced) before the request goes out
      record((w) => w.append({ t: 'user', id: m.id, at: m.at, text: m.text }));
      addMessage(m);
      start(state.messages.length - 1);
    },
    cancel() {
      if (!abort) return false;
      abort.abort();
      return true;
    },
    regenerate() {
      if (state.streaming) { say('a reply is still streaming: esc cancels it first', 'warn'); return; }
      const i = lastIndex(state.messages, (m) => m.role === 'user');
      if (i < 0) { say('nothing to regenerate yet', 'warn'); return; }
      say('regenerating the last reply');
      start(i);
    },
    isStreaming: () => state.streaming !== undefined,
    toggleOffline() {
      const offline = !state.offline;
      set({ offline });
      record((w) => w.append({ t: 'note', at: now(), kind: 'offline', text: offline ? 'blackout on: loopback providers only' : 'blackout off' }));
      say(offline ? 'BLACKOUT: only loopback providers are tried; nothing leaves this machine' : 'blackout off: the whole chain is tried', offline ? 'warn' : 'info');
    },
    cycleProvider() {
      const names = o.providers.map((p) => p.name);
      const i = state.choice === undefined ? -1 : names.indexOf(state.choice);
      const next = i + 1 < names.length ? names[i + 1] : undefined;
      set({ choice: next, model: undefined, models: [] });
      say(next === undefined ? 'provider: the configured chain' : `provider: ${next} first, then the rest of the chain`);
    },
    async cycleModel() {
      const p = state.choice !== undefined ? o.providers.find((x) => x.name === state.choice) : chainFor().find((x) => !x.problem && (!state.offline || x.loopback));
      if (!p) { say('no provider to list models from', 'warn'); return; }
      if (state.choice === undefined) set({ choice: p.name });
      let models = state.models;
      if (models.length === 0) {
        say(`listing models of ${p.name}…`);
        const r = await listModels({ baseUrl: p.baseUrl, apiKey: p.apiKey, lookup: o.lookup, loopbackOnly: state.offline, connectTimeoutMs: (settings.connectTimeoutSec ?? 5) * 1000 });
        if (!r.ok) { say(`${p.name}: ${r.error.message}`, 'warn'); return; }
        models = r.ids;
      }
      const i = state.model === undefined ? -1 : models.indexOf(state.model);
      const model = models[(i + 1) % models.length];
      set({ models, model });
      say(`model: ${model} (${models.length} listed by ${p.name})`);
    },
    setSystemPrompt(text) {
      const t = text?.trim() === '' ? undefined : text;
      set({ systemPrompt: t });
      const m: TranscriptMessage = { id: newMessageId(), role: 'system', text: t ?? '', at: now() };
      record((w) => w.append({ t: 'system', id: m.id, at: m.at, text: m.text }));
      addMessage(m);
      say(t === undefined ? 'system prompt cleared' : 'system prompt set');
    },
    newConversation() {
      abort?.abort();
      writer?.close();
      writer = undefined;
      state = { ...state, conversationId: newConversationId(now()), messages: [], streaming: undefined, scroll: 0, transcriptPath: undefined };
      openWriter(state.conversationId);
      say(`new conversation ${state.conversationId}`);
    },
    copyLastReply() {
      const i = lastIndex(state.messages, (m) => m.role === 'assistant');
      if (i < 0) { say('no reply to copy yet', 'warn'); return; }
      let text = state.messages[i]!.text;
      // a reply that continued a cut partial is copied whole
      for (let j = i, m = state.messages[j]; m && m.role === 'assistant' && (m as TranscriptMessage).continues !== undefined;) {
        const prevId = (m as TranscriptMessage).continues;
        const k = lastIndex(state.messages.slice(0, j), (x) => x.id === prevId);
        if (k < 0) break;
        text = state.messages[k]!.text + text;
        j = k; m = state.messages[k];
      }
      try {
        const r = copyText(text, { env, emit: o.emitTerminal, ...(o.dir ? { dir: join(o.dir, '..') } : {}) });
        say(r.message);
      } catch (e) {
        say(`copy failed: ${(e as Error).message}`, 'crit');
      }
    },
    scrollBy(lines) { set({ scroll: Math.max(0, state.scroll + lines) }); },
    scrollToBottom() { set({ scroll: 0 }); },

    window: (width, height, kit, t) => drawWindow(state, width, height, kit, t),

    idle: () => running ?? Promise.resolve(),
    dispose() {
      abort?.abort();
      if (cancelTimer) { cancelTimer(); cancelTimer = undefined; }
      void (running ?? Promise.resolve()).finally(() => { writer?.close(); writer = undefined; });
      listeners.clear();
    },
  };
  return api;
}
