/**
 * The recovery authority in a real daemon (the built `sov`, the real supervisor, a simulated llama.cpp engine) in
 * a private XDG tree: lockdown by tripcode refuses engines.start from any client until UNLOCK, a used tripcode
 * stays used across a daemon restart, `sov do box.lockdown` with an ACTION code, the audit log verifies (and a
 * flipped byte does not), and a daemon killed -9 while it appends leaves a chain that verifies. Ends only the
 * processes it started (by pid); loopback only.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDaemon } from '../../src/daemon/client.js';
import { resolvePaths } from '../../src/daemon/paths.js';
import { isAlive } from '../../src/daemon/procfs.js';
import { EXIT, type DaemonInfo, type EngineStatus } from '../../src/daemon/types.js';
import { freePort, runSov as sov, SIM, SOV, simEngineYaml } from '../helpers/proc.js';

const ours = (pid: number, marker: string) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker); } catch { return false; } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recovery through a real daemon', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let stateDir: string;
  const daemonPids = new Set<number>();
  const enginePids = new Set<number>();

  const daemonPid = async (): Promise<number> => {
    const r = await sov(['daemon', 'status', '--json'], env);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as DaemonInfo;
    daemonPids.add(info.pid);
    return info.pid;
  };
  const sign = async (code: string): Promise<string> => {
    const r = await sov(['tripcode', 'sign', code], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim();
  };
  const audit = async (): Promise<Record<string, unknown>[]> => {
    const r = await sov(['audit', 'ls', '--json', '-n', '1000'], env);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/sovr-');
    env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
    for (const k of ['SOV_RUNTIME_DIR', 'SOV_STATE_DIR', 'NODE_OPTIONS']) delete env[k];
    mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
    stateDir = join(dir, 'state', 'sov');
    const port = await freePort();
    writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), `engines:\n${simEngineYaml('sim', port, [], { intervalSec: 0.2 })}`);
  });

  afterAll(async () => {
    if (env) await sov(['daemon', 'stop'], env).catch(() => undefined);
    for (const pid of daemonPids) if (isAlive(pid) && ours(pid, SOV)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    for (const pid of enginePids) if (isAlive(pid) && ours(pid, SIM)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tripcode init makes a private key; a second init keeps it', async () => {
    const r = await sov(['tripcode', 'init'], env);
    expect(r.code).toBe(0);
    const fp = /fingerprint ([0-9a-f]{8})/.exec(r.stdout)?.[1];
    expect(fp).toBeDefined();
    const again = await sov(['tripcode', 'init'], env);
    expect(again.stdout).toContain(`exists (fingerprint ${fp})`);
    const key = readFileSync(join(stateDir, 'tripcode.key'), 'utf8');
    expect(key).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('LOCKDOWN refuses engines.start from a client (recorded); the payload is refused again after a daemon restart; UNLOCK lifts it', async () => {
    expect((await sov(['daemon', 'start'], env)).code).toBe(0);
    const first = await daemonPid();
    const lock = await sign('RECOVERY:LOCKDOWN');
    const applied = await sov(['tripcode', 'apply', lock], env);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/RECOVERY:LOCKDOWN: lockdown/);

    const refused = await sov(['engines', 'start', 'sim'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/engine\.start refused: the box is in lockdown since .*RECOVERY:UNLOCK/);
    // sov engines start asks the authority first (as sov do does): refused and recorded, nothing reached the supervisor
    expect((await audit()).at(-1)).toMatchObject({ kind: 'refused', code: 'lockdown', action: 'engine.start', args: { name: 'sim' }, who: { via: 'cli' } });

    // a new daemon replays the log: still locked, the payload still used
    expect((await sov(['daemon', 'stop'], env)).code).toBe(0);
    const replay = await sov(['tripcode', 'apply', lock], env);
    expect(replay.code).toBe(EXIT.failed);
    expect(replay.stderr).toMatch(/refused \(tripcode-replayed\): already used/);
    expect(await daemonPid()).not.toBe(first);
    expect((await sov(['engines', 'start', 'sim'], env)).stderr).toMatch(/lockdown/);

    const unlock = await sov(['tripcode', 'apply', await sign('RECOVERY:UNLOCK')], env);
    expect(unlock.code).toBe(0);
    const started = await sov(['engines', 'start', 'sim', '--timeout-sec', '60'], env);
    expect(started.code).toBe(0);
    const list = JSON.parse((await sov(['engines', 'ls', '--json'], env)).stdout) as EngineStatus[];
    for (const e of list) if (e.pid !== undefined) enginePids.add(e.pid);
    expect(list.find((e) => e.name === 'sim')?.state).toBe('healthy');
    expect((await audit()).map((e) => `${e.kind}:${e.code ?? ''}`)).toEqual(['lockdown:', 'refused:lockdown', 'refused:tripcode-replayed', 'refused:lockdown', 'unlock:', 'begin:', 'end:']);
    expect((await audit()).at(-1)).toMatchObject({ kind: 'end', action: 'engine.start', outcome: 'ok', exitCode: 0 });
  });

  it('sov do box.lockdown with its ACTION code locks the box through the daemon; stop is refused then', async () => {
    const code = (await sov(['tripcode', 'code', 'box.lockdown'], env)).stdout.trim();
    expect(code).toMatch(/^ACTION::box\.lockdown::[0-9a-f]{16}$/);
    const bad = await sov(['do', 'box.lockdown', '--tripcode', await sign('RECOVERY:PHOENIX')], env);
    expect(bad.code).toBe(EXIT.failed);
    expect(bad.stderr).toMatch(/tripcode-wrong-code|is for RECOVERY:PHOENIX/);
    const r = await sov(['do', 'box.lockdown', '--tripcode', await sign(code)], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/the box is in lockdown/);
    const stop = await sov(['engines', 'stop', 'sim'], env);
    expect(stop.code).not.toBe(0);
    expect(stop.stderr).toMatch(/lockdown/);
    expect((await sov(['tripcode', 'apply', await sign('RECOVERY:UNLOCK')], env)).code).toBe(0);
    expect((await sov(['engines', 'stop', 'sim'], env)).code).toBe(0);
  });

  it('audit verify passes, then names a flipped byte', async () => {
    const ok = await sov(['audit', 'verify'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: \d+ entries/);
    const f = join(stateDir, 'audit.jsonl');
    const text = readFileSync(f, 'utf8');
    const i = text.indexOf('"engine.start"') + 3;
    writeFileSync(f, text.slice(0, i) + (text[i] === 'g' ? 'G' : 'g') + text.slice(i + 1));
    const bad = await sov(['audit', 'verify', '--json'], env);
    expect(bad.code).toBe(1);
    const doc = JSON.parse(bad.stdout) as { ok: boolean; problem: { kind: string; seq: number } };
    expect(doc).toMatchObject({ ok: false, problem: { kind: 'edited', seq: 2 } });
    writeFileSync(f, text);
    expect((await sov(['audit', 'verify'], env)).code).toBe(0);
  });

  it('a daemon killed -9 while it appends leaves a chain that verifies; the next daemon goes on from it', async () => {
    const pid = await daemonPid();
    const c = await connectDaemon({ paths: resolvePaths({ env }), env });
    const who = { uid: 0, user: 'e2e', via: 'cli' as const };
    let answered = 0;
    let settled = 0; // answered or refused: either way the daemon got that far (a refusal must not stall the wait)
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i++) calls.push(c.call('recovery.tripcode', { payload: `garbage-${i}`, who }, { timeoutMs: 20_000 }).then(() => { answered++; }, () => {}).finally(() => { settled++; }));
    const deadline = Date.now() + 20_000;
    while (settled < 40) {
      if (Date.now() > deadline) throw new Error(`only ${settled} of 400 recovery.tripcode calls settled in 20 s`);
      await sleep(5);
    }
    expect(answered).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await Promise.all(calls);
    c.close();
    expect(answered).toBeLessThan(400);
    const v = await sov(['audit', 'verify', '--json'], env);
    expect(v.code).toBe(0);
    const before = (JSON.parse(v.stdout) as { lastSeq: number }).lastSeq;
    const again = await sov(['tripcode', 'apply', 'garbage-after'], env);
    expect(again.stderr).toMatch(/tripcode-malformed/);
    const after = await sov(['audit', 'verify', '--json'], env);
    expect(after.code).toBe(0);
    expect((JSON.parse(after.stdout) as { lastSeq: number }).lastSeq).toBe(before + 1);
    await daemonPid();
  });
});
