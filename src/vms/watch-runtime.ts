/**
 * The thin runtime around the watchdog (watchdog.ts) that the daemon hosts: one timer per VM that declares a
 * heartbeat, one probe in flight at a time, each outcome fed to stepWatch, its effects carried out (a recovery
 * through the caller's `recover`, alerts to the caller's `alert`), and the state file the VMs screen reads (atomic,
 * one small entry per VM) written when what it shows changes (phase, misses, why, a recovery) or, for the beat
 * counts, at most every WRITE_EVERY_MS. Stopping it clears every timer; a recovery in flight is left to finish and
 * its outcome recorded.
 */
import type { Heartbeat } from '../../backends/vms/types.js';
import type { Runner } from '../../backends/types.js';
import { heartbeatText, sshText, type VmConfig } from '../config/vms.js';
import { writeFileAtomic } from '../daemon/atomic.js';
import { probeHeartbeat } from './heartbeat.js';
import { initialWatch, stepWatch, type WatchEvent, type WatchPolicy, type WatchState } from './watchdog.js';

export interface WatchRuntimeOptions {
  vms: VmConfig[];
  runner: Runner;
  /** where the VMs screen reads it (backends/vms heartbeatFile()) */
  stateFile: string;
  /** carries out a declared recovery ('restart' | 'revert:<snap>'); resolves with its outcome */
  recover(vm: VmConfig, action: string): Promise<{ ok: boolean; message: string }>;
  alert?(vm: string, message: string): void;
  now?: () => number;
}

export interface WatchRuntime {
  states(): Record<string, WatchState>;
  /** the operator clears a failed VM */
  reset(name: string): void;
  stop(): void;
  /** resolves when the state file holds everything so far (tests) */
  flushed(): Promise<void>;
}

export function policyOf(vm: VmConfig): WatchPolicy {
  return { missLimit: vm.heartbeat?.misses ?? 3, cooldownMs: (vm.watchdog?.cooldownSec ?? 600) * 1000, ...(vm.watchdog ? { recovery: vm.watchdog.policy } : {}) };
}

/** the state file is a display file: beats alone refresh it at most this often */
export const WRITE_EVERY_MS = 30_000;

/** why the VM is not ok: why it failed, else why the last beat was missed */
export function whyOf(s: WatchState): string | undefined {
  if (s.phase === 'failed') return s.failedWhy ?? s.lastMissWhy;
  return s.misses > 0 ? s.lastMissWhy : undefined;
}

/** what changes the screen's story (not the beat count or the last beat's time) */
export function storyOf(s: WatchState): string {
  return JSON.stringify([s.phase, s.misses, whyOf(s) ?? '', s.lastRecovery ?? null]);
}

/** Write now? When a VM's story changed since the last write, or the last one is WRITE_EVERY_MS old. */
export function writeDue(last: { at: number; stories: string[] } | undefined, stories: string[], now: number): boolean {
  if (!last) return true;
  return now - last.at >= WRITE_EVERY_MS || stories.some((x, i) => x !== last.stories[i]);
}

function shown(vm: VmConfig, s: WatchState): Heartbeat {
  const h = vm.heartbeat!;
  const hb: Heartbeat = { state: s.phase, beats: s.beats, misses: s.misses, missLimit: h.misses, kind: 'tcp' in h ? 'tcp' : 'http' in h ? 'http' : 'ssh', target: heartbeatText(h) };
  if (s.lastBeatAt !== undefined) hb.lastBeatAt = s.lastBeatAt;
  if (s.lastRecovery) hb.lastRecovery = { at: s.lastRecovery.at, action: s.lastRecovery.action, outcome: s.lastRecovery.outcome + (s.lastRecovery.message ? `: ${s.lastRecovery.message.slice(0, 200)}` : '') };
  if (vm.ssh !== undefined) hb.ssh = sshText(vm.ssh);
  const why = whyOf(s);
  if (why !== undefined) hb.why = why.slice(0, 300);
  return hb;
}

export function startVmWatchdog(o: WatchRuntimeOptions): WatchRuntime {
  const now = o.now ?? Date.now;
  const watched = o.vms.filter((v) => v.heartbeat);
  const states = new Map<string, WatchState>(watched.map((v) => [v.name, initialWatch()]));
  const timers: NodeJS.Timeout[] = [];
  const probing = new Set<string>();
  let writing: Promise<void> = Promise.resolve();
  let stopped = false;

  let written: { at: number; stories: string[] } | undefined;
  const write = () => {
    const at = now();
    const stories = watched.map((v) => storyOf(states.get(v.name)!));
    if (!writeDue(written, stories, at)) return;
    written = { at, stories };
    const doc = { at, vms: Object.fromEntries(watched.map((v) => [v.name, shown(v, states.get(v.name)!)])) };
    writing = writing.then(() => writeFileAtomic(o.stateFile, JSON.stringify(doc) + '\n')).catch((e: unknown) => o.alert?.('*', `the watchdog state file ${o.stateFile} could not be written: ${(e as Error)?.message ?? e}`));
  };

  const feed = (vm: VmConfig, e: WatchEvent) => {
    const r = stepWatch(policyOf(vm), states.get(vm.name)!, e);
    states.set(vm.name, r.state);
    for (const fx of r.effects) {
      if (fx.kind === 'alert') o.alert?.(vm.name, fx.message);
      else {
        o.recover(vm, fx.action).catch((err: unknown) => ({ ok: false, message: String((err as Error)?.message ?? err) }))
          .then((res) => feed(vm, { kind: 'recovered', at: now(), ok: res.ok, message: res.message }));
      }
    }
    write();
  };

  const tick = async (vm: VmConfig) => {
    if (stopped || probing.has(vm.name)) return;
    probing.add(vm.name);
    try {
      const b = await probeHeartbeat(vm.heartbeat!, { runner: o.runner, ...(vm.ssh !== undefined ? { ssh: vm.ssh } : {}) });
      if (!stopped) feed(vm, b.ok ? { kind: 'beat', at: now() } : { kind: 'miss', at: now(), why: b.why });
    } finally { probing.delete(vm.name); }
  };

  for (const vm of watched) {
    const t = setInterval(() => { void tick(vm); }, vm.heartbeat!.intervalSec * 1000);
    t.unref?.();
    timers.push(t);
    void tick(vm);
  }
  write();

  return {
    states: () => Object.fromEntries(states),
    reset(name) { const vm = watched.find((v) => v.name === name); if (vm) feed(vm, { kind: 'reset', at: now() }); },
    stop() { stopped = true; for (const t of timers) clearInterval(t); },
    flushed: () => writing,
  };
}
