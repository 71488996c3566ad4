import { z } from 'zod';
import { recoverySchema } from './recovery.js';
import { scriptSchema } from './scripts.js';
import { vmSchema } from './vms.js';
import { exporterSchema } from './exporter.js';
import { hostsSchema } from './hosts.js';
import { tunnelsSchema } from './tunnels.js';

/**
 * ~/.config/sov/config.yaml (XDG; --config overrides). Validated with zod; a bad file is refused whole, with
 * line, key and what was expected (src/config/load.ts), never guessed at.
 */

const duration = z.number().nonnegative();
const port = z.number().int().min(1).max(65535);
const url = z.string().url();

export const numaSchema = z.union([
  z.object({ interleave: z.union([z.literal('all'), z.array(z.number().int().nonnegative()).min(1)]) }).strict(),
  z.object({ bind: z.number().int().nonnegative() }).strict(),
  z.object({ cpunodebind: z.number().int().nonnegative(), membind: z.number().int().nonnegative() }).strict(),
]);

export const healthSchema = z.object({
  url,
  /** how to read the answer: llama.cpp /health (503 while loading), vLLM /health, ollama /api/version, any 2xx, or
   * tcp: a connect to the URL's host:port (tcp://127.0.0.1:8000) is ready */
  kind: z.enum(['llamacpp', 'vllm', 'ollama', 'http', 'tcp']).default('http'),
  intervalSec: duration.default(5),
  timeoutSec: duration.default(3),
}).strict();

export const backoffSchema = z.object({
  initialSec: duration.default(1),
  factor: z.number().min(1).default(2),
  maxSec: duration.default(60),
  /** a healthy stretch this long resets the backoff */
  resetAfterSec: duration.default(300),
}).strict();

const engineBase = {
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, . _ - (no spaces)'),
  host: z.string().default('127.0.0.1'),
  port: port.optional(),
  health: healthSchema.optional(),
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 */
  openai: url.optional(),
  metrics: url.optional(),
  /** large models load for minutes: the readiness probe may fail this long after start without counting */
  startupGraceSec: duration.default(300),
  restart: z.enum(['always', 'on-failure', 'never']).default('on-failure'),
  backoff: backoffSchema.default({}),
  crashloop: z.object({ failures: z.number().int().min(1).default(5), withinMin: duration.default(10) }).strict().default({}),
  stop: z.object({ signal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP']).default('SIGTERM'), timeoutSec: duration.default(30) }).strict().default({}),
  autostart: z.boolean().default(false),
};

export const processEngineSchema = z.object({
  ...engineBase,
  kind: z.literal('process'),
  argv: z.array(z.string()).min(1),
  env: z.record(z.string()).default({}),
  cwd: z.string().optional(),
  numa: numaSchema.optional(),
  /** CUDA_VISIBLE_DEVICES */
  gpus: z.array(z.number().int().nonnegative()).optional(),
  logs: z.object({ maxBytes: z.number().int().min(1024).default(10 * 1024 * 1024), keep: z.number().int().min(1).default(5) }).strict().default({}),
}).strict();

export const containerEngineSchema = z.object({
  ...engineBase,
  kind: z.literal('container'),
  runtime: z.enum(['docker', 'podman']).default('docker'),
  container: z.string(),
}).strict();

export const systemdEngineSchema = z.object({
  ...engineBase,
  kind: z.literal('systemd'),
  unit: z.string(),
  user: z.boolean().default(false),
}).strict();

export const engineSchema = z.discriminatedUnion('kind', [processEngineSchema, containerEngineSchema, systemdEngineSchema]);

export const serviceSchema = z.object({
  name: z.string(),
  probe: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('tcp'), host: z.string().default('127.0.0.1'), port }).strict(),
    z.object({ kind: z.literal('http'), url, expectStatus: z.number().int().default(200) }).strict(),
    z.object({ kind: z.literal('redis'), host: z.string().default('127.0.0.1'), port: port.default(6379) }).strict(),
  ]),
  timeoutSec: duration.default(3),
}).strict();

export const providerSchema = z.union([
  /** a local engine from `engines`, by name: its `openai` base URL */
  z.object({ name: z.string(), engine: z.string(), model: z.string().optional() }).strict(),
  /**
   * an engine on another box reached through a `tunnels:` entry's local forward: http://127.0.0.1:PORT + path
   * (`port` picks among several local forwards; default the first)
   */
  z.object({
    name: z.string(),
    tunnel: z.string(),
    port: port.optional(),
    path: z.string().regex(/^\/[\x21-\x7e]*$/, 'a URL path, e.g. /v1').default('/v1'),
    model: z.string().optional(),
    apiKeyEnv: z.string().optional(),
    apiKeyFile: z.string().optional(),
  }).strict(),
  /** a remote OpenAI-compatible endpoint; the key comes from an env var or a 0600 file, never from this file */
  z.object({
    name: z.string(),
    baseUrl: url,
    model: z.string().optional(),
    apiKeyEnv: z.string().optional(),
    apiKeyFile: z.string().optional(),
  }).strict(),
]);

