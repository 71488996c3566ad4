import { chatSession, handleChatKey } from '../../screens/chat.js';
import { actionContext } from '../actions/context.js';
import { recoveryActions } from '../actions/index.js';
import type { ActionCtx } from '../actions/types.js';
import { cancelRunning, confirmKey, findAction, startAction, tripcodeKey } from './recovery.js';
import { allowed, bindingFor, keyIn, KEYMAP, ownId, type KeyBinding } from '../keys/keymap.js';
import { editText, isNamedKey } from '../keys/names.js';
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
 * The root input handler, in the key map's layers (src/keys/keymap.ts LAYERS): the modal overlays (confirm, the
 * tripcode prompt, the palette) take every key; the fleet overview its own; the chat prompt and the filter line take
 * text while they are edited; then the screen's and the global keys. Each layer looks its keys up by binding id.
 * A key the map does not know does nothing; a disabled binding says why in the status line.
 */
export function handleKey(store: Store, c: Controller, name: string, input = ''): void {
  const s = store.getState();
  const ui = s.ui;
  // one read that holds text and Enter/Tab/Backspace ('/scratch⏎' typed ahead over a slow link): each key in turn,
  // except into the chat prompt, which keeps a paste's line breaks
  if (!(ui.screen === 'chat' && chatSession()) && isMixedRun(name)) {
    for (const part of name.match(SPLIT) ?? []) handleKey(store, c, CONTROL_KEYS[part] ?? (part === ' ' ? 'space' : part), part);
    return;
  }
  // ctrl keys typed faster than they are read (ctrl+p twice to reorder the chat's providers): each in turn
  if (isCtrlRun(name)) {
    for (const ch of name) {
      const letter = String.fromCharCode(ch.charCodeAt(0) + 96);
      handleKey(store, c, `ctrl+${letter}`, letter);
    }
    return;
  }
  // alt+X that no binding declares is Esc then X arriving in one read (Esc to leave the chat prompt, 8 for Recovery,
  // typed ahead over a slow link): both keys, in turn
  const typedAhead = /^alt\+(.|space)$/.exec(name);
  if (typedAhead && !KEYMAP.some((b) => b.keys.includes(name))) {
    const key = typedAhead[1]!;
    handleKey(store, c, 'escape', '\u001b');
    handleKey(store, c, key, key === 'space' ? ' ' : key);
    return;
  }
  // modal: the confirm overlay (arguments, preconditions, y/N, a typed name, a tripcode) takes every key
  if (ui.confirm) return confirmKey(store, c, name, input);
  if (ui.tripcode) return tripcodeKey(store, c, name, input);
  // ctrl+c while an action runs cancels it rather than quitting
  if (ownId(keyIn('running', name)) === 'run.cancel' && cancelRunning(store, c)) return;
  // modal: the palette takes every key while open
  if (ui.palette) return paletteKey(store, c, name, input);
  // the fleet overview: j/k (up/down) pick a host, enter opens its screens, esc or W closes; the rest as usual
  if (ui.fleet && fleetKey(store, name)) return;
  // text input: the chat screen's prompt takes typing, enter, chords; what it does not consume goes on
  if (ui.screen === 'chat') {
    const chat = chatSession();
    if (chat && handleChatKey(chat, name, input)) return;
  }
  if (ui.filterEditing) return filterKey(store, c, name, input);
  const b = bindingFor(name, ui.screen);
  if (b) return dispatch(store, c, b);
  if (isPrintableRun(name)) typeahead(store, c, name);
}

/** the most characters one read may hold and still be taken as keys typed ahead (a longer run is a paste) */
export const TYPEAHEAD_MAX = 8;
/** the keys that open a text field: what follows them in the same read is that field's text, whatever its length */
const OPENS_TEXT = new Set(['palette', 'filter']);

/** the control characters a terminal sends for Enter, Tab and Backspace, by key name */
const CONTROL_KEYS: Record<string, string> = { '\r': 'enter', '\t': 'tab', '\x7f': 'backspace' };
/** a run of printable text, or one of those controls */
const SPLIT = /[\x20-\x7e]+|[\r\t\x7f]/g;

/** printable text with Enter, Tab or Backspace in it (and nothing else) */
function isMixedRun(name: string): boolean {
  return name.length > 1 && /[\r\t\x7f]/.test(name) && /^[\x20-\x7e\r\t\x7f]+$/.test(name);
}

