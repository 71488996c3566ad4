/**
 * Pure line builders for the chat screen: messages (markdown-lite body, a figure line per reply, a partial badge),
 * the streaming reply's header, the multi-line prompt with its cursor, and the provider/model line (blackout,
 * cooldowns). Everything from outside (model output, provider and model names, error text) is sanitized here or
 * in the markdown renderer before it is drawn.
 */
import { paint, type Theme } from '../../themes/tokens.js';
import { renderMarkdown, type LineKind, type Styler } from '../../src/chat/markdown.js';
import type { ChatState, RenderKit, SessionMessage, Streaming } from '../../src/chat/session.js';
import type { Skip } from '../../src/chat/chain.js';
import { fit, sanitize, width as strWidth } from '../primitives/text.js';

const ms = (n: number | undefined): string => (n === undefined ? '—' : n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
const tps = (n: number | undefined): string => (n === undefined ? '— tok/s' : `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} tok/s`);
const clean1 = (s: string, max = 120): string => {
  const t = sanitize(s).replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

export function styler(theme: Theme): Styler {
  return (kind: LineKind, text: string) => {
    switch (kind) {
      case 'code': return paint(theme, 'accent', text);
      case 'fence': case 'quote': return paint(theme, 'muted', text);
      case 'heading': return paint(theme, 'title', text);
      default: return text;
    }
  };
}

/** Short reasons why earlier providers were skipped: "a: refused, b: cooldown". */
export function skippedSummary(skipped: Skip[] | undefined): string {
  if (!skipped || skipped.length === 0) return '';
  return skipped.map((s) => `${clean1(s.provider, 30)}: ${s.kind}`).join(', ');
}

/** provider · model · TTFT · tok/s · tokens · skipped … · partial */
export function figureLine(m: SessionMessage, theme: Theme, width: number): string[] {
  if (m.role !== 'assistant') return [];
  const parts = [m.provider ? clean1(m.provider, 40) : 'unknown provider'];
  if (m.model) parts.push(clean1(m.model.replace(/^.*\//, ''), 50));
  parts.push(`TTFT ${ms(m.ttftMs)}`, tps(m.tokPerSec));
  if (m.tokens !== undefined) parts.push(`${m.tokens} tok`);
  const out = [paint(theme, 'muted', fit(`${theme.glyphs.info} ${parts.join(' · ')}`, width).trimEnd())];
  const sk = skippedSummary(m.skipped);
  if (sk) out.push(paint(theme, 'warn', fit(`  skipped ${sk}`, width).trimEnd()));
  for (const s of (m.skipped ?? []).slice(0, 4)) out.push(paint(theme, 'muted', fit(`    ${clean1(s.provider, 30)}: ${clean1(s.reason, 200)}`, width).trimEnd()));
  if (m.partial) out.push(paint(theme, 'warn', fit(`${theme.glyphs.warn} partial${m.reason ? `: ${clean1(m.reason, 160)}` : ''}`, width).trimEnd()));
  if (m.continues) out.push(paint(theme, 'info', fit(`${theme.glyphs.info} continues the partial reply above (kept as context)`, width).trimEnd()));
  return out;
}

/** One finished message as lines. */
export function messageLines(m: SessionMessage, width: number, theme: Theme): string[] {
  const st = styler(theme);
  switch (m.role) {
    case 'user':
      return [paint(theme, 'key', `${theme.glyphs.select} you`), ...renderMarkdown(m.text, Math.max(1, width - 2), st).map((l) => `  ${l}`)];
    case 'system':
      return [paint(theme, 'muted', fit(m.text === '' ? `${theme.glyphs.system} system prompt cleared` : `${theme.glyphs.system} system prompt: ${clean1(m.text, 400)}`, width).trimEnd())];
    case 'note': {
      const tok = m.level === 'crit' ? 'crit' : m.level === 'warn' ? 'warn' : 'info';
      const glyph = m.level === 'crit' ? theme.glyphs.crit : m.level === 'warn' ? theme.glyphs.warn : theme.glyphs.info;
      return m.text.split('\n').flatMap((l, i) => renderMarkdown(sanitize(l), Math.max(1, width - 2), (_k, t) => t).map((x, j) => paint(theme, tok, (i === 0 && j === 0 ? `${glyph} ` : '  ') + x)));
    }
    case 'assistant': {
      const who = paint(theme, 'accent', `${theme.glyphs.speaker}${m.provider ? clean1(m.provider, 40) : 'assistant'}`);
      const body = renderMarkdown(m.text, Math.max(1, width - 2), st).map((l) => `  ${l}`);
      return [who, ...(body.length > 0 ? body : [paint(theme, 'muted', '  (no text)')]), ...figureLine(m, theme, width)];
    }
  }
}

/** The streaming reply's header: who answers, how far, what the chain is doing. */
export function streamingHead(s: Streaming, width: number, theme: Theme, now: number): string[] {
  const who = s.provider ? clean1(s.provider, 40) : theme.glyphs.ellipsis;
  const model = s.model ? ` · ${clean1(s.model.replace(/^.*\//, ''), 50)}` : '';
  const secs = Math.max(0, (now - s.startedAt) / 1000).toFixed(1);
  const out = [paint(theme, 'accent', fit(`${theme.glyphs.speaker}${who}${model} · streaming ${s.tokens} tok · ${secs} s  (esc cancels)`, width).trimEnd())];
  if (s.continues) out.push(paint(theme, 'info', fit(`${theme.glyphs.info} continuing the cut reply above`, width).trimEnd()));
  if (s.tokens === 0 || s.text === '') out.push(paint(theme, 'muted', fit(`  ${theme.glyphs.pending} ${clean1(s.activity, 200)}`, width).trimEnd()));
  for (const k of s.skipped.slice(-3)) out.push(paint(theme, 'warn', fit(`  ${theme.glyphs.warn} ${clean1(k.provider, 30)} skipped: ${clean1(k.reason, 200)}`, width).trimEnd()));
  return out;
}

const kits = new Map<string, RenderKit>();
/** The render kit the session caches lines with, one per theme. */
export function renderKit(theme: Theme): RenderKit {
  let k = kits.get(theme.name);
  if (!k) {
    k = {
      key: theme.name,
      message: (m, w) => messageLines(m, w, theme),
      streamingHead: (s, w, now) => streamingHead(s, w, theme, now),
      styler: styler(theme),
    };
    kits.set(theme.name, k);
  }
  return k;
}

/** Splits the draft into display rows of at most `width` columns; returns the rows and where the cursor is. */
export function layoutDraft(draft: string, cursor: number, width: number): { rows: string[]; row: number; col: number } {
  const rows: string[] = [];
  let row = 0;
  let col = 0;
  let idx = 0;
  const w = Math.max(1, width);
  for (const line of draft.split('\n')) {
    let cur = '';
    let curW = 0;
    for (const ch of line) {
      const cw = strWidth(ch) || 1;
      if (curW + cw > w) { rows.push(cur); cur = ''; curW = 0; }
      if (idx === cursor) { row = rows.length; col = curW; }
      cur += ch;
      curW += cw;
      idx += ch.length;
    }
    if (idx === cursor) {
      if (curW >= w) { rows.push(cur); cur = ''; curW = 0; }
      row = rows.length; col = curW;
    }
    rows.push(cur);
    idx += 1; // the newline
  }
  return { rows, row, col };
}

/** The prompt editor: the draft wrapped to the width with a visible cursor, scrolled to keep the cursor in view. */
/** The width a draft wraps at inside a prompt panel whose inner width is `width` (after the "› " lead and the cursor). */
const draftWidth = (width: number) => Math.max(1, Math.max(1, width - 2) - 1);

/** How many rows the draft takes in a prompt panel of this inner width: the layout sizes the panel with it. */
export function promptRows(draft: string, cursor: number, width: number): number {
  return draft === '' ? 1 : layoutDraft(draft, cursor, draftWidth(width)).rows.length;
}

export function promptLines(draft: string, cursor: number, width: number, height: number, theme: Theme, placeholder = 'type a message · enter sends · alt+enter or ctrl+j adds a line · /help'): string[] {
  if (draft === '') return [paint(theme, 'key', `${theme.glyphs.select} `) + paint(theme, 'selected', ' ') + paint(theme, 'muted', fit(placeholder, draftWidth(width)).trimEnd())];
  const { rows, row, col } = layoutDraft(draft, cursor, draftWidth(width));
  const first = Math.max(0, Math.min(row - height + 1, rows.length - height));
  const out: string[] = [];
  for (let r = first; r < Math.min(rows.length, first + height); r++) {
    const text = rows[r]!;
    const lead = r === 0 ? paint(theme, 'key', `${theme.glyphs.select} `) : '  ';
    if (r !== row) { out.push(lead + text); continue; }
    const chars = [...text];
    let before = '';
    let used = 0;
    let k = 0;
    for (; k < chars.length && used < col; k++) { before += chars[k]; used += strWidth(chars[k]!) || 1; }
    const at = chars[k] ?? ' ';
    out.push(lead + before + paint(theme, 'selected', at) + chars.slice(k + 1).join(''));
  }
  return out;
}

/** provider: auto (a → b → local) · model · ■ BLACKOUT · cooling a 42s */
export function providerLine(s: ChatState, chainNames: string[], theme: Theme, now: number, width: number): string {
  const choice = s.choice === undefined ? `auto (${chainNames.map((n) => clean1(n, 20)).join(` ${theme.glyphs.arrow} `) || 'no providers'})` : `${clean1(s.choice, 30)} first`;
  const parts = [paint(theme, 'muted', 'provider ') + paint(theme, 'title', choice)];
  parts.push(paint(theme, 'muted', 'model ') + (s.model ? clean1(s.model, 50) : paint(theme, 'muted', 'default')));
  if (s.offline) parts.push(paint(theme, 'crit', `${theme.glyphs.square} BLACKOUT: loopback only`));
  const cds = s.cooldowns.filter((c) => c.untilMs > now);
  if (cds.length > 0) parts.push(paint(theme, 'warn', `cooling ${cds.map((c) => `${clean1(c.provider, 20)} ${Math.ceil((c.untilMs - now) / 1000)}s`).join(', ')}`));
  const bad = s.providers.filter((p) => p.problem);
  if (bad.length > 0) parts.push(paint(theme, 'crit', `${theme.glyphs.crit} ${bad.map((p) => clean1(p.name, 20)).join(', ')} unusable`));
  return fit(parts.join(paint(theme, 'muted', ' · ')), width);
}

/** The status line under the provider line: the session's last message, or the keys. */
export function chatStatusLine(s: ChatState, theme: Theme, now: number, width: number): string {
  if (s.status && now - s.status.at < 8000) {
    const tok = s.status.level === 'crit' ? 'crit' : s.status.level === 'warn' ? 'warn' : 'info';
    return fit(paint(theme, tok, clean1(s.status.text, 400)), width);
  }
  const hints: [string, string][] = [['enter', 'send'], ['alt+enter/ctrl+j', 'newline'], ['esc', s.streaming ? 'cancel' : 'leave'], ['ctrl+p', 'provider'], ['ctrl+n', 'model'], ['ctrl+o', 'blackout'], ['ctrl+r', 'regenerate'], ['ctrl+y', 'copy'], ['pgup/pgdn', 'scroll']];
  return fit(hints.map(([k, v]) => paint(theme, 'key', k) + ' ' + paint(theme, 'muted', v)).join('  '), width);
}
