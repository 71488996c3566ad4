import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerEngineSchema, processEngineSchema, systemdEngineSchema } from '../../src/config/schema.js';
import { containerAdapter, parseContainerState } from '../../src/daemon/adapters/container.js';
import { buildArgv, buildEnv, numaPrefix } from '../../src/daemon/adapters/process.js';
import { runCmd } from '../../src/daemon/adapters/types.js';
import { parseSystemdShow, systemdAdapter } from '../../src/daemon/adapters/systemd.js';
import { createSupervisor } from '../../src/daemon/supervisor.js';
import type { EngineStatus } from '../../src/daemon/types.js';

const root = mkdtempSync(join(tmpdir(), 'sov-shims-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Answer { out?: string; err?: string; code?: number; /** print this file's content instead of `out` */ file?: string }
type Cases = Array<[string[], Answer]>;

const US = '\u001f';
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * PATH shims: an executable per program that records its argv (one line, args joined by U+001F) and answers the
 * argv it knows; anything else: "shim: unexpected argv …" on stderr, exit 99.
 */
function shims(programs: Record<string, Cases>): { env: NodeJS.ProcessEnv; dir: string; calls: (prog: string) => string[][] } {
  const dir = mkdtempSync(join(root, 'bin-'));
  for (const [prog, cases] of Object.entries(programs)) {
    const lines = ['#!/bin/bash', `IFS=$'\\x1f'; got="$*"`, `printf '%s\\n' "$got" >> ${q(join(dir, `${prog}.calls`))}`];
    for (const [argv, a] of cases) {
      const body = [
        a.file !== undefined ? `cat ${q(a.file)}` : `printf '%s' ${q(b64(a.out ?? ''))} | base64 -d`,
        `printf '%s' ${q(b64(a.err ?? ''))} | base64 -d >&2`,
        `exit ${a.code ?? 0}`,
      ];
      lines.push(`if [ "$got" = ${q(argv.join(US))} ]; then ${body.join('; ')}; fi`);
    }
    lines.push(`IFS=' '; echo "shim: unexpected argv $*" >&2`, 'exit 99');
    const p = join(dir, prog);
    writeFileSync(p, `${lines.join('\n')}\n`);
    chmodSync(p, 0o755);
  }
  return {
    dir,
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
    calls: (prog) => {
      const f = join(dir, `${prog}.calls`);
      return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(US)) : [];
    },
  };
}

const RUNNING_STATE = JSON.stringify({
  Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 31337,
  ExitCode: 0, Error: '', StartedAt: '2025-03-01T10:00:00.123456789Z', FinishedAt: '0001-01-01T00:00:00Z',
});
const EXITED_STATE = JSON.stringify({
  Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0,
  ExitCode: 137, Error: '', StartedAt: '2025-03-01T10:00:00Z', FinishedAt: '2025-03-01T11:00:00Z',
});

