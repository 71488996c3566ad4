/** `sov exporter`, headless: its arguments, what it refuses and why, and a demo run stopped by a signal. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runExporterCli } from '../../src/cli/exporter.js';
import { freePort } from '../helpers/proc.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), `sov-exp-cli-${process.pid}-`));
  env = { HOME: dir, PATH: process.env.PATH, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], signal?: AbortSignal): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runExporterCli(args, { out: (s) => { out += s; }, err: (s) => { err += s; }, env, ...(signal ? { signal } : {}) });
  return { code, out, err };
}

describe('sov exporter', () => {
  it('refuses a non-loopback listen (exit 2) unless --allow-remote, and a malformed one', async () => {
    const r = await run(['--demo', '--listen', '0.0.0.0:9464']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/listen: 0\.0\.0\.0 is not a loopback address.*allowRemote/);
    const bad = await run(['--demo', '--listen', 'nine']);
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/not host:port/)]);
    const unknown = await run(['--demo', '--port', '1']);
    expect([unknown.code, unknown.err]).toEqual([2, expect.stringMatching(/Unknown option '--port'[\s\S]*usage:/)]);
    expect((await run(['--help'])).out).toMatch(/^usage:\n {2}sov exporter/);
  });

  it('a config that does not load is exit 1 with its reason; a port in use is exit 1', async () => {
    writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), 'exporter:\n  listen: 10.0.0.1:9464\n');
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the config is invalid[\s\S]*exporter\.listen[\s\S]*not a loopback address/);
    const port = await freePort();
    const busy: Server = createServer();
    await new Promise<void>((res) => busy.listen(port, '127.0.0.1', () => res()));
    try {
      const b = await run(['--demo', '--listen', `127.0.0.1:${port}`]);
      expect(b.code).toBe(1);
      expect(b.err).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally { busy.close(); }
  });

  it('serves the demo box until stopped, then exits 0 and the port is free again', async () => {
    const port = await freePort();
    const ac = new AbortController();
    const running = run(['--demo', '--listen', `127.0.0.1:${port}`], ac.signal);
    let text = '';
    for (let i = 0; i < 100 && !text.includes('DCGM_FI_DEV_GPU_UTIL{'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
    }
    expect(text).toContain('sov_zfs_pool_health{pool="ember",state="DEGRADED"} 1');
    // the demo fleet's other two boxes, checked for reachability (they answer)
    for (let i = 0; i < 50 && !text.includes('sov_host_up{host="forge (demo)"}'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
    }
    expect(text).toContain('sov_host_up{host="vault (demo)"} 1');
    expect(text).toContain('sov_host_up{host="forge (demo)"} 1');
    ac.abort();
    const r = await running;
    expect(r.code).toBe(0);
    expect(r.out).toBe(`sov exporter: serving http://127.0.0.1:${port}/metrics (the demo box); stop with ctrl-c\n`);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});
