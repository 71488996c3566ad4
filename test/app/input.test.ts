import { describe, expect, it, vi } from 'vitest';
import { handleKey, keyName, type Controller } from '../../src/app/input.js';
import { createAppStore } from '../../src/store/store.js';

function setup(readOnly = false) {
  const store = createAppStore({ host: 'h', readOnly });
  const c: Controller & { refresh: ReturnType<typeof vi.fn>; quit: ReturnType<typeof vi.fn> } = {
    refresh: vi.fn(), quit: vi.fn(), now: () => 1000, pageSize: () => 10,
    panels: () => [{ id: 'ov.gpu', drillTo: 'gpu' }, { id: 'ov.host' }, { id: 'ov.zfs', drillTo: 'storage' }],
  };
  const press = (name: string, input = name) => handleKey(store, c, name, input);
  return { store, c, press, ui: () => store.getState().ui };
}

describe('keyName', () => {
  it('names Ink keys', () => {
    expect(keyName('', { tab: true })).toBe('tab');
    expect(keyName('', { tab: true, shift: true })).toBe('shift+tab');
    expect(keyName('', { downArrow: true })).toBe('down');
    expect(keyName('c', { ctrl: true })).toBe('ctrl+c');
    expect(keyName('', { return: true })).toBe('enter');
    expect(keyName(' ', {})).toBe('space');
    expect(keyName('q', {})).toBe('q');
    // ESC and a character in one read (Ink: meta)
    expect(keyName('8', { meta: true })).toBe('alt+8');
    expect(keyName(' ', { meta: true })).toBe('alt+space');
  });
});

describe('handleKey', () => {
  it('switches screens and cycles focus', () => {
    const { press, ui } = setup();
    press('3');
    expect(ui().screen).toBe('storage');
    press('?');
    expect(ui().screen).toBe('help');
    press('1');
    press('tab'); press('tab'); press('tab');
    expect(ui().focus).toBe(0);
    press('shift+tab');
    expect(ui().focus).toBe(2);
  });
  it('enter drills into the focused panel, or zooms it; escape goes back', () => {
    const { press, ui } = setup();
    press('enter');
    expect(ui().screen).toBe('gpu');
    const s = setup();
    s.press('tab');
    s.press('enter');
    expect(s.ui().zoomed).toBe('ov.host');
    s.press('escape');
    expect(s.ui().zoomed).toBeUndefined();
  });
  it('scrolls the focused panel by lines and pages, never below zero', () => {
    const { press, ui } = setup();
    press('j'); press('down');
    expect(ui().scroll['ov.gpu']).toBe(2);
    press('pagedown');
    expect(ui().scroll['ov.gpu']).toBe(11);
    press('pageup'); press('pageup'); press('k');
    expect(ui().scroll['ov.gpu']).toBe(0);
  });
  it('/ edits a filter: text goes to the filter, not to the key map', () => {
    const { press, ui } = setup();
    press('/');
    for (const ch of 'q1') press(ch);
    expect(ui()).toMatchObject({ filter: 'q1', filterEditing: true, screen: 'overview' });
    press('backspace', '');
    press('enter', '');
    expect(ui()).toMatchObject({ filter: 'q', filterEditing: false });
    press('escape', '');
    expect(ui().filter).toBe('');
  });
  it('pasted text joins the filter in one piece; control characters never do', () => {
    const { press, ui } = setup();
    press('/');
    press('vllm');
    press('\u001b[31m');
    expect(ui()).toMatchObject({ filter: 'vllm', filterEditing: true });
  });
  it('f freezes, r refreshes, t cycles the theme, q quits', () => {
    const { press, ui, c } = setup();
    press('f');
    expect(ui().frozen).toBeDefined();
    expect(ui().message?.text).toContain('frozen');
    press('f');
    expect(ui().frozen).toBeUndefined();
    press('r');
    expect(c.refresh).toHaveBeenCalledOnce();
    press('t');
    expect(ui().theme).toBe('light');
    press('q');
    expect(c.quit).toHaveBeenCalledOnce();
  });
  it('ctrl+c quits even while editing the filter', () => {
    const { press, c } = setup();
    press('/');
    press('ctrl+c', 'c');
    expect(c.quit).toHaveBeenCalledOnce();
  });
  it('keys typed faster than they are read arrive as one chunk and act in turn; a longer run of text (a paste) does not', () => {
    const { press, ui, c } = setup();
    press('3?');
    expect(ui().screen).toBe('help');
    // the '/' opens the filter: what follows in the same chunk is filter text, as it would be typed one by one
    press('1/q1');
    expect(ui()).toMatchObject({ screen: 'overview', filter: 'q1', filterEditing: true });
    expect(c.quit).not.toHaveBeenCalled();
    press('escape', '');
    press('3 ');
    expect(ui().screen).toBe('storage');
    // a key that opens a text field takes the rest of the read as its text, however long
    press(':ssh into the vm');
    expect(ui().palette).toEqual({ query: 'ssh into the vm', index: 0 });
    press('escape', '');
    press('/ember/models/gguf');
    expect(ui()).toMatchObject({ filter: 'ember/models/gguf', filterEditing: true });
    press('escape', '');
    // Enter, Tab and Backspace in the same read act as those keys: the filter is kept, focus moves, a letter goes
    press('/ember/scratch\r', '/ember/scratch\r');
    expect(ui()).toMatchObject({ filter: 'ember/scratch', filterEditing: false });
    press('escape', '');
    press('/vmx\x7f\r', '/vmx\x7f\r');
    expect(ui()).toMatchObject({ filter: 'vm', filterEditing: false });
    press('escape', '');
    const focus = ui().focus;
    press('\t\t', '\t\t');
    expect(ui().focus).toBe((focus + 2) % 3);
    // Esc and a digit in one read (Ink reports alt+8): Esc leaves the text field, then 8 switches, as typed
    press('/');
    press('v');
    expect(ui().filterEditing).toBe(true);
    press(keyName('8', { meta: true }), '8');
    expect(ui()).toMatchObject({ screen: 'recovery', filterEditing: false });
    expect(ui().filter).not.toContain('8');
    press('3');
    // ctrl keys in one read act in turn (Ink passes '\x10\x0e' unparsed): ctrl+p opens the palette, ctrl+n moves down
    press('\x10\x0e', '\x10\x0e');
    expect(ui().palette).toEqual({ query: '', index: 1 });
    press('escape', '');
    // a paste into the screen's keys is not a burst of key presses: nothing switches, nothing quits
    press('1 rm -rf tmp; q');
    expect(ui().screen).toBe('storage');
    expect(c.quit).not.toHaveBeenCalled();
    expect(c.refresh).not.toHaveBeenCalled();
  });
});
