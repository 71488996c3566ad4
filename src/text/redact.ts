/**
 * THE redaction: the API keys sov holds (every `Secret` registers its value here when it is made) and any
 * `Authorization` header value or `Bearer` token are replaced by "[redacted]" in everything sov prints or writes:
 * model output (a provider may echo the request's headers), error bodies, stderr, `--json`, transcripts.
 * `redact` works on whole texts; `StreamRedactor` on a stream of pieces, holding back a piece's end while it could
 * be the start of a secret or of an unfinished header value, so a key split across two pieces never gets out.
 */

export const REDACTED = '[redacted]';
/** shorter values are not registered (they would redact ordinary words) */
const MIN_SECRET_CHARS = 6;
const secrets = new Set<string>();
let longest = 0;

/** Registers a secret's value: from now on it is redacted everywhere. */
export function registerSecret(value: string): void {
  const v = value.trim();
  if (v.length < MIN_SECRET_CHARS || secrets.has(v)) return;
  secrets.add(v);
  longest = Math.max(longest, v.length);
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  secrets.clear();
  longest = 0;
}

const KEYWORDS = /authorization|bearer|api[-_]?key/i;
// `Authorization: Bearer X`, `"authorization":"Basic X"`, `authorization=X`; `Bearer X`; `x-api-key: X`, `api_key=X`
const HEADER_VALUE = /((?:proxy-)?authorization|x-api-key|api[-_]?key)(["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;&]+/gi;
const BEARER = /\b(bearer)(\s+)(?!\[redacted\])[A-Za-z0-9._~+/=-]{6,}/gi;

/** The text with every registered secret and every Authorization/Bearer/API-key value replaced by [redacted]. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  if (KEYWORDS.test(out)) {
    out = out
      .replace(HEADER_VALUE, (m, name: string, sep: string, scheme: string | undefined) => (m.endsWith(REDACTED) ? m : `${name}${sep}${scheme ? `${scheme} ` : ''}${REDACTED}`))
      .replace(BEARER, `$1$2${REDACTED}`);
  }
  return out;
}

/** the longest a stream may hold back (a value that never ends is let out, redacted, past this) */
const MAX_HOLD_CHARS = 4096;
const WORDS = ['authorization', 'proxy-authorization', 'bearer', 'x-api-key', 'api-key', 'api_key', 'apikey'];
const UNFINISHED = /(?:authorization|bearer|api[-_]?key)["']?\s*[:=]?\s*["']?(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;&]*$/i;

/** Where the unsafe end of `s` starts: a prefix of a secret or keyword, or a header value not yet ended. */
function holdFrom(s: string): number {
  let at = s.length;
  const u = UNFINISHED.exec(s);
  if (u) at = u.index;
  const window = Math.max(longest, 20);
  for (let i = Math.max(0, s.length - window); i < at; i++) {
    const tail = s.slice(i);
    const low = tail.toLowerCase();
    const wordStart = i === 0 || !/[A-Za-z0-9_-]/.test(s[i - 1]!);
    if ((wordStart && WORDS.some((w) => w.startsWith(low))) || [...secrets].some((x) => x.startsWith(tail))) { at = i; break; }
  }
  return Math.max(at, s.length - MAX_HOLD_CHARS);
}

/** Redacts a stream piece by piece; call `end()` for what is held back. */
export class StreamRedactor {
  private held = '';
  push(piece: string): string {
    const s = this.held + piece;
    const at = holdFrom(s);
    this.held = s.slice(at);
    return redact(s.slice(0, at));
  }
  end(): string {
    const rest = redact(this.held);
    this.held = '';
    return rest;
  }
}
