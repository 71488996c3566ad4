import { z } from 'zod';

/**
 * The public contract of `sov status --json` (schema 1). Scripts depend on these names: add fields, never rename.
 * Absent values are omitted or null, never 0.
 */
const n = z.number().nullish();
const sample = <T extends z.ZodTypeAny>(data: T) => z.discriminatedUnion('state', [
  z.object({ state: z.literal('ok'), data, at: z.number(), tookMs: z.number() }),
  z.object({ state: z.literal('unavailable'), reason: z.string(), hint: z.string().optional(), at: z.number() }),
  z.object({ state: z.literal('error'), message: z.string(), at: z.number(), failures: z.number(), lastGood: z.object({ data, at: z.number() }).optional() }),
  z.object({ state: z.literal('pending') }),
]);

const gpu = z.object({
  index: z.number(), uuid: z.string(), name: z.string(), utilPct: n, memUsedBytes: n, memTotalBytes: n, tempC: n,
  powerDrawW: n, powerLimitW: n, fanPct: n, pstate: z.string().nullish(), persistenceMode: z.boolean().nullish(),
  pcie: z.object({ genCurrent: n, genMax: n, widthCurrent: n, widthMax: n }),
  eccErrors: z.object({}).passthrough().nullish(),
  processes: z.array(z.object({ pid: z.number(), name: z.string(), usedMemBytes: n })),
});
export const nvidiaSchema = z.object({ driverVersion: z.string().nullish(), cudaVersion: z.string().nullish(), gpus: z.array(gpu) });
export const numaSchema = z.object({
  nodes: z.array(z.object({ id: z.number(), cpus: z.array(z.number()), memTotalBytes: n, memFreeBytes: n })),
  distances: z.array(z.array(z.number())),
});
export const systemSchema = z.object({
  cpu: z.object({ utilPct: n, cores: z.array(z.object({ id: z.number(), utilPct: n })) }),
  load: z.tuple([z.number(), z.number(), z.number()]).nullish(),
  mem: z.object({ totalBytes: n, availableBytes: n, swapTotalBytes: n, swapUsedBytes: n }),
});
type VdevT = { name: string; kind: string; state: string; read?: number | null; write?: number | null; cksum?: number | null; children: VdevT[] };
const vdev: z.ZodType<VdevT> = z.lazy(() => z.object({ name: z.string(), kind: z.string(), state: z.string(), read: n, write: n, cksum: n, children: z.array(vdev) }));
export const zfsSchema = z.object({
  pools: z.array(z.object({
    name: z.string(), health: z.string(), sizeBytes: n, allocBytes: n, freeBytes: n, capacityPct: n, fragmentationPct: n,
    scan: z.object({ kind: z.enum(['scrub', 'resilver', 'none']), state: z.enum(['running', 'finished', 'canceled', 'none']), pct: n, etaSeconds: n, errors: n }),
    vdevs: z.array(vdev), errorsText: z.string().nullish(),
  })),
  datasets: z.array(z.object({ name: z.string() }).passthrough()),
  arc: z.object({}).passthrough().nullish(),
});

export const statusSchema = z.object({
  schema: z.literal(1),
  host: z.string(),
  at: z.number(),
  samples: z.object({ nvidia: sample(nvidiaSchema), numa: sample(numaSchema), system: sample(systemSchema), zfs: sample(zfsSchema) }),
});
