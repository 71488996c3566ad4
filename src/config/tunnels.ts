import { z } from 'zod';
import { sshTargetSchema, type SshTarget } from './vms.js';

/**
 * `tunnels:` SSH port forwards the daemon keeps up (issue 10), supervised like engines: one `ssh -N` each, in its
 * own process group, probed, restarted with backoff (src/tunnels/engine.ts maps one onto a process engine).
 *
 *   tunnels:
 *     - name: omni-bridge
 *       via: omni                             # a hosts: entry, or ssh: (an alias or {host, port, user, identity})
 *       local: [{ port: 8000, to: 127.0.0.1:8000 }]   # 127.0.0.1:8000 here → 127.0.0.1:8000 as the box sees it
 *       remote: [{ port: 9100, to: 127.0.0.1:9100 }]  # the box's 127.0.0.1:9100 → 127.0.0.1:9100 here
 *       probe: tcp                            # tcp (default with a local forward) · { http: URL } · none
 *
 * A local forward is probed by a TCP connect to its port here (ssh listens there only once it is logged in);
 * `{ http: URL }` checks the far end through the tunnel. A remote forward listens on the box and cannot be probed
 * from here: a tunnel with only remote forwards is healthy once its ssh has stayed up a second, as an engine
 * without a probe. Defaults retry a far side that is down every 30 s at most, for ever (a crash loop needs 30
 * failures within 10 min, which that backoff never reaches); set `crashloop:` lower to give up sooner.
 */

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const port = z.number().int().min(1).max(65535);
const duration = z.number().nonnegative();

/** "127.0.0.1:8000", "[::1]:8000", "db.internal:5432" → host and port; undefined when it is not host:port */
export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9][A-Za-z0-9.-]*)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const p = Number(m[3]);
  if (p < 1 || p > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port: p };
}

const hostPort = z.string().refine((s) => parseHostPort(s) !== undefined, 'host:port, e.g. 127.0.0.1:8000 ([::1]:8000 for IPv6)');
const bindAddress = z.string().regex(/^(?:[0-9.]+|[0-9A-Fa-f:]+|localhost|\*)$/, 'an address to listen on: 127.0.0.1 (default), ::1, 0.0.0.0, * or localhost');

export const forwardSchema = z.object({
  /** the port it listens on: here for a local forward, on the box for a remote one */
  port,
  /** the address it listens on (default 127.0.0.1: loopback only) */
  bind: bindAddress.default('127.0.0.1'),
  /** where a connection goes: host:port as the box sees it (local), as this machine sees it (remote) */
  to: hostPort,
}).strict();

export const tunnelProbeSchema = z.union([
  z.literal('tcp'),
  z.literal('none'),
  z.object({ http: z.string().url().refine((u) => /^https?:/.test(u), 'http:// or https://') }).strict(),
]);

export const tunnelSchema = z.object({
  name: z.string().regex(NAME, 'letters, digits, . _ - (no spaces)'),
  /** a `hosts:` entry by name: its ssh target */
  via: z.string().regex(NAME, 'the name of a hosts: entry').optional(),
  /** or the ssh target itself: an ssh_config alias, or {host, port, user, identity} */
  ssh: sshTargetSchema.optional(),
  /** an ssh_config file (`ssh -F`): its keys, known_hosts and options apply */
  sshConfig: z.string().refine((p) => p.startsWith('/'), 'an absolute path').optional(),
  local: z.array(forwardSchema).default([]),
  remote: z.array(forwardSchema).default([]),
  /** default: tcp when there is a local forward (its first), none otherwise */
  probe: tunnelProbeSchema.optional(),
  probeIntervalSec: z.number().min(0.1).max(3600).default(5),
  probeTimeoutSec: z.number().min(0.1).max(60).default(3),
  /** ssh's ServerAliveInterval / ServerAliveCountMax: a dead link is noticed within interval × count seconds */
  serverAliveIntervalSec: z.number().int().min(1).max(3600).default(15),
  serverAliveCountMax: z.number().int().min(1).max(100).default(3),
  connectTimeoutSec: z.number().int().min(1).max(300).default(10),
  restart: z.enum(['always', 'on-failure', 'never']).default('always'),
  backoff: z.object({
    initialSec: duration.default(1),
    factor: z.number().min(1).default(2),
    maxSec: duration.default(30),
    resetAfterSec: duration.default(300),
  }).strict().default({}),
  crashloop: z.object({ failures: z.number().int().min(1).default(30), withinMin: duration.default(10) }).strict().default({}),
  /** a tunnel is cheap and is what a chat provider may point at: up with the daemon unless told otherwise */
  autostart: z.boolean().default(true),
}).strict().superRefine((t, ctx) => {
  if ((t.via === undefined) === (t.ssh === undefined)) ctx.addIssue({ code: 'custom', path: t.via !== undefined ? ['ssh'] : ['via'], message: 'give exactly one of via: (a hosts: entry) or ssh: (an alias or {host, port, user, identity})' });
  if (!t.local.length && !t.remote.length) ctx.addIssue({ code: 'custom', path: ['local'], message: 'a tunnel needs at least one forward: local: [{ port, to }] or remote: [{ port, to }]' });
  if (t.probe === 'tcp' && !t.local.length) ctx.addIssue({ code: 'custom', path: ['probe'], message: 'a tcp probe connects to a local forward, and this tunnel has none (a remote forward cannot be probed from here): use none or { http: URL }' });
});

export type TunnelConfig = z.infer<typeof tunnelSchema>;
export type ForwardConfig = z.infer<typeof forwardSchema>;
export type { SshTarget };

export const tunnelsSchema = z.array(tunnelSchema).default([]);
