import { chatSession, handleChatKey } from '../../screens/chat.js';
import { actionContext } from '../actions/context.js';
import { ACTION_BY_ID } from '../actions/index.js';
import type { Action, ActionCtx } from '../actions/types.js';
import { allowed, bindingFor, KEYMAP, type KeyBinding } from '../keys/keymap.js';
import { engineList } from '../store/selectors.js';
import { viewSamples, type Store } from '../store/store.js';
import { nextTheme, themeByName } from '../../themes/index.js';
import type { ScreenId } from '../store/types.js';
import { paletteView } from './palette.js';

export interface Controller {
  refresh(): void;
  quit(): void;
  /** focusable panels on the current screen, in order, with where `enter` leads */
  panels(): { id: string; drillTo?: ScreenId }[];
  /** inner height of the focused panel, for page scrolling */
  pageSize(): number;
  now(): number;
  /** what actions run with (the daemon link, the config, the benchmark runner); absent: no daemon */
  actionCtx?(engine?: string): ActionCtx;
}

export { keyName, type InkKey } from '../keys/names.js';

/**
 * The root input handler, in layers: the modal overlays (confirm, then the palette) take every key; the chat
 * prompt and the filter line take text while they are edited; then the key map.
 * A key the map does not know does nothing; a disabled binding says why in the status line.
 */
export function handleKey(store: Store, c: Controller, name: string, input = ''): void {
  const s = store.getState();
  const ui = s.ui;
  // modal: the confirm overlay takes every key; enter runs, esc cancels
  if (ui.confirm) {
    const conf = ui.confirm;
    if (name === 'enter') { s.setConfirm(undefined); return confirmed(store, c, conf.action, conf.engine); }
    if (name === 'escape' || name === 'n') { s.setConfirm(undefined); return s.say(`cancelled: ${conf.text}`, c.now()); }
    if (name === 'ctrl+c') return c.quit();
    return s.say('enter to confirm, esc to cancel', c.now());
  }
  // modal: the palette takes every key while open
  if (ui.palette) return paletteKey(store, c, name, input);
  // text input: the chat screen's prompt takes typing, enter, chords; what it does not consume goes on
  if (ui.screen === 'chat') {
    const chat = chatSession();
    if (chat && handleChatKey(chat, name, input)) return;
  }
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
  const b = bindingFor(name, ui.screen);
  if (b) dispatch(store, c, b);
}

/** The palette's keys: typing filters; up/down (ctrl+n/ctrl+p, ctrl+j/ctrl+k) move; enter runs; esc closes. */
function paletteKey(store: Store, c: Controller, name: string, input: string): void {
  const s = store.getState();
  const p = s.ui.palette!;
  const view = paletteView(s)!;
  const move = (d: number) => s.setPalette({ ...p, index: view.entries.length ? (view.index + d + view.entries.length) % view.entries.length : 0 });
  switch (name) {
    case 'escape': return s.setPalette(undefined);
    case 'ctrl+c': return c.quit();
    case 'up': case 'ctrl+p': case 'ctrl+k': case 'shift+tab': return move(-1);
    case 'down': case 'ctrl+n': case 'ctrl+j': case 'tab': return move(1);
    case 'backspace': return s.setPalette({ query: p.query.slice(0, -1), index: 0 });
    case 'space': return s.setPalette({ query: p.query + ' ', index: 0 });
    case 'enter': {
      const e = view.entries[view.index];
      if (!e) return s.say(`nothing matches "${p.query}": backspace edits, esc closes`, c.now());
      s.setPalette(undefined);
      const b = KEYMAP.find((x) => x.id === e.id);
      // the same path as its key: read-only refusal, when(), the confirm overlay
      return b && dispatch(store, c, b);
    }
  }
  // typed or pasted text; control characters never enter
  if (input && !name.startsWith('ctrl+') && !/[\u0000-\u001f\u007f]/.test(input)) s.setPalette({ query: (p.query + input).slice(0, 100), index: 0 });
}

