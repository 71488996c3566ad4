import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSshRunner, parseCatBatch, remoteCommand, shellQuote, slots, sshCommandArgv, sshFailure } from '../../src/runner/ssh.js';
import { killAllChildren } from '../../src/runner/local.js';

/** the nasty values: separators, substitutions, quotes, globs, newlines, a leading dash */
const NASTY = ['a b', 'x;touch PWNED', '$(touch PWNED)', '`touch PWNED`', "it's", '"dq"', '*', '-n', '', 'line1\nline2', '\\', '$HOME', '&&', '|', '>out'];

describe('shellQuote / remoteCommand', () => {
  it('a POSIX shell gives back every element exactly, and runs none of it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sov-quote-'));
    try {
      const cmd = remoteCommand(['printf', '%s\\0', ...NASTY]);
      const r = spawnSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout.split('\0').slice(0, -1)).toEqual(NASTY);
      expect(existsSync(join(dir, 'PWNED'))).toBe(false);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
  it('quotes only what needs it', () => {
    expect(shellQuote('nvidia-smi')).toBe('nvidia-smi');
    expect(shellQuote('--query-gpu=index,name')).toBe('--query-gpu=index,name');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a;b')).toBe("'a;b'");
  });
  it('forces the C locale through env, ends env\'s options, and puts a test PATH prefix first when asked', () => {
    expect(remoteCommand(['zpool', 'list', '-Hp'])).toBe('env -- LC_ALL=C LANG=C zpool list -Hp');
    expect(remoteCommand(['x'], '/tmp/shims dir')).toBe(`env -- LC_ALL=C LANG=C PATH='/tmp/shims dir':"$PATH" x`);
    expect(() => remoteCommand(['A=1', 'sh'])).toThrow(/cannot hold "="/);
    expect(() => remoteCommand([])).toThrow(/empty argv/);
  });
});

describe('parseCatBatch / slots', () => {
  it('splits by the token, keeps each part exact, and marks what never came', () => {
    const t = '__sov_x__';
    expect(parseCatBatch(`a\nb\n${t} 0\n\n${t} 0\ncat: x: No such file or directory\n${t} 1\n`, t, 4)).toEqual([
      { code: 0, text: 'a\nb' }, { code: 0, text: '' }, { code: 1, text: 'cat: x: No such file or directory' }, undefined,
    ]);
    expect(parseCatBatch('garbage', t, 2)).toEqual([undefined, undefined]);
    expect(parseCatBatch(`x\n${t} zz\n`, t, 1)).toEqual([undefined]);
  });
  it('slots: at most n holders, the rest wait in order; close answers the waiters with undefined', async () => {
    const s = slots(2);
    const a = await s.take(); const b = await s.take();
    const order: string[] = [];
    const c = s.take().then((r) => { order.push('c'); return r; });
    const d = s.take().then((r) => { order.push(String(r)); return r; });
    expect(s.busy()).toBe(2);
    a!(); a!(); // a second release of the same holder counts once
    const rc = await c;
    expect(order).toEqual(['c']);
    expect(s.busy()).toBe(2);
    s.close();
    expect(await d).toBeUndefined();
    expect(await s.take()).toBeUndefined();
    b!(); rc!();
  });
});

