/**
 * The Recovery screen's panels (pure drawing): the actions by tier, the running (or last) action's live output
 * with its outcome and postconditions, and the audit log's newest entries with the lockdown state.
 */
import type { Theme } from '../../themes/tokens.js';
import { paint } from '../../themes/tokens.js';
import { age } from '../primitives/format.js';
import { fit, sanitize } from '../primitives/text.js';

type Tier = 'T0' | 'T1' | 'T2' | 'T3';
type Check = { name: string; state: 'pass' | 'fail' | 'unknown'; detail: string };

export interface ActionRow { id: string; title: string; tier: Tier; description: string }

export interface RunView {
  action: string;
  title: string;
  tier: Tier;
  args: Record<string, string>;
  startedAt: number;
  state: string;
  lines: string[];
  dropped: number;
  message?: string;
  checks: Check[];
  post: Check[];
  durationMs?: number;
  host?: string;
}

export interface AuthorityView {
  status?: { lockdown: boolean; since?: number; auditEntries: number; auditError?: string };
  recent: unknown[];
  error?: string;
  at?: number;
  /** this machine's host name: an entry about another host says @host */
  own?: string;
}

const tierStyle = (t: Tier) => (t === 'T3' ? 'crit' : t === 'T2' ? 'warn' : t === 'T1' ? 'info' : 'muted') as 'crit' | 'warn' | 'info' | 'muted';

/** The actions, the highlighted one kept in view, and its whole description under the list (wrapped to 3 lines). */
export function actionRowsLines(rows: ActionRow[], selected: number, w: number, h: number, theme: Theme, note?: string): string[] {
  if (!rows.length) return [paint(theme, 'muted', fit('no recovery actions', w))];
  const idW = Math.min(30, Math.max(...rows.map((r) => r.id.length)));
  const list = rows.map((r, i) => {
    const mark = i === selected ? paint(theme, 'selected', theme.glyphs.select) : ' ';
    return fit(`${mark} ${paint(theme, tierStyle(r.tier), r.tier)} ${fit(sanitize(r.id), idW)}  ${sanitize(r.title)}`, w);
  });
  const head = note ? [paint(theme, 'warn', fit(note, w))] : [];
  const sel = rows[selected];
  const about = sel && h >= 8 ? ['', ...wrapText(sanitize(sel.description), w).slice(0, 3).map((l) => paint(theme, 'muted', l))] : [];
  const room = Math.max(1, h - head.length - about.length);
  const top = Math.max(0, Math.min(selected - room + 1, list.length - room));
  const shown = list.slice(top, top + room);
  return [...head, ...shown, ...Array(Math.max(0, room - shown.length)).fill(''), ...about];
}

function wrapText(text: string, w: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/)) {
    if (cur && cur.length + 1 + word.length > w) { out.push(cur); cur = word; } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  return out.map((l) => fit(l, w));
}

const checkLine = (theme: Theme, c: Check, w: number) => fit(`${c.state === 'pass' ? paint(theme, 'ok', theme.glyphs.ok) : c.state === 'fail' ? paint(theme, 'crit', theme.glyphs.crit) : paint(theme, 'warn', theme.glyphs.unknown)} ${sanitize(c.name)}: ${sanitize(c.detail)}`, w);

