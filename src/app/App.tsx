import { Box, Text, useInput } from 'ink';
import { useRef, useSyncExternalStore } from 'react';
import type { Store } from '../store/store.js';
import { composeFrame } from './frame.js';
import { handleKey, keyName, type Controller } from './input.js';
import { chatKeyName, chatSession } from '../../screens/chat.js';
import type { ChatSession } from '../chat/session.js';

const noSession = { subscribe: () => () => {}, getState: () => undefined };

export interface AppProps {
  store: Store;
  controller: Omit<Controller, 'panels' | 'pageSize'>;
  intervalMs: number;
}

/**
 * The Ink root. The frame is composed as plain styled lines (one <Text>), so Ink's per-node layout cost stays
 * tiny; it renders once per store change, and the store changes once per data tick or key press.
 */
export function App({ store, controller, intervalMs }: AppProps) {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  const chat: ChatSession | typeof noSession = chatSession() ?? noSession;
  useSyncExternalStore(chat.subscribe, chat.getState);
  const frame = composeFrame(state, controller.now(), intervalMs);
  const last = useRef(frame);
  last.current = frame;
  useInput((input, key) => {
    const latest = last.current;
    handleKey(store, { ...controller, panels: () => latest.panels, pageSize: () => latest.focusInnerH }, state.ui.screen === 'chat' ? chatKeyName(input, key) : keyName(input, key), input);
  });
  return (
    <Box flexDirection="column" width={state.term.cols} height={state.term.rows}>
      <Text wrap="truncate-end">{frame.lines.join('\n')}</Text>
    </Box>
  );
}
