/**
 * The overlays an action opens (pure drawing): the confirm box — an argument being asked, then exactly what will
 * run, its preconditions with their evidence, and the confirmation its tier asks for — and the tripcode prompt.
 */
import type { Theme } from '../../themes/tokens.js';
import { paint } from '../../themes/tokens.js';
import { fit, sanitize, width } from '../primitives/text.js';

export interface ConfirmView {
  title: string;
  tier: 'T0' | 'T1' | 'T2' | 'T3';
  ask?: { arg: string; description: string; choices: string[]; index: number };
  pending: boolean;
  text: string;
  checks: { name: string; state: 'pass' | 'fail' | 'unknown'; detail: string }[];
  refused?: string;
  kind: 'none' | 'yes' | 'typed' | 'tripcode';
  target?: string;
  code?: string;
  input: string;
  /** another host than this machine: named in the title, so nobody acts on the wrong box */
  host?: string;
}

/** Words wrapped to `w` columns (long words cut, ending in `ellipsis`); newlines kept. */
export function wrap(text: string, w: number, ellipsis = '…'): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let cur = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const piece = width(word) > w ? word.slice(0, w - 1) + ellipsis : word;
      if (!cur) cur = piece;
      else if (width(cur) + 1 + width(piece) <= w) cur += ' ' + piece;
      else { out.push(cur); cur = piece; }
    }
    out.push(cur);
  }
  return out;
}

const TIER_WORDS = { T0: 'read-only', T1: 'easy to undo', T2: 'system change', T3: 'destructive' } as const;

function box(theme: Theme, title: string, body: string[], w: number, style: 'warn' | 'crit' | 'title'): string[] {
  const inner = w - 4;
  const b = (x: string) => paint(theme, 'borderFocus', x);
  const t0 = ` ${title} `;
  const t = width(t0) > w - 4 ? fit(t0, w - 4) : t0;
  const g = theme.glyphs;
  const rows = [b(g.tl + g.h) + paint(theme, style, t) + b(g.h.repeat(Math.max(0, w - 3 - width(t))) + g.tr)];
  for (const l of body) rows.push(b(g.v) + ' ' + fit(l, inner) + ' ' + b(g.v));
  rows.push(b(g.bl + g.h.repeat(w - 2) + g.br));
  return rows;
}

/** the last line: what to press */
function promptLines(theme: Theme, v: ConfirmView, inner: number): string[] {
  const k = (x: string) => paint(theme, 'key', x);
  const field = (x: string) => paint(theme, 'selected', fit(x + ' ', Math.max(10, inner - 2)));
  const g = theme.glyphs;
  if (v.pending) return [paint(theme, 'muted', `${g.pending} reading the preconditions and the plan${g.ellipsis}`), k('esc') + ' cancel'];
  if (v.refused) return [paint(theme, 'crit', `${g.crit} ${sanitize(v.refused)}`), k('enter') + '/' + k('esc') + ' close (the refusal is recorded)'];
  if (v.ask) {
    const a = v.ask;
    const shown = v.input || a.choices[a.index] || '';
    const list = a.choices.length ? paint(theme, 'muted', `${a.index + 1}/${a.choices.length}: ${a.choices.map(sanitize).join(' · ')}`) : paint(theme, 'muted', 'type a value');
    return [`${sanitize(a.arg)} — ${sanitize(a.description)}`, field(sanitize(shown)), list, k(`${g.up}/${g.down}`) + ' pick · type a value · ' + k('enter') + ' next · ' + k('esc') + ' cancel'];
  }
  switch (v.kind) {
    case 'yes': case 'none': return [k('y') + '/' + k('enter') + ' run it · ' + k('n') + '/' + k('esc') + ' cancel'];
    case 'typed': return [`type ${paint(theme, 'warn', `"${sanitize(v.target ?? '')}"`)} to confirm:`, field(sanitize(v.input)), k('enter') + ' confirm · ' + k('esc') + ' cancel'];
    case 'tripcode': return [
      `needs a tripcode for ${paint(theme, 'warn', sanitize(v.code ?? ''))}`,
      paint(theme, 'muted', `sign it on the trusted side: sov tripcode sign '${sanitize(v.code ?? '')}'`),
      field(v.input ? `${sanitize(v.input).slice(0, 24)}${g.ellipsis} (${v.input.length} chars)` : ''),
      k('enter') + ' verify and run · ' + k('ctrl+u') + ' clear · ' + k('esc') + ' cancel',
    ];
  }
}

/** The confirm overlay, never taller than `maxRows`: the plan is cut first, the prompt never. */
export function confirmBox(theme: Theme, v: ConfirmView, cols: number, maxRows = 30): string[] {
  const w = Math.min(cols - 4, 100);
  const inner = w - 4;
  const head = `${v.tier} · ${TIER_WORDS[v.tier]}`;
  const checks = v.checks.map((c) => {
    const gl = theme.glyphs;
    const mark = c.state === 'pass' ? paint(theme, 'ok', gl.ok) : c.state === 'fail' ? paint(theme, 'crit', gl.crit) : paint(theme, 'warn', gl.unknown);
    return `${mark} ${sanitize(c.name)}: ${sanitize(c.detail)}`;
  });
  const prompt = promptLines(theme, v, inner);
  const room = Math.max(1, maxRows - 2 - prompt.length - (checks.length ? checks.length + 2 : 1));
  let plan = wrap(sanitize(v.text), inner, theme.glyphs.ellipsis);
  if (plan.length > room) plan = [...plan.slice(0, room - 1), paint(theme, 'muted', `${theme.glyphs.ellipsis} ${plan.length - room + 1} more lines (sov do ${theme.glyphs.ellipsis} --dry-run shows all)`)];
  const body = [paint(theme, v.tier === 'T3' ? 'crit' : v.tier === 'T2' ? 'warn' : 'muted', head), ...plan];
  if (checks.length) body.push('', paint(theme, 'title', 'preconditions'), ...checks);
  body.push('', ...prompt);
  return box(theme, `${v.tier === 'T0' ? 'Run' : 'Confirm'}: ${sanitize(v.title)}${v.host ? ` on ${sanitize(v.host)}` : ''}`, body.slice(0, Math.max(3, maxRows - 2)), w, v.tier === 'T3' ? 'crit' : 'warn');
}

/** The tripcode prompt (Recovery `p`). */
export function tripcodeBox(theme: Theme, input: string, cols: number): string[] {
  const w = Math.min(cols - 4, 90);
  const inner = w - 4;
  const k = (x: string) => paint(theme, 'key', x);
  return box(theme, 'Tripcode', [
    'paste a payload ts|code|sig (sov tripcode sign CODE prints one)',
    paint(theme, 'selected', fit(input ? `${sanitize(input).slice(0, inner - 16)}${theme.glyphs.ellipsis} (${input.length})` : ' ', inner)),
    paint(theme, 'muted', 'RECOVERY:LOCKDOWN / UNLOCK take effect at once; others start their action'),
    k('enter') + ' verify · ' + k('ctrl+u') + ' clear · ' + k('esc') + ' close',
  ], w, 'warn');
}
