import { SCREEN_ORDER, SCREENS } from '../../screens/index.js';
import { renderScreen } from '../../screens/host.js';
import type { PanelSpec, ScreenCtx } from '../../screens/types.js';
import { themeByName } from '../../themes/index.js';
import { paint } from '../../themes/tokens.js';
import { foldLine } from '../../themes/glyphs.js';
import { age } from '../../widgets/primitives/format.js';
import sliceAnsi from 'slice-ansi';
import { fit, sanitize, spread, width } from '../../widgets/primitives/text.js';
import { viewSamples } from '../store/store.js';
import type { AppState, ScreenId } from '../store/types.js';
import { hintKey, KEYMAP } from '../keys/keymap.js';
import { paletteView } from './palette.js';
import { recoveryActions } from '../actions/index.js';
import type { RecoveryCtx } from '../../screens/recovery.js';
import { confirmBox, tripcodeBox } from '../../widgets/overlays/confirm.js';
import { hostLink } from '../hosts/link.js';
import { fleetBox, fleetRows } from '../hosts/fleet-view.js';

/** what the Recovery screen shows: the actions it lists, the run, the authority as last read */
function recoveryCtx(s: AppState): RecoveryCtx {
  const actions = recoveryActions(s.config).map((a) => ({ id: a.id, title: a.title, tier: a.tier, description: a.description }));
  const own = Object.keys(s.hosts)[0];
  return { actions, index: Math.min(s.ui.recoveryIndex, Math.max(0, actions.length - 1)), ...(s.run ? { run: s.run } : {}), authority: { ...s.recovery, ...(own !== undefined ? { own } : {}) }, readOnly: s.ui.readOnly };
}

/**
 * The screen tabs in the room the header leaves beside the flags (LOCKDOWN, read-only, the clock), which are never
 * cut: full titles, then short ones, then numbers only with the current screen named.
 */
function headerTabs(s: AppState, theme: ReturnType<typeof themeByName>, room: number): string {
  const key = (i: number) => String((i + 1) % 10);
  const forms: ((id: ScreenId, i: number) => string)[] = [
    (id, i) => ` ${key(i)} ${SCREENS[id].title} `,
    (id, i) => `${key(i)} ${SCREENS[id].title.replace(/\/.*$/, '')} `,
    (id, i) => (id === s.ui.screen ? ` ${key(i)} ${SCREENS[id].title.replace(/\/.*$/, '')} ` : `${key(i)} `),
  ];
  const draw = (f: (id: ScreenId, i: number) => string) => SCREEN_ORDER.map((id, i) => paint(theme, id === s.ui.screen ? 'selected' : 'muted', f(id, i))).join('');
  for (const f of forms) {
    const text = draw(f);
    if (width(text) <= room) return text;
  }
  return fit(draw(forms[2]!), Math.max(0, room));
}

/** the daemon could not save its state (a restart would not find its engines): said on every screen */
function daemonTrouble(s: AppState): string | undefined {
  const e = s.hosts[s.current]?.samples.engines;
  return e?.state === 'ok' && e.data.daemon?.stateError ? 'STATE NOT SAVED' : undefined;
}

/** screens where j/k move a selection rather than scroll */
const SELECTING: ReadonlySet<ScreenId> = new Set(['engines', 'recovery', 'vms']);

/**
 * The status line's hints: the screen's own keys from the key map (so they cannot go stale: enter on the VMs screen
 * is "ssh into vm", not "open"), then the common ones their keys do not shadow, each key named from its binding.
 */
function statusHints(screen: ScreenId, zoomed: boolean): [string, string][] {
  // the prompt takes every printable key here: q, digits and ? are text
  if (screen === 'chat') return [[hintKey('chat.type'), 'goes to the prompt'], [hintKey('chat.cancel'), 'cancel / leave'], [`${hintKey('chat.pageUp')}/${hintKey('chat.pageDown')}`, 'scroll'], [hintKey('focus.next'), 'focus'], [hintKey('quit', 1), 'quit']];
  const own = KEYMAP.filter((b) => b.screen === screen && !b.layer).map((b): [string, string] => [b.keys[0]!, b.title.toLowerCase()]);
  const taken = new Set(own.map(([k]) => k));
  const common: [string, string][] = [[`${hintKey('scroll.down')}/${hintKey('scroll.up')}`, SELECTING.has(screen) ? 'select' : 'scroll'], [hintKey('drill'), zoomed ? 'back' : 'open'],
    [hintKey('filter'), screen === 'engines' ? 'search' : 'filter'], [hintKey('freeze'), 'freeze'], [hintKey('refresh'), 'refresh'], [hintKey('theme'), 'theme'],
    [hintKey('palette'), 'palette'], [hintKey('focus.next'), 'focus'], [hintKey('screen.help', 1), 'help'], [hintKey('quit'), 'quit']];
  return [...own, ...common.filter(([k]) => !taken.has(k))];
}

