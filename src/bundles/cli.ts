/**
 * What dist/cli.js holds: every headless subcommand (`sov daemon`, `sov status`, `sov do`, …). src/main.ts imports
 * them from ./cli/*.js; the build (scripts/build.mjs) points those imports here, so the daemon and scripts never
 * parse the cockpit's React, Ink and Yoga, and the cockpit never parses the daemon, the exporter or the CLIs.
 */
export { runAuditCli } from '../cli/audit.js';
export { runChatCli } from '../cli/chat.js';
export { runDaemonCli } from '../cli/daemon.js';
export { runDoCli } from '../cli/do.js';
export { runDoctorCli } from '../cli/doctor.js';
export { runEnginesCli } from '../cli/engines.js';
export { runExporterCli } from '../cli/exporter.js';
export { runStatus } from '../cli/status.js';
export { runTripcodeCli } from '../cli/tripcode.js';
export { runTunnelsCli } from '../cli/tunnels.js';
export { runVmsCli } from '../cli/vms.js';
