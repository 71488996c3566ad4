import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyNvidiaError, decodeClockReasons, FAST_FIELDS, parseMiB, parseNumber, parseQueryCsv, parseQX, withoutSupportedClocks,
} from '../../../backends/nvidia/parse.js';
import { fixture, fixturePath, haveSamples, readSample, sampleFiles } from '../../helpers/samples.js';
import { readdirSync } from 'node:fs';

const MiB = 1048576;
const h100 = (f: string) => fixture('nvidia', 'h100-real', f);
const OLD_FIELDS = FAST_FIELDS.map((f) => (f === 'clocks_event_reasons.active' ? 'clocks_throttle_reasons.active' : f));

describe('values', () => {
  it('treats the no-value markers as undefined, never 0', () => {
    for (const v of ['[N/A]', '[Not Supported]', '[Unknown Error]', '[GPU requires reset]', 'ERR!', '', ' ', 'N/A', '-', '[Insufficient Permissions]']) {
      expect(parseNumber(v), v).toBeUndefined();
    }
    expect(parseNumber('350.92 W')).toBe(350.92);
    expect(parseNumber('0')).toBe(0);
    expect(parseNumber('45 C')).toBe(45);
    expect(parseMiB('123 MiB')).toBe(123 * MiB);
    expect(parseMiB('81559')).toBe(81559 * MiB);
    expect(parseMiB('N/A')).toBeUndefined();
  });

  it('decodes the clock event reason bitmask', () => {
    expect(decodeClockReasons('0x0000000000000000')).toEqual([]);
    expect(decodeClockReasons('0x0000000000000001')).toEqual(['gpu_idle']);
    expect(decodeClockReasons('0x0000000000000004')).toEqual(['sw_power_cap']);
    expect(decodeClockReasons('0x00000000000000E8')).toEqual(['hw_slowdown', 'sw_thermal_slowdown', 'hw_thermal_slowdown', 'hw_power_brake_slowdown']);
    expect(decodeClockReasons('0x0000000000000112')).toEqual(['applications_clocks_setting', 'sync_boost', 'display_clock_setting']);
    expect(decodeClockReasons('0x0000000000001000')).toEqual(['unknown_0x1000']);
    expect(decodeClockReasons('[N/A]')).toBeUndefined();
    const w: string[] = [];
    expect(decodeClockReasons('banana', w)).toBeUndefined();
    expect(w).toHaveLength(1);
  });
});