describe('sshCommandArgv', () => {
  it('multiplexes through a ControlPath in the runtime dir, batch mode, options before the destination', () => {
    const a = sshCommandArgv({ target: 'omni', runtimeDir: '/run/user/1000/sov' }, ['nvidia-smi', '-q', '-x']);
    expect(a[0]).toBe('ssh');
    const opts = a.flatMap((x, i) => (a[i - 1] === '-o' ? [x] : []));
    expect(opts).toEqual(expect.arrayContaining(['BatchMode=yes', 'ControlMaster=auto', 'ControlPath=/run/user/1000/sov/ssh-%C', 'ControlPersist=60']));
    expect(a.join(' ')).not.toMatch(/StrictHostKeyChecking|UserKnownHostsFile/);
    const dash = a.indexOf('--');
    expect(a[dash - 1]).toBe('omni');
    expect(a.slice(dash + 1)).toEqual(['env -- LC_ALL=C LANG=C nvidia-smi -q -x']);
  });
  it('a host/port/user/identity target reuses the VMs\' ssh argv', () => {
    const a = sshCommandArgv({ target: { host: '100.64.0.7', port: 2222, user: 'ops', identity: '/k/id' }, runtimeDir: '/r', persistSec: 30 }, ['uptime']);
    const dash = a.indexOf('--');
    expect(a.slice(dash - 5, dash)).toEqual(['-p', '2222', '-i', '/k/id', 'ops@100.64.0.7']);
    expect(a).toContain('ControlPersist=30');
  });
  it('ssh\'s own failure (255) becomes one line naming the host; a remote exit does not', () => {
    expect(sshFailure('forge', { exitCode: 255, stderr: 'ssh: connect to host forge port 22: Connection refused\n', timedOut: false, notFound: false })).toBe('ssh forge: ssh: connect to host forge port 22: Connection refused');
    expect(sshFailure('forge', { exitCode: 1, stderr: 'zpool: oops', timedOut: false, notFound: false })).toBeUndefined();
    expect(sshFailure('forge', { exitCode: null, stderr: '', timedOut: false, notFound: true })).toMatch(/ssh not found/);
  });
});

/**
 * The runner against a PATH shim `ssh` that plays the remote side with a local `sh -c` of the command string and
 * fails loudly on any option it does not know; it records every argv.
 */
describe('createSshRunner (ssh shim)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const oldPath = process.env.PATH;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sov-sshrun-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'ssh'), `#!/bin/sh
printf '%s\\n' "$@" >> "${dir}/argv.log"; echo --- >> "${dir}/argv.log"
while [ $# -gt 0 ]; do case "$1" in
  --) shift; [ "$dest" = down ] && { echo "ssh: connect to host down port 22: Connection refused" >&2; exit 255; }; exec sh -c "$1";;
  -o|-p|-i) shift 2;; -n|-T) shift;; -O) echo "Exit request sent." >&2; exit 0;;
  -*) echo "ssh shim: unknown option $1" >&2; exit 99;;
  *) dest=$1; shift;;
