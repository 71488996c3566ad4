/**
 * The `engines` source: `engines.list` through the daemon link on every tick (the daemon supervises; the TUI only
 * looks), plus the log of the engine the engines screen is watching. Daemon down → an `error` sample saying
 * "daemon down, reconnecting" (the last good list stays, dimmed); the rest of the cockpit keeps sampling.
 */
import type { Attempt, Source } from '../../backends/types.js';
import type { DaemonLink } from '../daemon/client.js';
import type { EngineStatus, TunnelStatus } from '../daemon/types.js';
import { LogTail, type LogSnapshot, type LogTailOptions } from './logtail.js';

export interface EnginesData {
  engines: EngineStatus[];
  /** the daemon's SSH tunnels (undefined: a daemon older than tunnels, or the list did not come) */
  tunnels?: TunnelStatus[];
  /** the watched engine's log, when the log view is open */
  log?: LogSnapshot;
  /** what the daemon says is wrong with itself: its state file could not be written (a restart would not find the engines), its config was refused */
  daemon?: { stateError?: string; configError?: string };
}

export interface EnginesSourceOptions {
  /** the daemon; undefined → unavailable with `why` */
  link?: DaemonLink;
  /** why there is no link (demo box, config error) */
  why?: { reason: string; hint?: string };
  /** the engine whose log the view follows, if any */
  watched?: () => string | undefined;
  timeoutMs?: number;
  log?: LogTailOptions;
}

export const DAEMON_DOWN = 'daemon down, reconnecting';

export function createEnginesSource(o: EnginesSourceOptions): Source<EnginesData> {
  let tail: LogTail | undefined;
  let infoTick = 0;
  let daemonInfo: EnginesData['daemon'];
  return {
    id: 'engines',
    async sample(): Promise<Attempt<EnginesData>> {
      const link = o.link;
      if (!link) return { state: 'unavailable', reason: o.why?.reason ?? 'no daemon', ...(o.why?.hint ? { hint: o.why.hint } : {}) };
      if (link.state !== 'up') {
        return { state: 'error', message: !link.lastError ? 'connecting to the daemon…' : `${DAEMON_DOWN} (${link.lastError.split('\n')[0]})` };
      }
      let engines: EngineStatus[];
      try {
        engines = await link.call('engines.list', {}, { timeoutMs: o.timeoutMs ?? 5000 });
      } catch (e) {
        return { state: 'error', message: `${link.state === 'up' ? 'engines.list failed' : DAEMON_DOWN}: ${String((e as Error)?.message ?? e)}` };
      }
      const data: EnginesData = { engines: Array.isArray(engines) ? engines : [] };
      // the tunnels beside them: a daemon that does not know tunnels.list leaves them out, the engines stay
      const tunnels = await link.call('tunnels.list', {}, { timeoutMs: o.timeoutMs ?? 5000 }).catch(() => undefined);
      if (Array.isArray(tunnels)) data.tunnels = tunnels;
      // the daemon's own health, every few ticks (cheap: one small answer)
      if (infoTick++ % 5 === 0) {
        daemonInfo = await link.call('daemon.info', {}, { timeoutMs: o.timeoutMs ?? 5000 }).then(
          (i) => ({ ...(i.stateError ? { stateError: i.stateError } : {}), ...(i.configError ? { configError: i.configError } : {}) }),
          () => daemonInfo,
        );
      }
      if (daemonInfo && (daemonInfo.stateError || daemonInfo.configError)) data.daemon = daemonInfo;
      const w = o.watched?.();
      if (w) {
        if (tail?.engine !== w) tail = new LogTail(w, o.log);
        data.log = await tail.poll(data.engines.find((e) => e.name === w), link);
      }
      return { state: 'ok', data };
    },
    dispose() { tail = undefined; },
  };
}
