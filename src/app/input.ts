import { chatSession, handleChatKey } from '../../screens/chat.js';
import { actionContext } from '../actions/context.js';
import { recoveryActions } from '../actions/index.js';
import type { ActionCtx } from '../actions/types.js';
import { cancelRunning, confirmKey, findAction, startAction, tripcodeKey } from './recovery.js';
import { allowed, bindingFor, KEYMAP, type KeyBinding } from '../keys/keymap.js';
import { engineList } from '../store/selectors.js';
import { viewSamples, type Store } from '../store/store.js';
import { nextTheme, themeByName } from '../../themes/index.js';
import type { ScreenId } from '../store/types.js';
import { paletteView } from './palette.js';
import { selectedVm } from '../../screens/vms.js';

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
  /** read the recovery authority again (lockdown, the audit log's newest entries) */
  refreshRecovery?(): void;
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
  // modal: the confirm overlay (arguments, preconditions, y/N, a typed name, a tripcode) takes every key
  if (ui.confirm) return confirmKey(store, c, name, input);
  if (ui.tripcode) return tripcodeKey(store, c, name, input);
  // ctrl+c while an action runs cancels it rather than quitting
  if (name === 'ctrl+c' && cancelRunning(store, c)) return;
  // modal: the palette takes every key while open
  if (ui.palette) return paletteKey(store, c, name, input);
  // the fleet overview: j/k (up/down) pick a host, enter opens its screens, esc or W closes; the rest as usual
  if (ui.fleet && ['j', 'k', 'up', 'down', 'enter', 'escape'].includes(name)) {
    if (name === 'enter' || name === 'escape') return s.setFleet(false);
    const names = Object.keys(s.hosts);
    const i = names.indexOf(s.current) + (name === 'j' || name === 'down' ? 1 : -1);
    return s.setHost(names[Math.max(0, Math.min(names.length - 1, i))] ?? s.current);
  }
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
      if (e.kind === 'host') {
        const host = e.id.slice('host:'.length);
        s.setHost(host);
        return s.say(`host: ${host}`, c.now());
      }
      const b = KEYMAP.find((x) => x.id === e.id);
      // the same path as its key: read-only refusal, when(), the confirm overlay
      if (b) return dispatch(store, c, b);
      // an action without a key (a script, a recovery action)
      const a = findAction(store, e.id);
      return a && startAction(store, c, a, c.actionCtx?.() ?? actionContext(store));
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
  const action = findAction(store, b.id);
  if (action) return startAction(store, c, action, c.actionCtx?.() ?? actionContext(store));
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
    case 'host.next': {
      // the hosts in the order the cockpit added them (this machine first); the frozen picture belongs to the old one
      const names = Object.keys(s.hosts);
      const next = names[(names.indexOf(s.current) + 1) % names.length] ?? s.current;
      s.setHost(next);
      return s.say(names.length > 1 ? `host: ${next} (${names.indexOf(next) + 1}/${names.length})` : 'one host: add others under hosts: in the config', c.now());
    }
    case 'host.fleet': return s.setFleet(!ui.fleet);
    case 'theme': { const t = nextTheme(themeByName(ui.theme)); s.setTheme(t.name); return s.say(`theme: ${t.name}`, c.now()); }
    case 'recovery.run': {
      const a = recoveryActions(s.config)[ui.recoveryIndex];
      if (!a) return s.say('no action to run', c.now());
      return startAction(store, c, a, c.actionCtx?.() ?? actionContext(store));
    }
    case 'recovery.tripcode':
      if (ui.readOnly) return s.say('tripcodes are refused: sov runs --read-only', c.now());
      return s.setTripcode({ input: '' });
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
  if (panel === 'vms.list') {
    const vms = viewSamples(s).vms;
    const names = vms.state === 'ok' ? vms.data.vms.map((v) => v.name) : [];
    if (!names.length) return;
    const i = Math.max(0, names.indexOf(selectedVm(vms.state === 'ok' ? vms.data : { vms: [] } as never, s.ui.vm) ?? ''));
    return s.selectVm(names[Math.max(0, Math.min(names.length - 1, i + delta))]);
  }
  if (panel === 'rec.actions') {
    const n = recoveryActions(s.config).length;
    return s.setRecoveryIndex(n ? Math.max(0, Math.min(n - 1, s.ui.recoveryIndex + delta)) : 0);
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
