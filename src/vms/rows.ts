/**
 * One rule for a VM's SSH target and its row (discovery joined with the config by name), shared by `sov vms ls`,
 * `sov ssh`, the vm.ssh action (enter on the VMs screen) and the VMs panel, so what is shown is what enter runs.
 */
import type { Heartbeat, Vm, VmsData } from '../../backends/vms/types.js';
import type { Config } from '../config/schema.js';
import { sshText, type SshTarget, type VmConfig } from '../config/vms.js';

export interface VmRow { vm?: Vm; cfg?: VmConfig; name: string; ssh?: string; heartbeat?: Heartbeat | { state: string; detail: string } }

/** a forwarded guest port 22 on this host (hostfwd), as an ssh target */
function forwardedSsh(vm: Vm | undefined): SshTarget | undefined {
  const f = vm?.hostfwd.find((h) => h.proto === 'tcp' && h.guestPort === 22);
  if (!f) return undefined;
  const host = f.hostAddr === undefined || f.hostAddr === '0.0.0.0' ? '127.0.0.1' : f.hostAddr;
  return { host, port: f.hostPort };
}

/** the SSH target: the config's, else a forwarded guest port 22 on this host */
export function sshTargetOf(vm: Vm | undefined, cfg: VmConfig | undefined): SshTarget | undefined {
  return cfg?.ssh ?? forwardedSsh(vm);
}

/**
 * The SSH target as text, by sshTargetOf's rule. Where the config is not at hand (the screens), the watchdog's
 * copy of the declared target (heartbeat `ssh`, written from the daemon's config) stands in for the config's.
 */
export function sshShownOf(vm: Vm | undefined, cfg: VmConfig | undefined, h?: { ssh?: string }): string | undefined {
  if (cfg?.ssh !== undefined) return sshText(cfg.ssh);
  if (cfg === undefined && h?.ssh !== undefined) return h.ssh;
  const t = forwardedSsh(vm);
  return t === undefined ? undefined : sshText(t);
}

export function joinRows(data: VmsData, config?: Config): VmRow[] {
  const rows: VmRow[] = data.vms.map((vm) => ({ vm, name: vm.name }));
  for (const cfg of config?.vms ?? []) {
    const r = rows.find((x) => x.name === cfg.name);
    if (r) r.cfg = cfg; else rows.push({ name: cfg.name, cfg });
  }
  for (const r of rows) {
    const hb = data.heartbeats[r.name];
    const ssh = sshShownOf(r.vm, r.cfg, hb);
    if (ssh !== undefined) r.ssh = ssh;
    if (hb) r.heartbeat = hb;
  }
  return rows;
}