/**
 * Several ctrl+letter presses in one read (Ink hands it over whole, unparsed): never a paste, which would hold text.
 * Tab, LF and CR are left out (a paste of blank lines is text to the chat prompt); isMixedRun covers them elsewhere.
 */
function isCtrlRun(name: string): boolean {
  return name.length > 1 && /^[\x01-\x08\x0b\x0c\x0e-\x1a]+$/.test(name);
}

/** several printable characters, none a control or escape (not a named key) */
function isPrintableRun(name: string): boolean {
  const chars = [...name];
  return chars.length > 1 && !isNamedKey(name) && chars.every((ch) => /^[\x20-\x7e]$/.test(ch));
}

/** a text field has the keys: the overlays, the palette, the filter prompt, the chat prompt */
const inTextField = (s: ReturnType<Store['getState']>) => Boolean(s.ui.confirm || s.ui.tripcode || s.ui.palette || s.ui.filterEditing || s.ui.screen === 'chat');

/**
 * Keys typed faster than the terminal is read arrive as one chunk (':ssh into', 'H1'). They act as typed: the first
 * key, then the rest in the layer it left — one piece of text once a text field has the keys (the palette's query,
 * the filter), else key by key. A run longer than TYPEAHEAD_MAX that does not open a text field is a paste: it
 * does nothing rather than press dozens of keys (a 'q' in it would quit).
 */
function typeahead(store: Store, c: Controller, text: string): void {
  const [first = '', ...more] = [...text];
  const opens = OPENS_TEXT.has(bindingFor(first, store.getState().ui.screen)?.id ?? '');
  if (!opens && text.length > TYPEAHEAD_MAX) return;
  handleKey(store, c, first === ' ' ? 'space' : first, first);
  const rest = more.join('');
  if (!rest) return;
  if (inTextField(store.getState())) return handleKey(store, c, rest === ' ' ? 'space' : rest, rest);
  typeahead(store, c, rest);
}

/** The fleet overview's keys (the key map's `fleet` layer); false: the key goes on to the screen's and global keys. */
function fleetKey(store: Store, name: string): boolean {
  const s = store.getState();
  const id = keyIn('fleet', name)?.id;
  if (id === 'fleet.open' || id === 'overlay.close') { s.setFleet(false); return true; }
  if (id !== 'fleet.next' && id !== 'fleet.prev') return false;
  const names = Object.keys(s.hosts);
  const i = names.indexOf(s.current) + (id === 'fleet.next' ? 1 : -1);
  s.setHost(names[Math.max(0, Math.min(names.length - 1, i))] ?? s.current);
  return true;
}

/** The filter prompt's keys (the `filter` layer): typed or pasted text, enter keeps, esc clears; it swallows the rest. */
function filterKey(store: Store, c: Controller, name: string, input: string): void {
  const s = store.getState();
  switch (ownId(keyIn('filter', name, input))) {
    case 'filter.keep': return s.setFilter(s.ui.filter, false);
    case 'filter.clear': return s.setFilter('', false);
    case 'filter.type': return s.setFilter(editText(s.ui.filter, name, input, 200), true);
    case 'overlay.quit': return c.quit();
  }
}

/** The palette's keys (the `palette` layer): typing filters; up/down (ctrl+n/ctrl+p, ctrl+j/ctrl+k) move; enter runs; esc closes. */
function paletteKey(store: Store, c: Controller, name: string, input: string): void {
  const s = store.getState();
  const p = s.ui.palette!;
  const view = paletteView(s)!;
  const move = (d: number) => s.setPalette({ ...p, index: view.entries.length ? (view.index + d + view.entries.length) % view.entries.length : 0 });
  switch (ownId(keyIn('palette', name, input))) {
    case 'overlay.close': return s.setPalette(undefined);
    case 'overlay.quit': return c.quit();
    case 'palette.prev': return move(-1);
    case 'palette.next': return move(1);
    case 'palette.type': return s.setPalette({ query: editText(p.query, name, input, 100), index: 0 });
    case 'palette.run': {
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
  const id = ownId(b);
  switch (id) {
    case 'screen.overview': case 'screen.gpu': case 'screen.storage': case 'screen.numa': case 'screen.help': case 'screen.engines': case 'screen.chat':
    case 'screen.recovery': case 'screen.doctor': case 'screen.vms':
      return s.setScreen(id.slice('screen.'.length) as ScreenId);
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
