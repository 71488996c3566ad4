import { allowed, bindingFor } from '../keys/keymap.js';
import type { Store } from '../store/store.js';
import { SCREEN_ORDER, SCREENS } from '../../screens/index.js';
import { nextTheme, themeByName } from '../../themes/index.js';
import type { ScreenId } from '../store/types.js';

export interface Controller {
  refresh(): void;
  quit(): void;
  /** focusable panels on the current screen, in order, with where `enter` leads */
  panels(): { id: string; drillTo?: ScreenId }[];
  /** inner height of the focused panel, for page scrolling */
  pageSize(): number;
  now(): number;
}

/** Ink's key object → one name ('tab', 'shift+tab', 'up', 'enter', 'escape', 'ctrl+c', 'q'…). */
export interface InkKey {
  upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean; pageUp?: boolean; pageDown?: boolean;
  return?: boolean; escape?: boolean; ctrl?: boolean; shift?: boolean; tab?: boolean; backspace?: boolean; delete?: boolean;
  home?: boolean; end?: boolean;
}

export function keyName(input: string, k: InkKey): string {
  if (k.tab) return k.shift ? 'shift+tab' : 'tab';
  if (k.upArrow) return 'up';
  if (k.downArrow) return 'down';
  if (k.leftArrow) return 'left';
  if (k.rightArrow) return 'right';
  if (k.pageUp) return 'pageup';
  if (k.pageDown) return 'pagedown';
  if (k.return) return 'enter';
  if (k.escape) return 'escape';
  if (k.backspace || k.delete) return 'backspace';
  if (k.ctrl && input) return `ctrl+${input}`;
  if (input === ' ') return 'space';
  return input;
}

/**
 * The root input handler, in layers: the filter line takes text while it is edited; then the key map.
 * A key the map does not know does nothing; a disabled binding says why in the status line.
 */
export function handleKey(store: Store, c: Controller, name: string, input = ''): void {
  const s = store.getState();
  const ui = s.ui;
  if (ui.filterEditing) {
    if (name === 'enter') return s.setFilter(ui.filter, false);
    if (name === 'escape') return s.setFilter('', false);
    if (name === 'backspace') return s.setFilter(ui.filter.slice(0, -1), true);
    if (name === 'ctrl+c') return c.quit();
    // typed or pasted text (a paste, or tmux send-keys, arrives as one chunk); control characters never enter
    if (input && !name.startsWith('ctrl+') && !/[\u0000-\u001f\u007f]/.test(input)) return s.setFilter((ui.filter + input).slice(0, 200), true);
    if (name === 'space') return s.setFilter(ui.filter + ' ', true);
    return;
  }
  const b = bindingFor(name);
  if (!b) return;
  const ok = allowed(b, ui.readOnly);
  if (ok !== true) return s.say(ok, c.now());
  const panels = c.panels();
  const focused = panels[Math.min(ui.focus, panels.length - 1)];
  switch (b.id) {
    case 'screen.overview': case 'screen.gpu': case 'screen.storage': case 'screen.numa': case 'screen.help':
      return s.setScreen(b.id.slice('screen.'.length) as ScreenId);
    case 'focus.next': return s.setFocus(panels.length ? (ui.focus + 1) % panels.length : 0);
    case 'focus.prev': return s.setFocus(panels.length ? (ui.focus - 1 + panels.length) % panels.length : 0);
    case 'scroll.down': return focused && s.scrollBy(focused.id, 1);
    case 'scroll.up': return focused && s.scrollBy(focused.id, -1);
    case 'scroll.pageDown': return focused && s.scrollBy(focused.id, Math.max(1, c.pageSize() - 1));
    case 'scroll.pageUp': return focused && s.scrollBy(focused.id, -Math.max(1, c.pageSize() - 1));
    case 'drill':
      if (!focused) return;
      if (focused.drillTo) return s.setScreen(focused.drillTo);
      return s.setZoom(ui.zoomed === focused.id ? undefined : focused.id);
    case 'back':
      if (ui.zoomed) return s.setZoom(undefined);
      if (ui.filter) return s.setFilter('', false);
      if (ui.screen !== 'overview') return s.setScreen('overview');
      return;
    case 'filter': return s.setFilter(ui.filter, true);
    case 'freeze': s.toggleFreeze(c.now()); return s.say(store.getState().ui.frozen ? 'frozen: the view holds still, sampling goes on (f to resume)' : 'live again', c.now());
    case 'refresh': c.refresh(); return s.say('refreshing every source now', c.now());
    case 'theme': { const t = nextTheme(themeByName(ui.theme)); s.setTheme(t.name); return s.say(`theme: ${t.name}`, c.now()); }
    case 'quit': return c.quit();
  }
}

export { SCREEN_ORDER, SCREENS };
