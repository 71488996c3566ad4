/** Services beside the engines (Qdrant, Redis, Open WebUI, Memgraph, Prometheus): what is probed and what came back. */

/** One configured probe. Structurally the config's `services[]` entry (src/config/schema.ts `ServiceConfig`). */
export interface ServiceTarget {
  name: string;
  probe:
    | { kind: 'tcp'; host: string; port: number }
    | { kind: 'http'; url: string; expectStatus: number }
    | { kind: 'redis'; host: string; port: number };
  timeoutSec: number;
}

export interface ServiceStatus {
  name: string;
  kind: ServiceTarget['probe']['kind'];
  /** where: "127.0.0.1:6379", "http://127.0.0.1:6333/healthz" */
  target: string;
  up: boolean;
  /** connect (tcp), first answer (redis PING), whole response head (http); undefined when it failed */
  latencyMs?: number;
  /** http: the status code that came back */
  status?: number;
  /** why it is down, one line ("connection refused", "timed out after 3 s", "HTTP 503, expected 200") */
  error?: string;
}

export interface ServicesData {
  services: ServiceStatus[];
}
