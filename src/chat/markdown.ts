/**
 * Markdown-lite → lines fitted to a width: paragraphs (soft line breaks joined) wrapped at word boundaries, list
 * items with a hanging indent, headings, quotes, and fenced code blocks kept verbatim (never wrapped; a line too
 * wide is cut with …). Every source line is sanitized (terminal control sequences and control characters removed)
 * before anything is measured or drawn.
 *
 * `IncrementalMarkdown` renders a growing text (a streaming reply) in time proportional to what was appended:
 * the block machine consumes complete source lines once and commits finished output lines; only the last,
 * incomplete source line is rendered again on each update.
 */
import stringWidth from 'string-width';
import { sanitize } from '../../widgets/primitives/text.js';

export type LineKind = 'text' | 'code' | 'fence' | 'heading' | 'bullet' | 'quote' | 'blank';
/** Styles one finished output line (the text is already plain and fitted). */
export type Styler = (kind: LineKind, text: string) => string;

const plain: Styler = (_k, t) => t;
const ASCII = /^[\x20-\x7e]*$/;
const w = (s: string): number => (ASCII.test(s) ? s.length : stringWidth(s));

/** Cuts plain text to at most `width` columns, ending with … when cut. */
export function cut(s: string, width: number): string {
  if (width <= 0) return '';
  if (w(s) <= width) return s;
  if (ASCII.test(s)) return s.slice(0, width - 1) + '…';
  let out = '';
  let used = 0;
  for (const ch of s) {
    const cw = stringWidth(ch);
    if (used + cw > width - 1) break;
    out += ch;
    used += cw;
  }
  return out + '…';
}

/** Splits a word wider than `width` into pieces that fit. */
function breakWord(word: string, width: number): string[] {
  const out: string[] = [];
  if (ASCII.test(word)) {
    for (let i = 0; i < word.length; i += width) out.push(word.slice(i, i + width));
    return out;
  }
  let cur = '';
  let used = 0;
  for (const ch of word) {
    const cw = stringWidth(ch);
    if (used + cw > width && cur !== '') { out.push(cur); cur = ''; used = 0; }
    cur += ch;
    used += cw;
  }
  if (cur !== '') out.push(cur);
  return out;
}

interface Para { kind: LineKind; first: string; rest: string; cur: string; curW: number; started: boolean }
interface State { fence?: { marker: string }; para?: Para; lastBlank: boolean; any: boolean }

const FENCE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const ITEM = /^(\s*)([-*+\u2022]|\d{1,4}[.)])\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

class Machine {
  st: State = { lastBlank: false, any: false };
  constructor(readonly width: number, readonly style: Styler) {}

  private emit(out: string[], kind: LineKind, text: string): void {
    out.push(kind === 'blank' ? '' : this.style(kind, text));
    this.st.lastBlank = kind === 'blank';
    this.st.any = true;
  }

  private flushPara(out: string[]): void {
    const p = this.st.para;
    if (!p) return;
    if (p.started) this.emit(out, p.kind, p.cur);
    this.st.para = undefined;
  }

  private startPara(out: string[], kind: LineKind, first: string, rest: string): void {
    this.flushPara(out);
    this.st.para = { kind, first, rest, cur: first, curW: w(first), started: false };
  }

  private words(out: string[], text: string): void {
    const p = this.st.para;
    if (!p) return;
    for (const word of text.split(' ')) {
      if (word === '') continue;
      const ww = w(word);
      const room = this.width;
      if (!p.started) {
        p.started = true;
        this.place(out, p, word, ww, room, w(p.first));
        continue;
      }
      if (p.curW + 1 + ww <= room) { p.cur += ' ' + word; p.curW += 1 + ww; continue; }
      this.emit(out, p.kind, p.cur);
      p.cur = p.rest;
      p.curW = w(p.rest);
      this.place(out, p, word, ww, room, p.curW);
    }
  }

  /** puts a word at the start of the current line, breaking it when it is wider than the line */
  private place(out: string[], p: Para, word: string, ww: number, room: number, indentW: number): void {
    const avail = Math.max(1, room - indentW);
    if (ww <= avail) { p.cur += word; p.curW += ww; return; }
    const pieces = breakWord(word, avail);
    pieces.forEach((piece, i) => {
      if (i > 0) { this.emit(out, p.kind, p.cur); p.cur = p.rest; p.curW = w(p.rest); }
      p.cur += piece;
      p.curW += w(piece);
    });
  }

