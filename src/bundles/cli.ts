/**
 * What dist/cli.js holds: every headless subcommand (`sov daemon`, `sov status`, `sov do`, …). src/main.ts imports
 * them from ./cli/NAME.js; the build (scripts/build.mjs) points those imports here, so the daemon and scripts never
 * parse the cockpit's React, Ink and Yoga, and the cockpit never parses the daemon, the exporter or the CLIs.
 * Each is loaded when called: `sov daemon` runs the daemon's modules, not those of the exporter or `sov do`.
 */
function lazy<A extends unknown[], R>(load: () => Promise<(...args: A) => R>): (...args: A) => Promise<Awaited<R>> {
  return async (...args: A): Promise<Awaited<R>> => await (await load())(...args);
}

export const runAuditCli = lazy(async () => (await import('../cli/audit.js')).runAuditCli);
export const runChatCli = lazy(async () => (await import('../cli/chat.js')).runChatCli);
export const runDaemonCli = lazy(async () => (await import('../cli/daemon.js')).runDaemonCli);
export const runDoCli = lazy(async () => (await import('../cli/do.js')).runDoCli);
export const runDoctorCli = lazy(async () => (await import('../cli/doctor.js')).runDoctorCli);
export const runEnginesCli = lazy(async () => (await import('../cli/engines.js')).runEnginesCli);
export const runExporterCli = lazy(async () => (await import('../cli/exporter.js')).runExporterCli);
export const runStatus = lazy(async () => (await import('../cli/status.js')).runStatus);
export const runTripcodeCli = lazy(async () => (await import('../cli/tripcode.js')).runTripcodeCli);
export const runTunnelsCli = lazy(async () => (await import('../cli/tunnels.js')).runTunnelsCli);
export const runVmsCli = lazy(async () => (await import('../cli/vms.js')).runVmsCli);
