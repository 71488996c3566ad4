/** The nvidia backend descriptor: GPUs through nvidia-smi (see README.md). */
import type { BackendDef } from '../types.js';
import { createNvidiaSource } from './source.js';
import type { NvidiaData } from './types.js';

export const nvidiaBackend: BackendDef<NvidiaData> = {
  id: 'nvidia',
  title: 'GPU',
  intervalMs: 1000,
  create: (runner) => createNvidiaSource(runner),
};

export type { NvidiaData, Gpu } from './types.js';