/** Runs a binding (from its key or the palette): disabled → why in the status line. */
function dispatch(store: Store, c: Controller, b: KeyBinding): void {
  const s = store.getState();
  const ui = s.ui;
  const ok = allowed(b, ui.readOnly);
  if (ok !== true) return s.say(ok, c.now());
  const action = ACTION_BY_ID.get(b.id);
  if (action) return invoke(store, c, action, c.actionCtx?.() ?? actionContext(store));
  const panels = c.panels();
  const focused = panels[Math.min(ui.focus, panels.length - 1)];
  const page = Math.max(1, c.pageSize() - 1);
  switch (b.id) {
    case 'screen.overview': case 'screen.gpu': case 'screen.storage': case 'screen.numa': case 'screen.help': case 'screen.engines': case 'screen.chat':
    case 'screen.recovery': case 'screen.doctor': case 'screen.vms':
      return s.setScreen(b.id.slice('screen.'.length) as ScreenId);
    case 'focus.next': return s.setFocus(panels.length ? (ui.focus + 1) % panels.length : 0);
    case 'focus.prev': return s.setFocus(panels.length ? (ui.focus - 1 + panels.length) % panels.length : 0);
    case 'scroll.down': return focused && scroll(store, focused.id, 1);
    case 'scroll.up': return focused && scroll(store, focused.id, -1);
    case 'scroll.pageDown': return focused && scroll(store, focused.id, page);
    case 'scroll.pageUp': return focused && scroll(store, focused.id, -page);
    case 'log.follow': {
      if (!ui.logs) return s.say('no log open: l opens the selected engine\'s log', c.now());
      s.setLogs({ ...ui.logs, follow: !ui.logs.follow });
      return s.say(ui.logs.follow ? 'log held: j/k scroll, F follows again' : 'log following the end', c.now());
    }
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
    case 'palette':
      // reached here on the chat screen only without a prompt (the prompt takes : and ctrl+p)
      if (ui.screen === 'chat') return s.say('the chat prompt takes : and ctrl+p: esc leaves the chat, then : opens the palette', c.now());
      return s.setPalette({ query: '', index: 0 });
    case 'quit': return c.quit();
  }
}


/** j/k on the engines table move the selection; on the log they scroll it (up holds it, back at the end follows). */
function scroll(store: Store, panel: string, delta: number): void {
  const s = store.getState();
  if (panel === 'eng.table') {
    const list = engineList(viewSamples(s)) ?? [];
    if (!list.length) return;
    const i = Math.max(0, list.findIndex((e) => e.name === s.ui.engine));
    return s.selectEngine(list[Math.max(0, Math.min(list.length - 1, i + delta))]?.name);
  }
  if (panel === 'eng.logs' && s.ui.logs) {
    // the log counts lines up from the newest
    const back = Math.max(0, (s.ui.scroll['eng.logs'] ?? 0) - delta);
    if (back === 0 && delta > 0) { s.setLogs({ ...s.ui.logs, follow: true }); return; }
    if (s.ui.logs.follow && delta < 0) s.setLogs({ ...s.ui.logs, follow: false });
    return store.getState().scrollBy('eng.logs', back - (store.getState().ui.scroll['eng.logs'] ?? 0));
  }
  s.scrollBy(panel, delta);
}

/** A bound action: disabled → why; disruptive → the confirm overlay with exactly what it will do; else run it. */
function invoke(store: Store, c: Controller, a: Action, ctx: ActionCtx): void {
  const s = store.getState();
  const ok = a.when(ctx);
  if (ok !== true) return s.say(ok, c.now());
  if (a.confirm && ctx.engine) return s.setConfirm({ action: a.id, engine: ctx.engine.name, text: a.describe(ctx) });
  execute(store, c, a, ctx);
}

function confirmed(store: Store, c: Controller, id: string, engine: string): void {
  const a = ACTION_BY_ID.get(id);
  if (!a) return;
  const ctx = c.actionCtx?.(engine) ?? actionContext(store, {}, engine);
  const ok = a.when(ctx);
  if (ok !== true) return store.getState().say(ok, c.now());
  execute(store, c, a, ctx);
}

function execute(store: Store, c: Controller, a: Action, ctx: ActionCtx): void {
  const say = (t: string) => store.getState().say(t, c.now());
  if (a.tier !== 'T0') say(`${a.describe(ctx)} …`);
  a.run(ctx).then(
    (r) => { if (r.kind !== 'navigate') say(r.message); else if (r.message) say(r.message); },
    (e: unknown) => say(`${a.title} failed: ${String((e as Error)?.message ?? e)}`),
  );
}
