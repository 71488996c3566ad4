/**
 * Every metric family sov exports: name, type, help and label names, in one table (README and the dashboard test
 * read it too). Conventions: `sov_` prefix, base units in the name (`_bytes`, `_celsius`, `_watts`, `_hertz`,
 * `_ratio` 0–1, `_seconds`), counters end in `_total`, a state is a state set (`{state="…"} 1`, the others 0).
 *
 * GPU series carry dcgm-exporter's labels (`gpu`, `UUID`, `device`, `Hostname`), and the gauges dcgm-exporter
 * exports by default are also exported under its names and units (`DCGM_FI_DEV_GPU_UTIL` in %, `DCGM_FI_DEV_FB_USED`
 * in MiB…), so its Grafana dashboard (grafana.com 12239) works on sov's endpoint unchanged. Two of its habits are
 * left out because `promtool check metrics` refuses them: the camelCase label `modelName` (sov puts the model in
 * `sov_gpu_info{model_name}`) and counters named `…_TOTAL` (the ECC counters are `sov_gpu_ecc_errors_total`).
 */

export type MetricType = 'gauge' | 'counter';

export interface MetricDef {
  type: MetricType;
  help: string;
  labels: readonly string[];
}

/** dcgm-exporter's labels for a GPU (minus modelName, see above) */
export const GPU_LABELS = ['gpu', 'UUID', 'device', 'Hostname'] as const;
const G = GPU_LABELS;

const gauge = (help: string, labels: readonly string[]): MetricDef => ({ type: 'gauge', help, labels });
const counter = (help: string, labels: readonly string[]): MetricDef => ({ type: 'counter', help, labels });

