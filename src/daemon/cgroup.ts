/**
 * One cgroup v2 per engine, where the box has a writable cgroup2 mount (a unified or hybrid hierarchy: it needs no
 * controller, only cgroup.procs and cgroup.kill, kernel ≥ 5.14): `<mount><the daemon's own cgroup>/sov-<box>-<name>`.
 * The engine is moved in right after its spawn; everything it forks from then on is in it whatever it does
 * (setsid, double fork), and a stop ends with `cgroup.kill`, which reaches all of them. Where there is none (no
 * cgroup2 mount, read-only, an older kernel) the supervisor falls back to the SOV_ENGINE marker in /proc.
 * Parsers are pure and total; the rest never throws (undefined / false / [] when the kernel says no).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The cgroup2 mount point from /proc/self/mountinfo text (field 5 of the line whose fstype after " - " is cgroup2). */
export function parseCgroup2Mount(mountinfo: string): string | undefined {
  if (typeof mountinfo !== 'string') return undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup2') continue;
    const mp = line.slice(0, sep).split(' ')[4];
    if (mp) return mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

/** The v2 path ("0::/a/b") from /proc/<pid>/cgroup text. */
export function parseCgroupV2Path(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^0::(\/.*)$/m.exec(text);
  return m ? m[1]!.replace(/ \(deleted\)$/, '') : undefined;
}

const read = (p: string): string | undefined => { try { return readFileSync(p, 'utf8'); } catch { return undefined; } };

/** The directory of the cgroup `pid` is in, on the cgroup2 mount; undefined without one. */
export function cgroupDirOf(pid: number | 'self'): string | undefined {
  const mount = parseCgroup2Mount(read('/proc/self/mountinfo') ?? '');
  const path = parseCgroupV2Path(read(`/proc/${pid}/cgroup`) ?? '');
  return mount && path !== undefined ? join(mount, path) : undefined;
}

/** the name of an engine's cgroup: names are kept to [A-Za-z0-9._-] */
export function engineCgroupName(name: string, box: string): string {
  return `sov-${box}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 200);
}

/** Create (or reuse) the engine's cgroup beside nothing else: undefined when cgroup v2 cannot be used here. */
export function createEngineCgroup(name: string, box: string): string | undefined {
  const base = cgroupDirOf('self');
  if (!base) return undefined;
  const dir = join(base, engineCgroupName(name, box));
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  // cgroup.kill appeared in Linux 5.14; without it the cgroup is no help
  if (!existsSync(join(dir, 'cgroup.kill'))) { removeCgroup(dir); return undefined; }
  return dir;
}

export function enterCgroup(dir: string, pid: number): boolean {
  try { writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`); return true; } catch { return false; }
}

/** Whether `dir` is an engine cgroup this box made (adoption: the engine's /proc/<pid>/cgroup). */
export function isEngineCgroup(dir: string | undefined, box: string): dir is string {
  return dir !== undefined && basename(dir).startsWith(`sov-${box}-`);
}

/** The pids in a cgroup (cgroup.procs); [] when it is gone. */
export function cgroupPids(dir: string): number[] {
  const t = read(join(dir, 'cgroup.procs'));
  if (t === undefined) return [];
  return t.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGKILL everything in the cgroup (cgroup.kill), wait ≤ waitMs for it to empty, remove it. Returns whether it emptied. */
export async function killCgroup(dir: string, waitMs = 2000): Promise<boolean> {
  if (cgroupPids(dir).includes(process.pid)) {
    // never: spawnInCgroup could not move this process back out. cgroup.kill would end the daemon itself
    for (const p of cgroupPids(dir)) if (p !== process.pid) { try { process.kill(p, 'SIGKILL'); } catch {} }
    return false;
  }
  if (cgroupPids(dir).length > 0) {
    try { writeFileSync(join(dir, 'cgroup.kill'), '1\n'); } catch {}
    const until = Date.now() + waitMs;
    while (cgroupPids(dir).length > 0 && Date.now() < until) await sleep(20);
  }
  const empty = cgroupPids(dir).length === 0;
  if (empty) removeCgroup(dir);
  return empty;
}

export function removeCgroup(dir: string): void {
  try { rmdirSync(dir); } catch {}
}

/**
 * Run `fn` (a synchronous spawn) with this process moved into `dir` for its duration, so the child is born in the
 * cgroup: nothing it forks, however early, is outside it. Moved back right after (all synchronous: no other code of
 * this process runs in between). When the move is refused, `fn` runs where we are and `entered` is false.
 */
export function spawnInCgroup<T>(dir: string | undefined, fn: () => T): { value: T; entered: boolean } {
  const home = dir ? cgroupDirOf('self') : undefined;
  if (!dir || !home || !enterCgroup(dir, process.pid)) return { value: fn(), entered: false };
  try {
    return { value: fn(), entered: true };
  } finally {
    enterCgroup(home, process.pid);
  }
}

/** Remove this box's engine cgroups that are empty (left by engines that ended while no daemon ran); a populated
 * one refuses (EBUSY) and stays. */
export function sweepEmptyCgroups(box: string): void {
  const base = cgroupDirOf('self');
  if (!base) return;
  let names: string[];
  try { names = readdirSync(base); } catch { return; }
  for (const n of names) if (n.startsWith(`sov-${box}-`) && cgroupPids(join(base, n)).length === 0) removeCgroup(join(base, n));
}
