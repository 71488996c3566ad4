/**
 * Supervised SSH tunnels with real parts: a real sshd on 127.0.0.1 (test/helpers/sshd.ts: throwaway host and user
 * keys, its own known_hosts, host-key checking on), a real HTTP server on loopback, the built `sov` and its real
 * daemon, whose tunnel supervisor runs `ssh -N -L …` with the test's ssh_config (-F). Proves: the tunnel comes up
 * with the daemon and answers HTTP; its ssh killed → restarted (restarts 1, healthy); it outlives the daemon and is
 * re-adopted; sshd down → backoff; sshd back on the same port → healthy again with no command. Ends only what it
 * started, by pid. Loopback only.
 */
import { createServer, get, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, type TunnelStatus } from '../../src/daemon/types.js';
import { freePort, gone, runSov as sov, SOV } from '../helpers/proc.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpText(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 2000 }, (res) => { let b = ''; res.on('data', (c) => { b += String(c); }); res.on('end', () => resolve(b)); });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => { req.destroy(); resolve(undefined); });
  });
}

const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; } };
const pgid = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[2]);

describe.runIf(haveSshd() && existsSync(SOV))('sov tunnels through a real sshd', () => {
  let sshd: Sshd;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let http: Server;
  let httpPort: number;
  let local: number;
  const sshPids = new Set<number>();
  const daemonPids = new Set<number>();

  const list = async (): Promise<TunnelStatus[]> => {
    const r = await sov(['tunnels', 'ls', '--json'], env);
    if (r.code !== 0) throw new Error(`tunnels ls exited ${r.code}: ${r.stderr}`);
    const ts = JSON.parse(r.stdout) as TunnelStatus[];
    for (const t of ts) if (t.pid !== undefined) sshPids.add(t.pid);
    return ts;
  };
  /** the tunnel once `ok` says so; every state seen on the way */
  const until = async (ok: (t: TunnelStatus) => boolean, what: string, ms = 30_000) => {
    const seen: string[] = [];
    const end = Date.now() + ms;
    for (;;) {
      const t = (await list()).find((x) => x.name === 'bridge')!;
      if (seen[seen.length - 1] !== t.state) seen.push(t.state);
      if (ok(t)) return { t, seen };
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; states seen: ${seen.join(' → ')}; last ${JSON.stringify(t)}`);
      await sleep(150);
    }
  };

  beforeAll(async () => {
    sshd = await startSshd('tunbox');
    // the far box's engine: an OpenAI-compatible chat stream on POST, a greeting on anything else
    http = createServer((q, res) => {
      if (q.method !== 'POST' || q.url !== '/v1/chat/completions') { res.end('hello through the tunnel\n'); return; }
      q.resume();
      q.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of ['far ', 'box ', 'says hi']) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
        res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
      });
    });
    httpPort = await new Promise<number>((r) => http.listen(0, '127.0.0.1', () => r((http.address() as { port: number }).port)));
    local = await freePort();
    dir = mkdtempSync('/tmp/sovt-');
    env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
    delete env.SOV_RUNTIME_DIR;
    delete env.SOV_STATE_DIR;
    delete env.NODE_OPTIONS;
    mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
    writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), `tunnels:
  - name: bridge
    ssh: tunbox
    sshConfig: ${join(sshd.dir, 'ssh_config')}
    local: [{ port: ${local}, to: "127.0.0.1:${httpPort}" }]
    probeIntervalSec: 0.3
    probeTimeoutSec: 1
    serverAliveIntervalSec: 1
    serverAliveCountMax: 2
    connectTimeoutSec: 3
    backoff: { initialSec: 0.5, factor: 2, maxSec: 2 }
    crashloop: { failures: 50, withinMin: 10 }
providers:
  - name: far
    tunnel: bridge
    model: far-model
`);
  });

  afterAll(async () => {
    if (env) {
      const info = await sov(['daemon', 'status', '--json'], env).catch(() => undefined);
      try { const pid = (JSON.parse(info?.stdout ?? '{}') as { pid?: number }).pid; if (pid) daemonPids.add(pid); } catch {}
      await sov(['daemon', 'stop'], env).catch(() => undefined);
    }
    // only what this test started, by pid, while it still runs what we started (pids get reused)
    const cfg = sshd ? join(sshd.dir, 'ssh_config') : '';
    for (const pid of sshPids) if (cmdline(pid).includes(cfg)) { try { process.kill(pid, 'SIGTERM'); } catch {} }
    for (const pid of daemonPids) if (cmdline(pid).includes(SOV)) { try { process.kill(pid, 'SIGTERM'); } catch {} }
    await sshd?.down();
    sshd?.stop();
    await new Promise((r) => (http ? http.close(r) : r(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('comes up with the daemon (autostart): healthy, its probe ready, HTTP answers through it; ssh in its own group with the argv', async () => {
    const { t } = await until((x) => x.state === 'healthy', 'the tunnel healthy');
    expect(t).toMatchObject({ restarts: 0, health: { state: 'ready' }, forwards: [`${local}→127.0.0.1:${httpPort}`], via: 'tunbox', probe: `tcp 127.0.0.1:${local}` });
    expect(await httpText(`http://127.0.0.1:${local}/`)).toBe('hello through the tunnel\n');
    const argv = cmdline(t.pid!);
    expect(argv.slice(0, 4)).toEqual(['ssh', '-F', join(sshd.dir, 'ssh_config'), '-N']);
    expect(argv).toEqual(expect.arrayContaining(['ExitOnForwardFailure=yes', 'ServerAliveInterval=1', 'BatchMode=yes', '-L', `127.0.0.1:${local}:127.0.0.1:${httpPort}`, 'tunbox']));
    expect(pgid(t.pid!)).toBe(t.pid);
    // its own state dir and log dir, beside the engines'
    expect(existsSync(join(dir, 'state', 'sov', 'tunnels', 'engines.json'))).toBe(true);
    expect(existsSync(join(dir, 'state', 'sov', 'logs', 'tunnels', 'bridge.log'))).toBe(true);
    const table = await sov(['tunnels', 'ls'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^bridge\\s+healthy\\s+${t.pid}\\s+\\S+\\s+0\\s+${local}→127\\.0\\.0\\.1:${httpPort}\\s+tunbox\\s+ready`, 'm'));
  });

  it('a chat provider that names the tunnel: sov chat streams the far engine\'s reply through it; blackout (--offline) does not send it there', async () => {
    const r = await sov(['chat', '--provider', 'far', '--no-save', '--json', 'hello?'], env);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; text?: string; provider?: string; loopback?: boolean });
    expect(events.filter((e) => e.type === 'token').map((e) => e.text).join('')).toBe('far box says hi');
    expect(events.find((e) => e.type === 'done')).toMatchObject({ provider: 'far', model: 'far-model' });
    const off = await sov(['chat', '--provider', 'far', '--no-save', '--offline', 'hello?'], env);
    expect(off.code).toBe(3);
    expect(off.stderr).toMatch(/far: blackout/);
  });

  it('its ssh killed → restarted by the daemon (restarts 1, a new pid, healthy), HTTP answers again', async () => {
    const before = (await list()).find((x) => x.name === 'bridge')!;
    process.kill(before.pid!, 'SIGKILL');
    const { t } = await until((x) => x.state === 'healthy' && x.restarts === 1 && x.pid !== before.pid, 'a restarted, healthy tunnel');
    expect(t.lastExit).toMatchObject({ signal: 'SIGKILL' });
    expect(await gone([before.pid!])).toEqual([]);
    expect(await httpText(`http://127.0.0.1:${local}/`)).toBe('hello through the tunnel\n');
  });

  it('the daemon stopped: the tunnel keeps running; the next daemon re-adopts it (same pid, no restart)', async () => {
    const before = (await list()).find((x) => x.name === 'bridge')!;
    const info = JSON.parse((await sov(['daemon', 'status', '--json'], env)).stdout) as { pid: number };
    daemonPids.add(info.pid);
    expect((await sov(['daemon', 'stop'], env)).code).toBe(0);
    expect(await gone([info.pid], 10_000)).toEqual([]);
    expect(cmdline(before.pid!)).toContain('tunbox');
    expect(await httpText(`http://127.0.0.1:${local}/`)).toBe('hello through the tunnel\n');
    const { t } = await until((x) => x.state === 'healthy', 'the adopted tunnel healthy');
    expect(t.pid).toBe(before.pid);
    expect(t.restarts).toBe(before.restarts);
  });

  it('sshd down → backoff (shown, retried); sshd back on the same port → healthy again without any command', async () => {
    const before = (await list()).find((x) => x.name === 'bridge')!;
    await sshd.down();
    const down = await until((x) => x.state === 'backoff' && x.restarts >= before.restarts + 1, 'backoff after a failed retry', 30_000);
    expect(down.t.message).toMatch(/restart in [\d.]+ s \(exit 255\)/);
    expect(down.t.nextRestartAt).toBeGreaterThan(0);
    expect(await httpText(`http://127.0.0.1:${local}/`)).toBeUndefined();
    await sshd.up();
    const { t } = await until((x) => x.state === 'healthy', 'healthy again once sshd is back', 30_000);
    expect(t.restarts).toBeGreaterThan(down.t.restarts - 1);
    expect(await httpText(`http://127.0.0.1:${local}/`)).toBe('hello through the tunnel\n');
  });

  it('stop, start (waits until healthy), an unknown name: the engines\' exit codes', async () => {
    const stop = await sov(['tunnels', 'stop', 'bridge'], env);
    expect(stop.code).toBe(EXIT.ok);
    expect(stop.stdout).toMatch(/^bridge: stopped/);
    expect(await httpText(`http://127.0.0.1:${local}/`)).toBeUndefined();
    const start = await sov(['tunnels', 'start', 'bridge', '--timeout-sec', '30'], env);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(EXIT.ok);
    expect(start.stdout).toMatch(new RegExp(`^bridge: healthy \\(pid \\d+\\) after [\\d.]+ s: ${local}→127\\.0\\.0\\.1:${httpPort} via tunbox`));
    await list();
    expect(await httpText(`http://127.0.0.1:${local}/`)).toBe('hello through the tunnel\n');
    const unknown = await sov(['tunnels', 'restart', 'nope'], env);
    expect(unknown.code).toBe(EXIT.notFound);
    expect(unknown.stderr).toMatch(/no tunnel named "nope" \(known: bridge/);
    // recorded in the audit log like an engine's start and stop
    const audit = readFileSync(join(dir, 'state', 'sov', 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"action":"tunnel\.stop"/);
    expect(audit).toMatch(/"action":"tunnel\.start"/);
  });
});
