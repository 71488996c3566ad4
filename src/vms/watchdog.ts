/**
 * The heartbeat watchdog of one VM as a pure transition function: (state, event) → (state, effects). No clock, no
 * I/O: the runtime (watch-runtime.ts) feeds it beats, misses and recovery outcomes and carries out its effects.
 *
 *   ok ──miss──▶ missing ──(misses = limit)──▶ recovering ──recovered ok──▶ cooldown ──beat──▶ ok
 *                                                   │                          │
 *                                             recovered failed          misses = limit again
 *                                                   ▼                   within cooldownMs of the recovery
 *                                                 failed ◀───────────────────────┘        (no loop)
 *   failed stays failed (beats are still counted) until the operator resets it.
 */

export type Phase = 'unknown' | 'ok' | 'missing' | 'recovering' | 'cooldown' | 'failed';

export interface WatchPolicy {
  /** misses in a row that start a recovery */
  missLimit: number;
  /** at most one recovery per this long; failing again within it → failed */
  cooldownMs: number;
  /** 'restart' | 'revert:<snapshot>' (the config refuses reimage: T3, a tripcode the watchdog cannot sign); absent: watch only */
  recovery?: string;
}

export interface WatchState {
  phase: Phase;
  beats: number;
  /** misses in a row */
  misses: number;
  lastBeatAt?: number;
  lastMissWhy?: string;
  lastRecovery?: { at: number; action: string; outcome: 'running' | 'ok' | 'failed'; message?: string };
  /** why it is failed */
  failedWhy?: string;
}

export type WatchEvent =
  | { kind: 'beat'; at: number }
  | { kind: 'miss'; at: number; why: string }
  | { kind: 'recovered'; at: number; ok: boolean; message: string }
  /** the operator clears `failed` */
  | { kind: 'reset'; at: number };

export type WatchEffect =
  | { kind: 'recover'; action: string }
  /** something the operator must hear about (recorded, shown) */
  | { kind: 'alert'; message: string };

export const initialWatch = (): WatchState => ({ phase: 'unknown', beats: 0, misses: 0 });

type Out = { state: WatchState; effects: WatchEffect[] };
const out = (state: WatchState, ...effects: WatchEffect[]): Out => ({ state, effects });

function onMiss(p: WatchPolicy, s: WatchState, e: Extract<WatchEvent, { kind: 'miss' }>): Out {
  const misses = s.misses + 1;
  const base: WatchState = { ...s, misses, lastMissWhy: e.why };
  if (s.phase === 'failed' || s.phase === 'recovering') return out(base);
  if (misses < p.missLimit) return out({ ...base, phase: s.phase === 'cooldown' ? 'cooldown' : 'missing' });
  if (!p.recovery) return out({ ...base, phase: 'missing' }, ...(misses === p.missLimit ? [{ kind: 'alert' as const, message: `${misses} heartbeats missed (${e.why}); no recovery declared` }] : []));
  const last = s.lastRecovery;
  if (last && e.at - last.at < p.cooldownMs) {
    const failedWhy = `failed again ${Math.round((e.at - last.at) / 1000)} s after ${last.action} (cooldown ${Math.round(p.cooldownMs / 1000)} s): the operator decides`;
    return out({ ...base, phase: 'failed', failedWhy }, { kind: 'alert', message: failedWhy });
  }
  return out({ ...base, phase: 'recovering', lastRecovery: { at: e.at, action: p.recovery, outcome: 'running' } }, { kind: 'recover', action: p.recovery });
}

export function stepWatch(p: WatchPolicy, s: WatchState, e: WatchEvent): Out {
  switch (e.kind) {
    case 'beat': {
      const base: WatchState = { ...s, beats: s.beats + 1, misses: 0, lastBeatAt: e.at };
      delete base.lastMissWhy;
      if (s.phase === 'failed' || s.phase === 'recovering') return out(base);
      return out({ ...base, phase: s.phase === 'cooldown' && s.lastRecovery && e.at - s.lastRecovery.at < p.cooldownMs ? 'cooldown' : 'ok' });
    }
    case 'miss': return onMiss(p, s, e);
    case 'recovered': {
      if (s.phase !== 'recovering' || !s.lastRecovery) return out(s);
      // the cooldown runs from the end of the recovery: a VM that needs its start time is not failed by it
      const lastRecovery = { at: e.at, action: s.lastRecovery.action, outcome: e.ok ? 'ok' as const : 'failed' as const, message: e.message };
      if (e.ok) return out({ ...s, phase: 'cooldown', misses: 0, lastRecovery });
      const failedWhy = `${s.lastRecovery.action} failed: ${e.message}`;
      return out({ ...s, phase: 'failed', lastRecovery, failedWhy }, { kind: 'alert', message: failedWhy });
    }
    case 'reset': {
      const next: WatchState = { ...s, phase: 'unknown', misses: 0 };
      delete next.failedWhy;
      delete next.lastRecovery;
      return out(next);
    }
  }
}

/** the action a declared recovery stands for (the daemon performs it through perform(), who.via = 'daemon') */
export function recoveryAction(recovery: string, vm: string): { id: string; args: Record<string, string> }[] {
  if (recovery === 'reimage') return [{ id: 'vm.reimage', args: { vm } }];
  const m = /^revert:(.+)$/.exec(recovery);
  if (m) return [{ id: 'vm.revert', args: { vm, snapshot: m[1]! } }];
  return [{ id: 'vm.stop', args: { vm, mode: 'quit' } }, { id: 'vm.start', args: { vm } }];
}
