import type { Socket } from 'node:net';

/**
 * The wire framing of the daemon's JSON-RPC: one JSON message per line. Calls `onLine` with every complete,
 * non-blank line; `onOverflow` when a peer sends more than `maxLineBytes` without a newline.
 */
export function onJsonLines(sock: Socket, onLine: (line: string) => void, opts: { maxLineBytes?: number; onOverflow?: () => void } = {}): void {
  sock.setEncoding('utf8');
  let buf = '';
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
    }
    if (opts.maxLineBytes !== undefined && buf.length > opts.maxLineBytes) { buf = ''; opts.onOverflow?.(); }
  });
}
