import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/samples.js';

export const SOV = join(repoRoot, 'dist', 'sov.js');
let counter = 0;

/** A private tmux server (-L) running one pane, driven like a person: send keys, read the screen. */
export class Tmux {
  readonly socket = `sov-e2e-${process.pid}-${++counter}`;
  private started = false;

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...process.env, TMUX: '' } });
  }

  /** Starts `sh` in a cols×rows pane, so a test can see what is left after sov quits. */
  start(cols: number, rows: number, env: Record<string, string> = {}): this {
    const e = Object.entries({ CI: 'false', TERM: 'xterm-256color', PS1: '$ ', ...env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.tmux('new-session', '-d', '-s', 'e2e', '-x', String(cols), '-y', String(rows), ...e, '/bin/sh');
    this.tmux('set-option', '-g', 'status', 'off');
    this.started = true;
    return this;
  }

  /** Types a line into the shell. */
  typeLine(line: string): void { this.tmux('send-keys', '-t', 'e2e', '-l', line); this.tmux('send-keys', '-t', 'e2e', 'Enter'); }
  /** Types literal text without Enter. */
  text(s: string): void { this.tmux('send-keys', '-t', 'e2e', '-l', s); }
  /** Sends tmux key names: 'q', 'Tab', 'Enter', 'Escape', 'Down'… */
  keys(...keys: string[]): void { for (const k of keys) this.tmux('send-keys', '-t', 'e2e', k); }
  screen(): string { return this.tmux('capture-pane', '-p', '-t', 'e2e'); }
  lines(): string[] { return this.screen().replace(/\n$/, '').split('\n'); }
  resize(cols: number, rows: number): void { this.tmux('resize-window', '-t', 'e2e', '-x', String(cols), '-y', String(rows)); }
  size(): { cols: number; rows: number } {
    const [c, r] = this.tmux('display-message', '-p', '-t', 'e2e', '#{pane_width} #{pane_height}').trim().split(' ').map(Number);
    return { cols: c!, rows: r! };
  }
  alternateOn(): boolean { return this.tmux('display-message', '-p', '-t', 'e2e', '#{alternate_on}').trim() === '1'; }
  panePid(): number { return Number(this.tmux('display-message', '-p', '-t', 'e2e', '#{pane_pid}').trim()); }

  async waitFor(pred: string | RegExp | ((screen: string) => boolean), timeoutMs = 10_000): Promise<string> {
    const test = typeof pred === 'function' ? pred : (s: string) => (typeof pred === 'string' ? s.includes(pred) : pred.test(s));
    const t0 = Date.now();
    let last = '';
    while (Date.now() - t0 < timeoutMs) {
      last = this.screen();
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${String(pred)}; screen was:\n${last}`);
  }

  /** Ends only this private server and what runs inside it. */
  kill(): void {
    if (!this.started) return;
    try { this.tmux('kill-server'); } catch {}
    this.started = false;
  }
}

/** A PATH with only `node` on it: nvidia-smi, zpool and numactl are all missing, as on a bare host. */
export function barePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sov-bare-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  return dir;
}
