/**
 * Config → the providers a chat can talk to: local engines by name (their `openai` base URL) and remote
 * OpenAI-compatible endpoints (base URL, model, API key from an env var or a 0600 file).
 *
 * Keys live in a `Secret`: it never serialises (JSON, util.inspect, String) to anything but "[redacted]", so a
 * provider can be logged, put in an event or a diagnostic without leaking what authenticates it.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { inspect } from 'node:util';
import type { Config, ProviderConfig } from '../config/schema.js';
import { registerSecret } from '../text/redact.js';
import { isLoopbackAddress, isLoopbackHost } from '../protocols/loopback.js';

export class Secret {
  readonly #value: string;
  /** the value is registered with the one redaction (src/text/redact.ts): it is redacted from all sov prints or writes */
  constructor(value: string) { this.#value = value; registerSecret(value); }
  /** the key itself: only the HTTP client calls this, to build the Authorization header */
  reveal(): string { return this.#value; }
  toString(): string { return '[redacted]'; }
  toJSON(): string { return '[redacted]'; }
  [inspect.custom](): string { return 'Secret([redacted])'; }
}

export interface Provider {
  name: string;
  kind: 'engine' | 'remote';
  /** OpenAI-compatible base URL without a trailing slash, e.g. http://127.0.0.1:8080/v1 (credentials removed) */
  baseUrl: string;
  /** the engine's name, for kind 'engine' */
  engine?: string;
  /** the tunnel it is reached through (a `tunnels:` entry): its baseUrl is that tunnel's local forward */
  tunnel?: string;
  /** the model to ask for; unset = the first one /v1/models lists */
  model?: string;
  apiKey?: Secret;
  /** the host is a loopback IP literal (127.0.0.0/8, ::1) or 'localhost': allowed in blackout */
  loopback: boolean;
  /** set when the provider cannot be used at all (no URL, unreadable or unsafe key file): the chain says so */
  problem?: string;
}

/** Loopback checks live with the HTTP client's blackout (src/protocols/loopback.ts); the chat uses them too. */
export { isLoopbackAddress, isLoopbackHost };

/** The URL without user:password@ and without a trailing slash; undefined when it is not an http(s) URL. */
export function cleanBaseUrl(raw: string): { url: string; host: string } | undefined {
  let u: URL;
  try { u = new URL(raw); } catch { return undefined; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  u.username = '';
  u.password = '';
  u.hash = '';
  return { url: u.toString().replace(/\/+$/, ''), host: u.hostname };
}

export interface KeyIo {
  env: NodeJS.ProcessEnv;
  /** reads a key file; default fs */
  readFile?: (path: string) => string;
  /** default fs.statSync */
  stat?: (path: string) => { mode: number; isFile(): boolean };
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~' || p.startsWith('~/')) return (env.HOME ?? homedir()) + p.slice(1);
  return p;
}

/**
 * The API key for a remote provider: from `apiKeyEnv`, or from `apiKeyFile`, which must be a regular file that
 * neither group nor others can read (0600 / 0400): a readable key file is refused, with the chmod that fixes it.
 */
export function loadKey(p: { name: string; apiKeyEnv?: string; apiKeyFile?: string }, io: KeyIo): { key?: Secret; problem?: string } {
  if (p.apiKeyEnv !== undefined) {
    const v = io.env[p.apiKeyEnv];
    if (v === undefined || v.trim() === '') return { problem: `provider "${p.name}": the environment variable ${p.apiKeyEnv} (apiKeyEnv) is not set` };
    return { key: new Secret(v.trim()) };
  }
  if (p.apiKeyFile !== undefined) {
    const path = expandHome(p.apiKeyFile, io.env);
    let st;
    try { st = (io.stat ?? statSync)(path); } catch (e) {
      return { problem: `provider "${p.name}": cannot read the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    if (!st.isFile()) return { problem: `provider "${p.name}": the key file ${path} is not a regular file` };
    if ((st.mode & 0o077) !== 0) {
      return { problem: `provider "${p.name}": refusing the key file ${path}: it is readable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${path}` };
    }
    let text: string;
    try { text = (io.readFile ?? ((f) => readFileSync(f, 'utf8')))(path); } catch (e) {
      return { problem: `provider "${p.name}": cannot read the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    const key = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
    if (key === undefined) return { problem: `provider "${p.name}": the key file ${path} is empty` };
    return { key: new Secret(key) };
  }
  return {};
}

/** One provider from its config entry. */
export function resolveProvider(p: ProviderConfig, config: Pick<Config, 'engines' | 'tunnels'>, io: KeyIo): Provider {
  if ('engine' in p) {
    const e = config.engines.find((x) => x.name === p.engine);
    const raw = e?.openai ?? (e?.port !== undefined ? `http://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}/v1` : undefined);
    const clean = raw !== undefined ? cleanBaseUrl(raw) : undefined;
    const out: Provider = { name: p.name, kind: 'engine', engine: p.engine, baseUrl: clean?.url ?? '', loopback: clean ? isLoopbackHost(clean.host) : false };
    if (p.model !== undefined) out.model = p.model;
    if (!e) out.problem = `provider "${p.name}": no engine named "${p.engine}"`;
    else if (!clean) out.problem = `provider "${p.name}": engine "${p.engine}" has no usable \`openai\` base URL (or port)`;
    return out;
  }
  if ('tunnel' in p) return tunnelProvider(p, config, io);
  const clean = cleanBaseUrl(p.baseUrl);
  const out: Provider = { name: p.name, kind: 'remote', baseUrl: clean?.url ?? '', loopback: clean ? isLoopbackHost(clean.host) : false };
  if (p.model !== undefined) out.model = p.model;
  if (!clean) { out.problem = `provider "${p.name}": baseUrl is not an http(s) URL`; return out; }
  const k = loadKey(p, io);
  if (k.key) out.apiKey = k.key;
  if (k.problem) out.problem = k.problem;
  return out;
}

type TunnelProviderConfig = Extract<ProviderConfig, { tunnel: string }>;

/**
 * An engine on another box through a tunnel's local forward: http://ADDR:PORT/v1 here. The socket is on loopback,
 * but what is asked goes on through ssh to the far box: it is not a loopback provider (blackout skips it).
 */
function tunnelProvider(p: TunnelProviderConfig, config: Pick<Config, 'tunnels'>, io: KeyIo): Provider {
  const t = config.tunnels.find((x) => x.name === p.tunnel);
  const f = t?.local.find((x) => p.port === undefined || x.port === p.port);
  const addr = !f || f.bind === '*' || f.bind === '0.0.0.0' || f.bind === 'localhost' ? '127.0.0.1' : f.bind === '::' ? '::1' : f.bind;
  const clean = f ? cleanBaseUrl(`http://${addr.includes(':') ? `[${addr}]` : addr}:${f.port}${p.path}`) : undefined;
  const out: Provider = { name: p.name, kind: 'remote', tunnel: p.tunnel, baseUrl: clean?.url ?? '', loopback: false };
  if (p.model !== undefined) out.model = p.model;
  if (!t) out.problem = `provider "${p.name}": no tunnel named "${p.tunnel}"`;
  else if (!clean) out.problem = `provider "${p.name}": tunnel "${p.tunnel}" has no local forward${p.port !== undefined ? ` on port ${p.port}` : ''}`;
  const k = loadKey(p, io);
  if (k.key) out.apiKey = k.key;
  if (k.problem) out.problem ??= k.problem;
  return out;
}

export function resolveProviders(config: Pick<Config, 'engines' | 'providers' | 'tunnels'>, io: KeyIo): Provider[] {
  return config.providers.map((p) => resolveProvider(p, config, io));
}

/**
 * The default chain: `chat.chain` in its order (every provider when it is empty), then the local engines that the
 * chain did not name — the local engine is always the last resort — each provider once.
 */
export function defaultChain(providers: Provider[], chain: string[]): Provider[] {
  const byName = new Map(providers.map((p) => [p.name, p]));
  const named = chain.length > 0
    ? chain.map((n) => byName.get(n)).filter((p): p is Provider => p !== undefined)
    : [...providers.filter((p) => p.kind !== 'engine'), ...providers.filter((p) => p.kind === 'engine')];
  const out: Provider[] = [];
  const seen = new Set<string>();
  for (const p of [...named, ...providers.filter((x) => x.kind === 'engine')]) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    out.push(p);
  }
  return out;
}

/** An ad-hoc provider for `--base-url URL` (key from SOV_API_KEY when set). */
export function adHocProvider(baseUrl: string, env: NodeJS.ProcessEnv, model?: string): Provider | string {
  const clean = cleanBaseUrl(baseUrl);
  if (!clean) return `--base-url: not an http(s) URL: ${baseUrl}`;
  const p: Provider = { name: clean.host || 'base-url', kind: 'remote', baseUrl: clean.url, loopback: isLoopbackHost(clean.host) };
  if (model !== undefined) p.model = model;
  const key = env.SOV_API_KEY;
  if (key !== undefined && key.trim() !== '') p.apiKey = new Secret(key.trim());
  return p;
}
