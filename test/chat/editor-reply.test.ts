/** The chat's pure parts beside the session: the prompt editor and how a chain outcome becomes messages. */
import { describe, expect, it } from 'vitest';
import { backspace, cursorLine, deleteForward, insertText, lineEnd, lineHome, moveCursor } from '../../src/chat/editor.js';
import { partialMessage, settleReply } from '../../src/chat/reply.js';
import type { TranscriptMessage } from '../../src/chat/transcript.js';

describe('the prompt editor', () => {
  it('inserts at the cursor: pasted line breaks kept (CRLF → LF), tabs and escape sequences dropped; nothing to insert is no edit', () => {
    expect(insertText({ draft: 'ab', cursor: 1 }, 'x\r\ny\tz\u001b[31m')).toEqual({ draft: 'ax\nyzb', cursor: 5 });
    expect(insertText({ draft: 'ab', cursor: 1 }, '\u001b[2J')).toBeUndefined();
  });
  it('deletes a surrogate pair whole, either way; at the ends it is no edit', () => {
    const d = { draft: 'a😀b', cursor: 3 };
    expect(backspace(d)).toEqual({ draft: 'ab', cursor: 1 });
    expect(deleteForward({ draft: 'a😀b', cursor: 1 })).toEqual({ draft: 'ab', cursor: 1 });
    expect(backspace({ draft: 'a', cursor: 0 })).toBeUndefined();
    expect(deleteForward({ draft: 'a', cursor: 1 })).toBeUndefined();
  });
  it('moves within bounds, to the line\'s ends, and a line up/down keeping the column (clamped to a short line)', () => {
    const d = { draft: 'hello\nhi\nworld', cursor: 4 };
    expect(moveCursor(d, -99).cursor).toBe(0);
    expect(moveCursor(d, 99).cursor).toBe(14);
    expect(cursorLine(d, 1)).toEqual({ draft: d.draft, cursor: 8 }); // "hi" is 2 long: its end
    expect(cursorLine({ ...d, cursor: 8 }, 1)).toEqual({ draft: d.draft, cursor: 11 });
    expect(cursorLine({ ...d, cursor: 12 }, -1)).toEqual({ draft: d.draft, cursor: 8 });
    expect(cursorLine(d, -1)).toBeUndefined();
    expect(cursorLine({ ...d, cursor: 12 }, 1)).toBeUndefined();
    expect(lineHome({ ...d, cursor: 7 }).cursor).toBe(6);
    expect(lineEnd({ ...d, cursor: 7 }).cursor).toBe(8);
  });
});

describe('a reply settled', () => {
  const base: TranscriptMessage = { id: 'r1', role: 'assistant', text: '', at: 5, replyTo: 'u1' };
  const figures = { provider: 'local', tokens: 3, skipped: [], prefix: '', warnings: [] as string[] };
  it('done: the whole text with its figures; cut at the size bound it is partial, with a note; provider warnings noted (at most 3)', () => {
    const done = settleReply({ type: 'done', text: 'hi there', model: 'm', ttftMs: 40, tokPerSec: 12, ...figures, warnings: ['a', 'b', 'c', 'd'] }, { text: 'hi', provider: 'local' }, base);
    expect(done.messages).toEqual([{ ...base, text: 'hi there', provider: 'local', tokens: 3, skipped: [], model: 'm', ttftMs: 40, tokPerSec: 12 }]);
    expect(done.notes.map((n) => n.text)).toEqual(['local: a', 'local: b', 'local: c']);
    const cut = settleReply({ type: 'done', text: 'x'.repeat(10), truncated: { limitBytes: 1024 }, ...figures }, undefined, base);
    expect(cut.messages[0]).toMatchObject({ partial: true, reason: expect.stringMatching(/1 KiB|1024/) });
    expect(cut.notes[0]!.level).toBe('warn');
  });
  it('cancelled keeps what streamed (marked partial, with its provider); nothing streamed keeps nothing; every provider failed lists each reason', () => {
    expect(settleReply({ type: 'cancelled', partial: 'so far' }, { text: 'so far', provider: 'cloud', model: 'big' }, base).messages)
      .toEqual([{ ...base, text: 'so far', partial: true, reason: 'cancelled', provider: 'cloud', model: 'big' }]);
    expect(settleReply({ type: 'cancelled', partial: '' }, { text: '' }, base)).toEqual({ messages: [], notes: [{ text: 'cancelled', level: 'info' }] });
    const failed = settleReply({ type: 'failed', partial: 'half', reasons: [{ provider: 'cloud', kind: 'http', reason: '429' }, { provider: 'local', kind: 'refused', reason: 'connection refused' }] } as never, { text: 'half' }, base);
    expect(failed.messages).toEqual([{ ...base, text: 'half', partial: true, reason: 'every provider failed' }]);
    expect(failed.notes).toEqual([{ text: 'every provider failed:\n  cloud: 429\n  local: connection refused', level: 'crit' }]);
  });
  it('a cut stream\'s partial links to the reply it continued and carries the providers skipped before it', () => {
    const m = partialMessage({ type: 'partial', provider: 'cloud', text: 'half', reason: 'reset', tokens: 2, ttftMs: 9 }, { id: 'r2', replyTo: 'u1', continues: 'r1' }, [{ provider: 'a', kind: 'cooldown', reason: 'cooling' }] as never, 7);
    expect(m).toEqual({ id: 'r2', role: 'assistant', text: 'half', at: 7, partial: true, reason: 'cut: reset', provider: 'cloud', tokens: 2, replyTo: 'u1', ttftMs: 9, continues: 'r1', skipped: [{ provider: 'a', kind: 'cooldown', reason: 'cooling' }] });
  });
});
