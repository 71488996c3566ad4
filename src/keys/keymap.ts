/**
 * Every key sov answers to, declared once. The input handler, the help screen and docs/keys.md all come from here;
 * the bindings of actions (src/actions) are derived from their declarations.
 * Tiers (DESIGN.md §5): T0 read-only … T3 destructive; `--read-only` disables T1–T3 everywhere.
 * A binding with a `screen` works on that screen only and wins there over a global one on the same key
 * (on the engines screen `r` restarts the engine; elsewhere it refreshes).
 */
import { ACTIONS } from '../actions/index.js';
import { readOnlyReason, type Tier } from '../actions/types.js';
import type { ScreenId } from '../store/types.js';
import { isNamedKey } from './names.js';

export type { Tier };

export interface KeyBinding {
  id: string;
  /**
   * key names as the input layer reports them (src/keys/names.ts): 'q', 'tab', 'shift+tab', 'up', 'enter', 'escape',
   * 'ctrl+c'; in a layer also 'typing' (printable text, a paste) and 'other' (any key the layer declares nothing for)
   */
  keys: readonly string[];
  title: string;
  description: string;
  tier: Tier;
  group: 'screens' | 'navigate' | 'view' | 'engines' | 'recovery' | 'chat' | 'overlays' | 'app';
  /** works on this screen only; unset: everywhere */
  screen?: ScreenId;
  /** a layer (or several) that takes the key while it is open: never looked up by bindingFor; see keyIn */
  layer?: Layer | readonly Layer[];
}

/**
 * The layers over the screens, each taking keys while its state holds (src/app/input.ts asks them in this order):
 * the confirm overlay's states (pending: its preconditions being read; refused; confirm: T1 y/N; typed: T2/T3;
 * ask: an argument), the tripcode prompt, a running action (ctrl+c), the palette, the fleet overview, the chat
 * prompt (with a session on the chat screen), the filter prompt. What a layer does not take goes on to the screen's
 * and the global keys only for the fleet overview and the chat prompt; the others swallow it.
 */
export const LAYERS = ['pending', 'refused', 'confirm', 'typed', 'ask', 'tripcode', 'running', 'palette', 'fleet', 'chat', 'filter'] as const;
export type Layer = (typeof LAYERS)[number];

