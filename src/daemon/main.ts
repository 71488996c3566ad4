/**
 * `sov daemon --foreground`: the daemon process. What a systemd user unit runs, and what a client starts detached.
 * SIGTERM/SIGINT (or `daemon.stop`): detach the supervisor (engines keep running), close the socket, exit 0.
 * SIGHUP: re-read the config. A second daemon refuses to start and exits 1 with the reason.
 */
import { resolvePaths, UnsafeDirError } from './paths.js';
import { DaemonAlreadyRunning, startDaemon, type DaemonServerOptions } from './server.js';

export interface RunDaemonOptions {
  config?: string;
  env?: NodeJS.ProcessEnv;
  createSupervisor?: DaemonServerOptions['createSupervisor'];
}

export async function runDaemonForeground(opts: RunDaemonOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const paths = resolvePaths({ ...(opts.config !== undefined ? { config: opts.config } : {}), env });
  // a foreground daemon whose terminal went away must not die of EPIPE on its own log lines
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
  let d;
  try {
    d = await startDaemon({
      paths,
      env,
      // under systemd stderr is the journal; on a terminal, show what happens
      logToStderr: Boolean(env.JOURNAL_STREAM) || Boolean(process.stderr.isTTY),
      ...(opts.createSupervisor ? { createSupervisor: opts.createSupervisor } : {}),
    });
  } catch (e) {
    if (e instanceof DaemonAlreadyRunning || e instanceof UnsafeDirError) {
      process.stderr.write(`sov daemon: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`sov daemon: failed to start: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
  const server = d;
  const onSignal = (sig: NodeJS.Signals) => { void server.stop(sig); };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => { server.log('SIGHUP: reloading the config'); void server.reload().catch((e: unknown) => server.log(`reload failed: ${String(e)}`)); });
  process.on('uncaughtException', (e) => {
    // engines live in their own process groups and survive this; a supervisor (systemd, the next client) restarts us
    server.log(`uncaught exception, exiting: ${e?.stack ?? String(e)}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => { server.log(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`); });
  process.stdout.write(`sov daemon ${server.info().version} (pid ${process.pid}) serving ${paths.socket}\n`);
  await server.stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return 0;
}
