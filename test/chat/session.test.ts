// The chat session (the TUI's store): coalesced notifications, cached lines, keys, the screen at fixed sizes,
// and a real conversation with the sim engine written to its transcript.
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChainOptions, ChainOutcome } from '../../src/chat/chain.js';
import { createChatSession, type ChatSession, type RenderKit } from '../../src/chat/session.js';
import { readTranscript } from '../../src/chat/transcript.js';
import { renderScreen } from '../../screens/host.js';
import { createChatScreen, handleChatKey } from '../../screens/chat.js';
import { keyName as chatKeyName } from '../../src/keys/names.js';
import type { ScreenCtx } from '../../screens/types.js';
import { themeByName } from '../../themes/index.js';
import { renderKit } from '../../widgets/panels/chat.js';
import { cleanup, local, sim, tempDir } from './helpers.js';

const sessions: ChatSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) { s.dispose(); await s.idle(); }
  await cleanup();
});

/** A manual timer: coalesced notifications fire only when the test says so. */
function manualTimers() {
  const due: (() => void)[] = [];
  return { schedule: (fn: () => void) => { due.push(fn); return () => { const i = due.indexOf(fn); if (i >= 0) due.splice(i, 1); }; }, fire: () => { for (const f of due.splice(0)) f(); }, pending: () => due.length };
}

const theme = themeByName('no-color');

function ctx(cols: number, rows: number): ScreenCtx {
  return { samples: {} as ScreenCtx['samples'], history: {} as ScreenCtx['history'], theme, cols, rows, now: Date.now(), staleMs: 5000, scroll: {}, filter: '' };
}

const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

describe('notifications are coalesced', () => {
  it('2000 tokens delivered synchronously make a handful of notifications, and nothing is lost', async () => {
    const t = manualTimers();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const run = async (o: ChainOptions): Promise<ChainOutcome> => {
      o.onEvent?.({ type: 'provider-start', provider: 'fake', model: 'm', loopback: true, continuing: false });
      for (let i = 0; i < 2000; i++) o.onEvent?.({ type: 'token', provider: 'fake', text: `t${i} ` });
      await gate;
      const text = Array.from({ length: 2000 }, (_x, i) => `t${i} `).join('');
      const done: ChainOutcome = { type: 'done', provider: 'fake', model: 'm', text, prefix: '', tokens: 2000, skipped: [], warnings: [], ttftMs: 1, tokPerSec: 2000 };
      o.onEvent?.(done);
      return done;
    };
    const s = createChatSession({ providers: [local('fake', 'http://127.0.0.1:1')], run, schedule: t.schedule });
    sessions.push(s);
    let n = 0;
    s.subscribe(() => { n++; });
    s.send('go');
    const afterTokens = n;
    expect(afterTokens).toBeLessThanOrEqual(4); // the send, the stream start, the provider: no per-token notification
    expect(t.pending()).toBe(1);
    t.fire();
    expect(n).toBe(afterTokens + 1);
    expect(s.getState().streaming?.tokens).toBe(2000);
    expect(s.getState().streaming?.text.startsWith('t0 t1 ')).toBe(true);
    release();
    await s.idle();
    expect(n).toBeLessThanOrEqual(afterTokens + 3);
    const last = s.getState().messages.at(-1)!;
    expect(last).toMatchObject({ role: 'assistant', provider: 'fake', tokens: 2000 });
    expect(last.text.split(' ').filter(Boolean)).toHaveLength(2000);
  });

  it('renders finished messages once per width, and only the streaming message again', () => {
    const calls: string[] = [];
    const kit: RenderKit = {
      key: 'k',
      message: (m, w) => { calls.push(`${m.id}@${w}`); return [`${m.role}: ${m.text}`]; },
      streamingHead: () => ['streaming'],
      styler: (_k, t) => t,
    };
    let release: () => void = () => {};
    const run = (o: ChainOptions) => new Promise<ChainOutcome>((resolve) => {
      o.onEvent?.({ type: 'token', provider: 'p', text: 'partial text' });
      release = () => resolve({ type: 'cancelled', partial: '' });
    });
    const s = createChatSession({ providers: [local('p', 'http://127.0.0.1:1')], run, schedule: manualTimers().schedule });
    sessions.push(s);
    s.setSystemPrompt('be terse');
    s.send('hello');
    for (let i = 0; i < 5; i++) s.window(40, 10, kit, 0);
    expect(calls).toHaveLength(2); // the system message and the user message, once each
    s.window(60, 10, kit, 0);
    expect(calls).toHaveLength(4);
    release();
  });

  it('a 10 MB streaming reply is windowed without drawing all of it', async () => {
    const t = manualTimers();
    let release: () => void = () => {};
    const run = (o: ChainOptions) => new Promise<ChainOutcome>((resolve) => {
      const piece = 'lorem ipsum dolor sit amet, '.repeat(36) + '\n\n';
      for (let i = 0; i < 10_000; i++) o.onEvent?.({ type: 'token', provider: 'p', text: piece });
      release = () => resolve({ type: 'cancelled', partial: '' });
    });
    const s = createChatSession({ providers: [local('p', 'http://127.0.0.1:1')], run, schedule: t.schedule });
    sessions.push(s);
    s.send('flood me');
    t.fire();
    expect(s.getState().streaming!.text.length).toBeGreaterThan(10_000_000);
    const w = s.window(120, 38, renderKit(theme), 0);
    expect(w.lines).toHaveLength(38);
    expect(w.above).toBe(true);
    release();
    await s.idle();
  });

  it('windows from the bottom and scrolls up', () => {
    const s = createChatSession({ providers: [], schedule: manualTimers().schedule, run: async () => ({ type: 'failed', reasons: [], partial: '' }) });
    sessions.push(s);
    for (let i = 0; i < 30; i++) s.setSystemPrompt(`prompt ${i}`);
    const kit = renderKit(theme);
    const w0 = s.window(60, 5, kit, 0);
    expect(w0.lines).toHaveLength(5);
    expect(strip(w0.lines.at(-1)!)).toContain('prompt 29');
    expect(w0.above).toBe(true);
    s.scrollBy(4);
    const w1 = s.window(60, 5, kit, 0);
    expect(strip(w1.lines.at(-1)!)).toContain('prompt 27');
    expect(w1.below).toBe(4);
  });
});

