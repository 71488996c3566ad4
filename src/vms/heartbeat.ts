/**
 * One heartbeat probe of a VM, as its config declares it: a TCP connect, an HTTP GET answering 2xx, or a command
 * over the user's own ssh that exits 0. Each has a deadline; the answer is ok or why not. Never throws.
 */
import { probeTcp } from '../../backends/services/source.js';
import type { Runner } from '../../backends/types.js';
import { sshArgv, type HeartbeatConfig, type SshTarget } from '../config/vms.js';
import { probeHealth } from '../daemon/probes.js';

export type Beat = { ok: true; tookMs: number } | { ok: false; why: string };

/** host:port (the config checked the shape); the services probe's socket and error text */
async function tcpBeat(target: string, timeoutMs: number): Promise<Beat> {
  const i = target.lastIndexOf(':');
  const r = await probeTcp(target.slice(0, i), Number(target.slice(i + 1)), timeoutMs);
  return r.up ? { ok: true, tookMs: r.latencyMs } : { ok: false, why: `tcp ${target}: ${r.error}` };
}

/** GET answering 2xx: the engines' health probe (deadline, body cap, no redirects followed) */
async function httpBeat(url: string, timeoutMs: number): Promise<Beat> {
  const t0 = Date.now();
  const h = await probeHealth(url, 'http', timeoutMs);
  return h.state === 'ready' ? { ok: true, tookMs: Date.now() - t0 } : { ok: false, why: `http ${url}: ${h.message ?? h.state}` };
}

/** `ssh -o BatchMode=yes -o ConnectTimeout=N TARGET CMD…`: never asks for a password, never turns host-key checks off */
export function sshBeatArgv(target: SshTarget, command: string[], timeoutSec: number): string[] {
  const a = sshArgv(target, ['--', ...command]);
  return [a[0]!, '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${Math.max(1, Math.ceil(timeoutSec))}`, ...a.slice(1)];
}

export async function probeHeartbeat(h: HeartbeatConfig, o: { runner?: Runner; ssh?: SshTarget }): Promise<Beat> {
  const timeoutMs = h.timeoutSec * 1000;
  if ('tcp' in h) return tcpBeat(h.tcp, timeoutMs);
  if ('http' in h) return httpBeat(h.http, timeoutMs);
  if (!o.runner || !o.ssh) return { ok: false, why: 'ssh heartbeat: no ssh target or runner' };
  const t0 = Date.now();
  const r = await o.runner.run(sshBeatArgv(o.ssh, h.ssh, h.timeoutSec), { timeoutMs: timeoutMs + 2000 });
  if (r.exitCode === 0) return { ok: true, tookMs: Date.now() - t0 };
  const why = r.notFound ? 'ssh not found on PATH' : r.timedOut ? `no answer within ${h.timeoutSec} s` : `exit ${r.exitCode ?? 'signal'}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').pop()!.slice(0, 200)}` : ''}`;
  return { ok: false, why: `ssh heartbeat: ${why}` };
}

/** Probes until a beat answers or the deadline passes (a VM just started). */
export async function waitHeartbeat(h: HeartbeatConfig, o: { runner?: Runner; ssh?: SshTarget; deadlineMs: number; signal?: AbortSignal; everyMs?: number }): Promise<Beat> {
  let last: Beat = { ok: false, why: 'not probed' };
  while (Date.now() < o.deadlineMs && !o.signal?.aborted) {
    last = await probeHeartbeat(h, o);
    if (last.ok) return last;
    await new Promise((r) => setTimeout(r, Math.min(o.everyMs ?? 1000, Math.max(0, o.deadlineMs - Date.now()))));
  }
  return last.ok ? last : { ok: false, why: `no heartbeat before the deadline (last: ${last.why})` };
}
