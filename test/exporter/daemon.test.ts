/**
 * The exporter inside the daemon: `exporter:` in the config → the daemon serves /metrics on 127.0.0.1, sampling this
 * host through the local runner. nvidia-smi is a PATH shim that serves the captured H100 output
 * (fixtures/nvidia/h100-real) for exactly the argv sov runs, fails loudly on any other, and logs each start: many
 * scrapes cost one `-lms` stream. The engines come from the daemon's supervisor (a fake here), joined to the GPU
 * process of the capture (pid 573) for VRAM. zpool and numactl are absent from PATH: their sources say so.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { streamArgv } from '../../backends/nvidia/source.js';
import { resolvePaths, type SovPaths } from '../../src/daemon/paths.js';
import { startDaemon, type DaemonServer } from '../../src/daemon/server.js';
import type { EngineStatus, Supervisor } from '../../src/daemon/types.js';
import { daemonExporter, startDaemonExporter } from '../../src/exporter/run.js';
import { createLocalRunner } from '../../src/runner/local.js';
import { fixturePath } from '../helpers/samples.js';
import { freePort } from '../helpers/proc.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let paths: SovPaths;
let shimLog: string;
const stops: (() => Promise<unknown>)[] = [];

function nvidiaShim(binDir: string): void {
  const stream = streamArgv(0, 1000).slice(1).join(' ');
  const csv = fixturePath('nvidia', 'h100-real', 'query-gpu-lms500-load.csv');
  const qx = fixturePath('nvidia', 'h100-real', 'q-x-load.xml');
  writeFileSync(join(binDir, 'nvidia-smi'), `#!/bin/sh
echo "$*" >> '${shimLog}'
if [ "$*" = "-q -x" ]; then exec /bin/cat '${qx}'; fi
if [ "$*" = "${stream}" ]; then
  while :; do /usr/bin/head -n 1 '${csv}' || exit 1; /bin/sleep 1; done
fi
echo "nvidia-smi shim: unknown argv: $*" >&2
exit 97
`);
  chmodSync(join(binDir, 'nvidia-smi'), 0o755);
}

const engine: EngineStatus = {
  name: 'burn', kind: 'process', state: 'healthy', pid: 573, pids: [573], restarts: 2, tokPerSec: 12.5, rssBytes: 3 * 2 ** 30, warnings: [],
};

function fakeSupervisor(): Supervisor {
  return {
    list: () => [engine],
    start: async () => engine, stop: async () => engine, restart: async () => engine,
    logs: async (name) => ({ name, lines: [] }),
    setEngines: async () => {},
    detach: async () => ({ stateSaved: true }),
  };
}

async function scrape(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(r.status).toBe(200);
  return r.text();
}

async function until<T>(f: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), `sov-exp-daemon-${process.pid}-`));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  shimLog = join(dir, 'nvidia-smi.log');
  nvidiaShim(bin);
  env = { HOME: dir, PATH: bin, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  mkdirSync(env.XDG_RUNTIME_DIR!, { mode: 0o700 });
  mkdirSync(join(env.XDG_CONFIG_HOME!, 'sov'), { recursive: true });
  paths = resolvePaths({ env });
});

afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  rmSync(dir, { recursive: true, force: true });
});

const starts = () => readFileSync(shimLog, 'utf8').split('\n').filter(Boolean);

describe('the exporter in the daemon', () => {
  it('startDaemonExporter: the host through the local runner, the supervisor\'s engines; one nvidia-smi stream for many scrapes', async () => {
    const port = await freePort();
    const logs: string[] = [];
    const x = await startDaemonExporter({
      config: { listen: `127.0.0.1:${port}`, allowRemote: false, requestTimeoutSec: 5, hostCheckSec: 15 },
      runner: () => createLocalRunner({ env: env as Record<string, string> }),
      engines: () => [engine], log: (m) => logs.push(m),
    });
    expect(x).toBeDefined();
    stops.push(() => x!.stop());
    expect(logs).toEqual([`exporter: serving http://127.0.0.1:${port}/metrics`]);
    const text = await until(async () => { const t = await scrape(port); return /^DCGM_FI_DEV_GPU_UTIL\{/m.test(t) && /sov_gpu_info\{/.test(t) ? t : undefined; });
    expect(text).toMatch(/^DCGM_FI_DEV_GPU_UTIL\{gpu="0",UUID="GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7",device="nvidia0",Hostname="[^"]+"\} 100$/m);
    expect(text).toMatch(/^sov_gpu_memory_used_bytes\{[^}]*\} 619708416$/m);
    expect(text).toMatch(/^sov_engine_gpu_memory_bytes\{engine="burn",gpu="0",UUID="GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7"\} 610271232$/m);
    expect(text).toContain('sov_engine_restarts_total{engine="burn"} 2');
    expect(text).toContain('sov_source_state{source="zfs",state="unavailable"} 1');
    for (let i = 0; i < 20; i++) await scrape(port);
    expect(starts().filter((a) => a.includes('-lms'))).toHaveLength(1);
    expect(starts().filter((a) => a === '-q -x').length).toBeLessThanOrEqual(2);
    expect(starts().every((a) => a === '-q -x' || a.includes('-lms'))).toBe(true);
  });

  it('a port in use is logged and the daemon goes on without the exporter; no config, no exporter', async () => {
    const port = await freePort();
    const first = await startDaemonExporter({ config: { listen: `127.0.0.1:${port}`, allowRemote: false, requestTimeoutSec: 5, hostCheckSec: 15 }, runner: () => createLocalRunner({ env: env as Record<string, string> }), engines: () => [], log: () => {} });
    stops.push(() => first!.stop());
    const logs: string[] = [];
    const second = await startDaemonExporter({ config: { listen: `127.0.0.1:${port}`, allowRemote: false, requestTimeoutSec: 5, hostCheckSec: 15 }, runner: () => createLocalRunner({ env: env as Record<string, string> }), engines: () => [], log: (m) => logs.push(m) });
    expect(second).toBeUndefined();
    expect(logs).toEqual([`exporter: not started: cannot listen on 127.0.0.1:${port}: the port is in use`]);
    expect(await startDaemonExporter({ runner: () => { throw new Error('must not sample'); }, engines: () => [], log: () => {} })).toBeUndefined();
  });

  it('a reload keeps an unchanged exporter, moves a changed one, stops a removed one', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const logs: string[] = [];
    const x = daemonExporter({ env, engines: () => [engine], log: (m) => logs.push(m) });
    stops.push(() => x.stop());
    const cfg = (port: number) => ({ listen: `127.0.0.1:${port}`, allowRemote: false, requestTimeoutSec: 5, hostCheckSec: 15 });
    await x.apply(cfg(p1));
    const first = x.current();
    expect(first?.server.address.port).toBe(p1);
    await x.apply(cfg(p1));
    expect(x.current()).toBe(first);
    await x.apply(cfg(p2));
    expect(x.current()?.server.address.port).toBe(p2);
    await expect(fetch(`http://127.0.0.1:${p1}/metrics`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect((await scrape(p2))).toContain('sov_engine_state{engine="burn"');
    await x.apply(undefined);
    expect(x.current()).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${p2}/metrics`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(logs).toEqual([`exporter: serving http://127.0.0.1:${p1}/metrics`, 'exporter: stopped', `exporter: serving http://127.0.0.1:${p2}/metrics`, 'exporter: stopped']);
  });

  it('sov daemon with `exporter:` in its config serves /metrics, and stops serving when the daemon stops', async () => {
    const port = await freePort();
    writeFileSync(paths.configPath, `exporter:\n  listen: 127.0.0.1:${port}\n`);
    const d: DaemonServer = await startDaemon({ paths, env, createSupervisor: async () => fakeSupervisor() });
    let stopped = false;
    stops.push(async () => { if (!stopped) await d.stop('test'); });
    const text = await until(async () => { const t = await scrape(port); return t.includes('sov_gpu_info{') ? t : undefined; });
    expect(text).toContain('sov_engine_state{engine="burn",kind="process",state="healthy"} 1');
    expect(readFileSync(paths.daemonLog, 'utf8')).toContain(`exporter: serving http://127.0.0.1:${port}/metrics`);
    await d.stop('test');
    stopped = true;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    const streams = starts().filter((a) => a.includes('-lms'));
    expect(streams).toHaveLength(1);
  });
});
