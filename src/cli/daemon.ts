/**
 * `sov daemon --foreground | start | status [--json] | stop | reload` — headless, no ink/react.
 */
import { parseArgs } from 'node:util';
import { connectDaemon, DaemonDownError, DaemonRpcError, probeSocket, type ConnectOptions, type DaemonClient } from '../daemon/client.js';
import { resolvePaths } from '../daemon/paths.js';
import { EXIT, RPC_ERRORS, type DaemonInfo } from '../daemon/types.js';

export const DAEMON_USAGE = `usage:
  sov daemon --foreground [--config PATH]   run the daemon in this process (what the systemd unit runs)
  sov daemon start [--config PATH]          start it detached unless it is running
  sov daemon status [--json] [--config PATH]
  sov daemon stop [--json]                  stop the daemon; engines keep running and are re-adopted later
  sov daemon reload [--json]                re-read the config file

exit codes: 0 ok · 1 failed · 2 bad arguments · 6 daemon down · 7 the config is invalid`;

/** The exit code for an error from the daemon (RPC_ERRORS → EXIT). */
export function exitFor(e: unknown): number {
  if (e instanceof DaemonDownError) return EXIT.daemonDown;
  if (e instanceof DaemonRpcError) {
    switch (e.code) {
      case RPC_ERRORS.notFound: return EXIT.notFound;
      case RPC_ERRORS.failedToStart: return EXIT.failedToStart;
      case RPC_ERRORS.crashloop: return EXIT.crashloop;
      case RPC_ERRORS.badConfig: return EXIT.badConfig;
      default: return EXIT.failed;
    }
  }
  return EXIT.failed;
}

