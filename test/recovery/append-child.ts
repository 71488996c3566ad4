// A writer that appends to the audit log as fast as it can, printing each seq once it is written (the test kills
// it with SIGKILL at some point mid-loop). argv: STATE_DIR KEY_HEX [MAX_FILE_BYTES]
import { openAuditWriter } from '../../src/recovery/audit.js';

const [dir, keyHex, maxBytes] = process.argv.slice(2);
const opened = openAuditWriter({ stateDir: dir!, key: Buffer.from(keyHex!, 'hex'), ...(maxBytes ? { maxFileBytes: Number(maxBytes) } : {}) });
if (!opened.ok) { process.stderr.write(`open failed: ${opened.reason}\n`); process.exit(3); }
const w = opened.writer;
process.stdout.write(`ready ${w.lastSeq}\n`);
for (let i = 0; i < 1_000_000; i++) {
  const e = w.append({ kind: 'begin', action: 'test.loop', args: { i: String(i), pad: 'x'.repeat(i % 300) }, tier: 'T1' });
  if (e.seq % 25 === 0) process.stdout.write(`${e.seq}\n`);
}