/** The cockpit's own bindings (those of actions come from ACTIONS): their ids are a type, so the dispatcher's cases are checked. */
const OWN_BEFORE = [
  { id: 'screen.overview', keys: ['1'], title: 'Overview', description: 'GPUs, host, NUMA and ZFS at a glance', tier: 'T0', group: 'screens' },
  { id: 'screen.gpu', keys: ['2'], title: 'GPU', description: 'every GPU in detail: history, PCIe, ECC, processes', tier: 'T0', group: 'screens' },
  { id: 'screen.storage', keys: ['3'], title: 'Storage', description: 'ZFS pools, vdev trees, scrub/resilver, ARC, datasets and lints', tier: 'T0', group: 'screens' },
  { id: 'screen.numa', keys: ['4'], title: 'NUMA/Host', description: 'NUMA nodes and distances, CPU cores, disks, network', tier: 'T0', group: 'screens' },
  { id: 'screen.help', keys: ['5', '?'], title: 'Help', description: 'this list of keys', tier: 'T0', group: 'screens' },
  { id: 'screen.engines', keys: ['6'], title: 'Engines', description: 'inference engines run by the daemon: state, health, tok/s, memory, logs, benchmarks; services', tier: 'T0', group: 'screens' },
  { id: 'screen.chat', keys: ['7'], title: 'Chat', description: 'chat with the local engines and remote providers (fallback chain, blackout)', tier: 'T0', group: 'screens' },
  { id: 'screen.recovery', keys: ['8'], title: 'Recovery', description: 'recovery actions by tier, host scripts and their live output, lockdown, tripcodes, the audit log', tier: 'T0', group: 'screens' },
  { id: 'screen.doctor', keys: ['9'], title: 'Doctor', description: 'the box checked against its blueprint: PASS/WARN/FAIL/UNKNOWN with evidence and fix hints', tier: 'T0', group: 'screens' },
  { id: 'screen.vms', keys: ['0'], title: 'VMs', description: 'VMs: state, disks and backing chains, snapshots, heartbeats; attach over SSH', tier: 'T0', group: 'screens' },
  { id: 'focus.next', keys: ['tab'], title: 'Next panel', description: 'move focus to the next panel', tier: 'T0', group: 'navigate' },
  { id: 'focus.prev', keys: ['shift+tab'], title: 'Previous panel', description: 'move focus to the previous panel', tier: 'T0', group: 'navigate' },
  { id: 'scroll.down', keys: ['j', 'down'], title: 'Scroll down', description: 'scroll the focused panel down a line', tier: 'T0', group: 'navigate' },
  { id: 'scroll.up', keys: ['k', 'up'], title: 'Scroll up', description: 'scroll the focused panel up a line', tier: 'T0', group: 'navigate' },
  { id: 'scroll.pageDown', keys: ['pagedown', 'space'], title: 'Page down', description: 'scroll the focused panel down a page', tier: 'T0', group: 'navigate' },
  { id: 'scroll.pageUp', keys: ['pageup'], title: 'Page up', description: 'scroll the focused panel up a page', tier: 'T0', group: 'navigate' },
  { id: 'drill', keys: ['enter'], title: 'Drill in', description: 'open the focused panel: its screen from the overview, full size elsewhere', tier: 'T0', group: 'navigate' },
  { id: 'back', keys: ['escape'], title: 'Back', description: 'leave the full-size panel, clear the filter', tier: 'T0', group: 'navigate' },
  { id: 'filter', keys: ['/'], title: 'Filter', description: 'filter rows (processes, vdevs, datasets, cores) by text; enter keeps it, esc clears', tier: 'T0', group: 'view' },
  { id: 'freeze', keys: ['f'], title: 'Freeze', description: 'hold the picture still; sampling and history go on behind it', tier: 'T0', group: 'view' },
  { id: 'refresh', keys: ['r'], title: 'Refresh now', description: 'sample every source now (on the engines screen r restarts the selected engine)', tier: 'T0', group: 'view' },
  { id: 'host.next', keys: ['H'], title: 'Next host', description: "cycle the host the screens show: this machine, then the config's hosts: (over SSH); the header names it", tier: 'T0', group: 'view' },
  { id: 'host.fleet', keys: ['W'], title: 'Fleet', description: 'every host in one table: reachable, GPUs, worst pool, engines, load, findings; j/k pick a host, enter opens its screens, esc or W closes', tier: 'T0', group: 'view' },
  { id: 'theme', keys: ['t'], title: 'Theme', description: 'cycle dark → light → high-contrast → no-color → tty (16 colours)', tier: 'T0', group: 'view' },
] as const satisfies readonly KeyBinding[];

