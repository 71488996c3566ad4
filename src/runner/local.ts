import { execa } from 'execa';
import { readFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Runner, RunOptions, RunResult, StreamHandle, StreamOptions } from '../../backends/types.js';

const ENV = { LC_ALL: 'C', LANG: 'C' };
const STDERR_KEEP = 4096;

function isMissing(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Runs programs on this machine: argv arrays only, never a shell, LC_ALL=C, a timeout on everything. */
export function createLocalRunner(opts: { defaultTimeoutMs?: number; env?: Record<string, string> } = {}): Runner {
  const defaultTimeoutMs = opts.defaultTimeoutMs ?? 10_000;
  const env = { ...ENV, ...opts.env };
  return {
    host: hostname(),
    async run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
      const [file, ...args] = argv;
      if (!file) throw new Error('empty argv');
      const r = await execa(file, args, {
        env, timeout: o.timeoutMs ?? defaultTimeoutMs, reject: false, stdin: 'ignore',
        stripFinalNewline: false, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL',
      });
      const code = (r as { code?: string }).code;
      const notFound = code === 'ENOENT';
      return {
        argv,
        exitCode: typeof r.exitCode === 'number' ? r.exitCode : null,
        stdout: typeof r.stdout === 'string' ? r.stdout : '',
        stderr: typeof r.stderr === 'string' ? r.stderr : '',
        timedOut: r.timedOut === true,
        notFound,
        ...(r.failed && !notFound && r.exitCode === undefined && !r.timedOut ? { spawnError: r.shortMessage } : {}),
      };
    },
    stream(argv: string[], o: StreamOptions): StreamHandle {
      const [file, ...args] = argv;
      if (!file) throw new Error('empty argv');
      const child = execa(file, args, { env, reject: false, stdin: 'ignore', buffer: false, killSignal: 'SIGKILL' });
      let buf = '';
      let errTail = '';
      let stopped = false;
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          o.onLine(line);
        }
        if (buf.length > 1 << 20) buf = ''; // a line that never ends: drop it rather than grow forever
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => { errTail = (errTail + chunk).slice(-STDERR_KEEP); });
      void child.then((r) => {
        if (buf) { o.onLine(buf); buf = ''; }
        if (stopped) return;
        const code = (r as { code?: string }).code;
        o.onExit({
          exitCode: typeof r.exitCode === 'number' ? r.exitCode : null,
          ...(r.signal ? { signal: r.signal } : {}),
          stderr: errTail.trim(),
          notFound: code === 'ENOENT',
          ...(r.failed && code && code !== 'ENOENT' ? { spawnError: r.shortMessage } : {}),
        });
      });
      return { stop() { stopped = true; child.kill('SIGKILL'); } };
    },
    async readFile(path: string) {
      try { return await readFile(path, 'utf8'); } catch (e) { if (isMissing(e)) return undefined; throw e; }
    },
    async listDir(path: string) {
      try { return await readdir(path); } catch (e) { if (isMissing(e)) return undefined; throw e; }
    },
    now: () => Date.now(),
  };
}
