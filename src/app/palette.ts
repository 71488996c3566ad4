/**
 * The command palette (`:`, DESIGN.md §5): the screens, and the actions that apply on the current screen, from the
 * key map; filtered as you type. Pure: the frame draws it and the input layer runs the chosen entry.
 */
import { recoveryActions } from '../actions/index.js';
import type { Tier } from '../actions/types.js';
import type { Config } from '../config/schema.js';
import { KEYMAP } from '../keys/keymap.js';
import type { AppState, ScreenId } from '../store/types.js';

export interface PaletteEntry {
  /** the key map binding it runs */
  id: string;
  kind: 'screen' | 'action' | 'host';
  title: string;
  description: string;
  keys: readonly string[];
  tier: Tier;
}

/** What the palette offers on this screen: every screen (go to it), then the actions bound on this screen. */
export function paletteEntries(screen: ScreenId, config?: Config, hosts: string[] = []): PaletteEntry[] {
  const entry = (kind: PaletteEntry['kind']) => (b: (typeof KEYMAP)[number]): PaletteEntry =>
    ({ id: b.id, kind, title: b.title, description: b.description, keys: b.keys, tier: b.tier });
  const screens = KEYMAP.filter((b) => b.group === 'screens').map(entry('screen'));
  const actions = KEYMAP.filter((b) => b.group === 'engines' && (b.screen === undefined || b.screen === screen)).map(entry('action'));
  // recovery actions and scripts, from anywhere (a scrub from the Storage screen, a script from the GPU screen)
  const seen = new Set(actions.map((a) => a.id));
  const recovery = recoveryActions(config).filter((a) => !seen.has(a.id)).map((a): PaletteEntry => ({ id: a.id, kind: 'action', title: a.title, description: `${a.id}: ${a.description}`, keys: a.keys, tier: a.tier }));
  // with several hosts, each is an entry that shows it (H cycles them)
  const hostEntries = hosts.length > 1 ? hosts.map((h): PaletteEntry => ({ id: `host:${h}`, kind: 'host', title: `Host: ${h}`, description: 'show this host on every screen', keys: [], tier: 'T0' })) : [];
  return [...screens, ...actions, ...recovery, ...hostEntries];
}

/** `needle` appears in `hay` in order, not necessarily together ("rst" in "restart") */
function subsequence(needle: string, hay: string): boolean {
  let i = 0;
  for (const ch of hay) if (ch === needle[i]) i++;
  return i === needle.length;
}

/** How well one word matches (lower is better), or undefined: title start, title, id, letters in order, description. */
function rank(word: string, e: PaletteEntry): number | undefined {
  const title = e.title.toLowerCase();
  const id = e.id.toLowerCase();
  if (title.startsWith(word)) return 0;
  if (title.includes(word)) return 1;
  if (id.includes(word)) return 2;
  if (subsequence(word, title) || subsequence(word, id)) return 3;
  if (e.description.toLowerCase().includes(word)) return 4;
  return undefined;
}

/** The entries every word of `query` matches, best first (ties keep their order). */
export function filterPalette(entries: PaletteEntry[], query: string): PaletteEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return entries;
  const scored: { e: PaletteEntry; score: number; i: number }[] = [];
  entries.forEach((e, i) => {
    let score = 0;
    for (const w of words) {
      const r = rank(w, e);
      if (r === undefined) return;
      score += r;
    }
    scored.push({ e, score, i });
  });
  return scored.sort((a, b) => a.score - b.score || a.i - b.i).map((x) => x.e);
}

/** What the open palette shows now, and which entry is highlighted (clamped to what matches). */
export function paletteView(s: AppState): { entries: PaletteEntry[]; index: number } | undefined {
  const p = s.ui.palette;
  if (!p) return undefined;
  const entries = filterPalette(paletteEntries(s.ui.screen, s.config, Object.keys(s.hosts)), p.query);
  return { entries, index: Math.max(0, Math.min(p.index, entries.length - 1)) };
}
