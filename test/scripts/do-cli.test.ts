// `sov do script.NAME` as a real process (src/main.ts under tsx): ctrl+c cancels the script and leaves no process of
// its group behind; the demo box's scripts run headless. No daemon is started: --read-only (T0 runs) and --demo.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, readCmdline } from '../../src/daemon/procfs.js';
import { gone } from '../helpers/proc.js';
import { repoRoot } from '../helpers/samples.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `sov-do-scripts-${process.pid}-`));
  for (const d of ['state', 'cfg', 'run', 'tmp']) await mkdir(join(dir, d), { mode: 0o700 });
  env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'cfg'), XDG_RUNTIME_DIR: join(dir, 'run'), TMPDIR: join(dir, 'tmp'), NO_COLOR: '1' };
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

interface Sov { out: string; code: Promise<number | null>; pid: number }

/** the pids a script printed (`shell N`, `grandchild N`) */
const scriptPids = (s: Sov) => [...s.out.matchAll(/^(?:shell|grandchild) (\d+)$/gm)].map((m) => Number(m[1]));

// a test that fails before its ctrl+c would leave sov and the script's `sleep 100`s running: end them, by pid,
// while each is still what it was (sov under node, the script's sh or sleep)
const started: Sov[] = [];
afterEach(() => {
  for (const s of started.splice(0)) {
    for (const pid of [s.pid, ...scriptPids(s)]) {
      const argv0 = readCmdline(pid)?.[0] ?? '';
      if (isAlive(pid) && [process.execPath, 'sh', 'sleep'].includes(argv0)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    }
  }
});

function sov(args: string[]): Sov {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'main.ts'), 'do', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const s: Sov = { out: '', pid: child.pid!, code: new Promise((r) => child.once('exit', (c) => r(c))) };
  started.push(s);
  child.stdout.on('data', (c: Buffer) => { s.out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { s.out += c.toString(); });
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void s.code.then(() => clearTimeout(kill));
  return s;
}

async function until(what: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('sov do script.NAME', () => {
  it('ctrl+c cancels the running script: SIGTERM to its group, nothing of it survives', async () => {
    const cfg = join(dir, 'slow.yaml');
    await writeFile(cfg, `scripts:\n  - name: slow\n    tier: T0\n    argv: [sh, -c, 'sleep 100 & echo "grandchild $!"; echo "shell $$"; sleep 100']\n`);
    const s = sov(['script.slow', '--read-only', '--config', cfg]);
    await until(() => /^shell \d+$/m.test(s.out), 20_000);
    const pids = scriptPids(s);
    expect(pids, s.out).toHaveLength(2);
    process.kill(s.pid, 'SIGINT');
    expect(await s.code).toBe(1);
    expect(s.out).toMatch(/slow: cancelled after \d+\.\d s: SIGTERM to its process group/);
    expect(await gone(pids, 2000)).toEqual([]);
  }, 40_000);

  it('--demo runs the demo box\'s scripts for real; an input its allowlist refuses never runs', async () => {
    const pcie = sov(['script.pcie-recheck', '--demo']);
    expect(await pcie.code).toBe(1);
    expect(pcie.out).toContain('(demo box: simulated, nothing on this machine is read or changed)');
    expect(pcie.out).toContain('1, 4, 5, 16');
    expect(pcie.out).toMatch(/pcie-recheck: exit 1 in \d+\.\d s, 7 lines — last line: GPU1: Gen4 x16 \(max Gen5\): DOWNGRADED/);
    const bad = sov(['script.qdrant-snapshot', '--demo', '--arg', 'collection=x;touch pwned']);
    expect(await bad.code).toBe(1);
    expect(bad.out).toMatch(/collection: "x;touch pwned" does not match/);
    // describe() shows the script text; nothing it prints appears
    expect(bad.out).not.toMatch(/^\(demo box: simulated/m);
    expect(pcie.out).toMatch(/^\(demo box: simulated/m);
  }, 40_000);
});
