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
const FIRST_READ_MS = 500;

export function createRecoveryPoller(store: Store, rec: RecoveryLink | undefined, down: () => string | undefined, shown: () => boolean = () => true): { now(): void; stop(): void } {
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
        // the audit entries only while the Recovery screen shows them; the lockdown flag (every screen) needs status alone
        const want = shown();
        const [status, recent] = await Promise.race([Promise.all([rec.status(), want ? rec.recent(RECENT) : Promise.resolve(undefined)]), late]);
        const prev = store.getState().recovery;
        const next = { status, recent: recent ?? prev.recent, at: Date.now() };
        // an unchanged reading is not a store change (no render every 5 s for nothing)
        if (prev.error !== undefined || JSON.stringify(prev.status) !== JSON.stringify(status) || (recent !== undefined && JSON.stringify(prev.recent) !== JSON.stringify(recent))) store.getState().setRecovery(next);
      } catch (e) {
        store.getState().setRecovery({ ...store.getState().recovery, error: `audit log: ${String((e as Error)?.message ?? e)}` });
      } finally { clearTimeout(timer); }
    } finally {
      busy = false;
      if (again) { again = false; void read(); }
    }
  };
  // the first read waits until the cockpit has drawn: opening an authority (the demo's, in-process) verifies its log
  const first = setTimeout(() => { void read(); }, FIRST_READ_MS);
  first.unref?.();
  const t = setInterval(() => { void read(); }, EVERY_MS);
  t.unref?.();
  return { now: () => { void read(); }, stop: () => { clearTimeout(first); clearInterval(t); } };
}
