import { z } from 'zod';
import { isLoopbackAddress } from '../protocols/loopback.js';

/**
 * `exporter:` the Prometheus endpoint the daemon serves (issue 10). Off unless configured.
 *
 *   exporter:
 *     listen: 127.0.0.1:9464      # host:port; [::1]:9464 for IPv6
 *     allowRemote: false          # a non-loopback address is refused unless this is true
 *     requestTimeoutSec: 5        # one scrape's deadline
 *     hostCheckSec: 15            # how often each hosts: entry is checked over SSH (sov_host_up)
 *
 * The numbers are the box's (GPU processes, pool layout, engine names): they stay on loopback unless the operator
 * says otherwise, as the inference APIs do.
 */

export const DEFAULT_EXPORTER_PORT = 9464;

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:9464`, `localhost:9464`, `[::1]:9464` → host and port; a string saying what is wrong otherwise. */
export function parseListen(text: string): ListenAddress | string {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([A-Za-z0-9][A-Za-z0-9.-]*):(\d{1,5})$/.exec(text);
  if (!m) return `"${text.slice(0, 80)}" is not host:port (e.g. 127.0.0.1:${DEFAULT_EXPORTER_PORT}, [::1]:${DEFAULT_EXPORTER_PORT})`;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${m[2]} is outside 1–65535`;
  return { host: m[1]!, port };
}

/** a literal loopback address (127.0.0.0/8, ::1, ::ffff:127.x) or `localhost`; 0.0.0.0 and :: listen everywhere */
export function isLoopbackListen(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

export const exporterSchema = z.object({
  listen: z.string().default(`127.0.0.1:${DEFAULT_EXPORTER_PORT}`),
  /** serve on a non-loopback address (the numbers then leave the box: put a firewall or a tunnel in front) */
  allowRemote: z.boolean().default(false),
  /** one scrape's deadline: a scrape that takes longer is answered 503 */
  requestTimeoutSec: z.number().min(0.1).max(60).default(5),
  /** how often each `hosts:` entry is checked for reachability over its SSH master (sov_host_up) */
  hostCheckSec: z.number().min(0.2).max(3600).default(15),
}).strict().superRefine((e, ctx) => {
  const l = parseListen(e.listen);
  if (typeof l === 'string') { ctx.addIssue({ code: 'custom', path: ['listen'], message: l }); return; }
  if (!e.allowRemote && !isLoopbackListen(l.host)) {
    ctx.addIssue({ code: 'custom', path: ['listen'], message: `${l.host} is not a loopback address: the box's numbers would leave it; use 127.0.0.1 (or set allowRemote: true)` });
  }
});

export type ExporterConfig = z.infer<typeof exporterSchema>;
