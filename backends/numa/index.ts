/** NUMA backend descriptor: nodes, their CPUs and memory, and the distance table. */
import type { BackendDef } from '../types.js';
import { createNumaSource } from './source.js';
import type { NumaData } from './types.js';

export const numaBackend: BackendDef<NumaData> = {
  id: 'numa',
  title: 'NUMA',
  intervalMs: 5000,
  create: (runner) => createNumaSource(runner),
};

export type { NumaData, NumaNode } from './types.js';
