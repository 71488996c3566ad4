/**
 * NUMA topology through a Runner: /sys/devices/system/node first (no process spawned), `numactl --hardware` when
 * sysfs has no node directory (containers with a masked /sys, old kernels), unavailable when neither answers.
 */
import type { Attempt, Runner, Source } from '../types.js';
import type { NumaData, NumaNode } from './types.js';
import { nodeDirId, parseCpuList, parseDistanceRow, parseNodeMeminfo, parseNumactlHardware, squareOrEmpty } from './parse.js';

export const SYS_NODE = '/sys/devices/system/node';
export const NUMACTL_ARGV = ['numactl', '--hardware'];
const NUMACTL_TIMEOUT_MS = 5000;

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function readOpt(runner: Runner, path: string, warnings: string[]): Promise<string | undefined> {
  try {
    const t = await runner.readFile(path);
    if (t === undefined) warnings.push(`${path} missing`);
    return t;
  } catch (e) {
    warnings.push(`${path}: ${errText(e)}`);
    return undefined;
  }
}

/** Reads the sysfs node tree; undefined when it has no nodeN entries. */
export async function sampleSysfs(runner: Runner, entries: string[]): Promise<NumaData | undefined> {
  const ids = [...new Set(entries.map(nodeDirId).filter((x): x is number => x !== undefined))].sort((a, b) => a - b);
  if (ids.length === 0) return undefined;
  const warnings: string[] = [];
  const perNode = await Promise.all(ids.map(async (id) => {
    const dir = `${SYS_NODE}/node${id}`;
    const [cpulist, meminfo, distance] = await Promise.all([
      readOpt(runner, `${dir}/cpulist`, warnings),
      readOpt(runner, `${dir}/meminfo`, warnings),
      readOpt(runner, `${dir}/distance`, warnings),
    ]);
    const node: NumaNode = { id, cpus: [] };
    if (cpulist !== undefined) {
      const c = parseCpuList(cpulist);
      node.cpus = c.cpus;
      warnings.push(...c.warnings.map((w) => `node${id} ${w}`));
    }
    if (meminfo !== undefined) {
      const m = parseNodeMeminfo(meminfo, id);
      if (m.memTotalBytes !== undefined) node.memTotalBytes = m.memTotalBytes;
      if (m.memFreeBytes !== undefined) node.memFreeBytes = m.memFreeBytes;
      warnings.push(...m.warnings.map((w) => `node${id} ${w}`));
    }
    let row: number[] | undefined;
    if (distance !== undefined) {
      const d = parseDistanceRow(distance);
      row = d.row.length ? d.row : undefined;
      warnings.push(...d.warnings.map((w) => `node${id} ${w}`));
    }
    return { node, row };
  }));
  const nodes = perNode.map((p) => p.node);
  const distances = squareOrEmpty(perNode.map((p) => p.row), nodes.length, warnings);
  return { nodes, distances, warnings };
}

export async function sampleNumactl(runner: Runner): Promise<Attempt<NumaData>> {
  const r = await runner.run(NUMACTL_ARGV, { timeoutMs: NUMACTL_TIMEOUT_MS });
  if (r.notFound) {
    return {
      state: 'unavailable',
      reason: 'no NUMA information: /sys/devices/system/node missing and numactl not installed',
      hint: 'mount sysfs, or install numactl (apt install numactl / dnf install numactl)',
    };
  }
  if (r.timedOut) return { state: 'error', message: `numactl --hardware timed out after ${NUMACTL_TIMEOUT_MS} ms` };
  const parsed = /No NUMA available/i.test(r.stderr) ? undefined : parseNumactlHardware(r.stdout);
  if (parsed === undefined) {
    return { state: 'unavailable', reason: 'no NUMA support: numactl reports "No NUMA available on this system"', hint: 'a kernel built without CONFIG_NUMA: one memory domain, placement does not matter' };
  }
  if (r.exitCode !== 0 || parsed.nodes.length === 0) {
    const why = (r.stderr.trim() || r.spawnError || `exit code ${r.exitCode ?? 'none'}`).split('\n')[0]!.slice(0, 200);
    return { state: 'error', message: `numactl --hardware failed: ${why}` };
  }
  return { state: 'ok', data: parsed };
}

export function createNumaSource(runner: Runner): Source<NumaData> {
  return {
    id: 'numa',
    async sample(): Promise<Attempt<NumaData>> {
      try {
        let entries: string[] | undefined;
        try {
          entries = await runner.listDir(SYS_NODE);
        } catch (e) {
          const viaNumactl = await sampleNumactl(runner);
          if (viaNumactl.state === 'ok') viaNumactl.data.warnings.unshift(`${SYS_NODE}: ${errText(e)}`);
          return viaNumactl;
        }
        if (entries !== undefined) {
          const data = await sampleSysfs(runner, entries);
          if (data) return { state: 'ok', data };
        }
        return await sampleNumactl(runner);
      } catch (e) {
        return { state: 'error', message: `numa: ${errText(e)}` };
      }
    },
    dispose() {},
  };
}
