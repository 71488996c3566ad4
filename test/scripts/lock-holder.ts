// Another sov holding a script's lock: runs `sleep SECONDS` under the lock in DIR for KEY, prints "running" once
// the script has started, exits when it ends. argv: DIR KEY SECONDS
import { runScript } from '../../src/scripts/run.js';

const [dir, key, secs] = process.argv.slice(2) as [string, string, string];
void runScript({
  key, lock: { dir, id: 'same-script' }, argv: ['sh', '-c', `echo running; sleep ${secs}`], timeoutMs: 30_000,
  onLine: (l) => process.stdout.write(`${l}\n`),
}).then((o) => process.stdout.write(`done ${o.exitCode} ${o.error ?? ''}\n`));
