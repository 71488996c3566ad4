/**
 * What sov's GPU recovery actions run and what must hold: argv builders, the GPU-index check, and the
 * preconditions/postconditions as pure functions over an NvidiaData reading. Nothing here runs anything; the join
 * of GPU processes to engines is passed in (backends never see engines).
 */
import type { Gpu, NvidiaData } from './types.js';

export interface Check { name: string; state: 'pass' | 'fail' | 'unknown'; detail: string }

export function checkGpuIndex(s: string): true | string {
  return /^\d{1,3}$/.test(s) ? true : `not a GPU index: ${JSON.stringify(s.slice(0, 40))} (0, 1, …)`;
}

export const persistenceArgv = (index: number) => ['nvidia-smi', '-i', String(index), '-pm', '1'];
export const resetArgv = (index: number) => ['nvidia-smi', '--gpu-reset', '-i', String(index)];
/** read back after an action: the full document carries persistence mode and processes */
export const QX_ARGV = ['nvidia-smi', '-q', '-x'];

export const findGpu = (d: NvidiaData, index: number): Gpu | undefined => d.gpus.find((g) => g.index === index);

export function gpuCheck(d: NvidiaData, index: number): Check {
  const g = findGpu(d, index);
  if (!g) return { name: 'GPU present', state: 'fail', detail: `no GPU ${index} (GPUs: ${d.gpus.map((x) => x.index).join(', ') || 'none'})` };
  return g.fault
    ? { name: 'GPU present', state: 'pass', detail: `GPU ${index} ${g.name}: ${g.fault}` }
    : { name: 'GPU present', state: 'pass', detail: `GPU ${index} ${g.name}` };
}

export function persistenceOffCheck(g: Gpu): Check {
  const name = 'persistence mode';
  if (g.persistenceMode === undefined) return { name, state: 'unknown', detail: `GPU ${g.index}: persistence mode not reported` };
  return g.persistenceMode ? { name, state: 'fail', detail: `GPU ${g.index} already has persistence mode on` } : { name, state: 'pass', detail: `GPU ${g.index}: persistence mode off` };
}

/**
 * No process may hold a GPU that is about to be reset: each is named with its engine when the join knows it
 * (`engineOf` undefined: no engine list to join with, said so).
 */
export function noProcessCheck(g: Gpu, engineOf: ((pid: number) => string | undefined) | undefined): Check {
  const name = 'no GPU process';
  if (!g.processes.length) return { name, state: 'pass', detail: `no process holds GPU ${g.index}` };
  const who = g.processes.slice(0, 8).map((p) => {
    const e = engineOf?.(p.pid);
    return `pid ${p.pid} ${p.name || '(no name)'}${e ? ` (engine ${e})` : ''}`;
  });
  const more = g.processes.length > 8 ? ` and ${g.processes.length - 8} more` : '';
  const engines = [...new Set(g.processes.map((p) => engineOf?.(p.pid)).filter((e): e is string => !!e))];
  const hint = engines.length ? `; stop ${engines.join(', ')} first` : engineOf ? '' : ' (no engine list to say whose they are)';
  return { name, state: 'fail', detail: `GPU ${g.index} is held by ${who.join(', ')}${more}${hint}` };
}

export function persistencePost(d: NvidiaData | undefined, index: number): Check {
  const name = 'persistence mode on';
  const g = d && findGpu(d, index);
  if (!g) return { name, state: 'fail', detail: `GPU ${index} not in the reading after the change` };
  return g.persistenceMode === true ? { name, state: 'pass', detail: `GPU ${index}: persistence mode on` } : { name, state: 'fail', detail: `GPU ${index}: persistence mode is ${g.persistenceMode === false ? 'still off' : 'not reported'}` };
}

export function resetPost(d: NvidiaData | undefined, index: number): Check {
  const name = 'GPU back';
  const g = d && findGpu(d, index);
  if (!g) return { name, state: 'fail', detail: `GPU ${index} is not visible after the reset` };
  return g.fault ? { name, state: 'fail', detail: `GPU ${index}: ${g.fault}` } : { name, state: 'pass', detail: `GPU ${index} ${g.name} answers` };
}

/** the first line of what nvidia-smi said, for a refusal ("… is currently in use by another process.") */
export function smiSaid(stdout: string, stderr: string): string {
  const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /in use|insufficient permissions|not supported|no devices|unable|failed|error/i.test(l)) ?? lines[0] ?? '';
}
