/**
 * A tiny QMP client over a unix socket: the greeting, `qmp_capabilities`, then one command at a time, each with a
 * deadline; events are skipped; what it buffers is bounded. A socket on this machine only (a remote host's QMP
 * would need a tunnel: not done).
 */
import { connect, type Socket } from 'node:net';

export interface QmpClient {
  /** a QMP command; resolves with its `return`, rejects with its `error.desc` or on the deadline */
  execute(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  /** `human-monitor-command`: the monitor's text answer (savevm, loadvm, info snapshots) */
  hmp(line: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

export class QmpError extends Error {}

const MAX_BUFFER = 1 << 20;

/** Connects and negotiates capabilities; rejects within `timeoutMs` with a clear reason. */
export function connectQmp(socketPath: string, timeoutMs = 3000): Promise<QmpClient> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(socketPath);
    sock.setEncoding('utf8');
    let buf = '';
    let greeted = false;
    let seq = 0;
    const waiting = new Map<string, { ok: (v: unknown) => void; fail: (e: Error) => void; timer: NodeJS.Timeout }>();
    let closedWhy: string | undefined;
    const failAll = (why: string) => {
      closedWhy = why;
      for (const [, w] of waiting) { clearTimeout(w.timer); w.fail(new QmpError(why)); }
      waiting.clear();
    };
    const first = setTimeout(() => { sock.destroy(); reject(new QmpError(`QMP ${socketPath}: no greeting within ${timeoutMs} ms`)); }, timeoutMs);
    const client: QmpClient = {
      execute(command, args, ms = 10_000) {
        if (closedWhy !== undefined) return Promise.reject(new QmpError(closedWhy));
        const id = `sov-${++seq}`;
        return new Promise((ok, fail) => {
          const timer = setTimeout(() => { waiting.delete(id); fail(new QmpError(`QMP ${command}: no answer within ${ms} ms`)); }, ms);
          waiting.set(id, { ok, fail, timer });
          sock.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
        });
      },
      async hmp(line, ms) {
        const r = await client.execute('human-monitor-command', { 'command-line': line }, ms);
        return typeof r === 'string' ? r : '';
      },
      close() { failAll('QMP connection closed'); sock.destroy(); },
    };
    const onMessage = (m: Record<string, unknown>) => {
      if (!greeted) {
        if (!('QMP' in m)) { clearTimeout(first); sock.destroy(); reject(new QmpError(`QMP ${socketPath}: not a QMP greeting`)); return; }
        greeted = true;
        client.execute('qmp_capabilities', undefined, timeoutMs).then(() => { clearTimeout(first); resolve(client); }, (e: Error) => { clearTimeout(first); sock.destroy(); reject(e); });
        return;
      }
      if ('event' in m) return;
      const id = typeof m.id === 'string' ? m.id : undefined;
      const w = id !== undefined ? waiting.get(id) : undefined;
      if (!w || id === undefined) return;
      waiting.delete(id);
      clearTimeout(w.timer);
      if ('error' in m) {
        const e = m.error as { desc?: unknown; class?: unknown } | undefined;
        w.fail(new QmpError(typeof e?.desc === 'string' ? e.desc : 'QMP error'));
      } else w.ok(m.return);
    };
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_BUFFER) { failAll('QMP: an answer larger than 1 MiB'); sock.destroy(); return; }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try { onMessage(JSON.parse(line) as Record<string, unknown>); } catch {}
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? `QMP socket ${socketPath} does not exist` : e.code === 'ECONNREFUSED' ? `QMP socket ${socketPath}: nobody listens (the VM is gone?)` : e.code === 'EACCES' ? `QMP socket ${socketPath}: permission denied` : `QMP ${socketPath}: ${e.message}`;
      clearTimeout(first);
      failAll(why);
      reject(new QmpError(why));
    });
    sock.on('close', () => { clearTimeout(first); failAll('QMP connection closed'); if (!greeted) reject(new QmpError(`QMP ${socketPath}: closed before the greeting`)); });
  });
}

/** One short session: connect, run `fn`, close. */
export async function withQmp<T>(socketPath: string, fn: (c: QmpClient) => Promise<T>, timeoutMs = 3000): Promise<T> {
  const c = await connectQmp(socketPath, timeoutMs);
  try { return await fn(c); } finally { c.close(); }
}

/** `query-status` → QEMU's run state ("running", "paused", "prelaunch", "shutdown", "inmigrate"…) */
export async function queryStatus(c: QmpClient): Promise<{ status: string; running: boolean }> {
  const r = (await c.execute('query-status', undefined, 3000)) as { status?: unknown; running?: unknown } | undefined;
  return { status: typeof r?.status === 'string' ? r.status : 'unknown', running: r?.running === true };
}
