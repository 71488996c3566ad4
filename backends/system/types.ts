export interface CoreUtil {
  id: number;
  /** undefined on the first reading (utilisation needs two) */
  utilPct?: number;
}

export interface DiskIo {
  name: string;
  readBytesPerSec?: number;
  writeBytesPerSec?: number;
}

export interface NetIo {
  iface: string;
  rxBytesPerSec?: number;
  txBytesPerSec?: number;
}

export interface SystemData {
  hostname?: string;
  uptimeSec?: number;
  cpu: { utilPct?: number; cores: CoreUtil[] };
  /** 1, 5, 15 minute load averages */
  load: [number, number, number] | undefined;
  mem: { totalBytes?: number; availableBytes?: number; swapTotalBytes?: number; swapUsedBytes?: number };
  disks: DiskIo[];
  net: NetIo[];
  warnings: string[];
}
