/**
 * The demo box's blueprint (`sov doctor --demo`, the Doctor screen under `sov --demo`): what the OMNI-class demo box
 * (src/demo/omni) is meant to be. It fails honestly where the box does: GPU1 runs Gen4 under load on a Gen5 link,
 * the `ember` pool is DEGRADED while it resilvers, ember/scratch has compression off and ember/vm sends every block
 * to the special vdev. RAM speed is UNKNOWN (nothing reads it). Its engines are the demo's simulated daemon
 * (src/demo/engines.ts, as the cockpit and `sov exporter --demo` see them) and its service is the demo chat's
 * simulated llama.cpp API (src/demo/chat.ts), probed for real on loopback.
 * Parsed by the same parser as any blueprint file, so it cannot drift from the schema.
 */
export const DEMO_BLUEPRINT_PATH = 'built in: the demo box';

export const DEMO_BLUEPRINT_YAML = `name: omni-demo
description: the OMNI-class demo box — two GPUs on Gen5, 4 NUMA nodes, 512 GiB at 6400 MT/s, ember as planned

gpus:
  count: 2
  pcie: { gen: 5, width: 16 }
  each:
    - { index: 0, model: RTX PRO 6000 }
    - { index: 1, model: "5090" }
  minFreeVramGiB: 16

numa:
  nodes: 4

memory:
  totalGiB: 512
  speedMTs: 6400

engines:
  - name: llama
    models: [qwen3]
    minTokPerSec: 15
    loopbackOnly: true

zfs:
  pools:
    - name: rpool
      minFreePct: 20
      layout:
        data: { vdevs: 1, kind: mirror, width: 2 }
    - name: ember
      minFreePct: 20
      layout:
        data:    { vdevs: 2, kind: raidz2, width: 6 }
        special: { vdevs: 1, kind: mirror, width: 2 }
  datasets:
    - { name: ember, compression: "on", specialSmallBlocks: "<= recordsize" }

services: ["llama API"]
`;
