/**
 * The daemon's own event log (daemon.log): appended line by line, rotated by rename to `<file>.1` whenever the
 * next line would take it past maxBytes, at start or while running (a VM recovery's output streams into it).
 * So it never holds more than maxBytes × 2. A single line is capped at MAX_EVENT_LINE_BYTES. Never throws.
 */
import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

export const MAX_EVENT_LINE_BYTES = 16 * 1024;

export interface EventLog {
  write(line: string): void;
  close(): void;
}

export function openEventLog(file: string, maxBytes: number): EventLog {
  let fd: number | undefined;
  let sizeBytes = 0;
  const reopen = () => {
    try {
      fd = openSync(file, 'a', 0o600);
      sizeBytes = fstatSync(fd).size;
    } catch {
      fd = undefined;
    }
  };
  const rotate = () => {
    if (fd !== undefined) { try { closeSync(fd); } catch {} }
    try { renameSync(file, `${file}.1`); } catch {}
    reopen();
  };
  reopen();
  return {
    write(line: string) {
      let b = Buffer.from(line.endsWith('\n') ? line : `${line}\n`);
      if (b.length > MAX_EVENT_LINE_BYTES) b = Buffer.concat([b.subarray(0, MAX_EVENT_LINE_BYTES - 4), Buffer.from('…\n')]);
      if (fd === undefined) reopen();
      if (fd === undefined) return;
      if (sizeBytes > 0 && sizeBytes + b.length > maxBytes) rotate();
      if (fd === undefined) return;
      try {
        writeSync(fd, b);
        sizeBytes += b.length;
      } catch {}
    },
    close() {
      if (fd !== undefined) { try { closeSync(fd); } catch {} }
      fd = undefined;
    },
  };
}
