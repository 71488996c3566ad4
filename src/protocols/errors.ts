/**
 * One human line for a failed HTTP answer from an inference server (OpenAI/llama.cpp, vLLM/FastAPI, ollama, a
 * proxy's HTML page). Pure and total.
 */
import { errorMessageOf, looksLikeHtml, htmlTitle, oneLine, statusLabel, tryJson } from './json.js';


/**
 * One human line for a failed HTTP answer: the JSON error object's message, or what kind of body came back
 * (an HTML page, nothing, plain text).
 */
export function parseErrorBody(status: number, body: string, contentType?: string): string {
  const code = Number.isFinite(status) ? Math.trunc(status) : 0;
  const text = typeof body === 'string' ? body : '';
  if (text.trim() === '') return `the server answered ${statusLabel(code)} with an empty body`;
  if (looksLikeHtml(text, contentType)) {
    const title = htmlTitle(text);
    const base = `the server answered with an HTML page (status ${code}), not JSON`;
    return title ? `${base}: ${title}` : base;
  }
  const j = tryJson(text);
  if (j.ok) {
    const { message, type } = errorMessageOf(j.value);
    if (message !== undefined && oneLine(message) !== '') {
      const t = type && !message.includes(type) ? ` (${oneLine(type, 60)})` : '';
      return `HTTP ${code}: ${oneLine(message)}${t}`;
    }
    return `HTTP ${code}: ${oneLine(text, 200)}`;
  }
  return `HTTP ${code}: ${oneLine(text, 200)}`;
}
