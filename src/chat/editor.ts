/**
 * The chat prompt's editor: pure edits of a draft and its cursor (a UTF-16 index). Each returns the new draft, or
 * undefined when the key changes nothing (the session then does not notify). Pasted text keeps its line breaks;
 * control characters never enter the prompt; a surrogate pair is deleted whole.
 */
import { sanitize } from '../text/sanitize.js';

export interface Draft { draft: string; cursor: number }

export function insertText(d: Draft, text: string): Draft | undefined {
  const clean = sanitize(text.replace(/\r\n?/g, '\n').replace(/\t/g, ''));
  if (clean === '') return undefined;
  return { draft: d.draft.slice(0, d.cursor) + clean + d.draft.slice(d.cursor), cursor: d.cursor + clean.length };
}

export function backspace(d: Draft): Draft | undefined {
  if (d.cursor === 0) return undefined;
  const cp = d.draft.codePointAt(d.cursor - 2);
  const n = cp !== undefined && cp > 0xffff ? 2 : 1;
  return { draft: d.draft.slice(0, d.cursor - n) + d.draft.slice(d.cursor), cursor: d.cursor - n };
}

export function deleteForward(d: Draft): Draft | undefined {
  if (d.cursor >= d.draft.length) return undefined;
  const cp = d.draft.codePointAt(d.cursor);
  const n = cp !== undefined && cp > 0xffff ? 2 : 1;
  return { draft: d.draft.slice(0, d.cursor) + d.draft.slice(d.cursor + n), cursor: d.cursor };
}

export function moveCursor(d: Draft, delta: number): Draft {
  return { draft: d.draft, cursor: Math.max(0, Math.min(d.draft.length, d.cursor + delta)) };
}

/** to the start of the cursor's line */
export function lineHome(d: Draft): Draft {
  return { draft: d.draft, cursor: d.draft.lastIndexOf('\n', d.cursor - 1) + 1 };
}

/** to the end of the cursor's line */
export function lineEnd(d: Draft): Draft {
  const i = d.draft.indexOf('\n', d.cursor);
  return { draft: d.draft, cursor: i < 0 ? d.draft.length : i };
}

/** a line up (-1) or down (1), keeping the column where the line is long enough; undefined on the first/last line */
export function cursorLine(d: Draft, delta: -1 | 1): Draft | undefined {
  const s = d.draft;
  const lineStart = s.lastIndexOf('\n', d.cursor - 1) + 1;
  const col = d.cursor - lineStart;
  if (delta < 0) {
    if (lineStart === 0) return undefined;
    const prevStart = s.lastIndexOf('\n', lineStart - 2) + 1;
    return { draft: s, cursor: Math.min(prevStart + col, lineStart - 1) };
  }
  const next = s.indexOf('\n', d.cursor);
  if (next < 0) return undefined;
  const nextEnd = s.indexOf('\n', next + 1);
  return { draft: s, cursor: Math.min(next + 1 + col, nextEnd < 0 ? s.length : nextEnd) };
}
