/**
 * The chat screen (id 'chat', key 7): a provider/model line (blackout, cooldowns), a status line, the transcript
 * (windowed from the bottom, scrollable, one figure line per reply) and the multi-line prompt.
 *
 * Keys (a text-input layer, declared in src/keys/keymap.ts: the root input handler calls handleChatKey first while this screen is shown):
 *   typing · paste       edit the prompt (pasted line breaks are kept)
 *   enter                send
 *   alt+enter · ctrl+j   a new line in the prompt
 *   esc                  cancel the streaming reply; otherwise not consumed (the root handler leaves the screen)
 *   ctrl+p               cycle the provider asked first (auto = the configured chain)
 *   ctrl+n               cycle the model (listed from the provider's /v1/models)
 *   ctrl+o               blackout on/off (only loopback providers)
 *   ctrl+r               regenerate the last reply
 *   ctrl+y               copy the last reply as plain text (OSC 52 + a file)
 *   ctrl+u               clear the prompt
 *   up/down              move in a multi-line prompt, else scroll the transcript a line
 *   pageup/pagedown      scroll the transcript a page; end/ctrl+e with an empty prompt: back to the bottom
 *   /system TEXT · /model NAME · /provider NAME|auto · /offline · /online · /new · /help   typed and sent
 */
import type { ScreenId } from '../src/store/types.js';
import type { ChatSession } from '../src/chat/session.js';
import { defaultChain, type Provider } from '../src/chat/providers.js';
import { frame } from '../widgets/primitives/panel.js';
import { paint } from '../themes/tokens.js';
import { chatStatusLine, promptLines, promptRows, providerLine, renderKit } from '../widgets/panels/chat.js';
import type { PanelSpec, ScreenDef } from './types.js';
import { keyIn, ownId } from '../src/keys/keymap.js';

export const CHAT_SCREEN_ID = 'chat' as string as ScreenId;

export interface ChatScreenOptions {
  /** the providers and configured chain, for the provider line */
  providers?: Provider[];
  chain?: string[];
  /** the clock used for streaming durations and cooldowns; default Date.now */
  now?: () => number;
}

/** The chat ScreenDef over one session. */
export function createChatScreen(session: ChatSession, opts: ChatScreenOptions = {}): ScreenDef {
  const chainNames = () => defaultChain(opts.providers ?? [], opts.chain ?? []).map((p) => p.name);
  const clock = opts.now ?? Date.now;
  return {
    id: CHAT_SCREEN_ID,
    title: 'Chat',
    sources: [],
    panels(ctx) {
      const s = session.getState();
      const transcript: PanelSpec = {
        id: 'chat.transcript',
        title: `Chat ${s.conversationId}`,
        body: (w, h) => {
          const win = session.window(w, h, renderKit(ctx.theme), clock());
          const badge = [
            s.streaming ? paint(ctx.theme, 'info', 'streaming') : '',
            win.below > 0 ? paint(ctx.theme, 'muted', `${ctx.theme.glyphs.down}${win.below} lines`) : win.above ? paint(ctx.theme, 'muted', `${ctx.theme.glyphs.up} more`) : '',
          ].filter(Boolean).join(' ');
          return { lines: win.lines, ...(badge ? { badge } : {}) };
        },
      };
      const prompt: PanelSpec = {
        id: 'chat.prompt',
        title: s.systemPrompt ? 'Prompt (system prompt set)' : 'Prompt',
        body: (w, h) => ({ lines: promptLines(s.draft, s.cursor, w, h, ctx.theme) }),
      };
      return [transcript, prompt];
    },
    layout(ctx, panels, draw) {
      const s = session.getState();
      const [transcript, prompt] = panels;
      const now = clock();
      const head = [providerLine(s, chainNames(), ctx.theme, now, ctx.cols), chatStatusLine(s, ctx.theme, now, ctx.cols)];
      const rowsLeft = Math.max(4, ctx.rows - head.length);
      const draftRows = promptRows(s.draft, s.cursor, ctx.cols - 2); // the prompt panel's inner width
      const promptH = Math.max(3, Math.min(draftRows + 2, Math.max(3, Math.floor(rowsLeft / 3))));
      const transcriptH = Math.max(2, rowsLeft - promptH);
      const t = transcript ? draw(transcript, ctx.cols, transcriptH) : frame({ title: 'Chat', lines: [], width: ctx.cols, height: transcriptH, theme: ctx.theme });
      const p = prompt ? draw(prompt, ctx.cols, promptH) : [];
      return [...head, ...t, ...p].slice(0, ctx.rows);
    },
  };
}

