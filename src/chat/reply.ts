/**
 * How a reply's chain events become conversation messages (pure): a cut stream's kept partial, and the chain's
 * outcome — the finished reply (marked partial when it hit the size bound), or what was streamed before a cancel
 * or before every provider failed — with the notes the conversation shows beside it.
 */
import { truncatedReason } from './client.js';
import type { ChainEvent, ChainOutcome, Skip } from './chain.js';
import type { NoteMessage, Streaming } from './session.js';
import type { TranscriptMessage } from './transcript.js';

export type Note = { text: string; level: NoteMessage['level'] };

/** the reply so far, as the chain reported it cut: kept, marked partial; `continues` links it to the one it continued */
export function partialMessage(e: Extract<ChainEvent, { type: 'partial' }>, ids: { id: string; replyTo: string; continues?: string }, skipped: readonly Skip[], at: number): TranscriptMessage {
  const m: TranscriptMessage = { id: ids.id, role: 'assistant', text: e.text, at, partial: true, reason: `cut: ${e.reason}`, provider: e.provider, tokens: e.tokens, replyTo: ids.replyTo };
  if (e.model !== undefined) m.model = e.model;
  if (e.ttftMs !== undefined) m.ttftMs = e.ttftMs;
  if (e.tokPerSec !== undefined) m.tokPerSec = e.tokPerSec;
  if (ids.continues !== undefined) m.continues = ids.continues;
  if (skipped.length) m.skipped = [...skipped];
  return m;
}

/**
 * The chain's outcome → the messages to add and the notes to show. `streamed` is the reply as streamed so far (its
 * text, provider, model); `base` carries its id, time, the user message it answers and what it continues.
 */
export function settleReply(out: ChainOutcome, streamed: Pick<Streaming, 'text' | 'provider' | 'model'> | undefined, base: TranscriptMessage): { messages: TranscriptMessage[]; notes: Note[] } {
  const text = streamed?.text ?? '';
  if (out.type === 'done') {
    const m: TranscriptMessage = { ...base, text: out.text, provider: out.provider, tokens: out.tokens, skipped: out.skipped };
    if (out.model !== undefined) m.model = out.model;
    if (out.ttftMs !== undefined) m.ttftMs = out.ttftMs;
    if (out.tokPerSec !== undefined) m.tokPerSec = out.tokPerSec;
    if (out.truncated) { m.partial = true; m.reason = truncatedReason(out.truncated.limitBytes); }
    const notes: Note[] = out.truncated ? [{ text: truncatedReason(out.truncated.limitBytes), level: 'warn' }] : [];
    for (const w of out.warnings.slice(0, 3)) notes.push({ text: `${out.provider}: ${w}`, level: 'warn' });
    return { messages: [m], notes };
  }
  if (out.type === 'cancelled') {
    const kept: TranscriptMessage[] = text !== '' ? [{ ...base, text, partial: true as const, reason: 'cancelled', ...(streamed?.provider ? { provider: streamed.provider } : {}), ...(streamed?.model ? { model: streamed.model } : {}) }] : [];
    return { messages: kept, notes: [{ text: 'cancelled', level: 'info' }] };
  }
  return {
    messages: text !== '' ? [{ ...base, text, partial: true as const, reason: 'every provider failed' }] : [],
    notes: [{ text: `every provider failed:\n${out.reasons.map((r) => `  ${r.provider}: ${r.reason}`).join('\n')}`, level: 'crit' }],
  };
}
