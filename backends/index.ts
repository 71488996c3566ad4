/** The registry of sampled sources, in display order. */
import { nvidiaBackend } from './nvidia/index.js';
import { numaBackend } from './numa/index.js';
import { systemBackend } from './system/index.js';
import { zfsBackend } from './zfs/index.js';
import { vmsBackend } from './vms/index.js';
import type { BackendDef } from './types.js';

export const BACKENDS: BackendDef<unknown>[] = [
  nvidiaBackend as BackendDef<unknown>,
  numaBackend as BackendDef<unknown>,
  systemBackend as BackendDef<unknown>,
  zfsBackend as BackendDef<unknown>,
  vmsBackend as BackendDef<unknown>,
];
