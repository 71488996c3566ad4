/**
 * The demo box's SSH tunnels, answered by the simulated daemon link (src/demo/engines.ts): `omni-bridge` healthy
 * (8000→127.0.0.1:8000 via omni, its tcp probe ready) and `forge-metrics` in backoff (forge's sshd refuses: ssh
 * exits 255, retried with growing delays, never up). Start, stop and restart change the table on the demo clock.
 */
import type { EngineState, TunnelStatus } from '../daemon/types.js';

interface Sim {
  name: string;
  forwards: string[];
  via: string;
  probe: string;
  port?: number;
  /** up: healthy a second after a start; refused: its sshd refuses, so every start ends in backoff */
  behaviour: 'up' | 'refused';
  state: EngineState;
  since: number;
  restarts: number;
  pid?: number;
  failures: number;
  nextRestartAt?: number;
  lastExit?: { code: number | null; at: number };
}

const REFUSED = 'ssh: connect to host forge port 22: Connection refused';

export interface DemoTunnels {
  list(): TunnelStatus[];
  start(name: string): TunnelStatus;
  stop(name: string): TunnelStatus;
  restart(name: string): TunnelStatus;
}

export function createDemoTunnels(now: () => number): DemoTunnels {
  const t0 = now();
  const sims: Sim[] = [
    { name: 'omni-bridge', forwards: ['8000→127.0.0.1:8000'], via: 'omni', probe: 'tcp 127.0.0.1:8000', port: 8000, behaviour: 'up', state: 'healthy', since: t0 - 5 * 3600_000, restarts: 1, pid: 3131, failures: 0, lastExit: { code: 255, at: t0 - 5 * 3600_000 - 4000 } },
    { name: 'forge-metrics', forwards: ['R 9100→127.0.0.1:9100'], via: 'forge', probe: 'none (a remote forward cannot be probed from here): healthy once its ssh is up 1 s', behaviour: 'refused', state: 'backoff', since: t0, restarts: 6, failures: 6, nextRestartAt: t0 + 12_000, lastExit: { code: 255, at: t0 - 18_000 } },
  ];
  let pids = 3300;
  const launch = (s: Sim, t: number) => { s.state = 'starting'; s.since = t; s.pid = pids++; delete s.nextRestartAt; };
  const advance = () => {
    const t = now();
    for (const s of sims) {
      if (s.state === 'backoff' && s.nextRestartAt !== undefined && t >= s.nextRestartAt) { s.restarts++; launch(s, t); }
      if (s.state !== 'starting' || t - s.since < 1000) continue;
      if (s.behaviour === 'up') { s.state = 'healthy'; s.since = t; continue; }
      // refused: ssh exits 255 at once; the delay doubles up to 30 s
      s.failures++;
      s.lastExit = { code: 255, at: t };
      delete s.pid;
      s.state = 'backoff';
      s.since = t;
      s.nextRestartAt = t + Math.min(30, 2 ** Math.min(s.failures, 5)) * 1000;
    }
  };
  const status = (s: Sim): TunnelStatus => {
    const t = now();
    const up = s.state === 'healthy' || s.state === 'starting';
    return {
      name: s.name, kind: 'process', state: s.state, forwards: [...s.forwards], via: s.via, probe: s.probe,
      ...(s.state === 'backoff' && s.nextRestartAt !== undefined ? { message: `restart in ${Math.max(0, Math.ceil((s.nextRestartAt - t) / 1000))} s (exit 255): ${REFUSED}`, nextRestartAt: s.nextRestartAt } : {}),
      ...(up && s.pid !== undefined ? { pid: s.pid, startedAt: s.since } : {}),
      pids: up && s.pid !== undefined ? [s.pid] : [],
      restarts: s.restarts,
      ...(s.lastExit ? { lastExit: { ...s.lastExit } } : {}),
      ...(s.port !== undefined && s.state === 'healthy' ? { health: { state: 'ready' as const, at: t } } : {}),
      ...(s.port !== undefined && s.state === 'starting' ? { health: { state: 'down' as const, message: `connection refused (127.0.0.1:${s.port})`, at: t } } : {}),
      warnings: [],
      ...(s.port !== undefined ? { port: s.port, host: '127.0.0.1' } : {}),
    };
  };
  const find = (name: string): Sim => {
    const s = sims.find((x) => x.name === name);
    if (!s) throw Object.assign(new Error(`no tunnel named "${name}" (known: ${sims.map((x) => x.name).join(', ')})`), { code: 404 });
    return s;
  };
  return {
    list() { advance(); return sims.map(status); },
    start(name) { const s = find(name); s.failures = 0; launch(s, now()); return status(s); },
    stop(name) { const s = find(name); const t = now(); s.state = 'stopped'; s.since = t; delete s.pid; delete s.nextRestartAt; s.lastExit = { code: null, at: t }; return status(s); },
    restart(name) { const s = find(name); s.restarts++; launch(s, now()); return status(s); },
  };
}
