import { z } from 'zod';

/**
 * `vms:` what discovery cannot tell about a VM (issue 9): its SSH target, golden image and overlay, how to start
 * it, its heartbeat and watchdog. A VM is matched to what discovery found by `name` (QEMU's -name, libvirt's domain).
 *
 *   vms:
 *     - name: green-1
 *       ssh: agent-vm                                  # an ssh_config alias, or {host, port, user, identity}
 *       golden: /srv/vm/golden.qcow2
 *       goldenSha256: 9f86d0…                          # recorded when the golden was made; reimage refuses on a mismatch
 *       overlay: /srv/vm/green-1.qcow2
 *       keep: 3                                        # old overlays kept by reimage
 *       start: [qemu-system-x86_64, -name, green-1, …] # how sov starts it (argv, no shell)
 *       heartbeat: { tcp: 127.0.0.1:2222, intervalSec: 10, misses: 3 }
 *       watchdog: { policy: 'revert:clean', cooldownSec: 600 }
 */

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const abs = (what: string) => z.string().min(1).refine((p) => p.startsWith('/'), `${what}: an absolute path`);

export const sshTargetSchema = z.union([
  /** an alias from the user's ssh_config (their keys, agent and known_hosts apply) */
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'an ssh_config alias (letters, digits, . _ - @)'),
  z.object({
    host: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]*$/, 'a host name or address'),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().regex(/^[a-z_][a-z0-9_.-]*$/i, 'a user name').optional(),
    identity: abs('identity').optional(),
  }).strict(),
]);
export type SshTarget = z.infer<typeof sshTargetSchema>;

const beat = { intervalSec: z.number().min(1).max(3600).default(10), misses: z.number().int().min(1).max(100).default(3), timeoutSec: z.number().min(0.1).max(60).default(3) };

export const heartbeatSchema = z.union([
  /** a TCP connect to host:port succeeds */
  z.object({ tcp: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port'), ...beat }).strict(),
  /** an HTTP GET answers 2xx */
  z.object({ http: z.string().url().refine((u) => /^https?:/.test(u), 'http:// or https://'), ...beat }).strict(),
  /** a command over ssh (to the VM's ssh target) exits 0 */
  z.object({ ssh: z.array(z.string().min(1)).min(1), ...beat }).strict(),
]);
export type HeartbeatConfig = z.infer<typeof heartbeatSchema>;

export const watchdogSchema = z.object({
  /**
   * what the daemon does after `misses` missed beats. Not reimage: it is T3 and needs an operator's tripcode, which
   * the watchdog cannot sign, so such a VM would only ever end `failed`.
   */
  policy: z.string().superRefine((p, ctx) => {
    if (p === 'reimage') ctx.addIssue({ code: 'custom', message: 'reimage cannot be a watchdog policy: it needs an operator\'s tripcode (T3), which the watchdog cannot sign; use restart or revert:<snapshot> (reimage by hand: sov vms reimage NAME --tripcode …)' });
    else if (!/^(restart|revert:[A-Za-z0-9._-]+)$/.test(p)) ctx.addIssue({ code: 'custom', message: 'restart or revert:<snapshot>' });
  }),
  /** at most one recovery per cooldown; failing again within it → `failed` (the operator decides) */
  cooldownSec: z.number().min(10).max(86_400).default(600),
}).strict();
export type WatchdogConfig = z.infer<typeof watchdogSchema>;

export const vmSchema = z.object({
  name: z.string().regex(NAME, 'letters, digits, . _ - (no spaces)'),
  ssh: sshTargetSchema.optional(),
  golden: abs('golden').optional(),
  /** the golden image's SHA-256 as recorded when it was made (64 hex digits) */
  goldenSha256: z.string().regex(/^[0-9a-f]{64}$/i, '64 hex digits').optional(),
  overlay: abs('overlay').optional(),
  keep: z.number().int().min(0).max(50).default(3),
  /** how sov starts the VM (argv, no shell); without it sov can stop a VM but not start it */
  start: z.array(z.string().min(1)).min(1).optional(),
  /** the QMP socket, when the VM's argv does not name one sov can find */
  qmp: abs('qmp').optional(),
  /** seconds a start may take before the heartbeat must answer */
  startTimeoutSec: z.number().min(1).max(3600).default(120),
  heartbeat: heartbeatSchema.optional(),
  watchdog: watchdogSchema.optional(),
}).strict().superRefine((v, ctx) => {
  if (v.overlay !== undefined && v.golden !== undefined && v.overlay === v.golden) ctx.addIssue({ code: 'custom', path: ['overlay'], message: 'the overlay cannot be the golden image itself' });
  if (v.watchdog && !v.heartbeat) ctx.addIssue({ code: 'custom', path: ['watchdog'], message: 'a watchdog needs a heartbeat to watch' });
  if (v.heartbeat && 'ssh' in v.heartbeat && v.ssh === undefined) ctx.addIssue({ code: 'custom', path: ['heartbeat'], message: 'an ssh heartbeat needs the VM\'s ssh target' });
});

export type VmConfig = z.infer<typeof vmSchema>;

/** the argv for `ssh` to reach this target: the user's own ssh and config; never host-key checking off */
export function sshArgv(t: SshTarget, extra: string[] = []): string[] {
  if (typeof t === 'string') return ['ssh', t, ...extra];
  const a = ['ssh'];
  if (t.port !== undefined) a.push('-p', String(t.port));
  if (t.identity !== undefined) a.push('-i', t.identity);
  a.push(t.user !== undefined ? `${t.user}@${t.host}` : t.host);
  return [...a, ...extra];
}

/** "agent-vm", "ops@127.0.0.1:2222" */
export function sshText(t: SshTarget): string {
  if (typeof t === 'string') return t;
  return `${t.user !== undefined ? `${t.user}@` : ''}${t.host}${t.port !== undefined ? `:${t.port}` : ''}`;
}

/** "tcp 127.0.0.1:2222 every 10 s, 3 misses" */
export function heartbeatText(h: HeartbeatConfig): string {
  const what = 'tcp' in h ? `tcp ${h.tcp}` : 'http' in h ? `http ${h.http}` : `ssh ${h.ssh.join(' ')}`;
  return `${what} every ${h.intervalSec} s, ${h.misses} misses`;
}
