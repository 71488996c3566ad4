import { z } from 'zod';
import { sshTargetSchema, type SshTarget } from './vms.js';

/**
 * `hosts:` other boxes the cockpit watches over SSH, agentless (issue 10). Each is an ssh_config alias or
 * {host, port, user, identity} (the same shape as a VM's `ssh:`); the backends run there through one multiplexed
 * connection per host (src/runner/ssh.ts). Nothing is installed on the remote box.
 *
 *   hosts:
 *     - name: cloudlab
 *       ssh: cloudlab                      # an alias from ~/.ssh/config (its keys, agent and known_hosts apply)
 *     - name: forge
 *       ssh: { host: 100.64.0.7, user: ops, port: 22, identity: /home/me/.ssh/forge }
 *       timeoutSec: 15                     # one command's deadline there (default 10)
 */
export const hostSchema = z.object({
  /** what the cockpit and `sov status --host` call it (not "local": that is this machine) */
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, . _ - (no spaces)').refine((n) => n !== 'local', '"local" names this machine'),
  ssh: sshTargetSchema,
  /** one remote command's deadline, seconds */
  timeoutSec: z.number().min(1).max(300).default(10),
}).strict();

export type HostConfig = z.infer<typeof hostSchema>;
export type { SshTarget };

export const hostsSchema = z.array(hostSchema).default([]);