esac; done
echo "ssh shim: no command" >&2; exit 99
`, { mode: 0o755 });
    process.env.PATH = `${join(dir, 'bin')}:${oldPath}`;
    env = { ...process.env };
  });
  afterEach(() => { process.env.PATH = oldPath; killAllChildren(); rmSync(dir, { recursive: true, force: true }); });
  const runner = (target = 'omni', timeoutMs = 5000) => createSshRunner({ name: 'omni', target, runtimeDir: join(dir, 'rt'), defaultTimeoutMs: timeoutMs, env });

  it('runs argv there and gives back output, exit code and the argv the backend asked for; the runtime dir is 0700', async () => {
    const r = await runner().run(['sh', '-c', 'echo "$LC_ALL"; echo err >&2; exit 3']);
    expect(r).toMatchObject({ argv: ['sh', '-c', 'echo "$LC_ALL"; echo err >&2; exit 3'], exitCode: 3, stdout: 'C\n', notFound: false, timedOut: false });
    expect(r.stderr).toBe('err\n');
    expect(r.spawnError).toBeUndefined();
    expect(statSync(join(dir, 'rt')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, 'argv.log'), 'utf8')).toContain(`ControlPath=${join(dir, 'rt')}/ssh-%C`);
  });
  it('a program missing there is notFound, as locally', async () => {
    const r = await runner().run(['no-such-tool-sov', '--x']);
    expect(r.exitCode).toBe(127);
    expect(r.notFound).toBe(true);
  });
  it('an unreachable host is an error of this attempt (exit 255, the reason naming it), never notFound or a spawn error', async () => {
    const r = await runner('down').run(['nvidia-smi']);
    expect(r.notFound).toBe(false);
    expect(r.spawnError).toBeUndefined();
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toMatch(/^ssh omni: .*Connection refused/);
    await expect(runner('down').readFile('/proc/loadavg')).rejects.toThrow(/Connection refused/);
  });
  it('a hang is cut at the deadline', async () => {
    const t0 = Date.now();
    const r = await runner('omni', 300).run(['sleep', '30']);
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
  it('readFile (cat --) and listDir (ls -1A --): contents, undefined when missing, errors otherwise', async () => {
    writeFileSync(join(dir, '-odd name'), 'x\ny\n');
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', '.hidden'), '');
    writeFileSync(join(dir, 'd', 'node0'), '');
    const r = runner();
    expect(await r.readFile(join(dir, '-odd name'))).toBe('x\ny\n');
    expect(await r.readFile(join(dir, 'missing'))).toBeUndefined();
    expect((await r.listDir(join(dir, 'd')))?.sort()).toEqual(['.hidden', 'node0']);
    expect(await r.listDir(join(dir, 'nodir'))).toBeUndefined();
    await expect(r.readFile(join(dir, 'd'))).rejects.toThrow(/Is a directory/);
  });
  it('stream delivers lines of a long-lived remote process and stop() ends it', async () => {
    const lines: string[] = [];
    const h = runner().stream(['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "l $i"; sleep 0.05; done'], { onLine: (l) => lines.push(l), onExit: () => {} });
    const t0 = Date.now();
    while (lines.length < 3 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    h.stop();
    expect(lines.slice(0, 3)).toEqual(['l 1', 'l 2', 'l 3']);
  });
  it('reads asked for in one turn go as one remote command, each file with its own outcome', async () => {
    writeFileSync(join(dir, 'a'), 'A');
    writeFileSync(join(dir, "b'; touch PWNED #"), 'B\n');
    const r = runner();
    const got = await Promise.all([r.readFile(join(dir, 'a')), r.readFile(join(dir, "b'; touch PWNED #")), r.readFile(join(dir, 'nope')), r.readFile(dir).catch((e: Error) => e.message)]);
    expect(got).toEqual(['A', 'B\n', undefined, expect.stringMatching(/Is a directory/)]);
    expect(readFileSync(join(dir, 'argv.log'), 'utf8').split('---').length - 1).toBe(1);
    expect(existsSync('PWNED') || existsSync(join(dir, 'PWNED'))).toBe(false);
  });
  it('a stream whose connection drops ends with ssh\'s last stderr line as the reason, never an empty one', async () => {
    const r = runner();
    expect((await r.run(['true'])).exitCode).toBe(0);
    const exit = await new Promise<{ spawnError?: string }>((resolve) => {
      r.stream(['sh', '-c', 'echo "Connection to omni closed by remote host." >&2; exit 255'], { onLine: () => {}, onExit: resolve });
    });
    expect(exit.spawnError).toBe('ssh omni: Connection to omni closed by remote host.');
  });
  it('refuses a ControlPath dir that is a symlink or group-writable, saying why, and runs nothing', async () => {
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'rt'));
    const r = await runner().run(['true']);
    expect(r.exitCode).toBeNull();
    expect(r.spawnError).toMatch(/^ssh omni: .*rt is not a directory \(a symlink/);
    expect(existsSync(join(dir, 'argv.log'))).toBe(false);
    rmSync(join(dir, 'rt'));
    mkdirSync(join(dir, 'rt'));
    chmodSync(join(dir, 'rt'), 0o770);
    const exit = await new Promise<{ spawnError?: string }>((resolve) => { runner().stream(['true'], { onLine: () => {}, onExit: resolve }); });
    expect(exit.spawnError).toMatch(/writable by group or others/);
    expect(existsSync(join(dir, 'argv.log'))).toBe(false);
  });
  it('close() asks the master to exit through the same ControlPath', async () => {
    await runner().close();
    const log = readFileSync(join(dir, 'argv.log'), 'utf8');
    expect(log).toMatch(/-O\nexit\nomni\n/);
  });
});
