import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { isLoopbackListen, parseListen } from '../../src/config/exporter.js';

describe('exporter: in the config', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['[::1]:9100', { host: '::1', port: 9100 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
  ])('parseListen(%s)', (text, want) => {
    expect(parseListen(text)).toEqual(want);
  });

  it.each(['9464', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', ':9464', '::1:9464', '127.0.0.1:94a', 'a b:1', ''])('parseListen(%j) says what is wrong', (text) => {
    expect(typeof parseListen(text)).toBe('string');
  });

  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['localhost', true], ['::1', true], ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false], ['::', false], ['192.168.1.10', false], ['100.64.0.1', false], ['box.tailnet.ts.net', false], ['128.0.0.1', false],
  ])('isLoopbackListen(%s) = %s', (host, want) => {
    expect(isLoopbackListen(host)).toBe(want);
  });

  it('is off unless configured; listen defaults to 127.0.0.1:9464', () => {
    const none = parseConfigText('engines: []\n');
    expect(none.ok && none.config.exporter).toBeUndefined();
    const r = parseConfigText('exporter: {}\n');
    expect(r.ok && r.config.exporter).toEqual({ listen: '127.0.0.1:9464', allowRemote: false, requestTimeoutSec: 5, hostCheckSec: 15 });
  });

  it('refuses a non-loopback listen, with the line and why, unless allowRemote: true', () => {
    const r = parseConfigText('engines: []\nexporter:\n  listen: 0.0.0.0:9464\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.text).toMatch(/exporter\.listen/);
      expect(r.text).toMatch(/not a loopback address/);
      expect(r.text).toMatch(/allowRemote/);
      expect(r.errors[0]?.line).toBe(3);
    }
    const allowed = parseConfigText('exporter:\n  listen: 0.0.0.0:9464\n  allowRemote: true\n');
    expect(allowed.ok && allowed.config.exporter?.listen).toBe('0.0.0.0:9464');
  });

  it('refuses a malformed listen and unknown keys', () => {
    const bad = parseConfigText('exporter:\n  listen: "9464"\n');
    expect(!bad.ok && bad.text).toMatch(/not host:port/);
    const extra = parseConfigText('exporter:\n  listen: 127.0.0.1:9464\n  port: 1\n');
    expect(extra.ok).toBe(false);
  });
});
