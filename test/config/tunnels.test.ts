import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { parseHostPort } from '../../src/config/tunnels.js';

const parse = (text: string) => parseConfigText(text, 'cfg.yaml');
const refused = (text: string): string => {
  const r = parse(text);
  if (r.ok) throw new Error('expected the config to be refused');
  return r.text;
};

const HOSTS = 'hosts:\n  - name: omni\n    ssh: { host: 100.64.0.7, user: ops }\n';

describe('tunnels: config', () => {
  it('a local forward via a hosts: entry parses with the tunnel defaults', () => {
    const r = parse(`${HOSTS}tunnels:\n  - name: omni-bridge\n    via: omni\n    local: [{ port: 8000, to: "127.0.0.1:8000" }]\n`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.tunnels[0]).toMatchObject({
      name: 'omni-bridge', via: 'omni', local: [{ port: 8000, bind: '127.0.0.1', to: '127.0.0.1:8000' }], remote: [],
      restart: 'always', autostart: true, serverAliveIntervalSec: 15, serverAliveCountMax: 3, connectTimeoutSec: 10,
      backoff: { initialSec: 1, factor: 2, maxSec: 30 }, crashloop: { failures: 30, withinMin: 10 },
    });
  });

  it('an ssh target of its own, a remote forward, an http probe and an ssh_config', () => {
    const r = parse('tunnels:\n  - name: back\n    ssh: { host: 127.0.0.1, port: 2222, user: ops, identity: /k/id }\n    sshConfig: /etc/sov/ssh_config\n'
      + '    remote: [{ port: 9100, to: 127.0.0.1:9100 }]\n    probe: { http: "http://127.0.0.1:9100/health" }\n');
    expect(r.ok).toBe(true);
  });

  it.each([
    ['neither via nor ssh', 'tunnels:\n  - name: t\n    local: [{ port: 8000, to: 127.0.0.1:8000 }]\n', /tunnels\[0\]\.via.*exactly one of via/s],
    ['both via and ssh', `${HOSTS}tunnels:\n  - name: t\n    via: omni\n    ssh: omni\n    local: [{ port: 8000, to: 127.0.0.1:8000 }]\n`, /tunnels\[0\]\.ssh.*exactly one of via/s],
    ['via names no host', `${HOSTS}tunnels:\n  - name: t\n    via: nowhere\n    local: [{ port: 8000, to: 127.0.0.1:8000 }]\n`, /tunnels\[0\]\.via.*no hosts: entry named "nowhere" \(known: omni\)/s],
    ['no forward', 'tunnels:\n  - name: t\n    ssh: box\n', /tunnels\[0\]\.local.*at least one forward/s],
    ['to is not host:port', 'tunnels:\n  - name: t\n    ssh: box\n    local: [{ port: 8000, to: "8000" }]\n', /tunnels\[0\]\.local\[0\]\.to.*host:port/s],
    ['a port out of range', 'tunnels:\n  - name: t\n    ssh: box\n    local: [{ port: 70000, to: 127.0.0.1:1 }]\n', /tunnels\[0\]\.local\[0\]\.port/],
    ['an unknown key', 'tunnels:\n  - name: t\n    ssh: box\n    local: [{ port: 8000, to: 127.0.0.1:1, via: x }]\n', /tunnels\[0\]\.local\[0\]/],
    ['a tcp probe without a local forward', 'tunnels:\n  - name: t\n    ssh: box\n    remote: [{ port: 9000, to: 127.0.0.1:9000 }]\n    probe: tcp\n', /tunnels\[0\]\.probe.*no local forward|has none/s],
    ['two tunnels on one local port', 'tunnels:\n  - name: a\n    ssh: box\n    local: [{ port: 8000, to: 127.0.0.1:1 }]\n  - name: b\n    ssh: box\n    local: [{ port: 8000, to: 127.0.0.1:2 }]\n', /tunnels\[1\]\.local\[0\]\.port.*127\.0\.0\.1:8000 is already forwarded by tunnels "a"/s],
    ['a duplicate name', 'tunnels:\n  - name: a\n    ssh: box\n    local: [{ port: 8000, to: 127.0.0.1:1 }]\n  - name: a\n    ssh: box\n    local: [{ port: 8001, to: 127.0.0.1:2 }]\n', /tunnels\[1\]\.name.*duplicate/s],
    ['a relative sshConfig', 'tunnels:\n  - name: t\n    ssh: box\n    sshConfig: ssh_config\n    local: [{ port: 8000, to: 127.0.0.1:1 }]\n', /tunnels\[0\]\.sshConfig.*absolute/s],
  ])('refused, naming the field: %s', (_what, text, re) => {
    expect(refused(text)).toMatch(re);
  });

  it('host:port', () => {
    expect(parseHostPort('127.0.0.1:8000')).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(parseHostPort('[::1]:22')).toEqual({ host: '::1', port: 22 });
    expect(parseHostPort('db.internal:5432')).toEqual({ host: 'db.internal', port: 5432 });
    for (const bad of ['8000', '::1:22', 'a:0', 'a:65536', ':80', 'a b:1']) expect(parseHostPort(bad)).toBeUndefined();
  });
});
