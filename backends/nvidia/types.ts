export interface GpuProcess {
  pid: number;
  name: string;
  usedMemBytes?: number;
  /** C (compute), G (graphics), C+G */
  type?: string;
}

export interface PcieLink {
  genCurrent?: number;
  /** the max generation this host allows (max_link_gen / pcie.link.gen.max) */
  genMax?: number;
  /** what the card itself supports, when reported (max_device_link_gen) */
  genDeviceMax?: number;
  genHostMax?: number;
  widthCurrent?: number;
  widthMax?: number;
}

export interface EccErrors {
  correctedVolatile?: number;
  uncorrectedVolatile?: number;
  correctedAggregate?: number;
  uncorrectedAggregate?: number;
}

export interface MigDevice {
  index: number;
  gpuInstanceId?: number;
  computeInstanceId?: number;
  memUsedBytes?: number;
  memTotalBytes?: number;
}

export interface Gpu {
  index: number;
  uuid: string;
  name: string;
  busId?: string;
  utilPct?: number;
  memUtilPct?: number;
  memUsedBytes?: number;
  memTotalBytes?: number;
  tempC?: number;
  powerDrawW?: number;
  powerLimitW?: number;
  fanPct?: number;
  smClockMHz?: number;
  memClockMHz?: number;
  smClockMaxMHz?: number;
  memClockMaxMHz?: number;
  pstate?: string;
  persistenceMode?: boolean;
  migMode?: 'enabled' | 'disabled';
  pcie: PcieLink;
  /** active clock event / throttle reasons, human names ('sw_power_cap', 'hw_slowdown', …); empty = none */
  throttleReasons: string[];
  eccMode?: 'enabled' | 'disabled';
  eccErrors?: EccErrors;
  retiredPages?: { singleBit?: number; doubleBit?: number; pending?: boolean };
  remappedRows?: { correctable?: number; uncorrectable?: number; pending?: boolean; failure?: boolean };
  migDevices?: MigDevice[];
  processes: GpuProcess[];
  /** e.g. "GPU has fallen off the bus", "Unknown Error" */
  fault?: string;
}

export interface NvidiaData {
  driverVersion?: string;
  cudaVersion?: string;
  gpus: Gpu[];
  /** odd lines and fields the parsers skipped */
  warnings: string[];
}
