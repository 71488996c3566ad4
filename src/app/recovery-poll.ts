/**
 * Reads the recovery authority (lockdown, the audit log's newest entries) into the store: now, after every
 * action and tripcode, and every few seconds (the header shows LOCKDOWN on every screen). One read at a time;
 * each has a deadline; a failure is shown in the Audit panel, never thrown.
 */
import type { RecoveryLink } from '../recovery/types.js';
import type { Store } from '../store/store.js';

const EVERY_MS = 5000;
const DEADLINE_MS = 4000;
const RECENT = 60;

export function createRecoveryPoller(store: Store, rec: RecoveryLink | undefined, down: () => string | undefined): { now(): void; stop(): void } {
  let busy = false;
  let again = false;
  const read = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const why = down();
      if (!rec || why) { store.getState().setRecovery({ ...store.getState().recovery, error: why ?? 'no recovery authority: the daemon is not reachable, so nothing above T0 runs' }); return; }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, no) => { timer = setTimeout(() => no(new Error(`no answer within ${DEADLINE_MS / 1000} s`)), DEADLINE_MS); });
      try {
        const [status, recent] = await Promise.race([Promise.all([rec.status(), rec.recent(RECENT)]), late]);
        store.getState().setRecovery({ status, recent, at: Date.now() });
      } catch (e) {
        store.getState().setRecovery({ ...store.getState().recovery, error: `audit log: ${String((e as Error)?.message ?? e)}` });
      } finally { clearTimeout(timer); }
    } finally {
      busy = false;
      if (again) { again = false; void read(); }
    }
  };
  void read();
  const t = setInterval(() => { void read(); }, EVERY_MS);
  t.unref?.();
  return { now: () => { void read(); }, stop: () => clearInterval(t) };
}
