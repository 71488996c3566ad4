/** Every declared action, by id. */
import { ENGINE_ACTIONS } from './engines.js';
import { VM_ACTIONS } from './vms.js';
import { vmSsh } from './vm-ssh.js';
import { BOX_ACTIONS } from './box.js';
import { DOCTOR_ACTIONS } from './doctor.js';
import { scriptActions } from './scripts.js';
import { ZFS_ACTIONS, ZFS_DEVICE_ACTIONS } from './zfs.js';
import { zfsRollback } from './zfs-rollback.js';
import { GPU_ACTIONS } from './gpu.js';
import { STACK_ACTIONS } from './stack.js';
import { TUNNEL_ACTIONS } from './tunnels.js';
import type { Config } from '../config/schema.js';
import type { Action } from './types.js';

export const ACTIONS: Action[] = [...ENGINE_ACTIONS, ...VM_ACTIONS, vmSsh, ...BOX_ACTIONS, ...DOCTOR_ACTIONS,
  ...ZFS_ACTIONS, zfsRollback, ...ZFS_DEVICE_ACTIONS, ...GPU_ACTIONS, ...STACK_ACTIONS, ...TUNNEL_ACTIONS];
/** every action for this config: the built-in ones, then those the config declares (scripts) */
export function actionsFor(config?: Config): Action[] {
  return [...ACTIONS, ...scriptActions(config?.scripts ?? [])];
}

/** what the Recovery screen lists: every action but the engines screen's own, T0 diagnostics first, then by tier */
export function recoveryActions(config?: Config): Action[] {
  const order = { T0: 0, T1: 1, T2: 2, T3: 3 } as const;
  return actionsFor(config).filter((a) => a.scope !== 'engines').sort((a, b) => order[a.tier] - order[b.tier]);
}

export type { Action, ActionCtx, ActionResult, Tier } from './types.js';
export { engineBaseUrl, startCommand, stopEffect } from './engines.js';
