import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { forwardSpec, tunnelArgv, tunnelEngine, tunnelEngines, tunnelInfo } from '../../src/tunnels/engine.js';

function config(text: string): Config {
  const r = parseConfigText(text, 'cfg.yaml');
  if (!r.ok) throw new Error(r.text);
  return r.config;
}

const C = config(`hosts:
  - name: omni
    ssh: { host: 100.64.0.7, port: 2200, user: ops, identity: /home/me/.ssh/omni }
tunnels:
  - name: omni-bridge
    via: omni
    local: [{ port: 8000, to: 127.0.0.1:8000 }, { port: 6333, bind: "::1", to: "[::1]:6333" }]
    remote: [{ port: 9100, to: 127.0.0.1:9100 }]
  - name: alias
    ssh: cloudlab
    sshConfig: /etc/sov/ssh_config
    remote: [{ port: 9000, to: 127.0.0.1:3000 }]
    serverAliveIntervalSec: 5
    serverAliveCountMax: 2
    connectTimeoutSec: 4
    autostart: false
  - name: web
    ssh: { host: 127.0.0.1 }
    local: [{ port: 8080, bind: 0.0.0.0, to: 10.0.0.5:80 }]
    probe: { http: "http://127.0.0.1:8080/health" }
`);
const [bridge, alias, web] = C.tunnels;

describe('a tunnel as a process engine', () => {
  it('the exact argv through a hosts: entry ({host, port, user, identity})', () => {
    expect(tunnelArgv(bridge!, C.hosts[0]!.ssh)).toEqual([
      'ssh', '-N', '-T',
      '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3',
      '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
      '-L', '127.0.0.1:8000:127.0.0.1:8000', '-L', '[::1]:6333:[::1]:6333', '-R', '127.0.0.1:9100:127.0.0.1:9100',
      '-p', '2200', '-i', '/home/me/.ssh/omni', 'ops@100.64.0.7',
    ]);
  });

  it('an alias with its own ssh_config (-F first) and its own keepalives', () => {
    expect(tunnelEngine(alias!, C.hosts)!.argv).toEqual([
      'ssh', '-F', '/etc/sov/ssh_config', '-N', '-T',
      '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=2',
      '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=4', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
      '-R', '127.0.0.1:9000:127.0.0.1:3000', 'cloudlab',
    ]);
  });

  it('a local forward is probed by a TCP connect to its port; restart, backoff and crashloop carry over', () => {
    const e = tunnelEngine(bridge!, C.hosts)!;
    expect(e).toMatchObject({
      kind: 'process', name: 'omni-bridge', host: '127.0.0.1', port: 8000, restart: 'always', autostart: true, startupGraceSec: 15,
      health: { url: 'tcp://127.0.0.1:8000', kind: 'tcp', intervalSec: 5, timeoutSec: 3 },
      backoff: { initialSec: 1, factor: 2, maxSec: 30, resetAfterSec: 300 }, crashloop: { failures: 30, withinMin: 10 },
      stop: { signal: 'SIGTERM', timeoutSec: 5 },
    });
  });

  it('only remote forwards: no probe (healthy once up a second, as an engine without one), and it says why', () => {
    const e = tunnelEngine(alias!, C.hosts)!;
    expect(e.health).toBeUndefined();
    expect(e.port).toBeUndefined();
    expect(e.autostart).toBe(false);
    expect(tunnelInfo(alias!).probe).toMatch(/remote forward cannot be probed from here/);
  });

  it('an http probe through the tunnel; a wildcard bind is probed on loopback', () => {
    expect(tunnelEngine(web!, C.hosts)!.health).toMatchObject({ url: 'http://127.0.0.1:8080/health', kind: 'http' });
    expect(tunnelEngine({ ...web!, probe: 'tcp' }, C.hosts)!.health).toMatchObject({ url: 'tcp://127.0.0.1:8080', kind: 'tcp' });
  });

  it('forward specs and what the cockpit shows', () => {
    expect(forwardSpec({ port: 1, bind: '127.0.0.1', to: 'h:2' })).toBe('127.0.0.1:1:h:2');
    expect(tunnelInfo(bridge!)).toEqual({ forwards: ['8000→127.0.0.1:8000', '[::1]:6333→[::1]:6333', 'R 9100→127.0.0.1:9100'], via: 'omni', probe: 'tcp 127.0.0.1:8000' });
    expect(tunnelInfo(web!).via).toBe('127.0.0.1');
  });

  it('a via that names no host is left out (the schema refuses it before)', () => {
    expect(tunnelEngines([{ ...bridge!, via: 'gone' }, web!], C.hosts).map((e) => e.name)).toEqual(['web']);
  });
});
