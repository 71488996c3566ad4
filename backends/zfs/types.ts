import type { Finding } from '../types.js';

export type VdevKind =
  | 'root' | 'disk' | 'file' | 'mirror' | 'raidz1' | 'raidz2' | 'raidz3' | 'draid'
  | 'replacing' | 'spare' | 'group';

/** special / dedup / log / cache / spares are allocation classes of top-level vdevs */
export type VdevClass = 'data' | 'special' | 'dedup' | 'log' | 'cache' | 'spare';

export interface Vdev {
  name: string;
  kind: VdevKind;
  class?: VdevClass;
  state: string;
  read?: number;
  write?: number;
  cksum?: number;
  /** trailing text: "(resilvering)", "was /dev/sdb", "cannot open", "INUSE"… */
  note?: string;
  children: Vdev[];
}

export interface Scan {
  kind: 'scrub' | 'resilver' | 'none';
  state: 'running' | 'finished' | 'canceled' | 'none';
  pct?: number;
  etaSeconds?: number;
  errors?: number;
  /** the raw scan/scrub line(s), for display */
  text?: string;
}

export interface Pool {
  name: string;
  health: string;
  sizeBytes?: number;
  allocBytes?: number;
  freeBytes?: number;
  capacityPct?: number;
  fragmentationPct?: number;
  dedupRatio?: number;
  scan: Scan;
  vdevs: Vdev[];
  /** the pool's own row of the config table: pool-wide READ/WRITE/CKSUM errors */
  read?: number;
  write?: number;
  cksum?: number;
  status?: string;
  action?: string;
  errorsText?: string;
}

export interface Dataset {
  name: string;
  usedBytes?: number;
  availableBytes?: number;
  recordsizeBytes?: number;
  compression?: string;
  atime?: string;
  specialSmallBlocksBytes?: number;
  mountpoint?: string;
}

export interface Arc {
  sizeBytes?: number;
  targetBytes?: number;
  maxBytes?: number;
  hits?: number;
  misses?: number;
  /** since the previous reading when there is one, else since boot */
  hitRatioPct?: number;
  /** hits / (hits + misses) since boot */
  hitRatioSinceBootPct?: number;
}

export interface ZfsData {
  dialect: 'openzfs' | 'zfs-fuse';
  pools: Pool[];
  datasets: Dataset[];
  arc?: Arc;
  lints: Finding[];
  warnings: string[];
}
