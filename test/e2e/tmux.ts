import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
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

/** Every screen's key on the demo box, and what shows it is filled (not an "unavailable" or "no daemon" placeholder). */
export const DEMO_SCREENS: readonly (readonly [string, RegExp])[] = [
  ['1', /GPU0[\s\S]*rpool/], ['2', /pcie\s+Gen/], ['3', /ember[\s\S]*resilver/], ['4', /node3/], ['5', /Keys/],
  ['6', /healthy[\s\S]*(backoff|starting)[\s\S]*crashloop/], ['7', /Prompt/], ['8', /script\.pcie-recheck/], ['9', /FAIL/], ['0', /green-1/],
];

export interface Demo {
  t: Tmux;
  /** the demo's TMPDIR: its state dir (audit log, tripcode key) is demoStateDir({ TMPDIR: tmp }) */
  tmp: string;
  /** the first screen that showed GPU0 and rpool */
  first: string;
  /** ends the tmux server and removes tmp */
  close(): void;
}

/**
 * `sov --demo` in a fresh cols×rows tmux pane with a private TMPDIR, once the overview shows GPU0 and rpool.
 * `shell`: typed before `node` (`TERM=linux `, `cd DIR && `); `flags`: after `--demo`; `env`: the pane's environment.
 * When the overview never shows, the pane and the temp dir are gone before this rejects.
 */
export async function startDemo(cols: number, rows: number, o: { shell?: string; flags?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Demo> {
  const tmp = mkdtempSync(join(tmpdir(), 'sov-e2e-demo-'));
  const t = new Tmux().start(cols, rows, { ...o.env, TMPDIR: tmp });
  const close = () => { t.kill(); rmSync(tmp, { recursive: true, force: true }); };
  try {
    t.typeLine(`${o.shell ?? ''}node ${SOV} --demo${o.flags ?? ''}`);
    const first = await t.waitFor((s) => s.includes('GPU0') && s.includes('rpool'), o.timeoutMs ?? 20_000);
    return { t, tmp, first, close };
  } catch (e) {
    close();
    throw e;
  }
}
