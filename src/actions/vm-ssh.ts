/**
 * vm.ssh: hand the terminal to the user's own `ssh` (their ssh_config, agent and known_hosts; sov never handles a
 * password or a key, and never turns host-key checking off) for a VM's SSH target — declared in the config, or a
 * forwarded guest port 22 found in its QEMU argv — and come back to the cockpit when it exits.
 * T0: sov itself changes nothing; what the operator does inside is theirs (and the box's own logs').
 */
import { sshArgv, sshText } from '../config/vms.js';
import { joinRows, sshTargetOf } from '../vms/rows.js';
import type { VmsData } from '../../backends/vms/types.js';
import { dataOf } from '../store/selectors.js';
import type { Action, ActionCtx } from './types.js';

function vmsData(ctx: ActionCtx): VmsData | undefined {
  const s = ctx.samples?.vms;
  return s ? dataOf(s) : undefined;
}

function target(ctx: ActionCtx): { argv?: string[]; why?: string; text?: string } {
  const name = ctx.args?.vm;
  if (!name) return { why: 'name a VM (--arg vm=NAME)' };
  const data = vmsData(ctx);
  const row = data ? joinRows(data, ctx.config).find((r) => r.name === name) : undefined;
  const cfg = ctx.config?.vms.find((v) => v.name === name);
  if (!row && !cfg) return { why: data ? `no VM named ${name}` : `the VMs are not read yet (${ctx.samples?.vms?.state ?? 'no reading'})` };
  const t = sshTargetOf(row?.vm, cfg ?? row?.cfg);
  if (t === undefined) return { why: `${name} has no SSH target: declare ssh: (an ssh_config alias, or host/port/user) in its vms: entry, or forward a port to its 22 (hostfwd)` };
  return { argv: sshArgv(t), text: sshText(t) };
}

export const vmSsh: Action = {
  id: 'vm.ssh', title: 'SSH into VM',
  description: 'hand this terminal to your own ssh for the VM (your ssh config, agent and known_hosts); the cockpit comes back when it exits',
  keys: ['enter'], scope: 'vms', tier: 'T0', confirm: false,
  args: { vm: 'the VM, as the VMs screen names it' },
  argChoices: (ctx) => {
    const d = vmsData(ctx);
    return [...new Set([...(d ? joinRows(d, ctx.config).map((r) => r.name) : []), ...(ctx.config?.vms.map((v) => v.name) ?? [])])];
  },
  when(ctx) {
    if (ctx.host?.includes('(demo)')) return "the demo box's VMs are simulated: there is nothing to ssh into (run sov on a box with VMs)";
    return true;
  },
  describe(ctx) {
    const t = target(ctx);
    return t.argv ? `ssh to ${ctx.args?.vm} (${t.text}): \`${t.argv.join(' ')}\` in this terminal` : `ssh to ${ctx.args?.vm ?? 'a VM'}: ${t.why}`;
  },
  async run(ctx) {
    const t = target(ctx);
    if (!t.argv) return { kind: 'error', message: t.why ?? 'no SSH target' };
    return { kind: 'attach', argv: t.argv, message: `ssh ${t.text}` };
  },
};
