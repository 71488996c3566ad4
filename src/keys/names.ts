/** Ink's key object (the fields sov reads). */
export interface InkKey {
  upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean; pageUp?: boolean; pageDown?: boolean;
  return?: boolean; escape?: boolean; ctrl?: boolean; shift?: boolean; meta?: boolean; tab?: boolean;
  backspace?: boolean; delete?: boolean; home?: boolean; end?: boolean;
}

/**
 * Ink's (input, key) → one key name, as the key map and the chat prompt know them: 'tab', 'shift+tab', 'up',
 * 'enter', 'alt+enter' (ESC CR), 'ctrl+j' (a bare LF), 'escape', 'backspace', 'home', 'end', 'ctrl+c', 'q'…
 * Ink reports the Backspace key (DEL, 0x7f) as `delete`, and the Delete key the same way, so both are 'backspace'.
 */
export function keyName(input: string, k: InkKey): string {
  if (k.return) return k.meta ? 'alt+enter' : 'enter';
  if (input === '\n') return 'ctrl+j';
  if (k.tab) return k.shift ? 'shift+tab' : 'tab';
  if (k.upArrow) return 'up';
  if (k.downArrow) return 'down';
  if (k.leftArrow) return 'left';
  if (k.rightArrow) return 'right';
  if (k.pageUp) return 'pageup';
  if (k.pageDown) return 'pagedown';
  if (k.home) return 'home';
  if (k.end) return 'end';
  if (k.escape) return 'escape';
  if (k.backspace || k.delete) return 'backspace';
  if (k.ctrl && input) return `ctrl+${input}`;
  // ESC and a character in one read: alt+that key (a terminal's meta), or Esc and the key typed ahead over a slow link
  if (k.meta && input.length === 1 && input >= ' ' && input !== '\u007f') return `alt+${input === ' ' ? 'space' : input}`;
  if (input === ' ') return 'space';
  return input;
}

/** the names keyName gives keys that are not text */
const NAMED = new Set(['enter', 'alt+enter', 'tab', 'shift+tab', 'up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end', 'escape', 'backspace', 'space']);

/** A named key or a chord (never text, whatever its input): 'enter', 'up', 'space', 'ctrl+u'… */
export function isNamedKey(name: string): boolean {
  return NAMED.has(name) || name.startsWith('ctrl+') || name.startsWith('alt+');
}

/**
 * A one-line text field's edit keys (the confirm overlay, the tripcode prompt, the palette, the filter prompt):
 * backspace deletes the last character, ctrl+u clears, space and typing append (at most `max` characters).
 */
export function editText(text: string, name: string, input: string, max: number): string {
  if (name === 'backspace') return text.slice(0, -1);
  if (name === 'ctrl+u') return '';
  return (text + (name === 'space' ? ' ' : input)).slice(0, max);
}
