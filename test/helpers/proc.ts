import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isAlive } from '../../src/daemon/procfs.js';
import { repoRoot } from './samples.js';

export const SOV = join(repoRoot, 'dist', 'sov.js');

export interface Run { code: number; stdout: string; stderr: string }

/** Runs the built `sov` with this environment (cwd: the repo); never rejects: the exit code is in the result. */
export function runSov(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SOV, ...args], { env, cwd: repoRoot, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Waits up to `ms` until none of the pids is alive (a zombie counts as gone: src/daemon/procfs.ts isAlive);
 * returns the survivors, so `expect(await gone(pids)).toEqual([])` names them when it fails. */
export async function gone(pids: number[], ms = 3000): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = pids.filter(isAlive);
    if (!left.length || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const SIM = join(repoRoot, 'src', 'demo', 'engine.ts');

/** A config entry (YAML, under `engines:`) running the simulated llama.cpp engine on 127.0.0.1:port. */
export function simEngineYaml(name: string, port: number, extra: string[], o: { intervalSec?: number; more?: string } = {}): string {
  const argv = [process.execPath, '--import', 'tsx', SIM, '--port', String(port), ...extra];
  return `  - name: ${name}
    kind: process
    argv: ${JSON.stringify(argv)}
    cwd: ${JSON.stringify(repoRoot)}
    port: ${port}
    openai: http://127.0.0.1:${port}/v1
    health: { url: "http://127.0.0.1:${port}/health", kind: llamacpp, intervalSec: ${o.intervalSec ?? 0.5}, timeoutSec: 1 }
    startupGraceSec: 60
    stop: { timeoutSec: 5 }
${o.more ?? ''}`;
}
