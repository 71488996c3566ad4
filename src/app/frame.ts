import { SCREEN_ORDER, SCREENS } from '../../screens/index.js';
import { renderScreen } from '../../screens/host.js';
import type { PanelSpec, ScreenCtx } from '../../screens/types.js';
import { themeByName } from '../../themes/index.js';
import { GLYPH, paint } from '../../themes/tokens.js';
import { age } from '../../widgets/primitives/format.js';
import { fit, sanitize, spread } from '../../widgets/primitives/text.js';
import { viewSamples } from '../store/store.js';
import type { AppState } from '../store/types.js';

export const MIN_COLS = 60;
export const MIN_ROWS = 16;
const MESSAGE_MS = 5000;

export interface Frame { lines: string[]; panels: PanelSpec[]; focusInnerH: number }

/**
 * The whole screen as exactly term.rows lines: a header, the current screen, a status line.
 * Pure: the same state and clock give the same frame.
 */
export function composeFrame(s: AppState, now: number, intervalMs: number): Frame {
  const { cols, rows } = s.term;
  const theme = themeByName(s.ui.theme);
  if (cols < MIN_COLS || rows < MIN_ROWS) {
    const msg = [`sov needs at least ${MIN_COLS}×${MIN_ROWS}`, `this terminal is ${cols}×${rows}`, 'enlarge it, or use `sov status`', 'q quits'];
    const lines = Array.from({ length: rows }, (_, i) => fit(msg[i] ?? '', cols));
    return { lines, panels: [], focusInnerH: 1 };
  }
  const host = s.hosts[s.current];
  const def = SCREENS[s.ui.screen];
  const ctx: ScreenCtx = {
    samples: viewSamples(s), history: host!.history, theme, cols, rows: rows - 2, now: s.ui.frozen?.at ?? now,
    staleMs: Math.max(3 * intervalMs, 5000), scroll: s.ui.scroll, filter: s.ui.filter,
  };
  const specs = def.panels(ctx);
  ctx.focusId = specs[Math.min(s.ui.focus, specs.length - 1)]?.id;
  const lines = renderScreen(def, ctx, specs, s.ui.zoomed);
  const panels = specs;

  const tabs = SCREEN_ORDER.map((id, i) => {
    const t = `${i + 1} ${SCREENS[id].title}`;
    return id === s.ui.screen ? paint(theme, 'selected', ` ${t} `) : paint(theme, 'muted', ` ${t} `);
  }).join('');
  const flags = [
    s.ui.frozen ? paint(theme, 'warn', `${GLYPH.frozen} frozen ${age(now - s.ui.frozen.at)}`) : '',
    s.ui.readOnly ? paint(theme, 'info', 'read-only') : '',
    new Date(now).toISOString().slice(11, 19),
  ].filter(Boolean).join('  ');
  const header = spread(paint(theme, 'title', 'sov ') + paint(theme, 'accent', sanitize(s.current)) + ' ' + tabs, flags, cols);

  let status: string;
  if (s.ui.filterEditing) status = paint(theme, 'key', '/') + s.ui.filter + paint(theme, 'selected', ' ') + paint(theme, 'muted', '  enter keep · esc clear');
  else if (s.ui.message && now - s.ui.message.at < MESSAGE_MS) status = paint(theme, 'info', sanitize(s.ui.message.text));
  else {
    const hints: [string, string][] = [['?', 'help'], ['tab', 'focus'], ['j/k', 'scroll'], ['enter', s.ui.zoomed ? 'back' : 'open'], ['/', 'filter'], ['f', 'freeze'], ['r', 'refresh'], ['t', 'theme'], ['q', 'quit']];
    status = hints.map(([k, v]) => paint(theme, 'key', k) + ' ' + paint(theme, 'muted', v)).join('  ');
    if (s.ui.filter) status = paint(theme, 'warn', `filter "${s.ui.filter}" (esc clears)`) + '  ' + status;
  }
  const body = lines.length < rows - 2 ? [...lines, ...Array(rows - 2 - lines.length).fill('')] : lines;
  const focusIdx = Math.min(s.ui.focus, panels.length - 1);
  return { lines: [header, ...body.map((l) => fit(l, cols)), fit(status, cols)], panels, focusInnerH: focusIdx >= 0 ? Math.max(1, Math.floor((rows - 2) / Math.max(1, panels.length)) - 2) : 1 };
}
