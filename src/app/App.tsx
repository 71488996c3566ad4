import { useInput } from 'ink';
import { useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import type { Store } from '../store/store.js';
import { composeFrame } from './frame.js';
import { handleKey, keyName, type Controller } from './input.js';
import { chatSession } from '../../screens/chat.js';
import type { ChatSession } from '../chat/session.js';

const noSession = { subscribe: () => () => {}, getState: () => undefined };

export interface AppProps {
  store: Store;
  controller: Omit<Controller, 'panels' | 'pageSize'>;
  intervalMs: number;
  /** hands each composed frame to the terminal writer (src/terminal/writer.ts), which sends only changed cells */
  present(frame: string): void;
}

/**
 * The React root, run by Ink (input, raw mode, the render loop, resize). It re-renders once per store change (one
 * per data tick or key press) and composes the frame as styled lines, which it hands straight to our terminal
 * writer: Ink's own output path would tokenise and rebuild every character of every frame (docs/decisions.md).
 */
export function App({ store, controller, intervalMs, present }: AppProps) {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  // a reply streaming in the background must not redraw another screen 20 times a second
  const chat: ChatSession | typeof noSession = (state.ui.screen === 'chat' ? chatSession() : undefined) ?? noSession;
  useSyncExternalStore(chat.subscribe, chat.getState);
  const frame = composeFrame(state, controller.now(), intervalMs);
  const last = useRef(frame);
  last.current = frame;
  useInput((input, key) => {
    const latest = last.current;
    handleKey(store, { ...controller, panels: () => latest.panels, pageSize: () => latest.focusInnerH }, keyName(input, key), input);
  });
  const text = frame.lines.join('\n');
  useLayoutEffect(() => { present(text); }, [present, text]);
  return null;
}
