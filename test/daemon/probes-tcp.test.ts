import { existsSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHealth, probeTcp, tcpTarget } from '../../src/daemon/probes.js';

const listen = (s: Server, backlog?: number) => new Promise<number>((r) => s.listen({ port: 0, host: '127.0.0.1', ...(backlog !== undefined ? { backlog } : {}) }, () => r((s.address() as { port: number }).port)));
const closed = async (): Promise<number> => { const s = createServer(); const p = await listen(s); await new Promise((r) => s.close(r)); return p; };

describe('tcp probe (real loopback sockets)', () => {
  const servers: Server[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    // only what this test started, by pid
    for (const c of children.splice(0)) if (c.pid !== undefined && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch {} }
  });

  it('a listening port is ready', async () => {
    const s = createServer((c) => c.destroy());
    servers.push(s);
    const port = await listen(s);
    expect(await probeTcp('127.0.0.1', port, 1000)).toMatchObject({ state: 'ready' });
    expect(await probeHealth(`tcp://127.0.0.1:${port}`, 'tcp', 1000)).toMatchObject({ state: 'ready' });
  });

  it('a closed port is down: connection refused, naming where', async () => {
    const port = await closed();
    expect(await probeTcp('127.0.0.1', port, 1000)).toMatchObject({ state: 'down', message: `connection refused (127.0.0.1:${port})` });
  });

  it.runIf(existsSync('/usr/bin/python3'))('a listener that never accepts (its backlog full): down after the timeout, within the deadline', async () => {
    // Node always accepts; a python socket that listens with backlog 0 and never calls accept() does not. Once its
    // accept queue holds what it can, the kernel drops further SYNs: the connect neither succeeds nor is refused
    const py = spawn('/usr/bin/python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(py);
    const port = await new Promise<number>((r) => py.stdout!.once('data', (b: Buffer) => r(Number(String(b).trim()))));
    const held: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const c = connect(port, '127.0.0.1');
      c.on('error', () => {});
      held.push(c);
    }
    await new Promise((r) => setTimeout(r, 200));
    try {
      const t0 = Date.now();
      const h = await probeTcp('127.0.0.1', port, 500);
      const took = Date.now() - t0;
      expect(h).toMatchObject({ state: 'down', message: `no connection within 0.5 s (127.0.0.1:${port})` });
      expect(took).toBeGreaterThanOrEqual(450);
      expect(took).toBeLessThan(3000);
    } finally {
      for (const c of held) c.destroy();
    }
  });

  it('the target of a probe URL', () => {
    expect(tcpTarget('tcp://127.0.0.1:8000')).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(tcpTarget('tcp://[::1]:22')).toEqual({ host: '::1', port: 22 });
    expect(tcpTarget('http://h/')).toEqual({ host: 'h', port: 80 });
    expect(tcpTarget('tcp://h')).toBeUndefined();
  });
});
