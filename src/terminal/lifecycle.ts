// Terminal lifecycle: enter the alternate screen with the cursor hidden, and put everything back exactly once,
// whatever way the process ends (quit, crash, SIGTERM, SIGHUP from a dropped SSH session, SIGINT).
import { SGR_RESET, SYNC_END } from './diff.js';

export const ALT_SCREEN_ON = '\u001b[?1049h';
export const ALT_SCREEN_OFF = '\u001b[?1049l';
export const CURSOR_HIDE = '\u001b[?25l';
export const CURSOR_SHOW = '\u001b[?25h';

/** Written when entering: alternate screen, hidden cursor, home, cleared (ESC[2J only; never ESC[3J). */
export const ENTER_SEQUENCE = `${ALT_SCREEN_ON}${CURSOR_HIDE}${SGR_RESET}\u001b[H\u001b[2J`;
/** Written when leaving: end any open synchronized update, default style, cursor shown, main screen back. */
export const LEAVE_SEQUENCE = `${SYNC_END}${SGR_RESET}${CURSOR_SHOW}${ALT_SCREEN_OFF}`;

export interface TerminalStreams {
  out: { write(data: string): unknown };
  stdin?: { isTTY?: boolean; isRaw?: boolean; setRawMode?(mode: boolean): unknown };
}

export interface TerminalSession {
  /** Enter the alternate screen (once; later calls do nothing until restore). */
  enter(): void;
  /** Leave it and put stdin back to cooked mode (once; safe to call from any exit path). */
  restore(): void;
  readonly active: boolean;
}

export function createTerminalSession({ out, stdin }: TerminalStreams): TerminalSession {
  let active = false;
  return {
    enter() {
      if (active) return;
      active = true;
      safeWrite(out, ENTER_SEQUENCE);
    },
    restore() {
      if (!active) return;
      active = false;
      safeWrite(out, LEAVE_SEQUENCE);
      try {
        if (stdin?.isTTY && stdin.isRaw && stdin.setRawMode) stdin.setRawMode(false);
      } catch {}
    },
    get active() {
      return active;
    },
  };
}

/** Writes, ignoring a terminal that is gone (EIO/EPIPE after an SSH drop). */
function safeWrite(out: TerminalStreams['out'], data: string): void {
  try {
    out.write(data);
  } catch {}
}

/** The slice of `process` the guards use (a fake in tests). */
export interface GuardedProcess extends Pick<NodeJS.EventEmitter, 'on' | 'off'> {
  exit(code?: number): void;
}

export interface GuardOptions {
  proc?: GuardedProcess;
  /** Where a crash is reported, after the terminal is restored (default: process.stderr). */
  report?: (text: string) => void;
}

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Calls `restore` exactly once when the process ends: normal exit, uncaught exception or unhandled rejection
 * (the error is printed after restoring, exit code 1), SIGTERM, SIGHUP, SIGINT (exit 128 + signal number).
 * Returns a function that removes the guards (restore is not called by it).
 */
export function installTerminalGuards(restore: () => void, opts: GuardOptions = {}): () => void {
  const proc: GuardedProcess = opts.proc ?? process;
  const report = opts.report ?? ((text: string) => safeWrite(process.stderr, text));
  let restored = false;
  const restoreOnce = () => {
    if (restored) return;
    restored = true;
    try {
      restore();
    } catch {}
  };

  const onExit = () => restoreOnce();
  const onCrash = (err: unknown) => {
    restoreOnce();
    report(`sov: ${formatError(err)}\n`);
    proc.exit(1);
  };
  const signalHandlers = Object.entries(SIGNAL_EXIT_CODES).map(([signal, code]) => {
    const handler = () => {
      restoreOnce();
      proc.exit(code);
    };
    return [signal, handler] as const;
  });

  proc.on('exit', onExit);
  proc.on('uncaughtException', onCrash);
  proc.on('unhandledRejection', onCrash);
  for (const [signal, handler] of signalHandlers) proc.on(signal, handler);

  return () => {
    proc.off('exit', onExit);
    proc.off('uncaughtException', onCrash);
    proc.off('unhandledRejection', onCrash);
    for (const [signal, handler] of signalHandlers) proc.off(signal, handler);
  };
}

export function formatError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
