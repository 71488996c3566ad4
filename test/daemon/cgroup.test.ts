/**
 * Engine cgroups (src/daemon/cgroup.ts): the parsers on captured /proc text, and — with the real supervisor and
 * real processes — an escapee that both calls setsid AND clears its environment (so no marker): only a cgroup
 * reaches it. Where this box has no writable cgroup v2, the test checks the supervisor does not claim to have
 * stopped what it could not see, and ends the escapee itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processEngineSchema } from '../../src/config/schema.js';
import { createEngineCgroup, engineCgroupName, parseCgroup2Mount, parseCgroupV2Path, sweepEmptyCgroups } from '../../src/daemon/cgroup.js';
import { allStats, readCmdline, readStat } from '../../src/daemon/procfs.js';
import { boxId, createSupervisor } from '../../src/daemon/supervisor.js';

const root = mkdtempSync(join(tmpdir(), 'sov-cg-'));
const boxes: string[] = [];
afterAll(() => {
  // the cgroups of this file's state dirs (empty once their processes are gone)
  for (const b of boxes) sweepEmptyCgroups(b);
  rmSync(root, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const running = (argv: string[]) => allStats().filter((s) => s.state !== 'Z' && readCmdline(s.pid)?.join('\0') === argv.join('\0')).map((s) => s.pid);

describe('parsers (pure, total)', () => {
  it('finds the cgroup2 mount in mountinfo (hybrid and unified), decodes octal escapes, none when absent', () => {
    const hybrid = [
      '30 24 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
      '35 30 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
      '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n');
    expect(parseCgroup2Mount(hybrid)).toBe('/sys/fs/cgroup/unified');
    expect(parseCgroup2Mount('29 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate')).toBe('/sys/fs/cgroup');
    expect(parseCgroup2Mount('1 2 0:1 / /a\\040b rw - cgroup2 x rw')).toBe('/a b');
    expect(parseCgroup2Mount('35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids')).toBeUndefined();
    expect(parseCgroup2Mount('garbage')).toBeUndefined();
    expect(parseCgroup2Mount(undefined as unknown as string)).toBeUndefined();
  });
  it('reads the v2 path of /proc/<pid>/cgroup', () => {
    expect(parseCgroupV2Path('9:name=systemd:/\n4:memory:/x\n0::/\n')).toBe('/');
    expect(parseCgroupV2Path('0::/user.slice/user-1000.slice/session-2.scope\n')).toBe('/user.slice/user-1000.slice/session-2.scope');
    expect(parseCgroupV2Path('4:memory:/x\n')).toBeUndefined();
    expect(parseCgroupV2Path('')).toBeUndefined();
    expect(engineCgroupName('a b/c', 'f00')).toBe('sov-f00-a_b_c');
  });
});

describe('an escapee without the marker (setsid + env -i)', () => {
  it('is killed through the engine cgroup where there is one, and named in the stop message', async () => {
    const stateDir = mkdtempSync(join(root, 'st-'));
    boxes.push(boxId(stateDir));
    const tag = `${process.pid}${Date.now() % 100000}`;
    const esc = ['sleep', `555.${tag}`];
    const sup = await createSupervisor({
      engines: [processEngineSchema.parse({ kind: 'process', name: 'hider', argv: ['sh', '-c', `env -i setsid ${esc.join(' ')} & exec sleep 556.${tag}`], autostart: true, stop: { timeoutSec: 2 } })],
      stateDir, logDir: join(stateDir, 'logs'), probeIntervalMs: 100,
    });
    let escPid: number | undefined;
    for (let i = 0; i < 100 && escPid === undefined; i++) { escPid = running(esc)[0]; await sleep(50); }
    expect(escPid).toBeDefined();
    const escStart = readStat(escPid!)!.startTime;
    const withCgroup = createEngineCgroup('probe', boxId(stateDir)) !== undefined;
    const after = await sup.stop('hider');
    await sup.detach();
    const alive = readStat(escPid!)?.startTime === escStart && readStat(escPid!)?.state !== 'Z';
    if (withCgroup) {
      expect(alive).toBe(false);
      expect(after.message).toMatch(new RegExp(`1 more in its cgroup: ${escPid} \\(sleep\\); killed \\(cgroup\\.kill\\)`));
      expect(after.warnings.join(' ')).toContain('in its cgroup');
    } else {
      // nothing could reach it: the supervisor must not say it did
      expect(alive).toBe(true);
      expect(after.message ?? '').not.toContain(String(escPid));
      process.kill(escPid!, 'SIGKILL');
    }
  }, 30_000);
});
