/**
 * A tunnel is a process engine (pure): `tunnels:` entries become ProcessEngineConfigs whose argv is one `ssh -N`
 * holding the forwards, with a readiness probe of the forwarded port, and the daemon supervises them with a second
 * supervisor (own state dir, log dir, markers). No shell anywhere: argv only.
 *
 *   ssh [-F CONFIG] -N -T -o ExitOnForwardFailure=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=3
 *       -o BatchMode=yes -o ConnectTimeout=10 -o ControlMaster=no -o ControlPath=none
 *       -L 127.0.0.1:8000:127.0.0.1:8000 … -R … [-p PORT] [-i IDENTITY] [USER@]HOST | ALIAS
 *
 * ControlMaster=no and ControlPath=none: the tunnel is its own connection, never a client of a multiplexed master
 * (a mux client hands its forwards to the master and the process the daemon watches would not be the link).
 */
import type { HostConfig } from '../config/hosts.js';
import type { ProcessEngineConfig } from '../config/schema.js';
import type { ForwardConfig, TunnelConfig } from '../config/tunnels.js';
import { parseHostPort } from '../config/tunnels.js';
import { sshArgv, sshText, type SshTarget } from '../config/vms.js';

/** `[::1]` for an IPv6 address in a forward spec or a URL, the rest as it is */
const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** ssh's -L/-R spec: bind:port:host:hostport (IPv6 addresses in brackets) */
export function forwardSpec(f: ForwardConfig): string {
  const to = parseHostPort(f.to)!;
  return `${bracket(f.bind)}:${f.port}:${bracket(to.host)}:${to.port}`;
}

/** The ssh target a tunnel goes through: its own ssh:, or its via: host's. Undefined when via names no host. */
export function tunnelTarget(t: TunnelConfig, hosts: HostConfig[]): SshTarget | undefined {
  if (t.ssh !== undefined) return t.ssh;
  return hosts.find((h) => h.name === t.via)?.ssh;
}

/** The exact argv the daemon spawns for this tunnel. */
export function tunnelArgv(t: TunnelConfig, target: SshTarget): string[] {
  const [ssh, ...dest] = sshArgv(target);
  return [
    ssh!,
    ...(t.sshConfig !== undefined ? ['-F', t.sshConfig] : []),
    '-N', '-T',
    '-o', 'ExitOnForwardFailure=yes',
    '-o', `ServerAliveInterval=${t.serverAliveIntervalSec}`,
    '-o', `ServerAliveCountMax=${t.serverAliveCountMax}`,
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${t.connectTimeoutSec}`,
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    ...t.local.flatMap((f) => ['-L', forwardSpec(f)]),
    ...t.remote.flatMap((f) => ['-R', forwardSpec(f)]),
    ...dest,
  ];
}

/** where a probe connects to reach a listener bound to `bind` (a wildcard bind is reached on loopback) */
function probeHost(bind: string): string {
  if (bind === '*' || bind === '0.0.0.0' || bind === 'localhost') return '127.0.0.1';
  if (bind === '::') return '::1';
  return bind;
}

/** The readiness probe: tcp to the first local forward (the default when there is one), an HTTP URL, or none. */
export function tunnelHealth(t: TunnelConfig): ProcessEngineConfig['health'] {
  const probe = t.probe ?? (t.local.length ? 'tcp' : 'none');
  const timing = { intervalSec: t.probeIntervalSec, timeoutSec: t.probeTimeoutSec };
  if (probe === 'none') return undefined;
  if (probe === 'tcp') {
    const f = t.local[0]!;
    return { url: `tcp://${bracket(probeHost(f.bind))}:${f.port}`, kind: 'tcp', ...timing };
  }
  return { url: probe.http, kind: 'http', ...timing };
}

/** The process engine the tunnel supervisor runs for this tunnel (undefined: via names no host; the schema refuses that). */
export function tunnelEngine(t: TunnelConfig, hosts: HostConfig[]): ProcessEngineConfig | undefined {
  const target = tunnelTarget(t, hosts);
  if (target === undefined) return undefined;
  const first = t.local[0];
  const health = tunnelHealth(t);
  return {
    kind: 'process',
    name: t.name,
    argv: tunnelArgv(t, target),
    env: {},
    host: first ? probeHost(first.bind) : '127.0.0.1',
    ...(first ? { port: first.port } : {}),
    ...(health ? { health } : {}),
    // ssh logs in within its ConnectTimeout; a probe failing after that (and a few seconds) is a real failure
    startupGraceSec: t.connectTimeoutSec + 5,
    restart: t.restart,
    backoff: t.backoff,
    crashloop: t.crashloop,
    stop: { signal: 'SIGTERM', timeoutSec: 5 },
    autostart: t.autostart,
    logs: { maxBytes: 1024 * 1024, keep: 2 },
  };
}

/** Every tunnel of a config as process engines (those whose via names no host are left out). */
export function tunnelEngines(tunnels: TunnelConfig[], hosts: HostConfig[]): ProcessEngineConfig[] {
  return tunnels.map((t) => tunnelEngine(t, hosts)).filter((e): e is ProcessEngineConfig => e !== undefined);
}

/** "8000→127.0.0.1:8000", "R 9100→127.0.0.1:9100" (a remote forward listens on the box) */
export function forwardText(f: ForwardConfig, dir: 'local' | 'remote'): string {
  const listen = f.bind === '127.0.0.1' ? String(f.port) : `${bracket(f.bind)}:${f.port}`;
  return `${dir === 'remote' ? 'R ' : ''}${listen}→${f.to}`;
}

/** What a tunnel is, for lists and the cockpit: its forwards, the host it goes through, how it is probed. */
export interface TunnelInfo {
  forwards: string[];
  via: string;
  probe: string;
}

export function tunnelInfo(t: TunnelConfig): TunnelInfo {
  const h = tunnelHealth(t);
  return {
    forwards: [...t.local.map((f) => forwardText(f, 'local')), ...t.remote.map((f) => forwardText(f, 'remote'))],
    via: t.via ?? sshText(t.ssh!),
    probe: h ? `${h.kind} ${h.kind === 'tcp' ? h.url.replace(/^tcp:\/\//, '') : h.url}` : (t.local.length ? 'none: healthy once its ssh is up 1 s' : 'none (a remote forward cannot be probed from here): healthy once its ssh is up 1 s'),
  };
}
