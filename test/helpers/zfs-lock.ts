/**
 * One test file at a time uses zfs-fuse: the e2e files that start (and end, by pid) their own zfs-fuse daemon take
 * this lock first, so none ends a daemon another file's pools still live in. A lock left by a process that died
 * (its pid gone) is taken over.
 */
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';

const LOCK = '/tmp/sov-test-zfs-fuse.lock';

function holder(): number | undefined {
  try { const pid = Number(readFileSync(LOCK, 'utf8').trim()); return Number.isInteger(pid) && pid > 0 ? pid : undefined; } catch { return undefined; }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/** waits (up to `timeoutMs`) for the lock; resolves with its release */
export async function takeZfsLock(timeoutMs = 200_000): Promise<() => void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => { if (holder() === process.pid) { try { unlinkSync(LOCK); } catch {} } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = holder();
    if (pid === undefined || !alive(pid)) { try { unlinkSync(LOCK); } catch {} continue; }
    if (Date.now() > end) throw new Error(`zfs-fuse is held by another test process (pid ${pid}) for too long`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
