/**
 * The daemon hosts the VM heartbeat watchdog (issue 9): a VM declared with a heartbeat is watched from the daemon's
 * start (its beats and misses land in the state file the VMs screen reads), a config reload restarts it, and
 * `vms.reset` clears a VM (unknown names refused). A real TCP listener on loopback is the heartbeat.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDaemon } from '../../src/daemon/client.js';
import { resolvePaths } from '../../src/daemon/paths.js';
import { startDaemon, type DaemonServer } from '../../src/daemon/server.js';
import type { Supervisor } from '../../src/daemon/types.js';

let dir: string | undefined;
let server: DaemonServer | undefined;
let beat: Server | undefined;
afterEach(async () => {
  await server?.stop('test done'); server = undefined;
  await new Promise<void>((r) => (beat ? beat.close(() => r()) : r())); beat = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined;
});

const idle: Supervisor = { list: () => [], start: async () => { throw new Error('none'); }, stop: async () => { throw new Error('none'); }, restart: async () => { throw new Error('none'); }, logs: async () => { throw new Error('none'); }, setEngines: async () => {}, detach: async () => ({ stateSaved: true }) } as unknown as Supervisor;

const until = async (cond: () => boolean, ms = 8000) => { const end = Date.now() + ms; while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 50)); } };

describe('the daemon hosts the VM watchdog', () => {
  it('beats are recorded from the start; vms.reset clears a watched VM and refuses an unknown one; a config reload restarts it on the new config', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sov-wd-'));
    beat = createServer((s) => s.end());
    await new Promise<void>((r) => beat!.listen(0, '127.0.0.1', () => r()));
    const port = (beat.address() as { port: number }).port;
    const env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'cfg'), PATH: process.env.PATH };
    mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
    mkdirSync(join(env.XDG_CONFIG_HOME, 'sov'), { recursive: true });
    const paths = resolvePaths({ env });
    writeFileSync(paths.configPath, `vms:\n  - name: green-1\n    heartbeat: { tcp: "127.0.0.1:${port}", intervalSec: 1, misses: 2 }\n`);
    server = await startDaemon({ paths, env, createSupervisor: async () => idle });
    const file = join(paths.stateDir, 'vms-watch.json');
    await until(() => existsSync(file) && /"green-1"/.test(readFileSync(file, 'utf8')) && /"beats":\s*[1-9]/.test(readFileSync(file, 'utf8')));
    const c = await connectDaemon({ paths, autostart: false, env });
    try {
      expect(await c.call('vms.reset', { name: 'green-1' })).toEqual({ reset: true });
      await expect(c.call('vms.reset', { name: 'nope' })).rejects.toThrow(/no watched VM named "nope"/);
      // a config reload restarts the watchdog on the new config: blue-2 is watched (its beats land in the state
      // file), green-1 no longer is
      writeFileSync(paths.configPath, `vms:\n  - name: blue-2\n    heartbeat: { tcp: "127.0.0.1:${port}", intervalSec: 1, misses: 2 }\n`);
      await c.call('config.reload', {});
      await until(() => /"blue-2"[\s\S]*?"beats":\s*[1-9]/.test(readFileSync(file, 'utf8')));
      expect(await c.call('vms.reset', { name: 'blue-2' })).toEqual({ reset: true });
      await expect(c.call('vms.reset', { name: 'green-1' })).rejects.toThrow(/no watched VM named "green-1"/);
    } finally { c.close(); }
  });
});
