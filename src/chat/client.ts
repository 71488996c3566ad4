/**
 * The chat's view of THE OpenAI streaming client (src/protocols/openai-client.ts, shared with the engine bench):
 * the chain and the CLI import it from here, plus what only the chat says (the truncation marker's words).
 */
export { guardedLookup, parseRetryAfter, type ApiKey, type ChatError, type ChatErrorKind, type ConnectAttempt, type RequestBase } from '../protocols/http.js';
export type { ChatMessage } from '../protocols/openai.js';
export {
  DEFAULT_MAX_REPLY_BYTES, listModels, streamChat, utf8Prefix, type ChatFigures, type ChatRequest, type ChatResult, type ModelsResult,
} from '../protocols/openai-client.js';

/** The reason a truncated reply carries (CLI marker, transcript, cockpit). */
export function truncatedReason(limitBytes: number): string {
  const size = limitBytes >= 1024 * 1024 ? `${+(limitBytes / 1024 / 1024).toFixed(1)} MiB` : limitBytes >= 1024 ? `${+(limitBytes / 1024).toFixed(1)} KiB` : `${limitBytes} bytes`;
  return `truncated: the reply reached ${size}, the bound set by chat.maxReplyBytes`;
}
