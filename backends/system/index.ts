/** Host backend descriptor: CPU (total and per core), load, memory, swap, disk and network rates, from /proc. */
import type { BackendDef } from '../types.js';
import { createSystemSource } from './source.js';
import type { SystemData } from './types.js';

export const systemBackend: BackendDef<SystemData> = {
  id: 'system',
  title: 'Host',
  intervalMs: 1000,
  create: (runner) => createSystemSource(runner),
};

export type { SystemData, CoreUtil, DiskIo, NetIo } from './types.js';