describe('parseQueryCsv on the captured H100', () => {
  it('query-gpu-new-once.csv', () => {
    const { gpus, warnings } = parseQueryCsv(h100('query-gpu-new-once.csv'), FAST_FIELDS);
    expect(warnings).toEqual([]);
    expect(gpus).toHaveLength(1);
    const g = gpus[0]!;
    expect(g).toMatchObject({
      index: 0, uuid: 'GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7', name: 'NVIDIA H100 80GB HBM3', utilPct: 0, memUtilPct: 0,
      memUsedBytes: 0, memTotalBytes: 81559 * MiB, tempC: 37, powerDrawW: 72.26, powerLimitW: 700, smClockMHz: 345,
      memClockMHz: 2619, pstate: 'P0', pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 }, throttleReasons: ['gpu_idle'],
    });
    expect(g.fanPct).toBeUndefined(); // [N/A], not 0
  });

  it('query-gpu-old-once.csv with clocks_throttle_reasons.active', () => {
    const { gpus } = parseQueryCsv(h100('query-gpu-old-once.csv'), OLD_FIELDS);
    expect(gpus[0]!.throttleReasons).toEqual(['gpu_idle']);
    expect(gpus[0]!.powerDrawW).toBe(72.28);
  });

  it('-lms streams keep the latest row per GPU', () => {
    const load = parseQueryCsv(h100('query-gpu-lms500-load.csv'), FAST_FIELDS);
    expect(load.gpus).toHaveLength(1);
    const lastLine = h100('query-gpu-lms500-load.csv').trim().split('\n').pop()!;
    expect(load.gpus[0]!.powerDrawW).toBe(Number(lastLine.split(', ')[8]));
    expect(load.gpus[0]).toMatchObject({ utilPct: 100, memUsedBytes: 591 * MiB, smClockMHz: 1980, throttleReasons: [] });
    const idle = parseQueryCsv(h100('query-gpu-lms500-idle.csv'), FAST_FIELDS);
    expect(idle.gpus[0]).toMatchObject({ utilPct: 0, throttleReasons: ['gpu_idle'] });
  });

  it('the bad-field output is a warning, not a row', () => {
    const r = parseQueryCsv(h100('query-gpu-bad-field.stdout.txt'), ['index', 'bogus.field']);
    expect(r.gpus).toEqual([]);
    expect(r.warnings.join()).toContain('bogus.field');
  });

  it('blank lines, missing and extra columns, error markers', () => {
    const text = [
      '',
      '0, GPU-a, Card A, 50, 10, 1000, 2000, 60, 100.5, 200.00, 40, 1500, 5000, P2, 4, 4, 16, 16, 0x0000000000000004, extra',
      '   ',
      '1, GPU-b, Card B, [N/A], [Not Supported], ERR!, 2000',
      '2, GPU-c, Card C, [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset], [GPU requires reset]',
      '3, [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error], [Unknown Error]',
      'garbage',
    ].join('\n');
    const { gpus, warnings } = parseQueryCsv(text, FAST_FIELDS);
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(gpus[0]).toMatchObject({ utilPct: 50, memUsedBytes: 1000 * MiB, pstate: 'P2', pcie: { genCurrent: 4 }, throttleReasons: ['sw_power_cap'] });
    expect(gpus[1]).toMatchObject({ uuid: 'GPU-b', memTotalBytes: 2000 * MiB });
    expect(gpus[1]!.utilPct).toBeUndefined();
    expect(gpus[1]!.memUsedBytes).toBeUndefined();
    expect(gpus[1]!.tempC).toBeUndefined();
    expect(gpus[2]!.fault).toBe('GPU requires reset');
    expect(gpus[2]!.utilPct).toBeUndefined();
    expect(gpus[3]!.fault).toBe('Unknown Error');
    expect(warnings.some((w) => w.includes('expected 19'))).toBe(true);
    expect(warnings.some((w) => w.includes('garbage'))).toBe(true);
  });

  it('down-trained links from the stream: gen current below max', () => {
    const { gpus } = parseQueryCsv('0, GPU-x, X, 90, 50, 1, 2, 60, 300, 575, 50, 2000, 14001, P0, 4, 5, 8, 16, 0x0000000000000000', FAST_FIELDS);
    expect(gpus[0]!.pcie).toEqual({ genCurrent: 4, genMax: 5, widthCurrent: 8, widthMax: 16 });
  });
});

