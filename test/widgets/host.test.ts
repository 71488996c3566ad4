import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import type { SystemData } from '../../backends/system/types.js';
import { noColor } from '../../themes/index.js';
import { hostLines } from '../../widgets/panels/host.js';

const data: SystemData = {
  hostname: 'h', uptimeSec: 60, cpu: { utilPct: 10, cores: [{ id: 0, utilPct: 10 }] }, load: [0.1, 0.2, 0.3],
  mem: { totalBytes: 8 << 30, availableBytes: 4 << 30, swapTotalBytes: 0, swapUsedBytes: 0 },
  disks: ['sda', 'sdb', 'sdc', 'sdd'].map((name, i) => ({ name, readBytesPerSec: (i + 1) * 1e6, writeBytesPerSec: 0 })),
  net: ['eth0', 'eth1', 'eth2'].map((iface, i) => ({ iface, rxBytesPerSec: (3 - i) * 1e3, txBytesPerSec: 0 })),
  warnings: [],
};
const text = (rows: number) => hostLines(data, [], 60, noColor, true, rows).map((l) => stripAnsi(l));

describe('host panel, compact (the overview)', () => {
  it('fills the rows it has with the busiest disks and interfaces, never more', () => {
    const six = text(6);
    expect(six).toHaveLength(6);
    expect(six.filter((l) => /sd[a-d]/.test(l)).map((l) => /sd[a-d]/.exec(l)![0])).toEqual(['sdd']);
    expect(six.some((l) => l.includes('eth0'))).toBe(true);
    const ten = text(10);
    expect(ten).toHaveLength(10);
    expect(ten.filter((l) => /sd[a-d]/.test(l)).map((l) => /sd[a-d]/.exec(l)![0])).toEqual(['sdd', 'sdc', 'sdb']);
    expect(ten.filter((l) => /eth\d/.test(l)).map((l) => /eth\d/.exec(l)![0])).toEqual(['eth0', 'eth1', 'eth2']);
  });
  it('lists every device when there is more room than devices', () => {
    expect(text(40)).toHaveLength(4 + 4 + 3);
  });
});
