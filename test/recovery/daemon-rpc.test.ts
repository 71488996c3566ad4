/**
 * recovery.* over the daemon's real socket and JSON-RPC server (startDaemon in this process, a supervisor that
 * only records calls): params are checked, the link for clients works, and engines.* are refused while locked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectDaemon, DaemonRpcError, type DaemonClient } from '../../src/daemon/client.js';
import { resolvePaths, type SovPaths } from '../../src/daemon/paths.js';
import { startDaemon, type DaemonServer } from '../../src/daemon/server.js';
import { RPC_ERRORS, type EngineStatus, type Supervisor } from '../../src/daemon/types.js';
import { recoveryLinkOver } from '../../src/recovery/link.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';
import type { Who } from '../../src/recovery/types.js';

/** a supervisor with one engine that records what it was asked to do */
function recordingSupervisor(calls: string[]): Supervisor {
  const e: EngineStatus = { name: 'alpha', kind: 'process', state: 'stopped', pids: [], restarts: 0, warnings: [] };
  return {
    list: () => [{ ...e }],
    start: async (n) => { calls.push(`start ${n}`); return { ...e, state: 'starting' }; },
    stop: async (n) => { calls.push(`stop ${n}`); return { ...e }; },
    restart: async (n) => { calls.push(`restart ${n}`); return { ...e, state: 'starting' }; },
    logs: async (name) => ({ name, lines: [] }),
    setEngines: async () => {},
    detach: async () => {},
  };
}

const who: Who = { uid: 1000, user: 'op', via: 'cli' };
let dir: string;
let paths: SovPaths;
let server: DaemonServer | undefined;
let client: DaemonClient | undefined;
let calls: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sov-rrpc-'));
  const env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  mkdirSync(join(env.XDG_CONFIG_HOME, 'sov'), { recursive: true });
  paths = resolvePaths({ env });
  writeFileSync(paths.configPath, 'engines:\n  - name: alpha\n    kind: process\n    argv: [/bin/true]\nrecovery:\n  tripcode: { windowSec: 60, cooldownSec: { "RECOVERY:LOCKDOWN": 5 } }\n');
  calls = [];
  server = await startDaemon({ paths, createSupervisor: async () => recordingSupervisor(calls) });
  client = await connectDaemon({ paths });
});

afterEach(async () => {
  client?.close();
  await server?.stop('test done');
  rmSync(dir, { recursive: true, force: true });
});

const rpcError = async (p: Promise<unknown>): Promise<DaemonRpcError> => {
  try { await p; } catch (e) { if (e instanceof DaemonRpcError) return e; throw e; }
  throw new Error('the call did not fail');
};

describe('recovery.* on the daemon', () => {
  it('refuses ill-formed params with -32602, naming the field', async () => {
    const c = client!;
    expect((await rpcError(c.call('recovery.begin', { action: 'x' } as never))).code).toBe(-32602);
    expect((await rpcError(c.call('recovery.begin', { action: 'engine.start', tier: 'T9' } as never))).message).toMatch(/tier: one of T0, T1, T2, T3/);
    expect((await rpcError(c.call('recovery.tripcode', { payload: 'x', who: { uid: 'me' } } as never))).message).toMatch(/who\.uid/);
    expect((await rpcError(c.call('recovery.tripcode', { payload: 'x'.repeat(5000), who }))).message).toMatch(/payload/);
    expect((await rpcError(c.call('recovery.end', { id: 'abc' } as never))).message).toMatch(/id:/);
    expect((await rpcError(c.call('recovery.recent', { n: 10_000 }))).message).toMatch(/0–500/);
  });

  it('a lockdown by tripcode refuses engines.start/stop/restart (RPC 423, recorded) until UNLOCK; the config sets the cooldown', async () => {
    const rec = recoveryLinkOver(client!);
    const k = readKey(join(paths.stateDir, 'tripcode.key'));
    if (!k.ok) throw new Error(k.reason);
    const now = Math.floor(Date.now() / 1000);
    expect(await rec.applyTripcode(sign(k.key, 'RECOVERY:LOCKDOWN', now), who)).toMatchObject({ ok: true });
    expect((await rec.status()).lockdown).toBe(true);
    for (const m of ['engines.start', 'engines.stop', 'engines.restart'] as const) {
      const e = await rpcError(client!.call(m, { name: 'alpha' }));
      expect(e.code).toBe(RPC_ERRORS.locked);
      expect(e.message).toMatch(/refused: the box is in lockdown/);
    }
    expect((await rpcError(client!.call('config.reload', {}))).code).toBe(RPC_ERRORS.locked);
    expect(calls).toEqual([]);
    const recent = await rec.recent(4) as Record<string, unknown>[];
    expect(recent.map((e) => `${e.kind}:${e.action}`)).toEqual(['refused:engine.start', 'refused:engine.stop', 'refused:engine.restart', 'refused:config.reload']);
    // the configured cooldown of LOCKDOWN (5 s) applies to a fresh payload
    expect(await rec.applyTripcode(sign(k.key, 'RECOVERY:LOCKDOWN', now + 1), who)).toMatchObject({ ok: false, code: 'tripcode-cooldown' });
    expect(await rec.applyTripcode(sign(k.key, 'RECOVERY:UNLOCK', now), who)).toMatchObject({ ok: true });
    await client!.call('engines.start', { name: 'alpha' });
    await client!.call('config.reload', {});
    expect(calls).toEqual(['start alpha']);
  });

  it('begin and end over the link write the audit entries', async () => {
    const rec = recoveryLinkOver(client!);
    const b = await rec.begin({ action: 'engine.restart', args: { name: 'alpha' }, tier: 'T1', host: 'localhost', who, checks: [], dryRun: 'restart alpha', confirmation: { kind: 'yes' } });
    expect(b.ok).toBe(true);
    await rec.end({ id: b.ok ? b.id : '', outcome: 'failed', message: 'alpha: restart failed', exitCode: 4, durationMs: 12, post: [] });
    const [begin, end] = await rec.recent(2) as Record<string, unknown>[];
    expect(begin).toMatchObject({ kind: 'begin', action: 'engine.restart', who });
    expect(end).toMatchObject({ kind: 'end', outcome: 'failed', exitCode: 4, action: 'engine.restart' });
    expect((await rec.status()).auditEntries).toBe(2);
  });
});