export const CATALOGUE = {
  // ---- sources
  sov_source_state: gauge('State of a sampled source (state set: ok, error, unavailable, pending).', ['source', 'state']),
  sov_source_last_ok_timestamp_seconds: gauge('When the source last gave a good reading (Unix time).', ['source']),

  // ---- GPUs (nvidia-smi)
  sov_gpu_info: gauge('A GPU: model, bus id and driver as labels; always 1.', [...G, 'model_name', 'pci_bus_id', 'driver_version']),
  sov_gpu_utilization_ratio: gauge('GPU (SM) utilization, 0–1.', G),
  sov_gpu_memory_utilization_ratio: gauge('Memory controller utilization, 0–1.', G),
  sov_gpu_memory_used_bytes: gauge('Framebuffer memory used.', G),
  sov_gpu_memory_total_bytes: gauge('Framebuffer memory in all.', G),
  sov_gpu_temperature_celsius: gauge('GPU core temperature.', G),
  sov_gpu_power_watts: gauge('Power draw.', G),
  sov_gpu_power_limit_watts: gauge('Power limit in force.', G),
  sov_gpu_fan_ratio: gauge('Fan speed, 0–1 of its maximum.', G),
  sov_gpu_sm_clock_hertz: gauge('SM clock.', G),
  sov_gpu_memory_clock_hertz: gauge('Memory clock.', G),
  sov_gpu_pcie_link_gen: gauge('PCIe link generation now (it drops at idle to save power).', G),
  sov_gpu_pcie_link_gen_max: gauge('Highest PCIe generation this host allows the card.', G),
  sov_gpu_pcie_link_width: gauge('PCIe link width now (lanes).', G),
  sov_gpu_pcie_link_width_max: gauge('Widest PCIe link the card supports (lanes).', G),
  sov_gpu_ecc_errors_total: counter('ECC errors (type corrected|uncorrected; scope volatile since the driver loaded, aggregate over the card\'s life).', [...G, 'type', 'scope']),
  sov_gpu_remapped_rows_total: counter('Memory rows remapped (type correctable|uncorrectable).', [...G, 'type']),
  sov_gpu_clock_event_active: gauge('An active clock event (throttle) reason; 1 while it holds.', [...G, 'reason']),

  // ---- dcgm-exporter's names and units, for its dashboards
  DCGM_FI_DEV_GPU_UTIL: gauge('GPU utilization (in %).', G),
  DCGM_FI_DEV_MEM_COPY_UTIL: gauge('Memory utilization (in %).', G),
  DCGM_FI_DEV_FB_USED: gauge('Framebuffer memory used (in MiB).', G),
  DCGM_FI_DEV_FB_FREE: gauge('Framebuffer memory free (in MiB).', G),
  DCGM_FI_DEV_FB_TOTAL: gauge('Framebuffer memory total (in MiB).', G),
  DCGM_FI_DEV_GPU_TEMP: gauge('GPU temperature (in C).', G),
  DCGM_FI_DEV_POWER_USAGE: gauge('Power draw (in W).', G),
  DCGM_FI_DEV_POWER_MGMT_LIMIT: gauge('Power management limit (in W).', G),
  DCGM_FI_DEV_SM_CLOCK: gauge('SM clock frequency (in MHz).', G),
  DCGM_FI_DEV_MEM_CLOCK: gauge('Memory clock frequency (in MHz).', G),
  DCGM_FI_DEV_PCIE_LINK_GEN: gauge('PCIe link generation.', G),
  DCGM_FI_DEV_PCIE_MAX_LINK_GEN: gauge('PCIe maximum link generation.', G),
  DCGM_FI_DEV_PCIE_LINK_WIDTH: gauge('PCIe link width.', G),
  DCGM_FI_DEV_PCIE_MAX_LINK_WIDTH: gauge('PCIe maximum link width.', G),

  // ---- NUMA
  sov_numa_node_memory_total_bytes: gauge('Memory of a NUMA node.', ['node']),
  sov_numa_node_memory_free_bytes: gauge('Free memory of a NUMA node.', ['node']),
  sov_numa_node_cpus: gauge('CPUs of a NUMA node.', ['node']),

  // ---- ZFS
  sov_zfs_pool_health: gauge('Pool health (state set: ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, SUSPENDED).', ['pool', 'state']),
  sov_zfs_pool_size_bytes: gauge('Pool size.', ['pool']),
  sov_zfs_pool_allocated_bytes: gauge('Pool space allocated.', ['pool']),
  sov_zfs_pool_free_bytes: gauge('Pool space free.', ['pool']),
  sov_zfs_pool_fragmentation_ratio: gauge('Free-space fragmentation, 0–1.', ['pool']),
  sov_zfs_pool_scan_info: gauge('The pool\'s last or running scan (kind scrub|resilver|none; state running|finished|canceled|none); always 1.', ['pool', 'kind', 'state']),
  sov_zfs_pool_scan_progress_ratio: gauge('Progress of the running (or last) scrub or resilver, 0–1.', ['pool', 'kind']),
  sov_zfs_pool_scan_eta_seconds: gauge('Time left of the running scan, as zpool estimates it.', ['pool', 'kind']),
  sov_zfs_pool_errors_total: counter('Errors on the pool\'s own row of zpool status (type read|write|checksum).', ['pool', 'type']),
  sov_zfs_vdev_errors_total: counter('READ/WRITE/CKSUM errors of a vdev as zpool status counts them (zpool clear resets them).', ['pool', 'vdev', 'class', 'type']),
  sov_zfs_vdev_info: gauge('A vdev: its kind and state as labels; always 1.', ['pool', 'vdev', 'class', 'kind', 'state']),
  sov_zfs_arc_size_bytes: gauge('ARC size.', []),
  sov_zfs_arc_target_bytes: gauge('ARC target size (c).', []),
  sov_zfs_arc_max_bytes: gauge('ARC maximum size (c_max).', []),
  sov_zfs_arc_hits_total: counter('ARC hits since boot.', []),
  sov_zfs_arc_misses_total: counter('ARC misses since boot.', []),

  // ---- other hosts (the config's hosts:, checked over their SSH master)
  sov_host_up: gauge('1 when the host answered its newest check over SSH (exporter.hostCheckSec, default 15 s), 0 when ssh failed or it did not answer in time.', ['host']),
  sov_host_check_duration_seconds: gauge('How long the host\'s newest reachability check took.', ['host']),

  // ---- engines (the daemon's supervisor)
  sov_tunnel_state: gauge('SSH tunnel state (state set: stopped, starting, healthy, degraded, crashed, backoff, crashloop).', ['tunnel', 'state']),
  sov_tunnel_restarts_total: counter('Restarts of the tunnel\'s ssh since the daemon first started it.', ['tunnel']),
  sov_engine_state: gauge('Engine state (state set: stopped, starting, healthy, degraded, crashed, backoff, crashloop).', ['engine', 'kind', 'state']),
  sov_engine_restarts_total: counter('Restarts of the engine since the daemon first started it.', ['engine']),
  sov_engine_tokens_per_second: gauge('Generated tokens per second over the last probe interval.', ['engine']),
  sov_engine_requests_running: gauge('Requests being processed.', ['engine']),
  sov_engine_requests_waiting: gauge('Requests queued.', ['engine']),
  sov_engine_kv_cache_usage_ratio: gauge('KV cache in use, 0–1.', ['engine']),
  sov_engine_resident_memory_bytes: gauge('Resident memory of the engine\'s whole process tree.', ['engine']),
  sov_engine_gpu_memory_bytes: gauge('GPU memory the engine\'s processes hold, per GPU.', ['engine', 'gpu', 'UUID']),

  // ---- VMs
  sov_vm_state: gauge('VM state (state set: running, paused, stopped, crashed, suspended, not-created, unknown).', ['vm', 'kind', 'state']),
  sov_vm_vcpus: gauge('Virtual CPUs of the VM.', ['vm']),
  sov_vm_memory_bytes: gauge('Memory given to the VM.', ['vm']),
  sov_vm_memory_used_bytes: gauge('Resident memory of the VM\'s process.', ['vm']),
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof CATALOGUE;
export const METRIC_NAMES = Object.keys(CATALOGUE) as MetricName[];
