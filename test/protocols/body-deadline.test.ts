// A response whose body never ends (headers sent, then silence) on a real loopback server: streamChat and
// listModels come back within their deadline, an abort ends them at once, and the socket is closed, not drained.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listModels, streamChat } from '../../src/protocols/openai-client.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
let closedByClient = 0;

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  closedByClient = 0;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** answers `status` with the start of a body, then sends nothing more and never ends it */
async function hangingServer(status: number, first: string, more?: (res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.write(first);
    more?.(res);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => { closedByClient++; sockets.delete(s); }); });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return `http://127.0.0.1:${addr.port}/v1`;
}

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('a body that never ends', () => {
  it('streamChat: a 500 whose body never ends returns within the deadline as the http error, the socket closed', async () => {
    const baseUrl = await hangingServer(500, '{"error":{"message":"overloaded');
    const t0 = performance.now();
    const r = await streamChat({ baseUrl, messages, firstTokenTimeoutMs: 300 });
    const tookMs = performance.now() - t0;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('http-5xx');
    expect(r.error.status).toBe(500);
    expect(tookMs).toBeLessThan(3000);
    await expect.poll(() => closedByClient).toBe(1);
  });

  it('streamChat: an abort while the error body hangs is cancelled at once', async () => {
    const baseUrl = await hangingServer(503, '{');
    const ac = new AbortController();
    const p = streamChat({ baseUrl, messages, firstTokenTimeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 150);
    const t0 = performance.now();
    const r = await p;
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('cancelled');
  });

  it('listModels: a 200 whose list never ends is cut at the deadline with a reason', async () => {
    const baseUrl = await hangingServer(200, '{"data":[{"id":"a"},');
    const t0 = performance.now();
    const r = await listModels({ baseUrl, timeoutMs: 300 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('cut');
    expect(r.error.message).toMatch(/did not end within 300 ms/);
    await expect.poll(() => closedByClient).toBe(1);
  });

  it('listModels: a 500 that never ends returns the http error within the deadline; an abort cancels', async () => {
    const baseUrl = await hangingServer(500, '{"error":"busy"');
    const r = await listModels({ baseUrl, timeoutMs: 300 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('http-5xx');
    const ac = new AbortController();
    const p = listModels({ baseUrl, timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 150);
    const a = await p;
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.error.kind).toBe('cancelled');
  });

  it('a body past its cap closes the socket instead of draining it', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const baseUrl = await hangingServer(500, '{"error":"', (res) => {
      const t = setInterval(() => { if (!res.write(chunk)) return; }, 5);
      res.on('close', () => clearInterval(t));
    });
    const r = await streamChat({ baseUrl, messages, firstTokenTimeoutMs: 60_000 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('http-5xx');
    await expect.poll(() => closedByClient).toBe(1);
  });
});
