/**
 * A script's output, as sov keeps and shows it: split into lines per stream, each line sanitised (no escape
 * sequence, control character or bidi override reaches the terminal), cut to a width, and a bounded tail of the
 * last lines (by count and by bytes) with a count of the lines dropped from it. Pure; never throws.
 */
import { sanitize } from '../../widgets/primitives/text.js';

/**
 * Bidi controls (embeddings, overrides, isolates, marks): invisible, and they reorder what follows, so a line can
 * read differently from what it says ("Trojan Source"). The project's sanitize() keeps them; outside text loses them here.
 */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of outside text made safe to draw: the last carriage-return segment (a progress bar's latest state), sanitised. */
export function cleanLine(raw: string, maxChars: number): string {
  let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (s.includes('\r')) {
    const parts = s.split('\r').filter((p) => p !== '');
    s = parts[parts.length - 1] ?? '';
  }
  s = sanitize(s).replace(BIDI, '');
  return s.length > maxChars ? `${s.slice(0, maxChars)}…` : s;
}

export interface TailLimits {
  lines: number;
  bytes: number;
}

/** The last lines, bounded by count and by bytes; what falls off is counted. */
export class Tail {
  private buf: string[] = [];
  private head = 0;
  private bytes = 0;
  dropped = 0;

  constructor(private readonly limits: TailLimits) {}

  push(line: string): void {
    this.buf.push(line);
    this.bytes += Buffer.byteLength(line) + 1;
    while (this.buf.length - this.head > this.limits.lines || (this.bytes > this.limits.bytes && this.buf.length - this.head > 1)) {
      this.bytes -= Buffer.byteLength(this.buf[this.head]!) + 1;
      this.buf[this.head] = '';
      this.head++;
      this.dropped++;
    }
    if (this.head > 1024 && this.head * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
  }

  lines(): string[] {
    return this.buf.slice(this.head);
  }
}

export interface SplitterOptions {
  /** a line longer than this is cut (…) */
  maxLineChars: number;
  onLine(line: string): void;
}

/**
 * Splits stream chunks into lines. A line that never ends is emitted in pieces of 4 × maxLineChars rather than
 * held without bound.
 */
export class LineSplitter {
  private part = '';

  constructor(private readonly o: SplitterOptions) {}

  push(chunk: string): void {
    const all = this.part + chunk;
    let from = 0;
    let nl: number;
    while ((nl = all.indexOf('\n', from)) >= 0) {
      this.o.onLine(cleanLine(all.slice(from, nl), this.o.maxLineChars));
      from = nl + 1;
    }
    let s = all.slice(from);
    const hold = this.o.maxLineChars * 4;
    while (s.length > hold) {
      this.o.onLine(cleanLine(s.slice(0, hold), this.o.maxLineChars));
      s = s.slice(hold);
    }
    this.part = s;
  }

  /** the last line, when it did not end with a newline */
  flush(): void {
    if (this.part !== '') this.o.onLine(cleanLine(this.part, this.o.maxLineChars));
    this.part = '';
  }
}
