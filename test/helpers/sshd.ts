/**
 * A real OpenSSH server on a 127.0.0.1 port for tests: a throwaway host key and user key in a temp dir, an
 * ssh_config (-F) with its own known_hosts holding that host key (host-key checking stays on), and a PATH shim
 * `ssh` that only adds `-F` so sov runs "the user's own ssh" against it. Started and stopped by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  stop(): void;
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
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-f', join(dir, 'sshd_config'), '-E', log], { stdio: 'ignore' });
  // ready when it accepts a connection
  const t0 = Date.now();
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`sshd did not start: ${existsSync(log) ? readFileSync(log, 'utf8') : 'no log'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir, port, alias, shimDir, log,
    stop() {
      if (child.pid !== undefined && child.exitCode === null) { try { process.kill(child.pid, 'SIGTERM'); } catch {} }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
