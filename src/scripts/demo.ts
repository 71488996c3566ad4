/**
 * The demo box's host scripts: the seeds' chores (contrib/examples/scripts.yaml), simulated. They run for real, as
 * processes through the same runner as a real box's scripts (own process group, deadline, ctrl+c, live output),
 * but only `sh` builtins, `sleep` and `printf`: they read nothing and change nothing, and every one says so.
 */
import { scriptSchema, type ScriptConfig } from '../config/scripts.js';

const SIM = 'echo "(demo box: simulated, nothing on this machine is read or changed)"';

const declared = [
  {
    name: 'pcie-recheck',
    description: "re-check every GPU's PCIe link (generation and width, current against maximum)",
    tier: 'T0',
    timeoutSec: 30,
    argv: ['sh', '-c', [
      SIM,
      'echo "$ nvidia-smi --query-gpu=index,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current --format=csv"',
      'sleep 0.6',
      'echo "index, pcie.link.gen.current, pcie.link.gen.max, pcie.link.width.current"',
      'echo "0, 5, 5, 16"', 'sleep 0.3', 'echo "1, 4, 5, 16"', 'sleep 0.3',
      'echo "GPU0: Gen5 x16 (max Gen5): OK"',
      'echo "GPU1: Gen4 x16 (max Gen5): DOWNGRADED: re-seat the card or set the slot to Gen5 in the BIOS"',
      'exit 1',
    ].join('\n')],
  },
  {
    name: 'restart-open-webui',
    description: 'restart the Open WebUI container (docker) or unit (systemd)',
    tier: 'T1',
    timeoutSec: 60,
    inputs: [{ name: 'via', description: 'how Open WebUI runs here', choices: ['docker', 'systemd'], default: 'docker' }],
    // the choice reaches the script as $1, never as shell text
    argv: ['sh', '-c', [
      SIM,
      'case "$1" in docker) echo "$ docker restart open-webui" ;; systemd) echo "$ systemctl restart open-webui.service" ;; esac',
      'for s in stopping stopped starting; do sleep 0.5; echo "open-webui: $s"; done',
      'sleep 0.8', 'echo "open-webui: healthy (http://127.0.0.1:3000 answers 200)"',
    ].join('\n'), 'restart-open-webui', '{{via}}'],
  },
  {
    name: 'qdrant-snapshot',
    description: 'take a snapshot of one Qdrant collection',
    tier: 'T1',
    timeoutSec: 120,
    inputs: [{ name: 'collection', description: 'the collection', pattern: '[A-Za-z0-9_-]{1,64}', default: 'memories' }],
    argv: ['sh', '-c', [
      SIM,
      'echo "$ curl -fsS -X POST http://127.0.0.1:6333/collections/$1/snapshots"',
      'i=0; while [ $i -lt 5 ]; do i=$((i+1)); sleep 0.4; echo "snapshotting $1: $((i*20)) %"; done',
      'echo "{\\"result\\":{\\"name\\":\\"$1-demo.snapshot\\",\\"size\\":48213504},\\"status\\":\\"ok\\"}"',
    ].join('\n'), 'qdrant-snapshot', '{{collection}}'],
  },
  {
    name: 'free-page-cache',
    description: 'write dirty pages out, then drop the clean page cache (frees RAM for a model load)',
    tier: 'T2',
    timeoutSec: 60,
    plan: ['sh', '-c', [
      SIM,
      'echo "would run: sync; echo 1 > /proc/sys/vm/drop_caches"',
      'echo "page cache now: 41.2 GiB (Cached), dirty: 212 MiB: about 41 GiB would be freed; nothing else changes"',
    ].join('\n')],
    argv: ['sh', '-c', [
      SIM,
      'echo "$ sync"', 'sleep 0.7', 'echo "$ echo 1 > /proc/sys/vm/drop_caches"', 'sleep 0.5',
      'echo "page cache: 41.2 GiB -> 1.3 GiB"',
    ].join('\n')],
  },
];

export const DEMO_SCRIPTS: ScriptConfig[] = declared.map((s) => scriptSchema.parse(s));
