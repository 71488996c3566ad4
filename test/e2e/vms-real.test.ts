/**
 * The built `sov` against a REAL QEMU (qemu-system-x86_64, TCG, paused with -S: no guest OS needed) on a tiny qcow2
 * overlay over a golden image made by qemu-img, with a QMP socket and a forwarded port (slirp accepts on it: the
 * heartbeat). sov lists it from /proc, snapshots it (QMP savevm), reverts it (the current state first), and
 * reimages it (stop, the old overlay kept, a new one on the golden, started again, its heartbeat awaited) — the
 * last two through the audit authority of a daemon this test starts and stops. Every QEMU is ended by its pid.
 * And `sov ssh NAME` against a REAL sshd on a 127.0.0.1 port (throwaway host and user keys, its own known_hosts,
 * host-key checking on): the user's ssh runs in the same terminal and sov exits with its code.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runSov as sov } from '../helpers/proc.js';
import { SOV, Tmux } from './tmux.js';

const QEMU = ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'].find((p) => existsSync(p));
const IMG = ['/usr/bin/qemu-img', '/usr/local/bin/qemu-img'].find((p) => existsSync(p));
const have = QEMU !== undefined && IMG !== undefined;
if (!have) console.warn('[vms-real] qemu-system-x86_64 / qemu-img not installed (apt-get install qemu-system-x86 qemu-utils): not run');

const alive = (pid: number) => { try { process.kill(pid, 0); return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
const cmdline = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; } };
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const chainOf = (p: string) => (JSON.parse(execFileSync(IMG!, ['info', '--backing-chain', '--output=json', '-U', p], { encoding: 'utf8' })) as { filename: string; 'full-backing-filename'?: string }[]);

let dir = '';
let env: NodeJS.ProcessEnv = {};
const name = `sov-e2e-${process.pid}`;
const pids = new Set<number>();
let golden = '';
let overlay = '';
let pidFile = '';

function vmArgv(port: number, daemonize: boolean): string[] {
  return [QEMU!, '-machine', 'q35,accel=tcg', '-display', 'none', '-S', '-m', '32', '-nodefaults', '-name', name,
    '-drive', `file=${overlay},format=qcow2,if=virtio`, '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0',
    '-qmp', `unix:${join(dir, 'qmp.sock')},server=on,wait=off`, '-pidfile', pidFile, ...(daemonize ? ['-daemonize'] : [])];
}

async function waitFor(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 100)); }
}

async function ls(): Promise<{ name: string; vm?: { pid?: number; state: string; stateDetail?: string; snapshots: { name: string }[]; disks: { chain: { filename: string }[] }[]; hostfwd: unknown[] }; heartbeat?: { state: string } }[]> {
  const r = await sov(['vms', 'ls', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { vms: never[] }).vms;
}
const mine = async () => (await ls()).find((v) => v.name === name);

beforeAll(async () => {
  if (!have) return;
  dir = mkdtempSync(`/tmp/sov-vms-${process.pid}-`);
  golden = join(dir, 'golden.qcow2');
  overlay = join(dir, 'green.qcow2');
  pidFile = join(dir, 'qemu.pid');
  execFileSync(IMG!, ['create', '-q', '-f', 'qcow2', golden, '16M']);
  execFileSync(IMG!, ['create', '-q', '-f', 'qcow2', '-b', golden, '-F', 'qcow2', overlay]);
  const port = await freePort();
  env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') };
  delete env.SOV_RUNTIME_DIR; delete env.SOV_STATE_DIR; delete env.NODE_OPTIONS;
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
  const start = vmArgv(port, false);
  writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), [
    'vms:', `  - name: ${name}`, `    golden: ${golden}`, `    goldenSha256: ${sha256(golden)}`, `    overlay: ${overlay}`, '    keep: 2',
    `    start: ${JSON.stringify(start)}`, `    heartbeat: { tcp: "127.0.0.1:${port}", intervalSec: 1, misses: 2, timeoutSec: 2 }`, '    startTimeoutSec: 30', '',
  ].join('\n'));
  // the test starts the first QEMU itself (not daemonized: its pid is ours from the start)
  const child = spawn(QEMU!, start.slice(1), { stdio: 'ignore', detached: true });
  pids.add(child.pid!);
  await waitFor('the QMP socket', () => existsSync(join(dir, 'qmp.sock')));
}, 60_000);

afterAll(async () => {
  if (!have) return;
  if (existsSync(pidFile)) pids.add(Number(readFileSync(pidFile, 'utf8').trim()));
  for (const pid of pids) if (alive(pid) && cmdline(pid).includes(name)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  let daemonPid: number | undefined;
  try { daemonPid = (JSON.parse((await sov(['daemon', 'status', '--json'], env)).stdout) as { pid?: number }).pid; } catch {}
  await sov(['daemon', 'stop'], env).catch(() => undefined);
  if (daemonPid && alive(daemonPid) && cmdline(daemonPid).includes(SOV)) { try { process.kill(daemonPid, 'SIGKILL'); } catch {} }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.runIf(have)('sov and a real QEMU', () => {
  it('lists it from /proc: paused at prelaunch (QMP), its overlay on the golden, its forwarded port, its heartbeat', async () => {
    const v = (await mine())!;
    expect(v.vm).toMatchObject({ state: 'paused', stateDetail: 'prelaunch' });
    expect([...pids]).toContain(v.vm!.pid);
    expect(v.vm!.disks[0]!.chain.map((c) => c.filename)).toEqual([overlay, golden]);
    expect(v.vm!.hostfwd).toHaveLength(1);
    expect(v.heartbeat?.state).toBe('ok');
    const text = await sov(['vms', 'ls'], env);
    expect(text.stdout).toMatch(new RegExp(`${name}\\s+qemu\\s+paused \\(prelaunch\\)`));
    expect(text.stdout).toContain('green.qcow2');
  });

  it('snapshots it through QMP savevm (T1, recorded), and lists the snapshot', async () => {
    const r = await sov(['vms', 'snapshot', name, 'first'], env, 90_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('savevm first');
    const s = await sov(['vms', 'snapshots', name, '--json'], env);
    expect((JSON.parse(s.stdout) as { snapshots: { name: string }[] }).snapshots.map((x) => x.name)).toEqual(['first']);
    const bad = await sov(['vms', 'snapshot', name, 'no;such'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr + bad.stdout).toMatch(/letters, digits/);
  }, 120_000);

  it('reverts it (T2: the name typed) after snapshotting the current state; a wrong name is refused', async () => {
    const wrong = await sov(['vms', 'revert', name, 'first', '--confirm', 'other'], env);
    expect(wrong.code).not.toBe(0);
    const r = await sov(['vms', 'revert', name, 'first', '--confirm', name], env, 90_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/loadvm first/);
    const names = (await mine())!.vm!.snapshots.map((x) => x.name);
    expect(names[0]).toBe('first');
    expect(names.some((n) => /^sov-before-revert-\d{8}-\d{6}$/.test(n))).toBe(true);
  }, 120_000);

  it('reimages it (T3 tripcode): the old overlay is kept, the new one is on the golden, it runs again and beats', async () => {
    const oldPid = (await mine())!.vm!.pid!;
    const refused = await sov(['vms', 'reimage', name], env, 60_000);
    expect(refused.code).not.toBe(0);
    expect(alive(oldPid)).toBe(true);
    expect((await sov(['tripcode', 'init'], env)).code).toBe(0);
    const payload = (await sov(['tripcode', 'sign', `RECOVERY:REIMAGE_TO_GOLDEN::${name}`], env)).stdout.trim();
    const r = await sov(['vms', 'reimage', name, '--tripcode', payload], env, 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/beating/);
    expect(alive(oldPid)).toBe(false);
    expect(chainOf(`${overlay}.1`).map((c) => c.filename)).toEqual([`${overlay}.1`, golden]);
    expect(chainOf(overlay).map((c) => c.filename)).toEqual([overlay, golden]);
    // the old overlay kept its snapshots; the new one has none
    expect(execFileSync(IMG!, ['snapshot', '-l', '-U', `${overlay}.1`], { encoding: 'utf8' })).toContain('first');
    const newPid = Number(readFileSync(pidFile, 'utf8').trim());
    pids.add(newPid);
    const v = (await mine())!;
    expect(v.vm).toMatchObject({ pid: newPid, state: 'paused', snapshots: [] });
    const audit = await sov(['audit', 'ls', '--json', '-n', '50'], env);
    expect(audit.code, audit.stderr).toBe(0);
    for (const id of ['vm.snapshot', 'vm.revert', 'vm.reimage']) expect(audit.stdout).toContain(`"${id}"`);
  }, 180_000);

  it('refuses a reimage when the golden changed since its checksum was recorded', async () => {
    appendFileSync(golden, Buffer.from([0])); // a byte past the image's end: qemu-img still reads it, its sha256 differs
    const payload = (await sov(['tripcode', 'sign', `RECOVERY:REIMAGE_TO_GOLDEN::${name}`], env)).stdout.trim();
    const r = await sov(['vms', 'reimage', name, '--tripcode', payload], env, 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/golden checksum: sha256 [0-9a-f]{16}… differs from the recorded/);
    expect(existsSync(`${overlay}.2`)).toBe(false);
  }, 90_000);
});

const SSHD = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));
const SSH = ['/usr/bin/ssh', '/usr/local/bin/ssh'].find((p) => existsSync(p));
if (!SSHD || !SSH) console.warn('[vms-real] sshd/ssh not installed (openssh-server, openssh-client): sov ssh against a real sshd not run');

describe.runIf(SSHD !== undefined && SSH !== undefined)('sov ssh NAME and a real sshd on loopback', () => {
  let sdir = '';
  let senv: NodeJS.ProcessEnv = {};
  let sshd: ReturnType<typeof spawn> | undefined;
  beforeAll(async () => {
    sdir = mkdtempSync(`/tmp/sov-ssh-${process.pid}-`);
    const port = await freePort();
    const k = (f: string) => join(sdir, f);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k('hostkey')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k('id')]);
    writeFileSync(k('authorized_keys'), readFileSync(k('id.pub')));
    writeFileSync(k('known_hosts'), `[127.0.0.1]:${port} ${readFileSync(k('hostkey.pub'), 'utf8')}`);
    writeFileSync(k('sshd_config'), [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${k('hostkey')}`, `AuthorizedKeysFile ${k('authorized_keys')}`, `PidFile ${k('sshd.pid')}`,
      'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', ''].join('\n'));
    // the user's own ssh config (ssh reads ~/.ssh from the passwd home, not $HOME: a shim hands it -F); host keys checked
    writeFileSync(k('ssh_config'), ['Host agent-ws', '  HostName 127.0.0.1', `  Port ${port}`, `  User ${execFileSync('id', ['-un'], { encoding: 'utf8' }).trim()}`, `  IdentityFile ${k('id')}`,
      `  UserKnownHostsFile ${k('known_hosts')}`, '  StrictHostKeyChecking yes', '  BatchMode yes', ''].join('\n'));
    mkdirSync(k('bin'));
    writeFileSync(k('bin/ssh'), `#!/bin/sh\nexec ${SSH} -F ${k('ssh_config')} "$@"\n`, { mode: 0o755 });
    mkdirSync('/run/sshd', { recursive: true });
    mkdirSync(k('config/sov'), { recursive: true });
    writeFileSync(k('config/sov/config.yaml'), 'vms:\n  - name: agent\n    ssh: agent-ws\n');
    senv = { ...process.env, PATH: `${k('bin')}:${process.env.PATH}`, HOME: sdir, XDG_CONFIG_HOME: k('config'), XDG_STATE_HOME: k('state') };
    delete senv.SOV_STATE_DIR; delete senv.SOV_RUNTIME_DIR;
    sshd = spawn(SSHD!, ['-D', '-e', '-f', k('sshd_config')], { stdio: 'ignore' });
    const probe = async () => (await sov(['ssh', 'agent', '--', 'true'], senv, 15_000)).code === 0;
    const end = Date.now() + 15_000;
    while (!(await probe())) { if (Date.now() > end) throw new Error('sshd did not come up'); await new Promise((r) => setTimeout(r, 200)); }
  }, 40_000);
  afterAll(() => {
    // sshd rewrites its argv into one title string ("sshd: /usr/sbin/sshd -D … [listener]")
    if (sshd?.pid && alive(sshd.pid) && cmdline(sshd.pid).join(' ').includes(join(sdir, 'sshd_config'))) process.kill(sshd.pid, 'SIGTERM');
    if (sdir) rmSync(sdir, { recursive: true, force: true });
  });

  it('runs the command over the user\'s ssh and exits with its code', async () => {
    const r = await sov(['ssh', 'agent', '--', 'echo', 'hello-from-sshd;', 'exit', '7'], senv, 20_000);
    expect(r.stdout).toContain('hello-from-sshd');
    expect(r.code).toBe(7);
    expect((await sov(['vms', 'ssh', 'agent', '--', 'exit', '0'], senv, 20_000)).code).toBe(0);
  }, 45_000);

  it('a host key that does not match the known one is refused by ssh (sov never turns checking off)', async () => {
    writeFileSync(join(sdir, 'known_hosts'), readFileSync(join(sdir, 'known_hosts'), 'utf8').replace(/AAAA\S+/, `AAAAC3NzaC1lZDI1NTE5AAAAI${'A'.repeat(43)}`));
    const r = await sov(['ssh', 'agent', '--', 'true'], senv, 20_000);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  }, 30_000);
});

describe('sov --demo, the VMs screen (0) in tmux', () => {
  for (const [cols, rows] of [[80, 24], [120, 40]] as const) {
    it(`${cols}×${rows}: the agent VM, a Green on the golden, the Green whose heartbeat is missing; q leaves a clean shell`, async () => {
      const state = mkdtempSync(`/tmp/sov-vms-demo-${process.pid}-`);
      const t = new Tmux().start(cols, rows, { SOV_STATE_DIR: state });
      try {
        t.typeLine(`node ${SOV} --demo`);
        await t.waitFor('omni (demo)', 15_000);
        t.keys('0');
        const screen = await t.waitFor((s) => s.includes('green-2') && s.includes('missing'), 15_000);
        for (const x of ['workstation_agent', 'green-1', 'golden', 'Seen through']) expect(screen).toContain(x);
        expect(t.lines()).toHaveLength(rows);
        t.keys('q');
        await t.waitFor((s) => !s.includes('green-2'), 10_000);
      } finally { t.kill(); rmSync(state, { recursive: true, force: true }); }
    }, 45_000);
  }
});
