// React must see NODE_ENV=production before it loads: its development build records a performance.measure()
// per render and never clears them (RSS grows ~1 GB/hour at 1 render/s). The bundle also defines it at build time.
Object.assign(process.env, { NODE_ENV: 'production' });

import { parseOptions, subcommand, UsageError, USAGE } from './app/options.js';

// Built, `./app/run.js` below is dist/cockpit.js and every `./cli/NAME.js` is dist/cli.js (scripts/build.mjs, split-entries):
// the cockpit and the headless commands are bundles of their own, loaded only by the command that runs them.
async function main(): Promise<number> {
  const sub = subcommand(process.argv.slice(2));
  if (sub?.command === 'daemon') {
    const { runDaemonCli } = await import('./cli/daemon.js');
    return runDaemonCli(sub.rest);
  }
  if (process.argv[2] === 'chat') {
    const { runChatCli } = await import('./cli/chat.js');
    return runChatCli(process.argv.slice(3));
  }
  if (sub?.command === 'engines') {
    const { runEnginesCli } = await import('./cli/engines.js');
    return runEnginesCli(sub.rest);
  }
  if (process.argv[2] === 'tunnels') {
    const { runTunnelsCli } = await import('./cli/tunnels.js');
    return runTunnelsCli(process.argv.slice(3));
  }
  if (sub?.command === 'do') {
    const { runDoCli } = await import('./cli/do.js');
    return runDoCli(sub.rest);
  }
  if (process.argv[2] === 'vms' || process.argv[2] === 'ssh') {
    const { runVmsCli } = await import('./cli/vms.js');
    return runVmsCli(process.argv.slice(3), {}, { sshOnly: process.argv[2] === 'ssh' });
  }
  if (process.argv[2] === 'tripcode') {
    const { runTripcodeCli } = await import('./cli/tripcode.js');
    return runTripcodeCli(process.argv.slice(3));
  }
  if (process.argv[2] === 'audit') {
    const { runAuditCli } = await import('./cli/audit.js');
    return runAuditCli(process.argv.slice(3));
  }
  if (process.argv[2] === 'exporter') {
    const { runExporterCli } = await import('./cli/exporter.js');
    return runExporterCli(process.argv.slice(3));
  }
  if (process.argv[2] === 'doctor') {
    const { runDoctorCli } = await import('./cli/doctor.js');
    return runDoctorCli(process.argv.slice(3));
  }
  let o;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`sov: ${e.message}\n\n${USAGE}\n`); return 2; }
    throw e;
  }
  if (o.command === 'help') { process.stdout.write(USAGE + '\n'); return 0; }
  if (o.command === 'version') { process.stdout.write('sov 0.1.0\n'); return 0; }
  if (o.command === 'status') {
    const { runStatus } = await import('./cli/status.js');
    return runStatus(o);
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write('sov: the cockpit needs a terminal; for scripts use `sov status [--json]`\n');
    return 2;
  }
  const { runTui } = await import('./app/run.js');
  const code = await runTui(o);
  // the terminal is restored; end now rather than wait for stray handles (stdin, child streams)
  process.exit(code);
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`sov: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
