/**
 * The transcript window: the lines of a conversation that fit width × height, scrolled `scroll` lines up from the
 * bottom. Built from the bottom up, so a frame touches only the messages it shows; a finished message's lines are
 * cached per width and style (messages are immutable objects); the streaming reply re-wraps only what was appended
 * (IncrementalMarkdown), and only its last lines that can be shown are kept (a 10 MB reply has 100k+ lines).
 */
import { IncrementalMarkdown, type Styler } from './markdown.js';
import type { SessionMessage, Streaming } from './session.js';

/** What the panel supplies to draw messages; `key` names the style (theme) so caches are per theme. */
export interface RenderKit {
  key: string;
  /** a finished message (header, body, figure line) */
  message(m: SessionMessage, width: number): string[];
  /** the streaming message's header lines (above its body) */
  streamingHead(s: Streaming, width: number, now: number): string[];
  /** the styler for markdown bodies */
  styler: Styler;
}

export interface TranscriptWindow { lines: string[]; above: boolean; below: number }

export interface WindowInput {
  messages: readonly SessionMessage[];
  streaming?: Streaming;
  scroll: number;
}

/** A window builder with its caches (one per session). */
export function createWindow(): (s: WindowInput, width: number, height: number, kit: RenderKit, now: number) => TranscriptWindow {
  const lineCache = new WeakMap<object, { key: string; lines: string[] }>();
  let inc: { id: string; width: number; key: string; r: IncrementalMarkdown } | undefined;
  return (state, width, height, kit, t) => {
    const w = Math.max(1, width);
    const blocks: string[][] = [];
    let count = 0;
    const need = state.scroll + height;
    const s = state.streaming;
    if (s) {
      if (!inc || inc.id !== s.id || inc.width !== w || inc.key !== kit.key) inc = { id: s.id, width: w, key: kit.key, r: new IncrementalMarkdown(w, kit.styler) };
      const head = kit.streamingHead(s, w, t);
      const body = inc.r.update(s.text);
      const keep = Math.max(0, need - head.length);
      const lines = body.length > keep ? head.concat(['…'], body.slice(body.length - keep)) : head.concat(body);
      blocks.push(lines);
      count += lines.length + 1;
    } else {
      inc = undefined;
    }
    let i = state.messages.length - 1;
    for (; i >= 0 && count < need; i--) {
      const m = state.messages[i]!;
      let c = lineCache.get(m);
      if (!c || c.key !== `${kit.key}:${w}`) {
        c = { key: `${kit.key}:${w}`, lines: kit.message(m, w) };
        lineCache.set(m, c);
      }
      blocks.push(c.lines);
      count += c.lines.length + 1;
    }
    let all: string[] = [];
    for (let b = blocks.length - 1; b >= 0; b--) {
      all = all.concat(blocks[b]!);
      if (b > 0) all.push('');
    }
    const maxScroll = Math.max(0, all.length - height);
    const scroll = i >= 0 ? state.scroll : Math.min(state.scroll, maxScroll);
    const end = all.length - scroll;
    const startAt = Math.max(0, end - height);
    return { lines: all.slice(startAt, end), above: startAt > 0 || i >= 0, below: scroll };
  };
}