describe('process argv builder', () => {
  const base = { kind: 'process' as const, name: 'llm', argv: ['llama-server', '-m', 'x.gguf'] };
  it('prefixes numactl for each placement', () => {
    expect(numaPrefix(undefined)).toEqual([]);
    expect(buildArgv(processEngineSchema.parse(base))).toEqual(['llama-server', '-m', 'x.gguf']);
    expect(buildArgv(processEngineSchema.parse({ ...base, numa: { interleave: 'all' } }))).toEqual(['numactl', '--interleave=all', 'llama-server', '-m', 'x.gguf']);
    expect(buildArgv(processEngineSchema.parse({ ...base, numa: { interleave: [0, 2] } }))).toEqual(['numactl', '--interleave=0,2', 'llama-server', '-m', 'x.gguf']);
    expect(buildArgv(processEngineSchema.parse({ ...base, numa: { bind: 1 } }))).toEqual(['numactl', '--membind=1', '--cpunodebind=1', 'llama-server', '-m', 'x.gguf']);
    expect(buildArgv(processEngineSchema.parse({ ...base, numa: { cpunodebind: 0, membind: 1 } }))).toEqual(['numactl', '--cpunodebind=0', '--membind=1', 'llama-server', '-m', 'x.gguf']);
  });

  it('adds the configured env and CUDA_VISIBLE_DEVICES from gpus', () => {
    const env = buildEnv(processEngineSchema.parse({ ...base, env: { HF_HOME: '/x' }, gpus: [1, 3] }), { PATH: '/bin', CUDA_VISIBLE_DEVICES: '0' });
    expect(env).toEqual({ PATH: '/bin', HF_HOME: '/x', CUDA_VISIBLE_DEVICES: '1,3' });
    expect(buildEnv(processEngineSchema.parse(base), { PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });
});

describe('container adapter (docker/podman through PATH shims)', () => {
  it('runs the exact argv and reads inspect --format {{json .State}}', async () => {
    const s = shims({
      docker: [
        [['start', 'vllm-1'], { out: 'vllm-1\n' }],
        [['stop', '-t', '30', 'vllm-1'], { out: 'vllm-1\n' }],
        [['restart', '-t', '30', 'vllm-1'], { out: 'vllm-1\n' }],
        [['inspect', '--format', '{{json .State}}', 'vllm-1'], { out: `${RUNNING_STATE}\n` }],
        [['logs', '--tail', '3', 'vllm-1'], { out: 'INFO one\nINFO three\n', err: 'WARN two\n' }],
      ],
    });
    const cfg = containerEngineSchema.parse({ kind: 'container', name: 'v', container: 'vllm-1' });
    const a = containerAdapter(cfg, s.env);
    await a.start();
    await a.stop(30);
    await a.restart(30);
    expect(await a.state()).toEqual({ running: true, status: 'running', pid: 31337, startedAt: Date.parse('2025-03-01T10:00:00.123Z') });
    const logs = await a.logs(3);
    expect([...logs].sort()).toEqual(['INFO one', 'INFO three', 'WARN two']);
    expect(s.calls('docker')).toEqual([
      ['start', 'vllm-1'], ['stop', '-t', '30', 'vllm-1'], ['restart', '-t', '30', 'vllm-1'],
      ['inspect', '--format', '{{json .State}}', 'vllm-1'], ['logs', '--tail', '3', 'vllm-1'],
    ]);
  });

  it('uses podman when asked; failures carry the command and its words', async () => {
    const s = shims({
      podman: [
        [['inspect', '--format', '{{json .State}}', 'gone'], { err: 'Error: no such container gone\n', code: 125 }],
        [['start', 'gone'], { err: 'Error: no container with name or ID "gone" found\n', code: 125 }],
      ],
    });
    const a = containerAdapter(containerEngineSchema.parse({ kind: 'container', name: 'g', runtime: 'podman', container: 'gone' }), s.env);
    expect(await a.state()).toMatchObject({ running: false, error: 'podman inspect: Error: no such container gone' });
    await expect(a.start()).rejects.toThrow('podman start gone exited 125: Error: no container with name or ID "gone" found');
    await expect(a.stop(7)).rejects.toThrow(/exited 99: shim: unexpected argv stop -t 7 gone/);
    expect(s.calls('podman')).toEqual([['inspect', '--format', '{{json .State}}', 'gone'], ['start', 'gone'], ['stop', '-t', '7', 'gone']]);
  });

  it('parses exited and odd states', () => {
    expect(parseContainerState(EXITED_STATE)).toEqual({ running: false, status: 'exited', exitCode: 137, startedAt: Date.parse('2025-03-01T10:00:00Z') });
    expect(parseContainerState('{"Running":true,"Paused":true,"Status":"paused"}')).toMatchObject({ running: false, status: 'paused' });
    expect(parseContainerState('{"Running":false,"OOMKilled":true,"ExitCode":137}')).toMatchObject({ running: false, exitCode: 137, error: 'killed by the OOM killer' });
    expect(parseContainerState('not json')).toBeUndefined();
    expect(parseContainerState('[]')).toBeUndefined();
  });
});

const SHOW_ARGS = ['show', 'llama.service', '--property=ActiveState,SubState,MainPID,ExecMainStatus,NRestarts,ExecMainStartTimestampMonotonic', '--no-pager'];

describe('systemd adapter (systemctl/journalctl through PATH shims)', () => {
  it('system units: exact argv, show parsed, journal lines', async () => {
    const s = shims({
      systemctl: [
        [['start', 'llama.service'], {}],
        [['stop', 'llama.service'], {}],
        [['restart', 'llama.service'], {}],
        [SHOW_ARGS, { out: 'ActiveState=active\nSubState=running\nMainPID=4242\nExecMainStatus=0\nNRestarts=2\nExecMainStartTimestampMonotonic=1000\n' }],
      ],
      journalctl: [[['-u', 'llama.service', '-n', '2', '--no-pager', '-o', 'cat'], { out: 'load_model: loading\nserver is listening\n' }]],
    });
    const a = systemdAdapter(systemdEngineSchema.parse({ kind: 'systemd', name: 'l', unit: 'llama.service' }), s.env);
    await a.start();
    await a.stop(30);
    await a.restart(30);
    const st = await a.state();
    expect(st).toMatchObject({ running: true, status: 'active/running', pid: 4242, runtimeRestarts: 2 });
    expect(st.exitCode).toBeUndefined();
    expect(await a.logs(2)).toEqual(['load_model: loading', 'server is listening']);
    expect(s.calls('systemctl')).toEqual([['start', 'llama.service'], ['stop', 'llama.service'], ['restart', 'llama.service'], SHOW_ARGS]);
    expect(s.calls('journalctl')).toEqual([['-u', 'llama.service', '-n', '2', '--no-pager', '-o', 'cat']]);
  });

  it('user units get --user on every command', async () => {
    const s = shims({
      systemctl: [[['--user', 'start', 'llama.service'], {}], [['--user', ...SHOW_ARGS], { out: 'ActiveState=failed\nSubState=failed\nMainPID=0\nExecMainStatus=3\nNRestarts=0\n' }]],
      journalctl: [[['--user', '-u', 'llama.service', '-n', '5', '--no-pager', '-o', 'cat'], { out: '' }]],
    });
    const a = systemdAdapter(systemdEngineSchema.parse({ kind: 'systemd', name: 'l', unit: 'llama.service', user: true }), s.env);
    await a.start();
    expect(await a.state()).toEqual({ running: false, status: 'failed/failed', exitCode: 3, runtimeRestarts: 0 });
    expect(await a.logs(5)).toEqual([]);
    await expect(a.stop(1)).rejects.toThrow(/shim: unexpected argv --user stop llama.service/);
  });

  it('converts the monotonic start stamp to epoch ms', () => {
    const st = parseSystemdShow('ActiveState=active\nSubState=running\nMainPID=9\nExecMainStartTimestampMonotonic=5000000\n', 65_000_000, 1_700_000_060_000);
    expect(st.startedAt).toBe(1_700_000_000_000);
    expect(parseSystemdShow('')).toMatchObject({ running: false, error: 'systemctl show: no ActiveState' });
  });
});

describe('supervisor over a systemd unit (shims)', () => {
  it('starts the unit, sees it run, then sees it fail: crashed with its exit status', async () => {
    const showFile = join(root, 'show.txt');
    writeFileSync(showFile, 'ActiveState=inactive\nSubState=dead\nMainPID=0\nExecMainStatus=0\n');
    const s = shims({
      systemctl: [[['start', 'llama.service'], {}], [SHOW_ARGS, { file: showFile }], [['stop', 'llama.service'], {}]],
    });
    const seen: EngineStatus[] = [];
    const stateDir = mkdtempSync(join(root, 'state-'));
    const sup = await createSupervisor({
      engines: [systemdEngineSchema.parse({ kind: 'systemd', name: 'unit', unit: 'llama.service', restart: 'never' })],
      stateDir, logDir: stateDir, env: s.env, probeIntervalMs: 100, onChange: (x) => seen.push(x),
    });
    try {
      expect(sup.list()[0]).toMatchObject({ name: 'unit', kind: 'systemd', state: 'stopped' });
      writeFileSync(showFile, `ActiveState=active\nSubState=running\nMainPID=${process.pid}\nExecMainStatus=0\n`);
      const st = await sup.start('unit');
      expect(st).toMatchObject({ state: 'starting', pid: process.pid });
      await until(() => sup.list()[0]!.state === 'healthy');
      writeFileSync(showFile, 'ActiveState=failed\nSubState=failed\nMainPID=0\nExecMainStatus=3\n');
      await until(() => sup.list()[0]!.state === 'crashed');
      expect(sup.list()[0]!.lastExit?.code).toBe(3);
      expect(seen.map((x) => x.state)).toEqual(expect.arrayContaining(['starting', 'healthy', 'crashed']));
      expect((await sup.stop('unit')).state).toBe('stopped');
      // stopping a unit that is not running does not run systemctl stop
      expect(s.calls('systemctl').filter((c) => c[0] !== 'show')).toEqual([['start', 'llama.service']]);
    } finally {
      await sup.detach();
    }
  });
});

describe('a runtime that cannot say (systemctl answers garbage)', () => {
  it('is a hiccup (degraded, said why), not an exit, until it has said nothing three probes running', async () => {
    const showFile = join(root, 'show-hiccup.txt');
    writeFileSync(showFile, `ActiveState=active\nSubState=running\nMainPID=${process.pid}\nExecMainStatus=0\n`);
    const s = shims({ systemctl: [[['start', 'llama.service'], {}], [SHOW_ARGS, { file: showFile }]] });
    const seen: string[] = [];
    const stateDir = mkdtempSync(join(root, 'state-'));
    const sup = await createSupervisor({
      engines: [systemdEngineSchema.parse({ kind: 'systemd', name: 'unit', unit: 'llama.service', restart: 'never' })],
      stateDir, logDir: stateDir, env: s.env, probeIntervalMs: 300, onChange: (x) => seen.push(x.state),
    });
    try {
      await sup.start('unit');
      await until(() => sup.list()[0]!.state === 'healthy');
      writeFileSync(showFile, 'garbage\n');
      await until(() => (sup.list()[0]!.message ?? '').includes('cannot read its state (1/3)'));
      expect(sup.list()[0]!.state).toBe('degraded');
      writeFileSync(showFile, `ActiveState=active\nSubState=running\nMainPID=${process.pid}\nExecMainStatus=0\n`);
      await until(() => sup.list()[0]!.state === 'healthy');
      expect(seen).not.toContain('crashed');
      writeFileSync(showFile, 'garbage\n');
      await until(() => sup.list()[0]!.state === 'crashed');
      expect(sup.list()[0]!.message).toMatch(/stopped running/);
    } finally {
      await sup.detach();
    }
  });
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runCmd (the adapters\' command runner: the project\'s local runner)', () => {
  it('a grandchild holding stdout cannot delay the deadline, and the whole group is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sov-runcmd-'));
    try {
      const pidFile = join(dir, 'pid');
      const t0 = Date.now();
      await expect(runCmd('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; sleep 30`], process.env, 500)).rejects.toThrow(/timed out after/);
      expect(Date.now() - t0).toBeLessThan(5000);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await new Promise((r) => setTimeout(r, 200));
      // gone, or a zombie waiting for init to reap it (state Z): not running
      let state = 'gone';
      try { state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!; } catch {}
      expect(['gone', 'Z']).toContain(state);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('LC_ALL=C whatever the caller\'s env; a missing program is a clear error; non-zero exits come back', async () => {
    const r = await runCmd('sh', ['-c', 'echo "$LC_ALL $LANG"; echo oops >&2; exit 3'], { ...process.env, LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8' }, 5000);
    expect(r).toEqual({ stdout: 'C C', stderr: 'oops', all: 'C C\noops', exitCode: 3 });
    await expect(runCmd('sov-no-such-program', [], process.env, 5000)).rejects.toThrow(/not found on PATH/);
  });
});
