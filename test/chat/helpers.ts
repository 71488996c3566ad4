import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimEngine, type SimEngine, type SimEngineOptions } from '../../src/demo/engine.js';
import type { Provider } from '../../src/chat/providers.js';

const engines: SimEngine[] = [];
const servers: Server[] = [];
const dirs: string[] = [];

/** A simulated llama.cpp server on 127.0.0.1, closed by cleanup(). */
export async function sim(opts: SimEngineOptions = {}): Promise<SimEngine> {
  const e = await startSimEngine({ host: '127.0.0.1', port: 0, ...opts });
  engines.push(e);
  return e;
}

export function tempDir(prefix = 'sov-chat-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export async function cleanup(): Promise<void> {
  for (const e of engines.splice(0)) await e.close();
  for (const s of servers.splice(0)) { s.closeAllConnections(); await new Promise<void>((r) => s.close(() => r())); }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A loopback port that nothing listens on: bound, then closed. */
export async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A loopback server answering every request with `handler`. */
export async function server(handler: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void): Promise<string> {
  const s = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => handler(req, Buffer.concat(parts).toString('utf8'), res));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  servers.push(s);
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** A recording proxy in front of `target`: every request body is kept (parsed), the answer passes through. */
export async function recordingProxy(target: string): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const t = new URL(target);
  const url = await server((req, body, res) => {
    if (body !== '') { try { bodies.push(JSON.parse(body)); } catch { bodies.push(body); } }
    const up = request({ hostname: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers, agent: false }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
      ur.on('error', () => res.destroy());
      ur.on('aborted', () => res.destroy());
      ur.on('close', () => { if (!ur.complete) res.destroy(); });
    });
    up.on('error', () => res.destroy());
    up.end(body);
  });
  return { url, bodies };
}

export function local(name: string, baseUrl: string, extra: Partial<Provider> = {}): Provider {
  return { name, kind: 'engine', baseUrl: `${baseUrl}/v1`, loopback: true, model: 'sim', ...extra };
}

/**
 * A provider that streams without end: an SSE chunk of `pieceChars` characters every tick until the client hangs
 * up. `closed` resolves when the client has closed the connection; `headers` holds each request's headers.
 */
export async function endless(pieceChars = 4096, text?: (headers: IncomingMessage['headers']) => string): Promise<{ url: string; closed: Promise<void>; headers: IncomingMessage['headers'][] }> {
  let onClosed: () => void = () => {};
  const closed = new Promise<void>((r) => { onClosed = r; });
  const headers: IncomingMessage['headers'][] = [];
  const url = await server((req, _body, res) => {
    headers.push(req.headers);
    if (req.url?.endsWith('/models')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"data":[{"id":"endless"}]}'); return; }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const piece = text ? text(req.headers) : 'y'.repeat(pieceChars);
    const chunk = `data: ${JSON.stringify({ model: 'endless', choices: [{ delta: { content: piece } }] })}\n\n`;
    let stop = false;
    res.on('close', () => { stop = true; onClosed(); });
    const pump = () => { while (!stop && res.write(chunk)); if (!stop) res.once('drain', pump); };
    pump();
  });
  return { url, closed, headers };
}