const OWN_AFTER = [
  { id: 'recovery.run', keys: ['enter'], title: 'Run action', description: 'run the highlighted action: its arguments are asked, its preconditions and exact command shown, then the confirmation its tier needs (T1 y/N, T2 type the target, T3 a tripcode)', tier: 'T0', group: 'recovery', screen: 'recovery' },
  { id: 'recovery.tripcode', keys: ['p'], title: 'Paste tripcode', description: 'paste a signed tripcode (ts|code|sig): RECOVERY:LOCKDOWN / UNLOCK take effect at once, the others start the action they stand for', tier: 'T0', group: 'recovery', screen: 'recovery' },
  // the confirm overlay, one layer per state: reading the preconditions, refused, T1 y/N, T2/T3 typed, an argument asked
  { id: 'confirm.yes', keys: ['y', 'enter'], title: 'Confirm', description: 'T1: y or enter runs it (the overlay shows exactly what will run and its preconditions first)', tier: 'T0', group: 'recovery', layer: 'confirm' },
  { id: 'confirm.no', keys: ['n'], title: 'Cancel', description: 'T1: close the overlay; nothing runs', tier: 'T0', group: 'recovery', layer: 'confirm' },
  { id: 'confirm.type', keys: ['typing', 'space', 'backspace', 'ctrl+u'], title: 'Type to confirm', description: "T2: type the target's name; T3: paste the tripcode; ctrl+u clears (y and n are text here)", tier: 'T0', group: 'recovery', layer: 'typed' },
  { id: 'confirm.submit', keys: ['enter'], title: 'Submit', description: 'T2/T3: the typed name or the pasted tripcode is checked; it runs if it matches', tier: 'T0', group: 'recovery', layer: 'typed' },
  { id: 'ask.prev', keys: ['up', 'ctrl+p'], title: 'Previous value', description: 'an argument being asked: the previous value offered', tier: 'T0', group: 'recovery', layer: 'ask' },
  { id: 'ask.next', keys: ['down', 'ctrl+n', 'tab'], title: 'Next value', description: 'an argument being asked: the next value offered', tier: 'T0', group: 'recovery', layer: 'ask' },
  { id: 'ask.type', keys: ['typing', 'space', 'backspace'], title: 'Type a value', description: 'an argument being asked: type a value instead of picking one', tier: 'T0', group: 'recovery', layer: 'ask' },
  { id: 'ask.take', keys: ['enter'], title: 'Take the value', description: 'an argument being asked: take what is typed, else the value picked; then the next argument, or the preconditions', tier: 'T0', group: 'recovery', layer: 'ask' },
  { id: 'refused.close', keys: ['enter', 'n'], title: 'Close', description: 'a refused action (its preconditions failed; above T0 the refusal is recorded): close the overlay', tier: 'T0', group: 'recovery', layer: 'refused' },
  { id: 'overlay.hint', keys: ['other'], title: 'Any other key', description: 'the status line says which keys the overlay takes; nothing else happens', tier: 'T0', group: 'recovery', layer: ['pending', 'refused', 'confirm'] },
  { id: 'tripcode.type', keys: ['typing', 'space', 'backspace', 'ctrl+u'], title: 'Paste tripcode', description: 'paste the payload (ts|code|sig); ctrl+u clears', tier: 'T0', group: 'recovery', layer: 'tripcode' },
  { id: 'tripcode.submit', keys: ['enter'], title: 'Verify tripcode', description: 'verify it (wrong key, tampered, expired, replayed… each refused with its reason and recorded); LOCKDOWN/UNLOCK take effect, the others start their action', tier: 'T0', group: 'recovery', layer: 'tripcode' },
  { id: 'run.cancel', keys: ['ctrl+c'], title: 'Cancel action', description: 'while an action runs: SIGTERM to its process group, then SIGKILL (a second ctrl+c quits)', tier: 'T0', group: 'recovery', layer: 'running' },
  { id: 'log.follow', keys: ['F'], title: 'Follow log', description: 'follow the end of the open log, or hold it still (j/k scroll it)', tier: 'T0', group: 'engines', screen: 'engines' },
  // the chat screen's prompt owns the keyboard (screens/chat.ts handleChatKey consumes these before the key map);
  // screen keys rather than the chat layer's, so that without a session (the demo) they do nothing there
  { id: 'chat.send', keys: ['enter'], title: 'Send', description: 'send the prompt; esc cancels a streaming reply (the partial is kept, marked partial)', tier: 'T0', group: 'chat', screen: 'chat' },
  { id: 'chat.newline', keys: ['alt+enter', 'ctrl+j'], title: 'New line', description: 'a new line in the prompt', tier: 'T0', group: 'chat', screen: 'chat' },
  { id: 'chat.provider', keys: ['ctrl+p'], title: 'Provider', description: 'cycle the provider asked first (auto: the configured chain)', tier: 'T0', group: 'chat', screen: 'chat' },
  { id: 'chat.model', keys: ['ctrl+n'], title: 'Model', description: "cycle the model, listed from the provider's /v1/models", tier: 'T0', group: 'chat', screen: 'chat' },
  { id: 'chat.offline', keys: ['ctrl+o'], title: 'Blackout', description: 'only loopback providers are tried (also --offline and chat.offline in the config)', tier: 'T0', group: 'chat', screen: 'chat' },
  { id: 'chat.regenerate', keys: ['ctrl+r'], title: 'Regenerate', description: 'ask again for the last reply', tier: 'T0', group: 'chat', screen: 'chat' },
  { id: 'chat.copy', keys: ['ctrl+y'], title: 'Copy reply', description: 'copy the last reply as plain text (OSC 52, and a 0600 file in the state dir)', tier: 'T0', group: 'chat', screen: 'chat' },
  { id: 'chat.clear', keys: ['ctrl+u'], title: 'Clear prompt', description: 'empty the prompt; /system, /model, /provider, /offline, /new, /help are typed commands', tier: 'T0', group: 'chat', screen: 'chat' },
  // the rest of the prompt's keys: taken only while a chat session is on screen (without one, they do what they do elsewhere)
  { id: 'chat.cancel', keys: ['escape'], title: 'Cancel reply', description: 'cancel the streaming reply; when nothing streams esc leaves the chat (back)', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.type', keys: ['typing', 'space'], title: 'Type', description: 'edit the prompt: typed and pasted text (pasted line breaks are kept); q, digits, : and ? are text here', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.backspace', keys: ['backspace'], title: 'Delete back', description: 'delete the character before the cursor', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.left', keys: ['left'], title: 'Cursor left', description: 'move the cursor a character left', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.right', keys: ['right'], title: 'Cursor right', description: 'move the cursor a character right', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.home', keys: ['home', 'ctrl+a'], title: 'Line start', description: 'the cursor to the start of the prompt', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.end', keys: ['end', 'ctrl+e'], title: 'Line end', description: 'the cursor to the end of the prompt; with an empty prompt, the transcript back to the bottom', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.up', keys: ['up'], title: 'Up', description: 'the line above in a multi-line prompt, else scroll the transcript up a line', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.down', keys: ['down'], title: 'Down', description: 'the line below in a multi-line prompt, else scroll the transcript down a line', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.pageUp', keys: ['pageup'], title: 'Page up', description: 'scroll the transcript up a page', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  { id: 'chat.pageDown', keys: ['pagedown'], title: 'Page down', description: 'scroll the transcript down a page', tier: 'T0', group: 'chat', screen: 'chat', layer: 'chat' },
  // the palette, the filter prompt and the fleet overview, while open
  { id: 'palette.prev', keys: ['up', 'ctrl+p', 'ctrl+k', 'shift+tab'], title: 'Previous entry', description: 'the palette: highlight the entry above', tier: 'T0', group: 'overlays', layer: 'palette' },
  { id: 'palette.next', keys: ['down', 'ctrl+n', 'ctrl+j', 'tab'], title: 'Next entry', description: 'the palette: highlight the entry below', tier: 'T0', group: 'overlays', layer: 'palette' },
  { id: 'palette.type', keys: ['typing', 'space', 'backspace'], title: 'Filter entries', description: 'the palette: what is typed filters the entries (title, id, letters in order, description)', tier: 'T0', group: 'overlays', layer: 'palette' },
  { id: 'palette.run', keys: ['enter'], title: 'Run entry', description: 'the palette: run the highlighted entry (asking first, as its key does)', tier: 'T0', group: 'overlays', layer: 'palette' },
  { id: 'filter.type', keys: ['typing', 'space', 'backspace'], title: 'Edit filter', description: 'the filter prompt (/): typed or pasted text filters the rows as you type', tier: 'T0', group: 'overlays', layer: 'filter' },
  { id: 'filter.keep', keys: ['enter'], title: 'Keep filter', description: 'the filter prompt: keep the filter and leave the prompt', tier: 'T0', group: 'overlays', layer: 'filter' },
  { id: 'filter.clear', keys: ['escape'], title: 'Clear filter', description: 'the filter prompt: clear the filter and leave the prompt', tier: 'T0', group: 'overlays', layer: 'filter' },
  { id: 'fleet.next', keys: ['j', 'down'], title: 'Next host', description: 'the fleet overview (W): pick the host below; the screens follow it', tier: 'T0', group: 'overlays', layer: 'fleet' },
  { id: 'fleet.prev', keys: ['k', 'up'], title: 'Previous host', description: 'the fleet overview: pick the host above', tier: 'T0', group: 'overlays', layer: 'fleet' },
  { id: 'fleet.open', keys: ['enter'], title: 'Open host', description: "the fleet overview: close it on the picked host's screens (other keys work as elsewhere; W closes it too)", tier: 'T0', group: 'overlays', layer: 'fleet' },
  { id: 'overlay.close', keys: ['escape'], title: 'Close', description: 'close the overlay (confirm, tripcode, palette, fleet): nothing runs', tier: 'T0', group: 'overlays', layer: ['pending', 'refused', 'confirm', 'typed', 'ask', 'tripcode', 'palette', 'fleet'] },
  { id: 'overlay.quit', keys: ['ctrl+c'], title: 'Quit', description: 'from an overlay or a prompt too: it closes, then sov quits', tier: 'T0', group: 'overlays', layer: ['pending', 'refused', 'confirm', 'typed', 'ask', 'tripcode', 'palette', 'filter'] },
  { id: 'palette', keys: [':', 'ctrl+p'], title: 'Palette', description: 'the command palette: every screen and the actions of this one, filtered as you type; up/down (ctrl+n/ctrl+p) move, enter runs it (asking first, as its key does), esc closes. Not on the chat screen, where : is text and ctrl+p cycles the provider: esc leaves the chat first', tier: 'T0', group: 'app' },
  { id: 'quit', keys: ['q', 'ctrl+c'], title: 'Quit', description: 'leave sov (engines and jobs are never stopped by quitting)', tier: 'T0', group: 'app' },
] as const satisfies readonly KeyBinding[];

/** The id of one of the cockpit's own bindings (not an action's: those are ACTIONS' ids). */
export type BindingId = (typeof OWN_BEFORE)[number]['id'] | (typeof OWN_AFTER)[number]['id'];

const OWN_IDS: ReadonlySet<string> = new Set([...OWN_BEFORE, ...OWN_AFTER].map((b) => b.id));

/** A binding's id when it is one of the cockpit's own, typed so that the dispatchers' cases are checked; else undefined (an action's). */
export function ownId(b: KeyBinding | undefined): BindingId | undefined {
  return b !== undefined && OWN_IDS.has(b.id) ? (b.id as BindingId) : undefined;
}

export const KEYMAP: readonly KeyBinding[] = [
  ...OWN_BEFORE,
  // actions with a key; the others (ZFS, GPU, stack, VMs, scripts) are reached from the Recovery screen and the palette
  ...ACTIONS.filter((a) => a.keys.length).map((a): KeyBinding => ({ id: a.id, keys: a.keys, title: a.title, description: a.description + (a.tier !== 'T0' ? '; asks first (y/N, or more by tier)' : ''), tier: a.tier, group: a.scope === 'engines' ? 'engines' : 'recovery', ...(a.scope !== 'global' ? { screen: a.scope } : {}) })),
  ...OWN_AFTER,
];

/** The binding of a key on a screen: the screen's own first, else a global one. */
export function bindingFor(key: string, screen?: ScreenId): KeyBinding | undefined {
  return (screen !== undefined ? KEYMAP.find((b) => !b.layer && b.screen === screen && b.keys.includes(key)) : undefined)
    ?? KEYMAP.find((b) => !b.layer && b.screen === undefined && b.keys.includes(key));
}

/** The layers a binding belongs to (none: a screen's or a global key). */
export function layersOf(b: KeyBinding): readonly Layer[] {
  return b.layer === undefined ? [] : typeof b.layer === 'string' ? [b.layer] : b.layer;
}

/** Text a layer's 'typing' takes: not a named key or a chord, and no control characters (a paste arrives whole). */
const plainText = (input: string) => !/[\u0000-\u001f\u007f]/.test(input);

/**
 * The binding of a key in a layer: one that names the key; else its 'typing' one, for text (`text` says which
 * input counts: by default none with control characters); else its 'other' one. `screen`: that screen's own
 * (non-layer) bindings count too (the chat prompt's send, provider, model… keys).
 */
export function keyIn(layer: Layer, name: string, input = '', opts: { screen?: ScreenId; text?: (input: string) => boolean } = {}): KeyBinding | undefined {
  const inLayer = KEYMAP.filter((b) => layersOf(b).includes(layer) || (opts.screen !== undefined && !b.layer && b.screen === opts.screen));
  const typing = input !== '' && !isNamedKey(name) && (opts.text ?? plainText)(input);
  return inLayer.find((b) => b.keys.includes(name))
    ?? (typing ? inLayer.find((b) => b.keys.includes('typing')) : undefined)
    ?? inLayer.find((b) => b.keys.includes('other'));
}

/** Where a binding works, for the help screen and docs/keys.md: its screen, its layers, or '' (everywhere). */
export function scopeLabel(b: KeyBinding): string {
  const layers = layersOf(b);
  if (layers.length > 3) return 'overlays';
  return layers.length ? layers.join(', ') : b.screen ?? '';
}

const SHORT: Record<string, string> = { escape: 'esc', pageup: 'pgup', pagedown: 'pgdn' };

/** A binding's `n`th key as the status line names it (esc, pgup); throws for a binding or key the map lacks. */
export function hintKey(id: BindingId, n = 0): string {
  const k = KEYMAP.find((b) => b.id === id)?.keys[n];
  if (k === undefined) throw new Error(`the key map has no key ${n} for ${id}`);
  return SHORT[k] ?? k;
}

/** Whether a binding may run now; otherwise the reason the status line shows. */
export function allowed(b: KeyBinding, readOnly: boolean): true | string {
  return readOnly && b.tier !== 'T0' ? readOnlyReason(b.title) : true;
}

/** docs/keys.md, generated from KEYMAP (`npm run docs:keys`); a test checks it is fresh. */
export function keysMarkdown(): string {
  const groups: KeyBinding['group'][] = ['screens', 'navigate', 'view', 'engines', 'recovery', 'chat', 'overlays', 'app'];
  const lines = ['# sov keys', '', 'Generated from `src/keys/keymap.ts` by `npm run docs:keys`. Do not edit by hand.', ''];
  for (const g of groups) {
    lines.push(`## ${g[0]!.toUpperCase()}${g.slice(1)}`, '');
    if (g === 'engines') lines.push('On the engines screen (`6`). T1 actions are disabled under `--read-only`, with the reason in the status line.', '');
    if (g === 'recovery') lines.push('On the Recovery screen (`8`), and in the overlays every action above T0 opens. Actions without a key (ZFS, GPU, stack, VMs, scripts) are reached from the Recovery screen and the `:` palette.', '');
    if (g === 'chat') lines.push('On the chat screen (`7`) the prompt takes typing, so `q` and digits are text there; ctrl+c still quits, tab and esc (when nothing streams) work as elsewhere.', '');
    if (g === 'overlays') lines.push('While an overlay or a prompt is open it takes the keys first (`where` names it); `typing` is printable text or a paste, `other` any key it names nothing for.', '');
    lines.push('| keys | where | action | what it does | tier |', '|---|---|---|---|---|');
    for (const b of KEYMAP.filter((x) => x.group === g)) lines.push(`| ${b.keys.map((k) => `\`${k}\``).join(' ')} | ${scopeLabel(b)} | ${b.title} | ${b.description} | ${b.tier} |`);
    lines.push('');
  }
  return lines.join('\n');
}
