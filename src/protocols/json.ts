/**
 * Small total helpers shared by the protocol parsers (src/protocols/*): JSON without throwing, typed field reads,
 * the error objects servers send. Internal to src/protocols.
 */
/** One printable line (the one sanitiser, blanks collapsed, length capped): src/text/sanitize.ts */
import { oneLine } from '../text/sanitize.js';
export { oneLine };

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A non-negative finite number (sizes, counts), else undefined. Accepts numeric strings ("18027008"). */
export function count(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : num(v);
  return n !== undefined && n >= 0 && Number.isFinite(n) ? n : undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 413: 'Payload Too Large', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusLabel(status: number): string {
  const t = STATUS_TEXT[status];
  return t ? `${status} ${t}` : String(status);
}

export function looksLikeHtml(body: string, contentType?: string): boolean {
  if (contentType !== undefined && /\bhtml\b/i.test(contentType)) return true;
  return /^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<title[\s>])/i.test(body);
}

export function htmlTitle(body: string): string | undefined {
  const m = /<title[^>]*>([\s\S]{0,300}?)<\/title>/i.exec(body) ?? /<h1[^>]*>([\s\S]{0,300}?)<\/h1>/i.exec(body);
  if (!m?.[1]) return undefined;
  const t = oneLine(m[1].replace(/<[^>]*>/g, ''), 120);
  return t === '' ? undefined : t;
}

/** The message inside the error objects servers send: OpenAI/llama.cpp, vLLM, FastAPI, ollama. */
export function errorMessageOf(v: unknown): { message?: string; type?: string } {
  if (typeof v === 'string') return { message: v };
  if (!isObj(v)) return {};
  const e = v.error;
  if (typeof e === 'string') return { message: e, type: str(v.type) };
  if (isObj(e)) {
    const message = str(e.message) ?? (typeof e.code === 'string' ? e.code : undefined);
    return { message, type: str(e.type) };
  }
  if (typeof v.message === 'string') return { message: v.message, type: str(v.type) };
  if (typeof v.detail === 'string') return { message: v.detail };
  if (Array.isArray(v.detail)) {
    // FastAPI validation errors: [{loc, msg, type}]
    const msgs = v.detail.map((d) => (isObj(d) ? str(d.msg) : undefined)).filter((m): m is string => m !== undefined);
    if (msgs.length > 0) return { message: msgs.join('; ') };
  }
  return {};
}