let active: { session: ChatSession; def: ScreenDef } | undefined;

/** Sets the session the static `chatScreen` shows (run.tsx calls it once the session exists). */
export function setChatSession(session: ChatSession | undefined, opts: ChatScreenOptions = {}): void {
  active = session ? { session, def: createChatScreen(session, opts) } : undefined;
}

/** The session `chatScreen` shows, for the input layer. */
export function chatSession(): ChatSession | undefined {
  return active?.session;
}

/**
 * A static ScreenDef for SCREENS (`chat: chatScreen`): draws the session given to setChatSession, or says that
 * the chat is not available (no session: demo mode, or the config could not be read).
 */
export const chatScreen: ScreenDef = {
  id: CHAT_SCREEN_ID,
  title: 'Chat',
  sources: [],
  panels(ctx) {
    if (active) return active.def.panels(ctx);
    return [{ id: 'chat.none', title: 'Chat', body: () => ({ lines: ['no chat here: the demo box has no providers.', 'Run sov without --demo, with engines or providers in', '~/.config/sov/config.yaml (see contrib/examples).'].map((l) => paint(ctx.theme, 'muted', l)) }) }];
  },
  layout(ctx, panels, draw) {
    if (active) return active.def.layout(ctx, panels, draw);
    const [p] = panels;
    return p ? draw(p, ctx.cols, ctx.rows) : [];
  },
};

/** Lines a page scroll moves. */
const PAGE = 10;

/** what the prompt takes as typing: a paste keeps its line breaks and tabs (the session strips the rest) */
const chatText = (input: string) => !/^[\u0000-\u0008\u000b-\u001f\u007f]+$/.test(input);

/**
 * The chat's text-input layer: the key map's `chat` layer and the chat screen's own bindings, by id. Returns true
 * when the key was consumed; false lets the root handler have it (esc when nothing streams leaves the screen; tab,
 * ctrl+c and unknown chords go on to the key map).
 */
export function handleChatKey(session: ChatSession, name: string, input = ''): boolean {
  const s = session.getState();
  switch (ownId(keyIn('chat', name, input, { screen: CHAT_SCREEN_ID, text: chatText }))) {
    case 'chat.send': session.send(); return true;
    case 'chat.newline': session.newline(); return true;
    case 'chat.cancel': return session.cancel();
    case 'chat.offline': session.toggleOffline(); return true;
    case 'chat.provider': session.cycleProvider(); return true;
    case 'chat.model': void session.cycleModel(); return true;
    case 'chat.regenerate': session.regenerate(); return true;
    case 'chat.copy': session.copyLastReply(); return true;
    case 'chat.clear': session.clearDraft(); return true;
    case 'chat.home': session.cursorHome(); return true;
    case 'chat.end':
      if (s.draft === '') session.scrollToBottom(); else session.cursorEnd();
      return true;
    case 'chat.backspace': session.backspace(); return true;
    case 'chat.left': session.moveCursor(-1); return true;
    case 'chat.right': session.moveCursor(1); return true;
    case 'chat.up': if (!session.cursorLine(-1)) session.scrollBy(1); return true;
    case 'chat.down': if (!session.cursorLine(1)) session.scrollBy(-1); return true;
    case 'chat.pageUp': session.scrollBy(PAGE); return true;
    case 'chat.pageDown': session.scrollBy(-PAGE); return true;
    case 'chat.type': session.insert(name === 'space' ? ' ' : input); return true;
    // tab, ctrl+c, chords it does not know: the screen's and the global keys
    default: return false;
  }
}