export function runLines(run: RunView | undefined, w: number, h: number, theme: Theme, now: number): { lines: string[]; badge?: string } {
  if (!run) return { lines: [paint(theme, 'muted', fit('nothing run yet: pick an action (j/k, enter), or : for the palette', w)), paint(theme, 'muted', fit('p pastes a tripcode (RECOVERY:LOCKDOWN, UNLOCK, ' + theme.glyphs.ellipsis + ')', w))] };
  const args = Object.entries(run.args).map(([k, v]) => `${k}=${sanitize(v)}`).join(' ');
  const took = run.durationMs !== undefined ? `${(run.durationMs / 1000).toFixed(1)} s` : `${age(now - run.startedAt)}`;
  const style = run.state === 'ok' ? 'ok' : run.state === 'running' ? 'info' : 'crit';
  const on = run.host ? ` on ${sanitize(run.host)}` : '';
  const head = fit(`${paint(theme, tierStyle(run.tier), run.tier)} ${sanitize(run.action)} ${args}${on}  ${paint(theme, style, run.state.toUpperCase())} ${paint(theme, 'muted', took)}`, w);
  const tail: string[] = [];
  if (run.state !== 'running') {
    if (run.message) tail.push(fit(paint(theme, style, sanitize(run.message).split('\n')[0] ?? ''), w));
    for (const c of run.post) tail.push(checkLine(theme, c, w));
  }
  const outRoom = Math.max(0, h - 1 - tail.length);
  const out = run.lines.slice(-outRoom).map((l) => fit(l, w));
  const dropped = run.dropped ? `${run.dropped} lines dropped` : undefined;
  return { lines: [head, ...out, ...tail], ...(dropped ? { badge: dropped } : { badge: `${run.lines.length} lines` }) };
}

/** one audit entry in a line: time, kind, action (on another host than `own`: @host), outcome or reason, who */
function entryLine(e: Record<string, unknown>, theme: Theme, w: number, own?: string): string {
  const at = typeof e.at === 'string' ? e.at.slice(11, 19) : typeof e.at === 'number' ? new Date(e.at).toISOString().slice(11, 19) : '--:--:--';
  const kind = String(e.kind ?? '?');
  const who = (e.who as { user?: string; ssh?: string } | undefined);
  const what = String(e.action ?? e.code ?? '') + (typeof e.host === 'string' && own !== undefined && e.host !== own ? ` @${e.host}` : '');
  const outcome = String(e.outcome ?? e.refusal ?? e.code ?? '');
  const style = kind === 'refused' || /fail/.test(outcome) ? 'crit' : kind === 'lockdown' ? 'warn' : kind === 'end' && outcome === 'ok' ? 'ok' : 'muted';
  const seq = typeof e.seq === 'number' ? `#${e.seq} ` : '';
  const reason = typeof e.reason === 'string' ? ` ${e.reason}` : typeof e.message === 'string' ? ` ${e.message}` : '';
  return fit(`${paint(theme, 'muted', seq + at)} ${paint(theme, style, kind.padEnd(8))} ${sanitize(what)} ${paint(theme, style, sanitize(outcome === what ? '' : outcome))}${paint(theme, 'muted', sanitize(reason))}${who?.user ? paint(theme, 'muted', ` · ${sanitize(who.user)}${who.ssh ? ' via ssh' : ''}`) : ''}`, w);
}

export function auditLines(v: AuthorityView, w: number, h: number, theme: Theme, now: number): { lines: string[]; badge?: string } {
  const head: string[] = [];
  if (v.error) head.push(paint(theme, 'crit', fit(`${theme.glyphs.crit} ${sanitize(v.error)}`, w)));
  const st = v.status;
  if (st?.lockdown) head.push(paint(theme, 'crit', fit(`${theme.glyphs.crit} LOCKDOWN${st.since ? ` since ${age(now - st.since)} ago` : ''}: every action above T0 is refused until RECOVERY:UNLOCK`, w)));
  if (st?.auditError) head.push(paint(theme, 'crit', fit(`${theme.glyphs.crit} audit log: ${sanitize(st.auditError)} — nothing above T0 runs`, w)));
  const entries = v.recent.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null);
  const rows = entries.slice(-Math.max(0, h - head.length)).map((e) => entryLine(e, theme, w, v.own));
  if (!rows.length && !head.length) rows.push(paint(theme, 'muted', fit(st ? 'no entries yet: every action above T0 is recorded here' : `reading the audit log${theme.glyphs.ellipsis}`, w)));
  const badge = st ? `${st.auditEntries} entries${st.lockdown ? ' · LOCKDOWN' : ''}` : undefined;
  return { lines: [...head, ...rows], ...(badge ? { badge } : {}) };
}