/** what the status line says while the confirm overlay asks */
function confirmHint(c: NonNullable<AppState['ui']['confirm']>): string {
  if (c.pending) return 'reading the preconditions…';
  if (c.refused) return `refused (recorded): ${hintKey('refused.close')} closes`;
  if (c.ask) return 'pick or type a value';
  return c.kind === 'yes' ? `${hintKey('confirm.yes')} runs it, ${hintKey('confirm.no')} cancels` : c.kind === 'typed' ? 'type the name to confirm' : c.kind === 'tripcode' ? 'paste a tripcode' : 'reading…';
}

export const MIN_COLS = 60;
export const MIN_ROWS = 16;
const MESSAGE_MS = 5000;
/** the slowest cadence a source declares (ZFS, NUMA, services: 5 s): data is stale after three of them missed */
const SLOWEST_SOURCE_MS = 5000;

export interface Frame { lines: string[]; panels: PanelSpec[]; focusInnerH: number }

/**
 * The whole screen as exactly term.rows lines: a header, the current screen, a status line.
 * Pure: the same state and clock give the same frame.
 */
export function composeFrame(s: AppState, now: number, intervalMs: number): Frame {
  const { cols, rows } = s.term;
  const theme = themeByName(s.ui.theme, s.ui.glyphs);
  if (cols < MIN_COLS || rows < MIN_ROWS) {
    const msg = [`sov needs at least ${MIN_COLS}×${MIN_ROWS}`, `this terminal is ${cols}×${rows}`, 'enlarge it, or use `sov status`', 'q quits'];
    const lines = Array.from({ length: rows }, (_, i) => foldLine(fit(msg[i] ?? '', cols), theme.glyphs));
    return { lines, panels: [], focusInnerH: 1 };
  }
  const host = s.hosts[s.current];
  const def = SCREENS[s.ui.screen];
  const ctx: ScreenCtx = {
    samples: viewSamples(s), history: s.ui.frozen?.history ?? host!.history, theme, cols, rows: rows - 2, now: s.ui.frozen?.at ?? now,
    staleMs: Math.max(3 * intervalMs, 3 * SLOWEST_SOURCE_MS), scroll: s.ui.scroll, filter: s.ui.filter,
    engines: { selected: s.ui.engine, logs: s.ui.logs, jobs: s.jobs, bench: s.bench, config: s.config?.engines ?? [], configError: s.configError },
    ...(s.ui.screen === 'recovery' ? { recovery: recoveryCtx(s) } : {}),
    ...(s.ui.vm ? { vms: { selected: s.ui.vm } } : {}),
    ...(s.doctor ? { doctor: s.doctor } : {}),
    drawn: {},
  };
  const specs = def.panels(ctx);
  ctx.focusId = specs[Math.min(s.ui.focus, specs.length - 1)]?.id;
  const lines = renderScreen(def, ctx, specs, s.ui.zoomed);
  const panels = specs;

  // a remote host whose connection is lost: its panels keep the last good data dimmed; the header says so
  const link = hostLink(host);
  const flags = [
    link.lost ? paint(theme, 'warn', `${theme.glyphs.pending} reconnecting${link.lastGoodAt !== undefined ? ` · data ${age(now - link.lastGoodAt)} old` : ''}`) : '',
    s.ui.frozen ? paint(theme, 'warn', `${theme.glyphs.frozen} frozen ${age(now - s.ui.frozen.at)}`) : '',
    s.ui.readOnly ? paint(theme, 'info', 'read-only') : '',
    s.recovery.status?.lockdown ? paint(theme, 'crit', 'LOCKDOWN') : '',
    daemonTrouble(s) ? paint(theme, 'crit', daemonTrouble(s)!) : '',
    s.run?.state === 'running' ? paint(theme, 'warn', `${theme.glyphs.pending} ${s.run.action}`) : '',
    new Date(now).toISOString().slice(11, 19),
  ].filter(Boolean).join('  ');
  const left = paint(theme, 'title', 'sov ') + paint(theme, 'accent', sanitize(s.current)) + ' ';
  const header = spread(left + headerTabs(s, theme, cols - width(left) - width(flags) - 1), flags, cols);

  let status: string;
  if (s.ui.palette && !s.ui.confirm) status = paint(theme, 'warn', 'palette: ') + [['type', 'to filter'], [`${theme.glyphs.up}/${theme.glyphs.down}`, 'move'], [hintKey('palette.run'), 'runs it'], [hintKey('overlay.close'), 'closes']].map(([k, v]) => paint(theme, 'key', k!) + ' ' + paint(theme, 'muted', v!)).join('  ');
  else if (s.ui.confirm) status = paint(theme, 'warn', `${s.ui.confirm.tier} ${s.ui.confirm.title}: `) + paint(theme, 'muted', confirmHint(s.ui.confirm)) + '  ' + paint(theme, 'key', hintKey('overlay.close')) + ' ' + paint(theme, 'muted', s.ui.confirm.refused ? 'closes' : 'cancels');
  else if (s.ui.tripcode) status = paint(theme, 'warn', 'tripcode: ') + paint(theme, 'muted', `paste it, ${hintKey('tripcode.submit')} verifies, ${hintKey('overlay.close')} closes`);
  else if (s.ui.filterEditing) status = paint(theme, 'key', '/') + s.ui.filter + paint(theme, 'selected', ' ') + paint(theme, 'muted', `  ${hintKey('filter.keep')} keep · ${hintKey('filter.clear')} clear`);
  else if (s.ui.message && now - s.ui.message.at < MESSAGE_MS) status = paint(theme, 'info', sanitize(s.ui.message.text));
  else {
    const hints = statusHints(s.ui.screen, s.ui.zoomed !== undefined);
    status = hints.map(([k, v]) => paint(theme, 'key', k) + ' ' + paint(theme, 'muted', v)).join('  ');
    if (s.ui.filter) status = paint(theme, 'warn', `filter "${s.ui.filter}" (${hintKey('back')} clears)`) + '  ' + status;
  }
  // the screen's lines are exactly `cols` wide already (every panel row is fitted where it is drawn, and the layouts
  // split `cols` exactly; the frame tests hold them to it): measuring them again here cost half of a frame
  let body = lines.length < rows - 2 ? [...lines, ...Array<string>(rows - 2 - lines.length).fill(' '.repeat(cols))] : lines;
  if (s.ui.confirm) body = overlay(body, confirmBox(theme, s.ui.confirm, cols, rows - 2), cols);
  else if (s.ui.tripcode) body = overlay(body, tripcodeBox(theme, s.ui.tripcode.input, cols), cols);
  else if (s.ui.palette) body = overlay(body, paletteBox(theme, s, cols, rows - 2), cols);
  else if (s.ui.fleet) body = overlay(body, fleetBox(theme, fleetRows(s.hosts), s.current, cols, now).slice(0, rows - 2), cols);
  // the console set folds what no glyph token covers (prose punctuation, text from outside) to what its font has
  const out = [fit(header, cols), ...body, fit(status, cols)].map((l) => foldLine(l, theme.glyphs));
  return { lines: out, panels, focusInnerH: ctx.drawn?.focusInnerH ?? 1 };
}

