/**
 * Reading engine logs, and the rotation of engines that log straight to their file.
 *
 * Engines started by this sov write through their log relay (src/daemon/relay.ts), which rotates by rename at an
 * exact size; everything below about copytruncate applies only to an engine adopted from an older sov, still
 * holding an O_APPEND descriptor on its file.
 *
 * An engine's stdout and stderr are ONE file descriptor opened O_APPEND on `<logDir>/<engine>.log`, handed to the
 * child at spawn: no pipe runs through the daemon, so the daemon can die, be killed -9 or be replaced while the
 * engine keeps writing (a pipe would SIGPIPE the engine, or block it once full). The file is the source of truth.
 *
 * Rotation (by the supervisor, on a ~1 s timer and before reading logs) is copytruncate, because the engine holds
 * its descriptor for life and cannot be told to reopen:
 *   1. shift `.1 → .2 … → .keep` (the oldest is dropped),
 *   2. copy the live file into `.1`, then keep copying what arrived meanwhile until a read finds nothing new,
 *   3. truncate the live file to 0 in the very next system call; the engine's O_APPEND writes go on at the new end.
 * What the engine writes between the final empty read and the truncate is lost: that is the whole loss window of
 * copytruncate, shrunk to its last instant (two back-to-back syscalls; but if the daemon is descheduled between
 * them, a fast writer can lose a millisecond of output — measured: hundreds of lines at 50k lines/s).
 * To close the window, the caller may pass `pause` (the supervisor does, for engines it runs): it freezes the
 * writers (SIGSTOP to the engine's process group, waiting until every thread is stopped, a few ms at most) only
 * around step 2's final catch-up read and the truncate, then resumes them (SIGCONT). With it nothing is lost.
 * Lines are never duplicated, and concatenating `.keep … .1, live` gives the output in order.
 *
 * Readers (tail, search) read backwards in chunks and never hold a whole big file in memory; a single line is
 * capped at MAX_LINE_BYTES. Nothing is stripped here: the viewer strips control sequences.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeLine, MAX_LINE_BYTES } from './follow.js';

// following a log (logs -f, the cockpit's view) lives in follow.ts
export { follow, LogFollower, MAX_LINE_BYTES, type Follower, type FollowOptions } from './follow.js';

/** engines.logs bounds: lines per request, bytes of lines per answer, bytes a search looks at */
export const MAX_LOG_LINES = 10_000;
export const MAX_RESPONSE_BYTES = 1024 * 1024;
export const MAX_SEARCH_SCAN_BYTES = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;

export interface RotateOptions {
  maxBytes: number;
  /** rotated files kept: `.1` … `.keep` */
  keep: number;
  /** freeze the writers for the final catch-up + truncate; returns the resume function (see the header) */
  pause?: () => Promise<(() => void) | undefined>;
}

/** The live file then its rotated copies, newest first: [file, file.1, … file.keep]. */
export function logFiles(file: string, keep: number): string[] {
  const out = [file];
  for (let i = 1; i <= keep; i++) out.push(`${file}.${i}`);
  return out;
}

/** An O_APPEND descriptor for a child's stdout+stderr (the caller closes its copy once the child has it). */
export function openLogFd(file: string): number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return openSync(file, 'a', 0o640);
}

/** Append one line (supervisor markers: "--- sov: started …"); never throws. */
export function appendLine(file: string, line: string): void {
  try {
    const fd = openLogFd(file);
    try {
      writeSync(fd, `${line}\n`);
    } finally {
      closeSync(fd);
    }
  } catch {}
}

const rotating = new Map<string, Promise<boolean>>();

/** Rotate `file` when it has reached maxBytes (see the header); true when it did. One rotation per file at a time. */
export function rotateIfNeeded(file: string, opts: RotateOptions): Promise<boolean> {
  const cur = rotating.get(file);
  if (cur) return cur;
  const p = doRotate(file, opts).finally(() => rotating.delete(file));
  rotating.set(file, p);
  return p;
}

