/**
 * A zfs-fuse daemon for an e2e file: one file at a time (the lock in ./zfs-lock.ts), the running one used as it is
 * (the package's service on a machine that starts it: never stopped), else one started here in the foreground
 * (-n: the pid we hold is the daemon's), no kstat mount, its pid file in the test's temp dir — and ended by that pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { takeZfsLock } from './zfs-lock.js';

export const ZFS_FUSE = ['/usr/sbin/zfs-fuse', '/sbin/zfs-fuse', '/usr/local/sbin/zfs-fuse'].find((p) => existsSync(p));

export function zfsFusePids(): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try { if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'zfs-fuse') pids.push(Number(e)); } catch { /* gone */ }
  }
  return pids;
}

export interface ZfsFuse {
  /** what the daemon we started said (for error messages) */
  log(): string;
  /** ends the daemon this file started (by its pid), then lets the next file have zfs-fuse */
  stop(): Promise<void>;
}

export async function useZfsFuse(dir: string, env: NodeJS.ProcessEnv): Promise<ZfsFuse> {
  const release = await takeZfsLock();
  let daemon: ChildProcess | undefined;
  let log = '';
  const stop = async () => {
    if (daemon?.pid && daemon.exitCode === null) {
      const exited = new Promise<void>((r) => daemon!.once('exit', () => r()));
      process.kill(daemon.pid, 'SIGTERM');
      const t = setTimeout(() => { if (daemon?.pid && daemon.exitCode === null) process.kill(daemon.pid, 'SIGKILL'); }, 15_000);
      await exited;
      clearTimeout(t);
    }
    release();
  };
  try {
    if (!ZFS_FUSE) throw new Error('zfs-fuse is not installed (apt-get install zfs-fuse; .ci/run does it)');
    if (process.getuid?.() !== 0) throw new Error('a real zfs-fuse needs root');
    if (!existsSync('/dev/fuse')) throw new Error('/dev/fuse is missing: zfs-fuse cannot run here');
    if (!zfsFusePids().length) daemon = spawn(ZFS_FUSE, ['--no-daemon', '--no-kstat-mount', '--pidfile', join(dir, 'zfs-fuse.pid')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon?.stdout?.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
    daemon?.stderr?.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
    for (const end = Date.now() + 30_000; ;) {
      try { execFileSync('zpool', ['list'], { env, stdio: 'ignore', timeout: 5000 }); break; } catch {}
      if (daemon && daemon.exitCode !== null) throw new Error(`zfs-fuse exited (${daemon.exitCode}):\n${log}`);
      if (Date.now() > end) throw new Error(`the zfs-fuse socket did not answer within 30 s; zfs-fuse said:\n${log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { log: () => log, stop };
}