export const chatSchema = z.object({
  /** provider names, tried in order; the local engine goes last */
  chain: z.array(z.string()).default([]),
  /** blackout: only loopback providers are tried */
  offline: z.boolean().default(false),
  connectTimeoutSec: duration.default(5),
  firstTokenTimeoutSec: duration.default(60),
  /** a failed provider sits out this long (circuit breaker) */
  cooldownSec: duration.default(60),
  /** Retry-After up to this long is waited for; longer moves on */
  maxRetryAfterSec: duration.default(5),
  /** one reply's bound in UTF-8 bytes: a longer one is cut there, marked truncated (default 4 MiB) */
  maxReplyBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
  systemPrompt: z.string().optional(),
}).strict().default({});

export const configSchema = z.object({
  engines: z.array(engineSchema).default([]),
  services: z.array(serviceSchema).default([]),
  providers: z.array(providerSchema).default([]),
  chat: chatSchema,
  scripts: z.array(scriptSchema).default([]),
  recovery: recoverySchema,
  vms: z.array(vmSchema).default([]),
  exporter: exporterSchema.optional(),
  hosts: hostsSchema,
  tunnels: tunnelsSchema,
}).strict().superRefine((c, ctx) => {
  const dup = (xs: { name: string }[], path: string) => {
    const seen = new Set<string>();
    xs.forEach((x, i) => { if (seen.has(x.name)) ctx.addIssue({ code: 'custom', path: [path, i, 'name'], message: `duplicate name "${x.name}"` }); seen.add(x.name); });
  };
  dup(c.engines, 'engines'); dup(c.services, 'services'); dup(c.providers, 'providers'); dup(c.scripts, 'scripts'); dup(c.vms, 'vms'); dup(c.hosts, 'hosts'); dup(c.tunnels, 'tunnels');
  const hosts = new Set(c.hosts.map((h) => h.name));
  const listening = new Map<string, string>();
  c.tunnels.forEach((t, i) => {
    if (t.via !== undefined && !hosts.has(t.via)) ctx.addIssue({ code: 'custom', path: ['tunnels', i, 'via'], message: `no hosts: entry named "${t.via}" (known: ${[...hosts].join(', ') || 'none'})` });
    t.local.forEach((f, j) => {
      const key = `${f.bind}:${f.port}`;
      const other = listening.get(key);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['tunnels', i, 'local', j, 'port'], message: `${key} is already forwarded by ${other}` });
      listening.set(key, `tunnels "${t.name}"`);
    });
  });
  c.providers.forEach((p, i) => {
    if (!('tunnel' in p)) return;
    const t = c.tunnels.find((x) => x.name === p.tunnel);
    if (!t) ctx.addIssue({ code: 'custom', path: ['providers', i, 'tunnel'], message: `no tunnels: entry named "${p.tunnel}" (known: ${c.tunnels.map((x) => x.name).join(', ') || 'none'})` });
    else if (!t.local.length) ctx.addIssue({ code: 'custom', path: ['providers', i, 'tunnel'], message: `tunnel "${p.tunnel}" has no local forward to reach the engine through` });
    else if (p.port !== undefined && !t.local.some((f) => f.port === p.port)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'port'], message: `tunnel "${p.tunnel}" forwards no local port ${p.port} (it forwards ${t.local.map((f) => f.port).join(', ')})` });
  });
  const engines = new Set(c.engines.map((e) => e.name));
  c.providers.forEach((p, i) => { if ('engine' in p && !engines.has(p.engine)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'engine'], message: `no engine named "${p.engine}"` }); });
  const providers = new Set(c.providers.map((p) => p.name));
  c.chat.chain.forEach((n, i) => { if (!providers.has(n)) ctx.addIssue({ code: 'custom', path: ['chat', 'chain', i], message: `no provider named "${n}"` }); });
});

export type Config = z.infer<typeof configSchema>;
export type EngineConfig = z.infer<typeof engineSchema>;
export type ProcessEngineConfig = z.infer<typeof processEngineSchema>;
export type ContainerEngineConfig = z.infer<typeof containerEngineSchema>;
export type SystemdEngineConfig = z.infer<typeof systemdEngineSchema>;
export type { TunnelConfig } from './tunnels.js';
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ChatConfig = z.infer<typeof chatSchema>;
