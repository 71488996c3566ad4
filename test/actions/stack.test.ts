/**
 * stack.restart and stack.phoenix against a REAL daemon (in-process, the real supervisor) whose engines are real
 * processes: small HTTP servers on loopback with a /health the daemon probes, and one that exits at once. Phoenix's
 * compose step goes through the local runner to a `docker` PATH shim that fails loudly on any argv it does not
 * know. Every engine process is stopped through the daemon, then killed by pid if anything is left.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stackPhoenix, stackRestart, summary } from '../../src/actions/stack.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { loadConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/demo/config.js';
import { connectDaemon, type DaemonClient, type DaemonLink } from '../../src/daemon/client.js';
import { resolvePaths, type SovPaths } from '../../src/daemon/paths.js';
import { startDaemon, type DaemonServer } from '../../src/daemon/server.js';
import { createAuthority } from '../../src/recovery/authority.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';
import { createLocalRunner } from '../../src/runner/local.js';

let dir = '';
let paths: SovPaths;
let server: DaemonServer | undefined;
let client: DaemonClient | undefined;
const pids = new Set<number>();

const freePort = () => new Promise<number>((res, rej) => {
  const s = createServer();
  s.once('error', rej);
  s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => res(typeof a === 'object' && a ? a.port : 0)); });
});

const httpEngine = (name: string, port: number) => `  - name: ${name}
    kind: process
    argv: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(`require('http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`)}]
    port: ${port}
    health: { url: "http://127.0.0.1:${port}/health", intervalSec: 1 }
    startupGraceSec: 10
    restart: never
`;
const dyingEngine = (name: string) => `  - name: ${name}
    kind: process
    argv: [${JSON.stringify(process.execPath)}, -e, "process.exit(3)"]
    startupGraceSec: 5
    restart: never
`;

function linkOf(c: DaemonClient): DaemonLink {
  let state: DaemonLink['state'] = 'up';
  c.onClose(() => { state = 'down'; });
  return { get state() { return state; }, since: Date.now(), paths: c.paths, call: (m, p, o) => c.call(m, p, o), onChange: () => () => {}, reconnectNow() {}, close: () => c.close() };
}

async function boot(yaml: string) {
  writeFileSync(paths.configPath, yaml);
  const cfg = await loadConfig(paths.configPath);
  if (!cfg.ok) throw new Error(JSON.stringify(cfg));
  server = await startDaemon({ paths, probeIntervalMs: 200 });
  client = await connectDaemon({ paths });
  const link = linkOf(client);
  const stateDir = join(dir, 'audit');
  const recovery = createAuthority({ stateDir });
  const lines: string[] = [];
  const bin = join(dir, 'bin');
  const runner = createLocalRunner({ env: { PATH: `${bin}:/usr/bin:/bin` } });
  const ctx: ActionCtx = { readOnly: false, setLogs: () => {}, runner, host: 'local', link, recovery, config: cfg.config, who: { uid: 0, user: 'op', via: 'cli' }, output: (l) => lines.push(l) };
  const key = () => { const k = readKey(join(stateDir, 'tripcode.key')); if (!k.ok) throw new Error(k.reason); return k.key; };
  const list = async () => { const l = await link.call('engines.list', {}); for (const e of l) for (const p of e.pids) pids.add(p); return l; };
  return { ctx, lines, link, key, list };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), `sov-stack-${process.pid}-`));
  const env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  mkdirSync(join(env.XDG_CONFIG_HOME, 'sov'), { recursive: true });
  mkdirSync(join(dir, 'bin'));
  paths = resolvePaths({ env });
});

afterEach(async () => {
  if (client) {
    try { for (const e of await client.call('engines.list', {})) { for (const p of e.pids) pids.add(p); if (e.state !== 'stopped') await client.call('engines.stop', { name: e.name }, { timeoutMs: 30_000 }); } } catch {}
    client.close();
  }
  await server?.stop('test done');
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch {} }
  pids.clear();
  server = undefined; client = undefined;
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('stack.restart through a real daemon', () => {
  it('restarts every engine in declared order, each healthy before the next; new pids; recorded', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const s = await boot(`engines:\n${httpEngine('alpha', pa)}${httpEngine('beta', pb)}`);
    for (const n of ['alpha', 'beta']) await s.link.call('engines.start', { name: n });
    const before = new Map((await s.list()).map((e) => [e.name, e.pid]));
    const p = await prepare(stackRestart, s.ctx);
    expect(p.target).toBe('stack');
    expect(p.checks.map((c) => `${c.name}:${c.state}`)).toEqual(['engines configured:pass', 'daemon:pass']);
    const r = await perform(p, { kind: 'typed', text: 'stack' });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(s.lines.filter((l) => /^\d\. /.test(l))).toEqual(['1. restart alpha, wait for healthy (≤ 10 s)…', '2. restart beta, wait for healthy (≤ 10 s)…']);
    expect(r.post.map((c) => `${c.name}:${c.state}`)).toEqual(['alpha healthy:pass', 'beta healthy:pass']);
    const after = await s.list();
    for (const e of after) expect(e.pid, e.name).not.toBe(before.get(e.name));
  }, 60_000);

  it('an engine that does not come back stops the rest, and the outcome says which', async () => {
    const [pa, pc] = [await freePort(), await freePort()];
    const s = await boot(`engines:\n${httpEngine('alpha', pa)}${dyingEngine('dies')}${httpEngine('gamma', pc)}`);
    const r = await perform(await prepare(stackRestart, s.ctx), { kind: 'typed', text: 'stack' });
    expect(r.outcome).toBe('failed');
    expect(r.result.message).toMatch(/^stack restart: 1 of 3 steps ran, 1 not run; FAILED at "restart dies/);
    expect(r.result.message).toMatch(/3\. restart gamma, wait for healthy \(≤ 10 s\): not run — dies did not come back/);
    expect((await s.list()).find((e) => e.name === 'gamma')!.state).toBe('stopped');
  }, 60_000);
});

describe('stack.phoenix through a real daemon', () => {
  it('stops in reverse order, recreates the compose containers (docker shim), starts in order; needs the tripcode', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const compose = join(dir, 'compose.yaml');
    writeFileSync(join(dir, 'bin', 'docker'), `#!/bin/sh
echo "$*" >> '${dir}/docker.calls'
if [ "$*" = "compose -f ${compose} up -d --force-recreate" ]; then echo ' Container webui  Recreated'; exit 0; fi
echo "docker shim: unexpected argv: $*" >&2; exit 99
`);
    chmodSync(join(dir, 'bin', 'docker'), 0o755);
    const s = await boot(`engines:\n${httpEngine('alpha', pa)}${httpEngine('beta', pb)}recovery:\n  phoenix:\n    compose: ${compose}\n`);
    for (const n of ['alpha', 'beta']) await s.link.call('engines.start', { name: n });
    await s.list();
    const p = await prepare(stackPhoenix, s.ctx);
    expect(p.dryRun).toContain(`docker compose -f ${compose} up -d --force-recreate`);
    expect((await perform(p, { kind: 'yes' })).refusal?.code).toBe('confirmation');
    const r = await perform(p, { kind: 'tripcode', payload: sign(s.key(), 'RECOVERY:PHOENIX', Math.floor(Date.now() / 1000)) });
    expect(r.outcome, r.result.message).toBe('ok');
    expect(s.lines.filter((l) => /^\d\. /.test(l))).toEqual([
      '1. stop the stack (beta, alpha, in reverse order)…', `2. recreate the containers: docker compose -f ${compose} up -d --force-recreate…`,
      '3. start alpha, wait for healthy (≤ 10 s)…', '4. start beta, wait for healthy (≤ 10 s)…',
    ]);
    expect(readFileSync(join(dir, 'docker.calls'), 'utf8')).toBe(`compose -f ${compose} up -d --force-recreate\n`);
    expect((await s.list()).map((e) => e.state)).toEqual(['healthy', 'healthy']);
    expect(existsSync(join(dir, 'audit', 'audit.jsonl'))).toBe(true);
  }, 60_000);
});

describe('the outcome of steps (pure)', () => {
  it('counts what ran, what did not, and fails on the first failed step or on a step left undone (cancelled)', () => {
    expect(summary('X', [{ step: 'a', state: 'ok', detail: '' }, { step: 'b', state: 'ok', detail: 'fine' }])).toEqual({ kind: 'done', exitCode: 0, message: 'X: 2 of 2 steps ran\n1. a: ok\n2. b: ok — fine' });
    expect(summary('X', [{ step: 'a', state: 'ok', detail: '' }, { step: 'b', state: 'not run', detail: 'cancelled' }])).toEqual({ kind: 'error', exitCode: 1, message: 'X: 1 of 2 steps ran, 1 not run; stopped before "b"\n1. a: ok\n2. b: not run — cancelled' });
    expect(summary('X', [{ step: 'a', state: 'failed', detail: 'boom' }]).kind).toBe('error');
  });
});

describe('without the daemon', () => {
  it('when() refuses both (nothing could run), with the reason there is no daemon', () => {
    const ctx: ActionCtx = { readOnly: false, setLogs: () => {}, config: demoConfig(), noLink: 'the daemon is not running (no socket)' };
    for (const a of [stackRestart, stackPhoenix]) expect(a.when(ctx), a.id).toBe("the stack is the daemon's to restart: the daemon is not running (no socket)");
    const down = { ...ctx, link: { state: 'down' } as DaemonLink };
    expect(stackRestart.when(down)).toMatch(/daemon's to restart/);
  });
});
