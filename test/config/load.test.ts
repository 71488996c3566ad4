import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyPath, loadConfig, parseConfigText } from '../../src/config/load.js';
import { repoRoot } from '../helpers/samples.js';

const bad = (text: string) => {
  const r = parseConfigText(text, 'cfg.yaml');
  if (r.ok) throw new Error('expected the config to be refused');
  return r;
};

const good = `engines:
  - name: llama
    kind: process
    argv: [llama-server, --port, "8080"]
    port: 8080
    openai: http://127.0.0.1:8080/v1
    health: { url: "http://127.0.0.1:8080/health", kind: llamacpp }
`;

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sov-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a valid file parses with defaults filled in', async () => {
    const f = join(dir, 'ok.yaml');
    writeFileSync(f, good);
    const r = await loadConfig(f);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.config.engines[0]!;
    expect(e).toMatchObject({ name: 'llama', kind: 'process', host: '127.0.0.1', restart: 'on-failure', startupGraceSec: 300, autostart: false });
    expect(e.health).toMatchObject({ kind: 'llamacpp', intervalSec: 5 });
  });

  it('a missing file is an empty config, and says which path was looked at', async () => {
    const f = join(dir, 'nope', 'config.yaml');
    const r = await loadConfig(f);
    expect(r).toMatchObject({ ok: true, missing: true, path: f });
    if (r.ok) {
      expect(r.config.engines).toEqual([]);
      expect(r.note).toContain(f);
    }
  });

  it('an empty file is an empty config', () => {
    expect(parseConfigText('').ok).toBe(true);
    expect(parseConfigText('# nothing yet\n').ok).toBe(true);
  });

  it('a YAML syntax error gives its line', () => {
    const r = bad('engines:\n  - name: a\n    kind: process\n    argv: [x, y\n  - name: b\n');
    expect(r.errors[0]).toMatchObject({ key: '' });
    expect(r.errors[0]!.line).toBeGreaterThanOrEqual(4);
    expect(r.errors[0]!.message).toMatch(/^YAML: /);
    expect(r.text).toMatch(/cfg\.yaml:\d+:\d+: YAML: /);
    expect(r.text).toContain('sov will not start engines from it');
  });

  it('a wrong type under engines[1] names the line, the key and what was expected', () => {
    const r = bad(`${good}  - name: b
    kind: process
    argv: "llama-server -m x.gguf"
`);
    expect(r.errors).toEqual([{ line: 10, column: 11, key: 'engines[1].argv', message: 'expected array, got string' }]);
    expect(r.text).toContain('cfg.yaml:10:11: engines[1].argv: expected array, got string');
  });

  it('an unknown key is refused at its own line', () => {
    const r = bad(`${good}    prot: 8081\n`);
    expect(r.errors).toEqual([{ line: 8, column: 5, key: 'engines[0].prot', message: 'unknown key "prot"' }]);
    const top = bad(`enignes: []\n`);
    expect(top.errors[0]).toMatchObject({ line: 1, key: 'enignes', message: 'unknown key "enignes"' });
  });

  it('a duplicate engine name points at the second one', () => {
    const r = bad(`${good}  - name: llama
    kind: process
    argv: [other]
`);
    expect(r.errors).toEqual([{ line: 8, column: 11, key: 'engines[1].name', message: 'duplicate name "llama"' }]);
  });

  it('a provider naming a missing engine points at the provider', () => {
    const r = bad(`${good}providers:
  - name: local
    engine: lama
`);
    expect(r.errors).toEqual([{ line: 10, column: 13, key: 'providers[0].engine', message: 'no engine named "lama"' }]);
  });

  it('a missing required key points at its parent, a bad kind names the choices', () => {
    const r = bad('engines:\n  - name: a\n    kind: process\n');
    expect(r.errors).toEqual([{ line: 2, column: 5, key: 'engines[0].argv', message: 'required: expected array, got nothing' }]);
    const k = bad('engines:\n  - name: a\n    kind: docker\n');
    expect(k.errors[0]).toMatchObject({ line: 3, key: 'engines[0].kind', message: 'expected one of "process" | "container" | "systemd", got "docker"' });
  });

  it('a union (providers) reports the branch the author meant', () => {
    const r = bad('providers:\n  - name: remote\n    baseUrl: not-a-url\n');
    expect(r.errors).toEqual([{ line: 3, column: 14, key: 'providers[0].baseUrl', message: 'expected a URL (http://host:port/…), got "not-a-url"' }]);
  });

  it('errors come in file order, all of them', () => {
    const r = bad('engines:\n  - name: a\n    kind: process\n    argv: [x]\n    port: "80"\n  - name: "b c"\n    kind: process\n    argv: [y]\n');
    expect(r.errors.map((e) => [e.line, e.key])).toEqual([[5, 'engines[0].port'], [6, 'engines[1].name']]);
  });

  it('a top level that is not a mapping is refused', () => {
    expect(bad('- a\n- b\n').errors[0]!.message).toMatch(/expected a mapping/);
  });

  it('keyPath writes paths as people read them', () => {
    expect(keyPath(['engines', 1, 'argv'])).toBe('engines[1].argv');
    expect(keyPath(['chat', 'chain', 0])).toBe('chat.chain[0]');
    expect(keyPath([])).toBe('');
  });
});

describe('contrib examples', () => {
  const dir = join(repoRoot, 'contrib', 'examples');
  // the engine stacks; scripts.yaml (host scripts, no engines) has its own test in test/scripts/examples.test.ts
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'scripts.yaml').sort();

  it('ships the five stacks', () => {
    expect(files).toEqual(['ktransformers.yaml', 'llamacpp.yaml', 'ollama.yaml', 'ramalama.yaml', 'vllm.yaml']);
  });

  it.each(files)('%s is valid against the schema', async (f) => {
    const r = await loadConfig(join(dir, f));
    if (!r.ok) throw new Error(r.text);
    expect(r.missing).toBe(false);
    expect(r.config.engines.length).toBeGreaterThan(0);
    for (const e of r.config.engines) {
      expect(e.host).toBe('127.0.0.1');
      if (e.openai) expect(e.openai).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    }
  });

  it('the stacks listen where the seeds expect them', async () => {
    const load = async (f: string) => { const r = await loadConfig(join(dir, f)); if (!r.ok) throw new Error(r.text); return r.config; };
    expect((await load('llamacpp.yaml')).engines[0]).toMatchObject({ port: 8080, openai: 'http://127.0.0.1:8080/v1' });
    expect((await load('vllm.yaml')).engines[0]).toMatchObject({ port: 8000 });
    const kt = (await load('ktransformers.yaml')).engines[0]!;
    expect(kt.kind === 'process' && kt.numa).toEqual({ interleave: 'all' });
    expect((await load('ramalama.yaml')).engines.map((e) => e.port)).toEqual([8080, 8081, 8082]);
    expect((await load('ollama.yaml')).engines[0]).toMatchObject({ port: 11434 });
  });
});
