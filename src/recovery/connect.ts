/**
 * The authority a client acts under: the daemon's (over its link), or, on the demo box, one run in-process on the
 * demo state dir (a real audit log and a real tripcode key, in a temp dir that is not the real box's).
 */
import type { DaemonLink } from '../daemon/client.js';
import { createAuthority, demoStateDir } from './authority.js';
import { recoveryLinkOver } from './link.js';
import type { RecoveryLink } from './types.js';

let demoAuthority: RecoveryLink | undefined;

export function recoveryFor(o: { demo: boolean; link?: DaemonLink; env?: NodeJS.ProcessEnv }): RecoveryLink | undefined {
  if (o.demo) return (demoAuthority ??= createAuthority({ stateDir: demoStateDir(o.env) }));
  return o.link ? recoveryLinkOver(o.link) : undefined;
}
