/**
 * The `/metrics` endpoint (thin): node:http on the configured address; GET or HEAD /metrics renders the latest
 * readings (metrics.ts), anything else is 404 (405 for other methods on /metrics). Each request has a deadline
 * (the whole request, headers included: a slow client or a render that does not finish is cut off with a 503 or
 * a closed socket), connections are bounded, and the answer is bounded in size.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { renderMetrics, type ExportInput } from './metrics.js';

export const MAX_CONNECTIONS = 32;
/** a box 8× the demo renders well under 1 MiB; beyond this something is wrong (a label explosion) */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface ExporterServerOptions {
  host: string;
  port: number;
  /** the latest readings (never starts a tool) */
  read(): ExportInput | Promise<ExportInput>;
  /** one request's deadline (default 5 s) */
  requestTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface ExporterServer {
  /** where it listens (the port the OS chose when 0 was asked for) */
  readonly address: { host: string; port: number };
  readonly url: string;
  close(): Promise<void>;
}

const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
};

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | 'late'> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => { t = setTimeout(() => r('late'), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

async function answer(o: ExporterServerOptions, req: IncomingMessage, res: ServerResponse, deadlineMs: number): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') return text(res, 404, 'not found: sov serves /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed: GET /metrics\n', { Allow: 'GET, HEAD' });
  const r = await withDeadline((async () => renderMetrics(await o.read()))(), deadlineMs);
  if (r === 'late') { o.log?.(`exporter: a scrape took longer than ${deadlineMs} ms; answered 503`); return text(res, 503, 'the readings did not render in time\n'); }
  const bytes = Buffer.byteLength(r.text);
  if (bytes > MAX_BODY_BYTES) { o.log?.(`exporter: ${bytes} bytes of metrics is over the ${MAX_BODY_BYTES} bound; answered 500`); return text(res, 500, 'metrics over the size bound\n'); }
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { 'Content-Type': r.contentType, 'Content-Length': bytes, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : r.text);
}

export async function startExporterServer(o: ExporterServerOptions): Promise<ExporterServer> {
  const deadlineMs = o.requestTimeoutMs ?? 5000;
  const sockets = new Set<Socket>();
  const srv: Server = createServer({
    requestTimeout: deadlineMs, headersTimeout: deadlineMs, keepAliveTimeout: 5000,
    // node checks those two every 30 s by default: a client that sends half a request would hold a socket that long
    connectionsCheckingInterval: Math.max(100, Math.min(1000, deadlineMs / 2)),
  }, (req, res) => {
    // the whole request, reading included, ends by the deadline
    const cut = setTimeout(() => { if (!res.writableEnded) { text(res, 503, 'deadline\n'); res.destroy(); } }, deadlineMs + 100);
    res.on('close', () => clearTimeout(cut));
    req.resume();
    answer(o, req, res, deadlineMs).catch((e: unknown) => {
      o.log?.(`exporter: rendering failed: ${(e as Error)?.message ?? String(e)}`);
      text(res, 500, 'rendering the metrics failed\n');
    });
  });
  srv.maxConnections = MAX_CONNECTIONS;
  srv.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  srv.on('clientError', (_e, s) => { try { s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); } catch { s.destroy(); } });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: o.host, port: o.port, exclusive: true }, () => { srv.off('error', reject); resolve(); });
  });
  srv.on('error', (e) => o.log?.(`exporter: ${e.message}`));
  const a = srv.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  let closing: Promise<void> | undefined;
  return {
    address: { host: a.address, port: a.port },
    url: `http://${host}:${a.port}/metrics`,
    close: () => (closing ??= new Promise<void>((r) => {
      srv.close(() => r());
      for (const s of sockets) s.destroy();
    })),
  };
}