describe('parseQX on the captured H100', () => {
  it('q-x-load.xml', () => {
    const d = parseQX(h100('q-x-load.xml'));
    expect(d.warnings).toEqual([]);
    expect(d.driverVersion).toBe('580.159.04');
    expect(d.cudaVersion).toBe('13.0');
    expect(d.gpus).toHaveLength(1);
    expect(d.gpus[0]).toMatchObject({
      index: 0, uuid: 'GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7', name: 'NVIDIA H100 80GB HBM3', busId: '00000000:00:06.0',
      persistenceMode: true, migMode: 'disabled', utilPct: 100, memUtilPct: 1, memUsedBytes: 591 * MiB, memTotalBytes: 81559 * MiB,
      tempC: 47, powerDrawW: 348.88, powerLimitW: 700, smClockMHz: 1980, memClockMHz: 2619, smClockMaxMHz: 1980, memClockMaxMHz: 2619,
      pstate: 'P0', pcie: { genCurrent: 5, genMax: 5, genDeviceMax: 5, widthCurrent: 16, widthMax: 16 }, throttleReasons: [],
      eccMode: 'enabled', eccErrors: { correctedVolatile: 0, uncorrectedVolatile: 0, correctedAggregate: 0, uncorrectedAggregate: 0 },
      remappedRows: { correctable: 0, uncorrectable: 0, pending: false, failure: false },
      processes: [{ pid: 573, name: '/tmp/burn', usedMemBytes: 582 * MiB, type: 'C' }],
    });
    expect(d.gpus[0]!.fanPct).toBeUndefined();
    expect(d.gpus[0]!.pcie.genHostMax).toBeUndefined();
    expect(d.gpus[0]!.retiredPages).toBeUndefined();
    expect(d.gpus[0]!.fault).toBeUndefined();
  });

  it('q-x-idle.xml', () => {
    const g = parseQX(h100('q-x-idle.xml')).gpus[0]!;
    expect(g.throttleReasons).toEqual(['gpu_idle']);
    expect(g.processes).toEqual([]);
    expect(g.utilPct).toBe(0);
  });

  it('old layouts: single_bit/double_bit ECC, clocks_throttle_reasons, power_readings/power_limit, retired pages', () => {
    const d = parseQX(`<?xml version="1.0" ?><nvidia_smi_log><driver_version>470.1</driver_version><gpu id="00000000:3B:00.0">
      <product_name>Tesla V100</product_name><uuid>GPU-v</uuid>
      <clocks_throttle_reasons><clocks_throttle_reason_hw_slowdown>Active</clocks_throttle_reason_hw_slowdown>
      <clocks_throttle_reason_sw_thermal_slowdown>Active</clocks_throttle_reason_sw_thermal_slowdown>
      <clocks_throttle_reason_gpu_idle>Not Active</clocks_throttle_reason_gpu_idle></clocks_throttle_reasons>
      <ecc_mode><current_ecc>Enabled</current_ecc></ecc_mode>
      <ecc_errors><volatile><single_bit><device_memory>3</device_memory><total>4</total></single_bit><double_bit><total>2</total></double_bit></volatile>
      <aggregate><single_bit><total>10</total></single_bit><double_bit><total>2</total></double_bit></aggregate></ecc_errors>
      <retired_pages><multiple_single_bit_retirement><retired_count>1</retired_count></multiple_single_bit_retirement>
      <double_bit_retirement><retired_count>2</retired_count></double_bit_retirement><pending_retirement>Yes</pending_retirement></retired_pages>
      <power_readings><power_draw>250.00 W</power_draw><power_limit>300.00 W</power_limit></power_readings>
      </gpu></nvidia_smi_log>`);
    const g = d.gpus[0]!;
    expect(g.busId).toBe('00000000:3B:00.0');
    expect(g.throttleReasons).toEqual(['hw_slowdown', 'sw_thermal_slowdown']);
    expect(g.eccErrors).toEqual({ correctedVolatile: 4, uncorrectedVolatile: 2, correctedAggregate: 10, uncorrectedAggregate: 2 });
    expect(g.retiredPages).toEqual({ singleBit: 1, doubleBit: 2, pending: true });
    expect(g.powerDrawW).toBe(250);
    expect(g.powerLimitW).toBe(300);
    expect(d.cudaVersion).toBeUndefined();
  });

  it('new ECC layout sums sram and dram counters', () => {
    const g = parseQX(`<nvidia_smi_log><gpu id="0"><product_name>X</product_name><uuid>GPU-1</uuid><ecc_errors>
      <volatile><sram_correctable>1</sram_correctable><sram_uncorrectable_parity>2</sram_uncorrectable_parity>
      <sram_uncorrectable_secded>3</sram_uncorrectable_secded><dram_correctable>4</dram_correctable><dram_uncorrectable>5</dram_uncorrectable></volatile>
      </ecc_errors><remapped_rows><remapped_row_corr>1</remapped_row_corr><remapped_row_unc>2</remapped_row_unc>
      <remapped_row_pending>Yes</remapped_row_pending><remapped_row_failure>No</remapped_row_failure></remapped_rows>
      <gpu_power_readings><average_power_draw>100 W</average_power_draw><instant_power_draw>110.5 W</instant_power_draw><current_power_limit>450.00 W</current_power_limit></gpu_power_readings>
      </gpu></nvidia_smi_log>`).gpus[0]!;
    expect(g.eccErrors).toEqual({ correctedVolatile: 5, uncorrectedVolatile: 10 });
    expect(g.remappedRows).toEqual({ correctable: 1, uncorrectable: 2, pending: true, failure: false });
    expect(g.powerDrawW).toBe(110.5);
    expect(g.powerLimitW).toBe(450);
  });

  it('faults: a lost GPU among healthy ones', () => {
    const d = parseQX(`<nvidia_smi_log><driver_version>550.1</driver_version>
      <gpu id="00000000:01:00.0"><product_name>Good</product_name><uuid>GPU-good</uuid><fan_speed>Unknown Error</fan_speed></gpu>
      <gpu id="00000000:41:00.0"><product_name>Unknown Error</product_name><uuid>Unknown Error</uuid></gpu>
      <gpu id="00000000:81:00.0"><product_name>NVIDIA A40</product_name><uuid>GPU-c</uuid><fb_memory_usage><total>GPU is lost</total></fb_memory_usage></gpu>
      <gpu id="00000000:C1:00.0"><product_name>NVIDIA A40</product_name><uuid>GPU-d</uuid><utilization><gpu_util>[GPU requires reset]</gpu_util></utilization></gpu>
      </nvidia_smi_log>`);
    expect(d.gpus.map((g) => g.fault)).toEqual([undefined, 'Unknown Error', 'GPU is lost (fallen off the bus)', 'GPU requires reset']);
    expect(d.gpus[0]!.fanPct).toBeUndefined();
    expect(d.gpus[1]!.busId).toBe('00000000:41:00.0');
    expect(d.gpus[1]!.name).toBe('GPU 1');
  });

  it('truncated XML keeps the complete GPUs', () => {
    const src = h100('q-x-load.xml');
    const two = src.replace('</gpu>', '</gpu>\n<gpu id="00000000:00:07.0"><product_name>Second</product_name><uuid>GPU-2</uuid></gpu>');
    const cut = two.slice(0, two.lastIndexOf('</nvidia_smi_log>')) + '<gpu id="x"><product_na';
    const d = parseQX(cut);
    expect(d.gpus.slice(0, 2).map((g) => g.name)).toEqual(['NVIDIA H100 80GB HBM3', 'Second']);
    expect(d.gpus[0]!.uuid).toBe('GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7');
    expect(d.driverVersion).toBe('580.159.04');
  });

  it('empty and non-XML input', () => {
    expect(parseQX('').gpus).toEqual([]);
    expect(parseQX('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.').gpus).toEqual([]);
  });
});

