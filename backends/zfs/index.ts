import type { BackendDef } from '../types.js';
import { createZfsSource } from './source.js';
import type { ZfsData } from './types.js';

export const zfsBackend: BackendDef<ZfsData> = {
  id: 'zfs',
  title: 'ZFS',
  intervalMs: 5000,
  create: (runner) => createZfsSource(runner),
};
