/**
 * Hands the terminal to another program (the user's own `ssh`, `virsh console`) and takes it back: the cockpit
 * leaves the alternate screen and cooked-modes the TTY, the program runs in this TTY with our stdio, and when it
 * exits the cockpit re-enters and repaints every cell. spawnSync keeps Node from reading the keys meant for the
 * program; sampling resumes (and catches up) when it returns. The program is the user's session: it has no
 * deadline of ours, and it is in the terminal's foreground group, so its ctrl+c is its own.
 */
import { spawnSync } from 'node:child_process';
import { ENTER_SEQUENCE, LEAVE_SEQUENCE } from './lifecycle.js';

export interface HandOffDeps {
  writer: { pause(): void; resume(): void };
  out: { write(data: string): unknown };
  stdin?: { isTTY?: boolean; isRaw?: boolean; setRawMode?(mode: boolean): unknown };
  /** injectable for tests */
  spawn?: typeof spawnSync;
  env?: NodeJS.ProcessEnv;
}

export interface HandOffResult {
  /** the program's exit code; null when it was killed by a signal or never ran */
  code: number | null;
  signal?: string;
  error?: string;
}

export function handOff(argv: string[], d: HandOffDeps): HandOffResult {
  const [file, ...args] = argv;
  if (!file) return { code: null, error: 'nothing to run' };
  const raw = d.stdin?.isTTY === true && d.stdin.isRaw === true;
  d.writer.pause();
  try { d.out.write(LEAVE_SEQUENCE); } catch {}
  try { if (raw) d.stdin?.setRawMode?.(false); } catch {}
  let r: ReturnType<typeof spawnSync>;
  try {
    r = (d.spawn ?? spawnSync)(file, args, { stdio: 'inherit', env: d.env ?? process.env });
  } finally {
    try { if (raw) d.stdin?.setRawMode?.(true); } catch {}
    try { d.out.write(ENTER_SEQUENCE); } catch {}
    d.writer.resume();
  }
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err) return { code: null, error: err.code === 'ENOENT' ? `${file} not found on PATH` : err.message };
  return { code: r.status, ...(r.signal ? { signal: r.signal } : {}) };
}
