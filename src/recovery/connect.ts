/**
 * The authority a client acts under: the daemon's (over its link), or, on the demo box, one run in-process on the
 * demo state dir (a real audit log and a real tripcode key, in a temp dir that is not the real box's).
 *
 * The demo's authority opens (verifying and replaying its log) on first use, not at start-up, so the cockpit's
 * first frame never waits for it; its log is kept small (a demo needs no history of megabytes).
 */
import type { DaemonLink } from '../daemon/client.js';
import { createAuthority, demoStateDir } from './authority.js';
import { recoveryLinkOver } from './link.js';
import type { RecoveryLink } from './types.js';

const DEMO_AUDIT_BYTES = 1024 * 1024;
const DEMO_AUDIT_FILES = 2;

/** one per demo state dir (a process that runs the demo under two environments gets two, each on its own files) */
const demoAuthorities = new Map<string, RecoveryLink>();

function lazyDemoAuthority(stateDir: string): RecoveryLink {
  let real: RecoveryLink | undefined;
  const get = () => (real ??= createAuthority({ stateDir, maxFileBytes: DEMO_AUDIT_BYTES, keepFiles: DEMO_AUDIT_FILES }));
  return {
    status: () => get().status(),
    begin: (r) => get().begin(r),
    end: (r) => get().end(r),
    applyTripcode: (p, w) => get().applyTripcode(p, w),
    recent: (n) => get().recent(n),
  };
}

export function recoveryFor(o: { demo: boolean; link?: DaemonLink; env?: NodeJS.ProcessEnv }): RecoveryLink | undefined {
  if (o.demo) {
    const dir = demoStateDir(o.env);
    let a = demoAuthorities.get(dir);
    if (!a) demoAuthorities.set(dir, (a = lazyDemoAuthority(dir)));
    return a;
  }
  return o.link ? recoveryLinkOver(o.link) : undefined;
}
