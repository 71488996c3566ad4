/**
 * Services descriptor. Unlike the host backends (BACKENDS, created with a Runner), this source is created from the
 * config's `services` list: `servicesBackend.create(config.services)`. See docs/decisions.md.
 */
import type { Source } from '../types.js';
import { createServicesSource, type ServicesSourceOptions } from './source.js';
import type { ServicesData, ServiceTarget } from './types.js';

export interface ConfiguredBackendDef<C, T> {
  id: 'services';
  title: string;
  intervalMs: number;
  create(config: C, o?: ServicesSourceOptions): Source<T>;
}

export const servicesBackend: ConfiguredBackendDef<ServiceTarget[], ServicesData> = {
  id: 'services',
  title: 'Services',
  intervalMs: 5000,
  create: (targets, o) => createServicesSource(targets, o),
};

export type { ServicesSourceOptions } from './source.js';
export { createServicesSource, probeHttp, probeRedis, probeService, probeTcp } from './source.js';
export type { ServicesData, ServiceStatus, ServiceTarget } from './types.js';