describe('every fixture in fixtures/nvidia/h100-real parses', () => {
  const dir = fixturePath('nvidia', 'h100-real');
  for (const f of readdirSync(dir)) {
    it(f, () => {
      const t = fixture('nvidia', 'h100-real', f);
      if (f.endsWith('.xml')) {
        const d = parseQX(t);
        expect(d.gpus).toHaveLength(1);
        expect(d.gpus[0]!.memTotalBytes).toBe(81559 * MiB);
        expect(d.gpus[0]!.pcie).toMatchObject({ genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 });
      } else if (f.startsWith('query-gpu') && !f.includes('bad-field')) {
        const r = parseQueryCsv(t, f.includes('old') ? OLD_FIELDS : FAST_FIELDS);
        expect(r.warnings).toEqual([]);
        expect(r.gpus).toHaveLength(1);
        expect(r.gpus[0]).toMatchObject({ memTotalBytes: 81559 * MiB, pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 } });
      } else {
        // text outputs (help, topo, version, compute-apps) are not query rows: they must not throw
        expect(Array.isArray(parseQueryCsv(t, FAST_FIELDS).gpus)).toBe(true);
        expect(Array.isArray(parseQX(t).gpus)).toBe(true);
      }
    });
  }
});

const S = (name: string) => sampleFiles('nvidia').find((p) => basename(p) === name)!;
describe.skipIf(!haveSamples)('../shared/samples/nvidia', () => {
  const expected: Record<string, (t: string) => void> = {
    'netdata-a100-sxm4-40gb-mig-v11-drv510.xml': (t) => {
      const d = parseQX(t);
      expect(d.driverVersion).toBe('510.47.03');
      const g = d.gpus[0]!;
      expect(g).toMatchObject({ name: 'NVIDIA A100-SXM4-40GB', migMode: 'enabled', persistenceMode: false, powerLimitW: 400, powerDrawW: 66.92 });
      expect(g.utilPct).toBeUndefined();
      expect(g.migDevices).toEqual([
        { index: 0, gpuInstanceId: 1, computeInstanceId: 0, memUsedBytes: 19 * MiB, memTotalBytes: 19968 * MiB },
        { index: 1, gpuInstanceId: 2, computeInstanceId: 0, memUsedBytes: 19 * MiB, memTotalBytes: 19968 * MiB },
      ]);
      expect(g.eccErrors).toEqual({ correctedAggregate: 0, uncorrectedAggregate: 0 });
      expect(g.remappedRows).toBeUndefined();
    },
    'netdata-rtx-4090-v12-drv535.xml': (t) => {
      const g = parseQX(t).gpus[0]!;
      expect(g.pcie).toEqual({ genCurrent: 1, genMax: 3, genDeviceMax: 4, genHostMax: 3, widthCurrent: 16, widthMax: 16 });
      expect(g).toMatchObject({ powerDrawW: 26.84, powerLimitW: 450, fanPct: 0, pstate: 'P8', eccMode: 'disabled', throttleReasons: ['gpu_idle'] });
    },
    'telegraf-dual-rtx-a5000-v13-drv590-processes.xml': (t) => {
      const d = parseQX(t);
      expect(d.driverVersion).toBe('590.44.01');
      expect(d.gpus.map((g) => g.busId)).toEqual(['00000000:81:00.0', '00000000:C1:00.0']);
      expect(d.gpus.map((g) => g.index)).toEqual([0, 1]);
      expect(d.gpus[0]!.processes).toEqual([{ pid: 100477, name: '/root/src/llama.cpp/build/bin/llama-server', usedMemBytes: 22430 * MiB, type: 'C' }]);
      expect(d.gpus[1]!.processes).toEqual([{ pid: 100477, name: '/root/src/llama.cpp/build/bin/llama-server', usedMemBytes: 17246 * MiB, type: 'C' }]);
    },
    'telegraf-tesla-t4-v11-drv512-wddm-empty-process-names.xml': (t) => {
      const g = parseQX(t).gpus[0]!;
      expect(g.processes).toHaveLength(15);
      expect(g.processes[0]).toEqual({ pid: 2320, name: '', type: 'C+G' });
      expect(g.processes.filter((p) => p.name === '')).toHaveLength(13);
      expect(g.processes.every((p) => p.usedMemBytes === undefined)).toBe(true);
      expect(g.retiredPages).toEqual({ singleBit: 0, doubleBit: 0, pending: false });
      expect(g.persistenceMode).toBeUndefined();
    },
    'telegraf-quadro-p400-drv418.xml': (t) => {
      const d = parseQX(t);
      expect(d.driverVersion).toBe('418.43');
      expect(d.gpus[0]).toMatchObject({ name: 'Quadro P400', throttleReasons: ['gpu_idle'], fanPct: 34, persistenceMode: false });
      expect(d.gpus[0]!.powerDrawW).toBeUndefined();
      expect(d.gpus[0]!.eccErrors).toBeUndefined();
    },
    'telegraf-gtx-1070-ti-v10-fragment.xml': (t) => {
      const g = parseQX(t).gpus[0]!;
      expect(g).toMatchObject({ name: 'GeForce GTX 1070 Ti', fanPct: 100, memTotalBytes: 4096 * MiB, pcie: { genCurrent: 1, widthCurrent: 16 } });
      expect(g.pcie.genMax).toBeUndefined();
    },
    'telegraf-rtx-3090-v13-drv590.xml': (t) => {
      const g = parseQX(t).gpus[0]!;
      expect(g).toMatchObject({ name: 'NVIDIA GeForce RTX 3090', throttleReasons: ['sw_power_cap'], powerLimitW: 350 });
    },
    'telegraf-grid-p4-1q-vgpu-v11-drv513.xml': (t) => {
      const g = parseQX(t).gpus[0]!;
      expect(g.name).toBe('GRID P4-1Q');
      expect(g.throttleReasons).toEqual([]);
      expect(g.processes.length).toBeGreaterThan(0);
    },
    'netdata-tesla-p100-query-gpu-nounits.csv': (t) => {
      const { gpus } = parseQueryCsv(t, FAST_FIELDS); // has its own header line
      expect(gpus[0]).toMatchObject({ index: 0, name: 'Tesla P100-PCIE-16GB', pstate: 'P0', tempC: 37, powerDrawW: 28.16, smClockMHz: 405, memClockMHz: 715 });
      expect(gpus[0]!.fanPct).toBeUndefined();
    },
    'nvgpuexp-linux-h100-80gb-hbm3-drv590.48.01-query-gpu-all-fields-load.csv': (t) => {
      const { gpus } = parseQueryCsv(t, FAST_FIELDS);
      expect(gpus[0]).toMatchObject({ utilPct: 100, memTotalBytes: 81559 * MiB, pcie: { genCurrent: 5, genMax: 5, genDeviceMax: 5, widthCurrent: 16 }, persistenceMode: true, throttleReasons: [] });
    },
    'nvgpuexp-linux-h100-mig-drv590.48.01-query-gpu-all-fields-idle.csv': (t) => {
      const { gpus } = parseQueryCsv(t, FAST_FIELDS);
      expect(gpus[0]).toMatchObject({ migMode: 'enabled', throttleReasons: ['gpu_idle'] });
    },
  };

  for (const path of sampleFiles('nvidia')) {
    const name = basename(path);
    it(name, () => {
      const t = readSample(path);
      const check = expected[name];
      if (check) check(t);
      else {
        expect(Array.isArray(parseQX(t).gpus)).toBe(true);
        expect(Array.isArray(parseQueryCsv(t, FAST_FIELDS).gpus)).toBe(true);
      }
    });
  }
  it('has concrete expectations for the known samples', () => { expect(S('telegraf-dual-rtx-a5000-v13-drv590-processes.xml')).toBeTruthy(); });
});

