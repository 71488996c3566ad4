/**
 * A blueprint: what the box should be (the seeds' verification matrices), as YAML checked by zod. `sov doctor` and
 * the Doctor screen hold the live readings against it (src/doctor/checks.ts). A bad file is refused whole, every
 * problem with its line and key, in the config loader's words (src/config/load.ts). Every section is optional.
 *
 *   name: omni-v13
 *   gpus:     { count: 2, model: "RTX", pcie: { gen: 5, width: 16 }, minFreeVramGiB: 80,
 *               each: [{ index: 1, model: "5090" }] }            # pcie: the least the link may run *under load*
 *   numa:     { nodes: 4 }
 *   memory:   { totalGiB: 512, speedMTs: 6400 }
 *   engines:  [{ name: llama, models: [qwen3], minTokPerSec: 15, loopbackOnly: true }]   # name "*": every engine
 *   zfs:
 *     pools:    [{ name: tank, health: ONLINE, minFreePct: 20,
 *                  layout: { data: { vdevs: 2, kind: raidz2, width: 7 }, special: { vdevs: 1, kind: mirror, width: 2 } } }]
 *     datasets: [{ name: tank, compression: on, specialSmallBlocks: "<= recordsize" }]   # the dataset and those under it
 *   services: [qdrant, redis]                                     # names from the config's services; "*": all of them
 */
import { open, stat } from 'node:fs/promises';
import { z } from 'zod';
import { parseYamlAs, type ConfigError } from '../config/load.js';

const name = z.string().min(1).max(200);
const pcie = z.object({
  /** the least PCIe generation the link may run at under load */
  gen: z.number().int().min(1).max(7).optional(),
  /** the least link width (lanes) under load */
  width: z.number().int().min(1).max(32).optional(),
}).strict();

const gpuOne = z.object({
  index: z.number().int().min(0),
  /** a substring of this GPU's name */
  model: z.string().min(1).optional(),
  pcie: pcie.optional(),
}).strict();

const gpus = z.object({
  /** GPUs visible to nvidia-smi */
  count: z.number().int().min(0).optional(),
  /** a substring every GPU's name contains */
  model: z.string().min(1).optional(),
  /** every GPU, under load */
  pcie: pcie.optional(),
  /** per GPU, by index: overrides model and pcie for that one */
  each: z.array(gpuOne).optional(),
  /** free VRAM summed over all GPUs while they serve (checked under load) */
  minFreeVramGiB: z.number().positive().optional(),
}).strict();

const vdevKind = z.enum(['disk', 'file', 'mirror', 'raidz1', 'raidz2', 'raidz3', 'draid']);
const vdevGroup = z.object({
  /** how many top-level vdevs of this class */
  vdevs: z.number().int().min(1),
  kind: vdevKind,
  /** devices in each (a replacing pair counts as one) */
  width: z.number().int().min(1).optional(),
}).strict();

const pool = z.object({
  name,
  health: z.enum(['ONLINE', 'DEGRADED']).default('ONLINE'),
  minFreePct: z.number().min(0).max(100).optional(),
  layout: z.object({
    data: vdevGroup.optional(), special: vdevGroup.optional(), dedup: vdevGroup.optional(),
    log: vdevGroup.optional(), cache: vdevGroup.optional(),
  }).strict().optional(),
}).strict();

const dataset = z.object({
  /** this dataset and every dataset under it */
  name,
  /** "on": anything but off; else the algorithm (a prefix: "zstd" matches zstd-3) */
  compression: z.string().min(1).optional(),
  specialSmallBlocks: z.literal('<= recordsize').optional(),
}).strict();

const engine = z.object({
  /** as the daemon names it; "*": every engine it runs */
  name,
  /** each listed on the engine's /v1/models (an id equal to it or containing it, any case) */
  models: z.array(z.string().min(1)).optional(),
  /** generated tokens per second: the newest benchmark, else the live rate */
  minTokPerSec: z.number().positive().optional(),
  /** every listening socket of the engine on a loopback address */
  loopbackOnly: z.boolean().optional(),
}).strict();

export const blueprintSchema = z.object({
  name,
  description: z.string().optional(),
  gpus: gpus.optional(),
  numa: z.object({ nodes: z.number().int().min(1) }).strict().optional(),
  memory: z.object({
    /** the least total RAM the kernel sees (it keeps a little: 95 % of this passes) */
    totalGiB: z.number().positive().optional(),
    /** DIMM speed; sov cannot read it without root: always UNKNOWN, said so */
    speedMTs: z.number().int().positive().optional(),
  }).strict().optional(),
  engines: z.array(engine).optional(),
  zfs: z.object({ pools: z.array(pool).optional(), datasets: z.array(dataset).optional() }).strict().optional(),
  services: z.array(name).optional(),
}).strict();

export type Blueprint = z.infer<typeof blueprintSchema>;
export type BlueprintEngine = z.infer<typeof engine>;
export type BlueprintPool = z.infer<typeof pool>;
export type BlueprintDataset = z.infer<typeof dataset>;
export type VdevGroup = z.infer<typeof vdevGroup>;
export type PcieWant = z.infer<typeof pcie>;

export type BlueprintResult =
  | { ok: true; blueprint: Blueprint; path: string }
  | { ok: false; path: string; errors: ConfigError[]; /** one message naming the file, each line and key */ text: string };

/** at most this much YAML: a blueprint is a page, not a data set */
export const MAX_BLUEPRINT_BYTES = 256 * 1024;

function refused(path: string, errors: ConfigError[]): BlueprintResult {
  const lines = errors.map((e) => {
    const where = e.line !== undefined ? `${path}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : path;
    return `  ${where}: ${e.key ? `${e.key}: ` : ''}${e.message}`;
  });
  return { ok: false, path, errors, text: `blueprint ${path} is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n${lines.join('\n')}` };
}

/** Parses and validates blueprint text; `path` only names it in messages. Never throws. */
export function parseBlueprint(text: string, path = 'blueprint.yaml'): BlueprintResult {
  if (text.length > MAX_BLUEPRINT_BYTES) return refused(path, [{ key: '', message: `larger than ${MAX_BLUEPRINT_BYTES / 1024} KiB: not a blueprint` }]);
  const r = parseYamlAs(text, blueprintSchema, 'name:, gpus:, numa:, memory:, engines:, zfs:, services:');
  return r.ok ? { ok: true, blueprint: r.value, path } : refused(path, r.errors);
}

/** A regular file of at most MAX_BLUEPRINT_BYTES (a FIFO or /dev/zero is refused, never read without end). */
export async function loadBlueprint(path: string): Promise<BlueprintResult> {
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) return refused(path, [{ key: '', message: `not a regular file (${st.isDirectory() ? 'a directory' : 'a device, socket or FIFO'})` }]);
    if (st.size > MAX_BLUEPRINT_BYTES) return refused(path, [{ key: '', message: `larger than ${MAX_BLUEPRINT_BYTES / 1024} KiB: not a blueprint` }]);
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(MAX_BLUEPRINT_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return refused(path, [{ key: '', message: err.code === 'ENOENT' ? 'no such file' : `cannot read: ${err.message}` }]);
  }
  return parseBlueprint(text, path);
}

/** What to say when there is no blueprint at all. */
export const NO_BLUEPRINT = 'no blueprint: sov doctor --blueprint FILE, or recovery.blueprint in the config';
export const WRITE_ONE = 'examples: contrib/blueprints/omni.yaml, zfs-plan.yaml, workstation.yaml (a YAML file: name:, then gpus:, numa:, memory:, engines:, zfs:, services:)';
