/**
 * The ids of the host sources BACKENDS (backends/index.ts) registers, in its order: what `sov --require` and
 * `--only` accept. A list of its own so that parsing the command line does not load every backend
 * (test/backends/ids.test.ts holds the two together).
 */
import type { SourceId } from './types.js';

export const HOST_SOURCES = ['nvidia', 'numa', 'system', 'zfs', 'vms'] as const satisfies readonly SourceId[];
