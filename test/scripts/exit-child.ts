// A sov-like process that starts a script (a shell with a background grandchild) and exits while it runs:
// the runner's exit hook must end the whole group. Prints the shell's pid and the grandchild's pid.
import { runScript, runningSince } from '../../src/scripts/run.js';

void runScript({
  key: 'exit-child', argv: ['sh', '-c', 'sleep 100 & echo $!; sleep 100'], timeoutMs: 60_000,
  onLine(line) {
    process.stdout.write(`${runningSince('exit-child')?.pid} ${line}\n`);
    setTimeout(() => process.exit(0), 50);
  },
});
setTimeout(() => process.exit(2), 10_000);
