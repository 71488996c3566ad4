/**
 * A real OpenSSH server on a 127.0.0.1 port for tests: a throwaway host key and user key in a temp dir, an
 * ssh_config (-F) with its own known_hosts holding that host key (host-key checking stays on), and a PATH shim
 * `ssh` that only adds `-F` so sov runs "the user's own ssh" against it. Started and stopped by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sshd {
  dir: string;
  port: number;
  /** the ssh_config alias that reaches it */
  alias: string;
  /** a directory to put first on PATH: its `ssh` is the real one with -F */
  shimDir: string;
  /** sshd's log (-E) */
  log: string;
  /** the listening sshd's pid (undefined while it is down) */
  pid(): number | undefined;
  /** ends sshd and the per-connection sshd processes it forked (each by pid): its clients lose their connections */
  down(): Promise<void>;
  /** starts sshd again on the same port, keys and config; resolves when it accepts */
  up(): Promise<void>;
  stop(): void;
}

/** sshd and the per-connection processes it forked, children of `pid` (from /proc/PID/stat's ppid) */
function family(pid: number): number[] {
  const kids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return Number(readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]) === pid; } catch { return false; }
  }).map(Number);
  return [pid, ...kids.flatMap(family)];
}

export const haveSshd = (): boolean => existsSync('/usr/sbin/sshd') && existsSync('/usr/bin/ssh');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

/** `serverConfig`: more sshd_config lines (e.g. `SetEnv NAME=value` for the sessions) */
export async function startSshd(alias = 'agentvm', opts: { serverConfig?: string[] } = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'sov-sshd-'));
  chmodSync(dir, 0o700);
  const port = await freePort();
  const key = (name: string) => { execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]); return join(dir, name); };
  const hostKey = key('host_key');
  const userKey = key('user_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`), { mode: 0o600 });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  const log = join(dir, 'sshd.log');
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PermitRootLogin yes',
    `PidFile ${join(dir, 'sshd.pid')}`, 'PrintMotd no', 'PrintLastLog no', 'Subsystem sftp internal-sftp', ...(opts.serverConfig ?? []),
  ].join('\n') + '\n');
  writeFileSync(join(dir, 'ssh_config'), [
    `Host ${alias}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${process.env.USER || 'root'}`, `  IdentityFile ${userKey}`,
    '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`, '  StrictHostKeyChecking yes', '  LogLevel ERROR',
  ].join('\n') + '\n');
  const shimDir = join(dir, 'bin');
  mkdirSync(shimDir);
  writeFileSync(join(shimDir, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${join(dir, 'ssh_config')} "$@"\n`, { mode: 0o755 });
  // sshd refuses to start without its privilege-separation directory
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let child: ChildProcess | undefined;
  const up = async () => {
    const c = child = spawn('/usr/sbin/sshd', ['-D', '-f', join(dir, 'sshd_config'), '-E', log], { stdio: 'ignore' });
    // ready when it accepts a connection
    const t0 = Date.now();
    for (;;) {
      const accepting = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
      });
      if (accepting) break;
      if (c.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`sshd did not start: ${existsSync(log) ? readFileSync(log, 'utf8') : 'no log'}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const alive = () => child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
  await up();
  return {
    dir, port, alias, shimDir, log,
    pid: () => (alive() ? child!.pid : undefined),
    async down() {
      if (!alive()) return;
      const c = child!;
      const gone = new Promise((r) => c.once('exit', r));
      for (const p of family(c.pid!).reverse()) { try { process.kill(p, 'SIGKILL'); } catch {} }
      await gone;
    },
    up,
    stop() {
      if (alive()) { try { process.kill(child!.pid!, 'SIGTERM'); } catch {} }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
