/**
 * Container engines through the docker or podman CLI (argv arrays, never a shell):
 *   <rt> start <c> · <rt> stop -t <timeoutSec> <c> · <rt> restart -t <timeoutSec> <c>
 *   <rt> inspect --format '{{json .State}}' <c> · <rt> logs --tail <n> <c>
 */
import type { ContainerEngineConfig } from '../../config/schema.js';
import { check, firstLine, runCmd, splitLines, type AdapterState, type EngineAdapter } from './types.js';

const TIMEOUT_MS = 30_000;

export function containerArgv(cfg: Pick<ContainerEngineConfig, 'container'>, op: 'start' | 'stop' | 'restart' | 'inspect' | 'logs', n = 0): string[] {
  switch (op) {
    case 'start': return ['start', cfg.container];
    case 'stop': return ['stop', '-t', String(n), cfg.container];
    case 'restart': return ['restart', '-t', String(n), cfg.container];
    case 'inspect': return ['inspect', '--format', '{{json .State}}', cfg.container];
    case 'logs': return ['logs', '--tail', String(n), cfg.container];
  }
}

/** `inspect --format '{{json .State}}'` output (docker and podman spell the fields the same). */
export function parseContainerState(text: string): AdapterState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const s = v as Record<string, unknown>;
  const running = s.Running === true && s.Paused !== true;
  const out: AdapterState = { running, status: typeof s.Status === 'string' ? s.Status : running ? 'running' : 'exited' };
  if (typeof s.Pid === 'number' && s.Pid > 0) out.pid = s.Pid;
  if (typeof s.ExitCode === 'number' && !running) out.exitCode = s.ExitCode;
  if (typeof s.StartedAt === 'string') {
    const t = Date.parse(s.StartedAt);
    if (Number.isFinite(t) && t > 0) out.startedAt = t;
  }
  if (typeof s.Error === 'string' && s.Error !== '') out.error = s.Error;
  if (s.OOMKilled === true) out.error = 'killed by the OOM killer';
  return out;
}

export function containerAdapter(cfg: ContainerEngineConfig, env?: NodeJS.ProcessEnv): EngineAdapter {
  const rt = cfg.runtime;
  const run = async (args: string[], timeoutMs = TIMEOUT_MS) => check(rt, args, await runCmd(rt, args, env, timeoutMs));
  return {
    async start() { await run(containerArgv(cfg, 'start')); },
    async stop(t) { await run(containerArgv(cfg, 'stop', t), (t + 30) * 1000); },
    async restart(t) { await run(containerArgv(cfg, 'restart', t), (t + 30) * 1000); },
    async state() {
      const args = containerArgv(cfg, 'inspect');
      let r;
      try {
        r = await runCmd(rt, args, env, TIMEOUT_MS);
      } catch (e) {
        return { running: false, status: 'unknown', error: e instanceof Error ? e.message : String(e) };
      }
      if (r.exitCode !== 0) return { running: false, status: 'unknown', error: `${rt} inspect: ${firstLine(r.stderr) || `exit ${r.exitCode}`}` };
      return parseContainerState(r.stdout) ?? { running: false, status: 'unknown', error: `${rt} inspect: unreadable answer "${firstLine(r.stdout).slice(0, 80)}"` };
    },
    async logs(n) {
      const r = await run(containerArgv(cfg, 'logs', n));
      return splitLines(r.all);
    },
  };
}