/**
 * The command palette: what is typed, then the matching entries (screens, this screen's actions) with their keys,
 * the highlighted one kept in view. Never taller than `height` (the body between the header and the status line).
 */
export function paletteBox(theme: ReturnType<typeof themeByName>, s: AppState, cols: number, height: number): string[] {
  const view = paletteView(s) ?? { entries: [], index: 0 };
  const w = Math.min(cols - 4, 84);
  const inner = w - 4;
  const b = (x: string) => paint(theme, 'borderFocus', x);
  const title = ' Palette ';
  const count = ` ${view.entries.length ? view.index + 1 : 0}/${view.entries.length} `;
  // borders, the query, a rule: 4 rows; a blank row above and below when there is room
  const listRows = Math.max(1, Math.min(Math.max(1, view.entries.length), height - 6));
  const top = Math.min(Math.max(0, view.index - listRows + 1), Math.max(0, view.entries.length - listRows));
  const g = theme.glyphs;
  const rows = [b(g.tl + g.h) + paint(theme, 'title', title) + b(g.h.repeat(Math.max(0, w - 3 - width(title))) + g.tr)];
  const row = (x: string) => rows.push(b(g.v) + ' ' + fit(x, inner) + ' ' + b(g.v));
  row(paint(theme, 'key', ':') + sanitize(s.ui.palette?.query ?? '') + paint(theme, 'selected', ' '));
  rows.push(b(g.teeLeft + g.h.repeat(w - 2) + g.teeRight));
  const titleW = Math.min(18, Math.max(...view.entries.map((e) => width(e.title)), 4) + 1);
  const keyW = 8;
  for (let i = top; i < top + listRows; i++) {
    const e = view.entries[i];
    if (!e) { row(i === 0 ? paint(theme, 'muted', 'nothing matches: backspace edits, esc closes') : ''); continue; }
    const off = s.ui.readOnly && e.tier !== 'T0';
    const what = e.kind === 'screen' ? `screen · ${e.description}` : `${e.description}${off ? ' (read-only: disabled)' : ''}`;
    const text = fit(e.title, titleW) + ' ' + fit(e.keys.join(' '), keyW) + ' ' + what;
    row(i === view.index ? paint(theme, 'selected', fit(g.select + ' ' + text, inner)) : (off ? paint(theme, 'muted', '  ' + text) : '  ' + text));
  }
  rows.push(b(g.bl + g.h.repeat(Math.max(0, w - 3 - width(count)))) + paint(theme, 'muted', count) + b(g.h + g.br));
  return rows;
}

/** Draws `box` centred over `lines` (ANSI-aware), keeping what is left and right of it. */
function overlay(lines: string[], box: string[], cols: number): string[] {
  const bw = Math.max(...box.map((l) => width(l)));
  const x = Math.max(0, Math.floor((cols - bw) / 2));
  const y = Math.max(0, Math.floor((lines.length - box.length) / 2));
  return lines.map((l, i) => {
    const bl = box[i - y];
    if (bl === undefined) return l;
    return sliceAnsi(l, 0, x) + '\u001b[0m' + bl + sliceAnsi(l, x + bw);
  });
}
