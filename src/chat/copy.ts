/**
 * Plain-text copy of a reply: an OSC 52 clipboard sequence where the terminal is known to take it, and always a
 * file under the state dir (0600) as the fallback that works everywhere (over SSH, on the console, in a dumb tmux).
 * The copied text is sanitized: control sequences from the model never reach the clipboard or the terminal.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sanitize } from '../../widgets/primitives/text.js';
import { stateDir } from './transcript.js';

/** Terminals accept roughly this much base64 in one OSC 52; beyond it only the file is written. */
export const OSC52_MAX_BASE64 = 100_000;

/** `ESC ] 52 ; c ; <base64> BEL`; inside tmux (TMUX set) or screen, wrapped in their passthrough. */
export function osc52(text: string, env: NodeJS.ProcessEnv = {}): string {
  const b64 = Buffer.from(text, 'utf8').toString('base64');
  const seq = `\u001b]52;c;${b64}\u0007`;
  if (env.TMUX) return `\u001bPtmux;${seq.replace(/\u001b/g, '\u001b\u001b')}\u001b\\`;
  if ((env.TERM ?? '').startsWith('screen') && !env.TMUX) return `\u001bP${seq}\u001b\\`;
  return seq;
}

/** Whether the terminal is likely to honour OSC 52 (SOV_CLIPBOARD=osc52|file overrides). */
export function supportsOsc52(env: NodeJS.ProcessEnv): boolean {
  const force = env.SOV_CLIPBOARD;
  if (force === 'osc52') return true;
  if (force === 'file' || force === 'none') return false;
  const term = env.TERM ?? '';
  if (term === '' || term === 'dumb' || term === 'linux' || term.startsWith('vt')) return false;
  const prog = env.TERM_PROGRAM ?? '';
  if (/^(iTerm\.app|WezTerm|vscode|ghostty|tmux|Apple_Terminal)$/.test(prog)) return prog !== 'Apple_Terminal';
  if (env.KITTY_WINDOW_ID || env.ALACRITTY_SOCKET || env.WT_SESSION || env.TMUX) return true;
  return /^(xterm|tmux|screen|alacritty|foot|kitty|wezterm|rxvt|st-)/.test(term);
}

/** Plain text of a reply: control sequences and characters removed, newlines kept. */
export function plainText(text: string): string {
  return text.split('\n').map((l) => sanitize(l)).join('\n');
}

export interface CopyResult { osc52: boolean; file: string; bytes: number; message: string }

/**
 * Copies `text`: writes it to `<state>/clipboard.txt` (0600, atomically) and, where supported and small enough,
 * hands an OSC 52 sequence to `emit` (which the TUI writes to the terminal between frames).
 */
export function copyText(text: string, o: { env: NodeJS.ProcessEnv; emit?: (seq: string) => void; dir?: string }): CopyResult {
  const clean = plainText(text);
  const dir = o.dir ?? stateDir(o.env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'clipboard.txt');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, clean, { mode: 0o600 });
  renameSync(tmp, file);
  const bytes = Buffer.byteLength(clean);
  const b64Len = Math.ceil(bytes / 3) * 4;
  let sent = false;
  if (o.emit && supportsOsc52(o.env) && b64Len <= OSC52_MAX_BASE64) {
    try { o.emit(osc52(clean, o.env)); sent = true; } catch {}
  }
  const message = sent ? `copied ${bytes} bytes to the clipboard (OSC 52) and to ${file}` : `copied ${bytes} bytes to ${file}${b64Len > OSC52_MAX_BASE64 ? ' (too large for OSC 52)' : ' (this terminal takes no OSC 52)'}`;
  return { osc52: sent, file, bytes, message };
}
