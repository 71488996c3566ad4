/**
 * How the daemon's watchdog carries out a declared recovery: the same actions, through the same prepare/perform
 * path as a key, the palette or `sov do` (preconditions, the authority, the audit log), asked by `daemon`. The
 * config's declared policy is the operator's standing decision: T1 runs as asked, T2 is confirmed with the VM's
 * name. A T3 (reimage) needs a tripcode the watchdog cannot sign: it is refused with that reason, recorded.
 */
import type { Runner } from '../../backends/types.js';
import { VM_ACTIONS } from '../actions/vms.js';
import type { Action, ActionCtx } from '../actions/types.js';
import type { Config } from '../config/schema.js';
import type { VmConfig } from '../config/vms.js';
import { perform, prepare } from '../recovery/perform.js';
import type { Confirmation, RecoveryLink, Who } from '../recovery/types.js';
import { recoveryAction } from './watchdog.js';

export interface RecoverDeps {
  config: Config;
  runner: Runner;
  recovery: RecoveryLink;
  who: Who;
  /** each step's output, by VM */
  output?: (vm: string, line: string) => void;
  actions?: Action[];
}

export function recoverThroughActions(d: RecoverDeps): (vm: VmConfig, recovery: string) => Promise<{ ok: boolean; message: string }> {
  const actions = d.actions ?? VM_ACTIONS;
  return async (vm, recovery) => {
    const done: string[] = [];
    for (const step of recoveryAction(recovery, vm.name)) {
      const action = actions.find((a) => a.id === step.id);
      if (!action) return { ok: false, message: `${step.id}: no such action` };
      if (action.tier === 'T3') return { ok: false, message: `${step.id} needs a tripcode (RECOVERY:REIMAGE_TO_GOLDEN::${vm.name}): the watchdog does not sign one; the operator decides` };
      const ctx: ActionCtx = {
        readOnly: false, setLogs: () => {}, args: step.args, runner: d.runner, host: d.runner.host, config: d.config, recovery: d.recovery,
        who: { ...d.who, via: 'daemon' }, ...(d.output ? { output: (l: string) => d.output!(vm.name, l) } : {}),
      };
      const p = await prepare(action, ctx);
      if (p.refused) return { ok: false, message: `${step.id} refused: ${p.refused.reason}` };
      const confirmation: Confirmation = p.confirm === 'typed' ? { kind: 'typed', text: p.target ?? '' } : p.confirm === 'yes' ? { kind: 'yes' } : { kind: 'none' };
      const r = await perform(p, confirmation);
      if (r.outcome !== 'ok') return { ok: false, message: `${step.id}: ${r.result.kind === 'error' || r.result.kind === 'done' ? r.result.message : r.outcome}` };
      done.push(r.result.kind === 'done' ? r.result.message : step.id);
    }
    return { ok: true, message: done.join('; ') };
  };
}
