/**
 * httpGet's body bound on a real loopback server: an endless body is read up to MAX_BODY and the connection is
 * dropped (the memory stays bounded); a short body comes back whole.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, MAX_BODY } from '../../src/daemon/probes.js';

let server: Server;
let port = 0;
let endlessClosed = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers
    if (req.url === '/moved') { res.writeHead(302, { location: '/health' }); res.end(); return; }
    if (req.url === '/endless') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => { while (!res.destroyed && res.write(chunk)); };
      res.on('drain', pump);
      res.on('close', () => { endlessClosed = true; });
      pump();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

describe('httpGet body bound', () => {
  it('an endless body: MAX_BODY bytes come back, the connection is closed, well before the timeout', async () => {
    const t0 = Date.now();
    const r = await httpGet(`http://127.0.0.1:${port}/endless`, 20_000);
    expect('error' in r).toBe(false);
    if ('error' in r) return;
    expect(r.body.length).toBe(MAX_BODY);
    expect(Date.now() - t0).toBeLessThan(15_000);
    for (let i = 0; i < 50 && !endlessClosed; i++) await new Promise((res) => setTimeout(res, 20));
    expect(endlessClosed).toBe(true);
  });

  it('a short body comes back whole with its content type', async () => {
    const r = await httpGet(`http://127.0.0.1:${port}/health`, 5000);
    expect(r).toEqual({ status: 200, body: '{"status":"ok"}', contentType: 'application/json' });
  });

  it('a 3xx is its status (no redirect followed); a refused port and a server that never answers say so, within the deadline', async () => {
    expect(await httpGet(`http://127.0.0.1:${port}/moved`, 5000)).toMatchObject({ status: 302, body: '' });
    const refused = await httpGet('http://127.0.0.1:1/health', 5000);
    expect(refused).toEqual({ error: expect.stringMatching(/^ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:1$/) });
    const t0 = Date.now();
    expect(await httpGet(`http://127.0.0.1:${port}/hang`, 300)).toEqual({ error: 'no answer within 0.3 s' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await httpGet('ftp://127.0.0.1/x', 300)).toEqual({ error: 'not http(s): ftp://127.0.0.1/x' });
  });
});