describe('classifyNvidiaError', () => {
  it.each([
    ["NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.", 'driver-not-loaded'],
    ['Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 550.120', 'version-mismatch'],
    ['Unable to determine the device handle for GPU 0000:41:00.0: GPU is lost.  Reboot the system to recover this GPU', 'gpu-lost'],
    ['Unable to determine the device handle for GPU0000:81:00.0: Unknown Error', 'gpu-lost'],
    ['No devices were found', 'no-devices'],
    ['Field "clocks_event_reasons.active" is not a valid field to query.', 'invalid-field'],
    ['Failed to initialize NVML: Unknown Error', 'nvml'],
  ])('%s', (text, kind) => {
    const e = classifyNvidiaError(text)!;
    expect(e.kind).toBe(kind);
    expect(e.message.length).toBeGreaterThan(5);
    expect(e.hint.length).toBeGreaterThan(5);
  });
  it('extracts the field and the bus id', () => {
    expect(classifyNvidiaError(h100('query-gpu-bad-field.stdout.txt'))!.field).toBe('bogus.field');
    const e = classifyNvidiaError('Unable to determine the device handle for GPU 0000:41:00.0: GPU is lost.')!;
    expect(e.busId).toBe('0000:41:00.0');
    expect(e.message).toContain('fallen off the bus');
  });
  it('ordinary output is not an error', () => {
    expect(classifyNvidiaError('0, GPU-x, NVIDIA H100, 0, 0')).toBeUndefined();
    expect(classifyNvidiaError('')).toBeUndefined();
  });
});

describe.skipIf(!haveSamples)('withoutSupportedClocks (what -q -x is parsed without)', () => {
  it('drops every <supported_clocks> block of the real samples and nothing else', () => {
    let dropped = 0;
    for (const p of sampleFiles('nvidia').filter((f) => f.endsWith('.xml'))) {
      const t = readSample(p);
      const out = withoutSupportedClocks(t);
      expect(out, basename(p)).toBe(t.replace(/<supported_clocks>[\s\S]*?<\/supported_clocks>/g, ''));
      expect(out).not.toMatch(/supported_(mem|graphics)_clock/);
      dropped += t.length - out.length;
    }
    expect(dropped).toBeGreaterThan(0);
  });

  it('leaves an unclosed block (a cut output) for the parser', () => {
    const t = '<gpu><a>1</a><supported_clocks><x/></supported_clocks><b>2</b><supported_clocks><y/>';
    expect(withoutSupportedClocks(t)).toBe('<gpu><a>1</a><b>2</b><supported_clocks><y/>');
  });
});
