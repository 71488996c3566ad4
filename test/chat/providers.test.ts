import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { adHocProvider, cleanBaseUrl, defaultChain, isLoopbackAddress, isLoopbackHost, loadKey, resolveProviders, Secret } from '../../src/chat/providers.js';
import { cleanup, tempDir } from './helpers.js';

afterEach(cleanup);

describe('providers', () => {
  it('loopback is an IP literal in 127/8 or ::1, or localhost — never a resolved name', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', 'api.localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.255.255.1', '192.168.1.2', '0.0.0.0', '::', 'example.com', 'localhost.example.com', '128.0.0.1', '::ffff:10.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
    expect(isLoopbackAddress('localhost')).toBe(false);
  });

  it('removes credentials from base URLs', () => {
    expect(cleanBaseUrl('https://user:pw@api.example.com/v1/')).toEqual({ url: 'https://api.example.com/v1', host: 'api.example.com' });
    expect(cleanBaseUrl('ftp://x')).toBeUndefined();
  });

  it('resolves engines by name and remote endpoints with their keys; the chain ends with the local engine', () => {
    const dir = tempDir();
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, '# my key\nsk-file-456\n', { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    const config = configSchema.parse({
      engines: [{ name: 'llama', kind: 'process', argv: ['llama-server'], openai: 'http://127.0.0.1:8080/v1' }],
      providers: [
        { name: 'local', engine: 'llama' },
        { name: 'cloud', baseUrl: 'https://api.example.com/v1', model: 'big', apiKeyEnv: 'CLOUD_KEY' },
        { name: 'other', baseUrl: 'https://other.example.com/v1', model: 'm', apiKeyFile: keyFile },
      ],
      chat: { chain: ['cloud'] },
    });
    const ps = resolveProviders(config, { env: { CLOUD_KEY: 'sk-env-123' } });
    expect(ps.map((p) => [p.name, p.kind, p.baseUrl, p.loopback, p.problem])).toEqual([
      ['local', 'engine', 'http://127.0.0.1:8080/v1', true, undefined],
      ['cloud', 'remote', 'https://api.example.com/v1', false, undefined],
      ['other', 'remote', 'https://other.example.com/v1', false, undefined],
    ]);
    expect(ps[1]!.apiKey?.reveal()).toBe('sk-env-123');
    expect(ps[2]!.apiKey?.reveal()).toBe('sk-file-456');
    expect(defaultChain(ps, config.chat.chain).map((p) => p.name)).toEqual(['cloud', 'local']);
    expect(defaultChain(ps, []).map((p) => p.name)).toEqual(['cloud', 'other', 'local']);
    // keys never serialise
    const dump = JSON.stringify(ps) + inspect(ps, { depth: 9 }) + String(ps[1]!.apiKey);
    expect(dump).not.toContain('sk-env');
    expect(dump).not.toContain('sk-file');
  });

  it("a provider through a tunnel: its local forward's port on loopback, not a loopback provider (the words go on over ssh); a tunnel that is not there, or has no such port, is refused by the config", () => {
    const tunnels = [
      { name: 'omni-bridge', via: 'omni', local: [{ port: 8000, to: '127.0.0.1:8000' }, { port: 8001, bind: '::1', to: '127.0.0.1:11434' }] },
      { name: 'back', via: 'omni', remote: [{ port: 9100, to: '127.0.0.1:9100' }] },
    ];
    const hosts = [{ name: 'omni', ssh: 'omni' }];
    const config = configSchema.parse({
      hosts, tunnels,
      providers: [{ name: 'omni', tunnel: 'omni-bridge', model: 'qwen' }, { name: 'omni-ollama', tunnel: 'omni-bridge', port: 8001 }],
    });
    const ps = resolveProviders(config, { env: {} });
    expect(ps.map((p) => [p.name, p.kind, p.tunnel, p.baseUrl, p.loopback, p.model, p.problem])).toEqual([
      ['omni', 'remote', 'omni-bridge', 'http://127.0.0.1:8000/v1', false, 'qwen', undefined],
      ['omni-ollama', 'remote', 'omni-bridge', 'http://[::1]:8001/v1', false, undefined, undefined],
    ]);
    const bad = (providers: unknown[]) => {
      const r = configSchema.safeParse({ hosts, tunnels, providers });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(bad([{ name: 'x', tunnel: 'nope' }])).toEqual(['providers.0.tunnel: no tunnels: entry named "nope" (known: omni-bridge, back)']);
    expect(bad([{ name: 'x', tunnel: 'back' }])).toEqual(['providers.0.tunnel: tunnel "back" has no local forward to reach the engine through']);
    expect(bad([{ name: 'x', tunnel: 'omni-bridge', port: 9 }])).toEqual(['providers.0.port: tunnel "omni-bridge" forwards no local port 9 (it forwards 8000, 8001)']);
    expect(bad([{ name: 'x', tunnel: 'omni-bridge', path: 'v1' }])[0]).toMatch(/providers\.0\.path: a URL path/);
  });

  it('refuses a key file that group or others can read, with the chmod that fixes it', () => {
    const dir = tempDir();
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'sk-open\n');
    chmodSync(keyFile, 0o644);
    const r = loadKey({ name: 'cloud', apiKeyFile: keyFile }, { env: {} });
    expect(r.key).toBeUndefined();
    expect(r.problem).toMatch(/refusing the key file .*readable by group or others \(mode 0644\); run: chmod 600/);
    expect(loadKey({ name: 'cloud', apiKeyEnv: 'NOPE' }, { env: {} }).problem).toMatch(/NOPE .* is not set/);
    expect(loadKey({ name: 'cloud', apiKeyFile: join(dir, 'missing') }, { env: {} }).problem).toMatch(/ENOENT/);
  });

  it('an ad-hoc --base-url provider', () => {
    const p = adHocProvider('http://127.0.0.1:9999/v1', { SOV_API_KEY: 'k' });
    expect(typeof p !== 'string' && [p.loopback, p.baseUrl, p.apiKey instanceof Secret]).toEqual([true, 'http://127.0.0.1:9999/v1', true]);
    expect(adHocProvider('nope', {})).toMatch(/not an http/);
  });
});
