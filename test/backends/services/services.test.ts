import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisReply, socketErrorText, targetText, timeoutText } from '../../../backends/services/parse.js';
import { createServicesSource, probeService } from '../../../backends/services/source.js';
import type { ServiceTarget } from '../../../backends/services/types.js';

const REDIS = '/usr/bin/redis-server';

/** A port that was free a moment ago (listen on 0, close). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('parse', () => {
  it('reads the answer to PING', () => {
    expect(parseRedisReply('+PONG\r\n')).toEqual({ state: 'pong' });
    expect(parseRedisReply('+PO')).toEqual({ state: 'partial' });
    expect(parseRedisReply('-NOAUTH Authentication required.\r\n')).toMatchObject({ state: 'other', message: expect.stringContaining('needs a password') });
    expect(parseRedisReply('-ERR unknown command\r\n')).toMatchObject({ state: 'other', message: 'Redis error: ERR unknown command' });
    expect(parseRedisReply('HTTP/1.1 400 Bad Request\r\n')).toMatchObject({ message: 'an HTTP server, not Redis' });
    expect(parseRedisReply('x'.repeat(600))).toMatchObject({ state: 'other' });
  });
  it('says socket errors in one line', () => {
    expect(socketErrorText(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('connection refused');
    expect(socketErrorText(Object.assign(new Error('x'), { code: 'ENOTFOUND', hostname: 'nohost' }))).toBe('cannot resolve nohost');
    expect(socketErrorText(new Error('weird\u001b[2J thing'))).toBe('weird thing');
    expect(timeoutText(3000)).toBe('timed out after 3 s');
    expect(timeoutText(250)).toBe('timed out after 250 ms');
    expect(targetText({ kind: 'tcp', host: '::1', port: 5 })).toBe('[::1]:5');
  });
});

describe('probes against real servers on loopback', () => {
  let tcp: Server;
  let silent: Server;
  let http: HttpServer;
  let tcpPort = 0, silentPort = 0, httpPort = 0, redisPort = 0;
  let redis: ChildProcess | undefined;

  const conns = new Set<import('node:net').Socket>();
  const track = (srv: Server | HttpServer) => srv.on('connection', (c: import('node:net').Socket) => { conns.add(c); c.on('close', () => conns.delete(c)); });

  beforeAll(async () => {
    tcp = createServer((s) => s.end());
    track(tcp);
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    tcpPort = (tcp.address() as AddressInfo).port;
    // accepts and never answers: a redis probe must time out
    silent = createServer(() => {});
    track(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as AddressInfo).port;
    http = createHttpServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 503, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    track(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    httpPort = (http.address() as AddressInfo).port;
    if (existsSync(REDIS)) {
      redisPort = await freePort();
      redis = spawn(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      // wait until it answers
      for (let i = 0; i < 100; i++) {
        const s = await probeService({ name: 'r', probe: { kind: 'redis', host: '127.0.0.1', port: redisPort }, timeoutSec: 1 });
        if (s.up) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  afterAll(async () => {
    if (redis?.pid && redis.exitCode === null) {
      const gone = new Promise((r) => redis!.once('exit', r));
      try { process.kill(redis.pid, 'SIGTERM'); } catch {}
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    }
    const closing = [tcp, silent, http].map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const c of conns) c.destroy();
    await Promise.all(closing);
  });

  const t = (probe: ServiceTarget['probe'], timeoutSec = 2): ServiceTarget => ({ name: 'x', probe, timeoutSec });

  it('tcp: up with a latency; a closed port is refused', async () => {
    const up = await probeService(t({ kind: 'tcp', host: '127.0.0.1', port: tcpPort }));
    expect(up).toMatchObject({ up: true, kind: 'tcp', target: `127.0.0.1:${tcpPort}` });
    expect(up.latencyMs).toBeGreaterThanOrEqual(0);
    const closed = await freePort();
    expect(await probeService(t({ kind: 'tcp', host: '127.0.0.1', port: closed }))).toMatchObject({ up: false, error: 'connection refused' });
  });

  it('http: the expected status is up, another status is down with both named', async () => {
    expect(await probeService(t({ kind: 'http', url: `http://127.0.0.1:${httpPort}/healthz`, expectStatus: 200 }))).toMatchObject({ up: true, status: 200 });
    expect(await probeService(t({ kind: 'http', url: `http://127.0.0.1:${httpPort}/other`, expectStatus: 200 }))).toMatchObject({ up: false, status: 503, error: 'HTTP 503, expected 200' });
    expect(await probeService(t({ kind: 'http', url: `http://127.0.0.1:${await freePort()}/`, expectStatus: 200 }))).toMatchObject({ up: false, error: 'connection refused' });
  });

  it('redis: a real redis-server answers PING with +PONG', async () => {
    expect(existsSync(REDIS), `${REDIS} is needed (apt install redis-server)`).toBe(true);
    const s = await probeService({ name: 'redis', probe: { kind: 'redis', host: '127.0.0.1', port: redisPort }, timeoutSec: 2 });
    expect(s).toMatchObject({ name: 'redis', up: true, kind: 'redis' });
    expect(s.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('redis: an HTTP server is not Redis; a silent server times out', async () => {
    expect(await probeService(t({ kind: 'redis', host: '127.0.0.1', port: httpPort }))).toMatchObject({ up: false, error: 'an HTTP server, not Redis' });
    const slow = await probeService(t({ kind: 'redis', host: '127.0.0.1', port: silentPort }, 0.3));
    expect(slow).toMatchObject({ up: false, error: 'timed out after 300 ms' });
  });

  it('the source probes every service in config order; none configured is unavailable', async () => {
    const src = createServicesSource([
      { name: 'redis', probe: { kind: 'redis', host: '127.0.0.1', port: redisPort }, timeoutSec: 2 },
      { name: 'web', probe: { kind: 'http', url: `http://127.0.0.1:${httpPort}/healthz`, expectStatus: 200 }, timeoutSec: 2 },
      { name: 'gone', probe: { kind: 'tcp', host: '127.0.0.1', port: await freePort() }, timeoutSec: 2 },
    ]);
    const a = await src.sample();
    expect(a.state).toBe('ok');
    if (a.state !== 'ok') return;
    expect(a.data.services.map((s) => [s.name, s.up])).toEqual([['redis', true], ['web', true], ['gone', false]]);
    expect(await createServicesSource([]).sample()).toMatchObject({ state: 'unavailable', reason: 'no services configured' });
    expect(await createServicesSource([], { none: { reason: 'the config could not be loaded', hint: 'line 3' } }).sample()).toMatchObject({ state: 'unavailable', hint: 'line 3' });
  });
});