export function errorText(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

/** a daemon started for --config X but running with Y would surprise: say so */
export function warnConfigMismatch(info: DaemonInfo, wanted: string): void {
  if (info.configPath !== wanted) {
    process.stderr.write(`sov: note: the running daemon (pid ${info.pid}) uses ${info.configPath}, not ${wanted}; \`sov daemon stop\` and retry to switch\n`);
  }
}

export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

export async function withClient<T>(opts: ConnectOptions, fn: (c: DaemonClient) => Promise<T>): Promise<T> {
  const c = await connectDaemon(opts);
  try { return await fn(c); } finally { c.close(); }
}

function usageError(msg: string): number {
  process.stderr.write(`sov daemon: ${msg}\n\n${DAEMON_USAGE}\n`);
  return EXIT.usage;
}

export async function runDaemonCli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { foreground: { type: 'boolean' }, json: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const v = parsed.values;
  const [sub, ...rest] = parsed.positionals;
  if (v.help) { process.stdout.write(DAEMON_USAGE + '\n'); return EXIT.ok; }
  if (rest.length) return usageError(`unexpected argument: ${rest[0]}`);
  const config = v.config;
  const json = v.json ?? false;
  const paths = resolvePaths(config !== undefined ? { config } : {});
  const connect: ConnectOptions = { paths, ...(config !== undefined ? { config } : {}) };

  if (v.foreground) {
    if (sub !== undefined) return usageError(`--foreground takes no command (got "${sub}")`);
    const { runDaemonForeground } = await import('../daemon/main.js');
    const code = await runDaemonForeground(config !== undefined ? { config } : {});
    // engines were detached, the socket is closed: nothing of ours is left to wait for
    process.exit(code);
  }

  switch (sub) {
    case 'status': {
      let info: DaemonInfo;
      try {
        info = await withClient({ ...connect, timeoutMs: 5000 }, (c) => c.call('daemon.info', {}));
      } catch (e) {
        if (json) process.stdout.write(JSON.stringify({ running: false, socket: paths.socket, stateDir: paths.stateDir, configPath: paths.configPath, error: errorText(e) }, null, 2) + '\n');
        else process.stderr.write(`sov daemon: ${errorText(e)}\n`);
        return e instanceof DaemonDownError ? EXIT.daemonDown : exitFor(e);
      }
      if (json) {
        process.stdout.write(JSON.stringify({ running: true, ...info }, null, 2) + '\n');
      } else {
        const lines = [
          `sov daemon ${info.version}: running, pid ${info.pid}, up ${fmtDuration(Date.now() - info.startedAt)}`,
          `  socket  ${info.socket}`,
          `  state   ${info.stateDir}`,
          `  config  ${info.configPath}${info.configError ? ' (REFUSED)' : ''}`,
          `  engines ${info.engines}`,
        ];
        if (info.stateError) lines.push(`  STATE NOT SAVED: ${info.stateError}`);
        process.stdout.write(lines.join('\n') + '\n');
        if (info.configError) process.stderr.write(info.configError + '\n');
      }
      return info.configError ? EXIT.badConfig : EXIT.ok;
    }
    case 'start': {
      try {
        const info = await withClient({ ...connect, autostart: true }, async (c) => {
          const i = await c.call('daemon.info', {});
          if (!c.started) warnConfigMismatch(i, paths.configPath);
          process.stdout.write(c.started ? `sov daemon started (pid ${i.pid}), serving ${i.socket}\n` : `sov daemon already running (pid ${i.pid})\n`);
          return i;
        });
        if (info.configError) { process.stderr.write(info.configError + '\n'); return EXIT.badConfig; }
        return EXIT.ok;
      } catch (e) {
        process.stderr.write(`sov daemon: ${errorText(e)}\n`);
        return exitFor(e);
      }
    }
    case 'stop': {
      let c: DaemonClient;
      try {
        c = await connectDaemon({ ...connect, timeoutMs: 5000 });
      } catch {
        if (json) process.stdout.write(JSON.stringify({ running: false, stopped: false }) + '\n');
        else process.stdout.write('sov daemon: not running\n');
        return EXIT.ok;
      }
      try {
        const info = await c.call('daemon.info', {});
        const gone = new Promise<void>((r) => c.onClose(r));
        const res = await c.call('daemon.stop', {});
        // the daemon closes our connection once it has detached the engines and closed its socket
        const deadline = Date.now() + 15_000;
        await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000).unref())]);
        while (Date.now() < deadline && await probeSocket(paths.socket, 500)) await new Promise((r) => setTimeout(r, 100));
        if (await probeSocket(paths.socket, 500)) {
          process.stderr.write(`sov daemon: pid ${info.pid} did not stop within 15 s\n`);
          return EXIT.failed;
        }
        if (res.stateSaved === false) {
          // never report a failed state write as success: the next daemon finds the engines only by their marker
          const why = res.stateError ?? 'the engine state file could not be written';
          if (json) process.stdout.write(JSON.stringify({ running: false, stopped: true, pid: info.pid, stateSaved: false, stateError: why }) + '\n');
          else process.stdout.write(`sov daemon: stopped (pid ${info.pid}); engines keep running\n`);
          process.stderr.write(`sov daemon: the engine state was NOT saved: ${why}\n  the next daemon looks for the engines by the SOV_ENGINE marker in their environment instead\n`);
          return EXIT.failed;
        }
        if (json) process.stdout.write(JSON.stringify({ running: false, stopped: true, pid: info.pid }) + '\n');
        else process.stdout.write(`sov daemon: stopped (pid ${info.pid}); engines keep running and will be re-adopted\n`);
        return EXIT.ok;
      } catch (e) {
        process.stderr.write(`sov daemon: ${errorText(e)}\n`);
        return exitFor(e);
      } finally {
        c.close();
      }
    }
    case 'reload': {
      try {
        const info = await withClient(connect, (c) => c.call('config.reload', {}, { timeoutMs: 180_000 })); // removed engines are stopped first
        if (json) process.stdout.write(JSON.stringify(info, null, 2) + '\n');
        else process.stdout.write(`sov daemon: config ${info.configPath} ${info.configError ? 'REFUSED' : `reloaded (${info.engines} engine(s))`}\n`);
        if (info.configError) { process.stderr.write(info.configError + '\n'); return EXIT.badConfig; }
        return EXIT.ok;
      } catch (e) {
        process.stderr.write(`sov daemon: ${errorText(e)}\n`);
        return exitFor(e);
      }
    }
    case undefined:
      return usageError('a command is needed');
    default:
      return usageError(`unknown command: ${sub}`);
  }
}
