/**
 * Joins across sources, done here so backends never import each other (DESIGN.md §4): GPU process → engine by
 * the engine's process tree (`EngineStatus.pids`), and the VRAM of each engine summed from the GPU process list.
 */
import type { Sample } from '../../backends/types.js';
import type { Gpu, NvidiaData } from '../../backends/nvidia/types.js';
import type { EngineStatus } from '../daemon/types.js';
import type { EnginesData } from '../engines/source.js';
import type { Samples } from './types.js';

/** The data to draw: current when ok, the last good copy while erroring. */
export function dataOf<T>(s: Sample<T>): T | undefined {
  return s.state === 'ok' ? s.data : s.state === 'error' ? s.lastGood?.data : undefined;
}

export function engineList(samples: Samples): EngineStatus[] | undefined {
  return dataOf<EnginesData>(samples.engines)?.engines;
}

/** pid → engine name, for every pid of every engine's process tree. */
export function pidToEngine(engines: EngineStatus[] | undefined): Map<number, string> {
  const m = new Map<number, string>();
  for (const e of engines ?? []) {
    for (const p of e.pids ?? []) m.set(p, e.name);
    if (e.pid !== undefined && !m.has(e.pid)) m.set(e.pid, e.name);
  }
  return m;
}

/** The engine behind a GPU process, or undefined; undefined as a whole when no engine list is known. */
export function gpuProcessEngine(samples: Samples): ((pid: number) => string | undefined) | undefined {
  const engines = engineList(samples);
  if (!engines) return undefined;
  const m = pidToEngine(engines);
  return (pid) => m.get(pid);
}

/**
 * VRAM per engine and GPU: the GPU processes whose pid is in the engine's tree (pidToEngine: its pids, else its
 * pid), summed per GPU; an engine with nothing on a GPU is absent.
 */
export function engineGpuVram<G extends Pick<Gpu, 'processes'>>(engines: EngineStatus[] | undefined, gpus: G[]): Map<string, { gpu: G; bytes: number }[]> {
  const out = new Map<string, { gpu: G; bytes: number }[]>();
  const m = pidToEngine(engines);
  for (const g of gpus) {
    const onThis = new Map<string, number>();
    for (const p of g.processes) {
      const name = m.get(p.pid);
      if (name === undefined || p.usedMemBytes === undefined) continue;
      onThis.set(name, (onThis.get(name) ?? 0) + p.usedMemBytes);
    }
    for (const [name, bytes] of onThis) out.set(name, [...(out.get(name) ?? []), { gpu: g, bytes }]);
  }
  return out;
}

/** VRAM per engine: the sum over the GPUs of engineGpuVram (an engine with nothing on a GPU is absent). */
export function engineVram(engines: EngineStatus[], nvidia: NvidiaData | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, per] of engineGpuVram(engines, nvidia?.gpus ?? [])) out.set(name, per.reduce((s, v) => s + v.bytes, 0));
  return out;
}

/** The engine the engines screen has selected: by name, else the first listed (the screen and the actions agree). */
export function selectedEngine<E extends { name: string }>(engines: E[], name: string | undefined): E | undefined {
  return engines.find((e) => e.name === name) ?? engines[0];
}
