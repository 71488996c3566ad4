/**
 * Server-sent events (`text/event-stream`), as OpenAI-compatible servers stream chat completions. Total: a line
 * that is not an SSE field becomes an `{ error }` event and decoding goes on.
 */
import { oneLine } from './json.js';
import type { SseEvent } from './types.js';


/** A line longer than this without a newline is garbage (an HTML page, a binary body), not an event. */
export const SSE_MAX_LINE_CHARS = 4 * 1024 * 1024;

/**
 * Incremental `text/event-stream` decoder. Feed it chunks as they arrive (strings, or bytes — split UTF-8 sequences
 * are joined); it returns the complete events. Handles `\n`, `\r\n` and `\r` line ends (also split across chunks),
 * `:` comments, multi-line `data:`, `event:`/`id:`/`retry:`, and marks `data: [DONE]`. A line that is not an SSE
 * field becomes `{ error: 'malformed line …' }` and decoding goes on.
 */
export class SseDecoder {
  private buf = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  private pendingCr = false;
  private first = true;
  private bytes: TextDecoder | undefined;
  /** lines read so far (for messages) */
  private lineNo = 0;
  /** chars at the start of buf already known to hold no line end */
  private scanned = 0;

  feed(chunk: string | Uint8Array): SseEvent[] {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      this.bytes ??= new TextDecoder('utf-8');
      try { text = this.bytes.decode(chunk, { stream: true }); } catch { text = ''; }
    }
    const out: SseEvent[] = [];
    if (text === '') return out;
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr) {
      this.pendingCr = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.buf += text;
    let start = 0;
    let from = this.scanned;
    for (;;) {
      let i = Math.max(start, from);
      from = 0;
      const len = this.buf.length;
      while (i < len) {
        const c = this.buf.charCodeAt(i);
        if (c === 10 || c === 13) break;
        i++;
      }
      if (i >= len) break;
      const line = this.buf.slice(start, i);
      if (this.buf.charCodeAt(i) === 13) {
        if (i + 1 < len) start = this.buf.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
        else { start = i + 1; this.pendingCr = true; }
      } else {
        start = i + 1;
      }
      this.line(line, out);
    }
    this.buf = start > 0 ? this.buf.slice(start) : this.buf;
    this.scanned = this.buf.length;
    if (this.buf.length > SSE_MAX_LINE_CHARS) {
      this.scanned = 0;
      out.push({ error: `malformed line ${this.lineNo + 1}: longer than ${SSE_MAX_LINE_CHARS} characters without a line end; dropped` });
      this.buf = '';
    }
    return out;
  }

  /** The stream ended: an event without its closing blank line is reported, not delivered (as browsers do). */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.bytes) {
      try { this.buf += this.bytes.decode(); } catch {}
    }
    if (this.buf !== '') {
      this.line(this.buf, out, true);
      this.buf = '';
      this.scanned = 0;
    }
    if (this.data.length > 0 || this.event !== undefined) {
      out.push({ error: 'the stream ended in the middle of an event' });
    }
    this.data = [];
    this.event = undefined;
    this.pendingCr = false;
    return out;
  }

  private line(line: string, out: SseEvent[], atEnd = false): void {
    this.lineNo++;
    if (line === '') {
      if (this.data.length > 0) {
        const data = this.data.join('\n');
        const ev: SseEvent = { data };
        if (this.event !== undefined) ev.event = this.event;
        if (this.id !== undefined) ev.id = this.id;
        if (data.trim() === '[DONE]') ev.done = true;
        out.push(ev);
      }
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data': this.data.push(value); return;
      case 'event': this.event = value; return;
      case 'id': if (!value.includes('\u0000')) this.id = value; return;
      case 'retry': return;
      default:
        out.push({ error: `malformed line ${this.lineNo}${atEnd ? ' (at the end of the stream)' : ''}: "${oneLine(line, 80)}"` });
    }
  }
}

/** Decode a whole `text/event-stream` body at once. */
export function parseSseChunk(text: string): SseEvent[] {
  const d = new SseDecoder();
  return [...d.feed(typeof text === 'string' ? text : ''), ...d.end()];
}