describe('keys and the screen', () => {
  it('maps Ink keys: enter sends, alt+enter and ctrl+j add a line, esc cancels a stream', () => {
    expect(chatKeyName('\r', { return: true })).toBe('enter');
    expect(chatKeyName('\r', { return: true, meta: true })).toBe('alt+enter');
    expect(chatKeyName('\n', {})).toBe('ctrl+j');
    expect(chatKeyName('o', { ctrl: true })).toBe('ctrl+o');
    let sent: string | undefined;
    const run = async (o: ChainOptions): Promise<ChainOutcome> => { sent = o.messages.at(-1)?.content; return { type: 'failed', reasons: [], partial: '' }; };
    const s = createChatSession({ providers: [local('a', 'http://127.0.0.1:1'), local('b', 'http://127.0.0.1:2')], run, schedule: manualTimers().schedule });
    sessions.push(s);
    for (const ch of 'line one') expect(handleChatKey(s, ch === ' ' ? 'space' : ch, ch)).toBe(true);
    expect(handleChatKey(s, 'alt+enter')).toBe(true);
    expect(handleChatKey(s, 'ctrl+j')).toBe(true);
    expect(handleChatKey(s, 'x', 'x')).toBe(true);
    expect(handleChatKey(s, 'backspace')).toBe(true);
    handleChatKey(s, 'y', 'y');
    expect(s.getState().draft).toBe('line one\n\ny');
    expect(handleChatKey(s, 'ctrl+o')).toBe(true);
    expect(s.getState().offline).toBe(true);
    expect(handleChatKey(s, 'ctrl+p')).toBe(true);
    expect(s.getState().choice).toBe('a');
    expect(handleChatKey(s, 'escape')).toBe(false); // nothing streams: the root handler leaves the screen
    expect(handleChatKey(s, 'tab')).toBe(false);
    expect(handleChatKey(s, 'ctrl+c')).toBe(false);
    expect(handleChatKey(s, 'enter')).toBe(true);
    expect(sent).toBe('line one\n\ny');
    expect(s.getState().draft).toBe('');
    // pasted text keeps its line breaks and loses control characters
    handleChatKey(s, 'paste', 'a\r\nb\u001b[31m');
    expect(s.getState().draft).toBe('a\nb');
  });

  it('slash commands set the system prompt, model and provider', () => {
    const s = createChatSession({ providers: [local('a', 'http://127.0.0.1:1')], schedule: manualTimers().schedule, run: async () => ({ type: 'failed', reasons: [], partial: '' }) });
    sessions.push(s);
    s.send('/system You answer in haiku.');
    expect(s.getState().systemPrompt).toBe('You answer in haiku.');
    s.send('/provider a');
    s.send('/model qwen');
    expect(s.getState()).toMatchObject({ choice: 'a', model: 'qwen' });
    s.send('/provider nope');
    expect(s.getState().status?.text).toMatch(/no provider named "nope"/);
  });

  for (const [cols, rows] of [[80, 22], [120, 38], [60, 14]] as const) {
    it(`the screen fills exactly ${cols}×${rows}, escape sequences from the model never reach it`, async () => {
      const e = await sim({ tokensPerSec: 0, replyText: 'Here is code:\n\n```sh\nzpool status -v tank   # a long line that is cut, never wrapped, at narrow widths\n```\n\n- one\n- two', escapes: true });
      const dir = tempDir();
      const s = createChatSession({ providers: [local('local', e.url)], dir });
      sessions.push(s);
      s.send('show me');
      await s.idle();
      const def = createChatScreen(s, { providers: [local('local', e.url)] });
      const c = ctx(cols, rows);
      const lines = renderScreen(def, c, def.panels(c));
      expect(lines).toHaveLength(rows);
      for (const l of lines) expect(stringWidth(l)).toBe(cols);
      const all = lines.join('\n');
      expect(all).not.toMatch(/\u001b\]|\u0007|\u001b\[2J|\u001b\[H|\u001b\[1;31m/);
      expect(all).not.toContain('owned-by-the-model');
      expect(all).toContain('zpool status');
      expect(all).toMatch(/local · sim.* · TTFT \d+ ms/);
    });
  }

  it('a real conversation: the reply, its figures and the transcript', async () => {
    const e = await sim({ tokensPerSec: 0, replyText: 'a real reply' });
    const dir = tempDir();
    const s = createChatSession({ providers: [local('local', e.url)], dir });
    sessions.push(s);
    s.send('hi');
    await s.idle();
    const st = s.getState();
    expect(st.messages.map((m) => [m.role, m.text])).toEqual([['user', 'hi'], ['assistant', 'a real reply']]);
    expect(st.messages[1]).toMatchObject({ provider: 'local', tokens: 3 });
    expect((st.messages[1] as { model?: string }).model).toContain('sim-shaped');
    const t = readTranscript(st.transcriptPath!);
    expect(t.messages.map((m) => m.text)).toEqual(['hi', 'a real reply']);
    // regenerate asks again for the same message
    s.regenerate();
    await s.idle();
    expect(s.getState().messages.filter((m) => m.role === 'assistant')).toHaveLength(2);
    expect(e.stats.chatRequests).toBe(2);
  });

  it('cancel mid-stream keeps the partial, marked partial, in the session and the transcript', async () => {
    const e = await sim({ tokensPerSec: 30, replyTokens: 3000 });
    const dir = tempDir();
    const s = createChatSession({ providers: [local('local', e.url)], dir, notifyMs: 5 });
    sessions.push(s);
    s.send('go');
    await new Promise<void>((r) => { const u = s.subscribe(() => { if ((s.getState().streaming?.tokens ?? 0) >= 3) { u(); r(); } }); });
    expect(handleChatKey(s, 'escape')).toBe(true);
    await s.idle();
    const last = s.getState().messages.filter((m) => m.role === 'assistant').at(-1)!;
    expect(last).toMatchObject({ partial: true, reason: 'cancelled' });
    const t = readTranscript(s.getState().transcriptPath!);
    expect(t.messages.at(-1)).toMatchObject({ role: 'assistant', partial: true, reason: 'cancelled' });
  });

  it('every provider failing shows each reason; cooldowns show on the provider line', async () => {
    const s = createChatSession({ providers: [local('dead', 'http://127.0.0.1:1')], schedule: manualTimers().schedule });
    sessions.push(s);
    s.send('anyone?');
    await s.idle();
    const note = s.getState().messages.at(-1)!;
    expect(note.role).toBe('note');
    expect(note.text).toMatch(/every provider failed:\n {2}dead: connection refused/);
    expect(s.getState().cooldowns.map((c) => c.provider)).toEqual(['dead']);
    const def = createChatScreen(s, { providers: [local('dead', 'http://127.0.0.1:1')] });
    const lines = renderScreen(def, ctx(100, 20), def.panels(ctx(100, 20))).map(strip);
    expect(lines[0]).toMatch(/cooling dead \d+s/);
  });
});