async function doRotate(file: string, opts: RotateOptions): Promise<boolean> {
  const keep = Math.max(1, Math.floor(opts.keep));
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return false;
  }
  if (size < opts.maxBytes) return false;
  await rm(`${file}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => undefined);
  }
  const src = await open(file, 'r+');
  try {
    const dst = await open(`${file}.1`, 'w', 0o640);
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      let pos = 0;
      // bulk copy without blocking the event loop
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        await dst.write(buf, 0, bytesRead);
        pos += bytesRead;
      }
      // catch up with what arrived meanwhile, then truncate in the very next syscall (the loss window)
      const resume = opts.pause ? await opts.pause().catch(() => undefined) : undefined;
      try {
        const sfd = src.fd;
        const dfd = dst.fd;
        for (let guard = 0; guard < 10_000; guard++) {
          const n = readSync(sfd, buf, 0, buf.length, pos);
          if (n === 0) break;
          writeSync(dfd, buf, 0, n);
          pos += n;
        }
        ftruncateSync(sfd, 0);
      } finally {
        resume?.();
      }
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// reading

/** The lines of one file, last first, read backwards in chunks (a missing file has none). */
export async function* linesBackward(file: string, maxLine = MAX_LINE_BYTES): AsyncGenerator<string> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return;
  }
  try {
    let pos = (await fh.stat()).size;
    if (pos === 0) return;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, pos - 1);
    if (last[0] === 0x0a) pos--; // the final newline ends the last line, it does not start an empty one
    // pieces of the line being assembled, earliest first; only its first maxLine bytes are kept
    let carry: Buffer[] = [];
    let carryLen = 0;
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      let end = len;
      for (let i = len - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) continue;
        yield decodeLine([buf.subarray(i + 1, end), ...carry], maxLine);
        carry = [];
        carryLen = 0;
        end = i;
      }
      if (end > 0) {
        carry.unshift(buf.subarray(0, end));
        carryLen += end;
        while (carry.length > 1 && carryLen - carry[carry.length - 1]!.length >= maxLine) {
          carryLen -= carry.pop()!.length;
        }
      }
    }
    yield decodeLine(carry, maxLine);
  } finally {
    await fh.close();
  }
}

/** The last `n` lines across files given newest first ([live, .1, .2 …]), in order (oldest first). */
export async function tailLines(files: string | string[], n: number): Promise<string[]> {
  const list = typeof files === 'string' ? [files] : files;
  const out: string[] = [];
  if (n <= 0) return out;
  outer: for (const f of list) {
    for await (const line of linesBackward(f)) {
      out.push(line);
      if (out.length >= n) break outer;
    }
  }
  return out.reverse();
}

/** The last `n` lines, stopping once their bytes would pass `maxBytes` (then `truncated` says so). */
export async function tailBounded(files: string[], n: number, maxBytes: number): Promise<{ lines: string[]; truncated?: string }> {
  const out: string[] = [];
  let bytes = 0;
  let truncated: string | undefined;
  outer: for (const f of files) {
    for await (const line of linesBackward(f)) {
      if (out.length >= n) break outer;
      bytes += Buffer.byteLength(line) + 1;
      if (bytes > maxBytes) { truncated = `${out.length} lines: the answer is capped at ${maxBytes} bytes`; break outer; }
      out.push(line);
    }
  }
  return truncated ? { lines: out.reverse(), truncated } : { lines: out.reverse() };
}

/** The newest of `lines` (oldest first) whose bytes fit `maxBytes`, counted newest first like tailBounded. Pure. */
export function boundNewest(lines: string[], maxBytes: number): { lines: string[]; truncated?: string } {
  let bytes = 0;
  let i = lines.length;
  while (i > 0) {
    const b = Buffer.byteLength(lines[i - 1]!) + 1;
    if (bytes + b > maxBytes) break;
    bytes += b;
    i--;
  }
  if (i === 0) return { lines };
  return { lines: lines.slice(i), truncated: `${lines.length - i} lines: the answer is capped at ${maxBytes} bytes` };
}

export interface SearchResult {
  /** the newest `limit` matching lines, oldest first */
  lines: string[];
  /** lines that matched (all of them, not only those returned) */
  matched: number;
  /** lines looked at */
  scanned: number;
  /** the answer or the scan hit a bound: why */
  truncated?: string;
}

/** Lines containing `needle` (case-insensitive) across files given newest first. */
export async function searchLines(
  files: string | string[], needle: string, limit: number, maxBytes = Number.POSITIVE_INFINITY, maxScanBytes = MAX_SEARCH_SCAN_BYTES,
): Promise<SearchResult> {
  const list = typeof files === 'string' ? [files] : files;
  const want = needle.toLowerCase();
  const lines: string[] = [];
  let matched = 0;
  let scanned = 0;
  let scannedBytes = 0;
  let bytes = 0;
  let truncated: string | undefined;
  outer: for (const f of list) {
    for await (const line of linesBackward(f)) {
      scanned++;
      scannedBytes += line.length + 1;
      if (scannedBytes > maxScanBytes) { truncated = `searched the newest ${maxScanBytes} bytes only`; break outer; }
      if (!line.toLowerCase().includes(want)) continue;
      matched++;
      if (lines.length < limit) {
        bytes += Buffer.byteLength(line) + 1;
        if (bytes > maxBytes) truncated ??= `the answer is capped at ${maxBytes} bytes`;
        else lines.push(line);
      }
    }
  }
  return { lines: lines.reverse(), matched, scanned, ...(truncated ? { truncated } : {}) };
}