  feed(out: string[], raw: string): void {
    const f = this.st.fence;
    // code keeps its indentation: tabs become 4 spaces there (sanitize turns any other tab into one space)
    const line = sanitize(f ? raw.replace(/\t/g, '    ') : raw);
    if (f) {
      const m = FENCE.exec(line);
      if (m && m[1]!.startsWith(f.marker) && m[2]!.trim() === '') { this.emit(out, 'fence', cut(line, this.width)); this.st.fence = undefined; return; }
      this.emit(out, 'code', cut(line, this.width));
      return;
    }
    const fm = FENCE.exec(line);
    if (fm) {
      this.flushPara(out);
      this.st.fence = { marker: fm[1]![0]!.repeat(3) };
      this.emit(out, 'fence', cut(line.trim(), this.width));
      return;
    }
    if (line.trim() === '') {
      this.flushPara(out);
      if (this.st.any && !this.st.lastBlank) this.emit(out, 'blank', '');
      return;
    }
    if (RULE.test(line)) { this.flushPara(out); this.emit(out, 'text', '─'.repeat(Math.min(this.width, 40))); return; }
    const h = HEADING.exec(line);
    if (h) {
      this.startPara(out, 'heading', '', '');
      this.words(out, h[2]!);
      this.flushPara(out);
      return;
    }
    const it = ITEM.exec(line);
    if (it) {
      const indent = ' '.repeat(Math.min(it[1]!.length, 12));
      const marker = /^[-*+\u2022]$/.test(it[2]!) ? '•' : it[2]!;
      const first = `${indent}${marker} `;
      this.startPara(out, 'bullet', first, ' '.repeat(w(first)));
      this.words(out, it[3]!);
      return;
    }
    const q = QUOTE.exec(line);
    if (q) {
      if (this.st.para?.kind !== 'quote') this.startPara(out, 'quote', '│ ', '│ ');
      this.words(out, q[1]!);
      return;
    }
    if (!this.st.para) this.startPara(out, 'text', '', '');
    this.words(out, line.trim());
  }

  finish(out: string[]): void { this.flushPara(out); }

  clone(): Machine {
    const m = new Machine(this.width, this.style);
    m.st = { ...this.st, para: this.st.para ? { ...this.st.para } : undefined, fence: this.st.fence ? { ...this.st.fence } : undefined };
    return m;
  }
}

/** Renders a whole text at once. */
export function renderMarkdown(text: string, width: number, style: Styler = plain): string[] {
  const m = new Machine(Math.max(1, width), style);
  const out: string[] = [];
  for (const line of text.split('\n')) m.feed(out, line);
  m.finish(out);
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Longest incomplete last line re-rendered on each update while streaming (the rest shows once it ends). */
const TAIL_MAX = 16 * 1024;

/** Renders a text that only grows; `update` costs what was appended plus the last incomplete line. */
export class IncrementalMarkdown {
  private m: Machine;
  private committed: string[] = [];
  private consumed = 0;
  constructor(readonly width: number, private readonly style: Styler = plain) {
    this.m = new Machine(Math.max(1, width), style);
  }

  update(text: string): string[] {
    // the text only grows; anything else (a different message) starts over
    if (text.length < this.consumed || (this.consumed > 0 && text.charCodeAt(this.consumed - 1) !== 10)) {
      this.m = new Machine(Math.max(1, this.width), this.style);
      this.committed = [];
      this.consumed = 0;
    }
    const nl = text.lastIndexOf('\n');
    if (nl >= this.consumed) {
      let from = this.consumed;
      for (;;) {
        const i = text.indexOf('\n', from);
        if (i < 0 || i > nl) break;
        this.m.feed(this.committed, text.slice(from, i));
        from = i + 1;
      }
      this.consumed = nl + 1;
    }
    let tail = text.slice(this.consumed);
    if (tail.length > TAIL_MAX) tail = '…' + tail.slice(tail.length - TAIL_MAX).replace(/^\S*\s/, '');
    const t = this.m.clone();
    const extra: string[] = [];
    if (tail !== '') t.feed(extra, tail);
    t.finish(extra);
    const out = extra.length > 0 ? this.committed.concat(extra) : this.committed.slice();
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }
}

const ESC_INCOMPLETE = /\u001b(?:\[[0-?]*[ -/]*|\][^\u0007\u001b]*|\u001b?|[P^_X][^\u001b]*)$|\u009b[0-?]*[ -/]*$/;

/**
 * Sanitizes a stream piece by piece (headless output): an escape sequence split across pieces is held back until
 * it is complete (or proven garbage), so no fragment of it reaches the terminal. Newlines are kept.
 */
export class StreamSanitizer {
  private held = '';
  push(piece: string): string {
    let s = this.held + piece;
    this.held = '';
    const m = ESC_INCOMPLETE.exec(s);
    if (m && m[0].length < 4096) { this.held = m[0]; s = s.slice(0, m.index); }
    return s.split('\n').map((l) => sanitize(l)).join('\n');
  }
  /** the end of the stream: whatever is held is an unfinished sequence, dropped */
  end(): string { this.held = ''; return ''; }
}
