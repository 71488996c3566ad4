import { describe, expect, it } from 'vitest';
import { gpuFindings, pcieStatus } from '../../../backends/nvidia/present.js';
import type { Gpu } from '../../../backends/nvidia/types.js';

const gpu = (over: Partial<Gpu> = {}): Gpu => ({
  index: 1, uuid: 'GPU-x', name: 'NVIDIA GeForce RTX 5090', processes: [], throttleReasons: [], persistenceMode: true,
  pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 }, utilPct: 0, pstate: 'P8', ...over,
});

describe('pcieStatus', () => {
  it('at max is ok', () => {
    expect(pcieStatus(gpu({ utilPct: 95, pstate: 'P0' }))).toEqual({ level: 'ok', text: 'at max' });
  });
  it('an idle downshift is info, never a warning', () => {
    const g = gpu({ pcie: { genCurrent: 1, genMax: 4, widthCurrent: 16, widthMax: 16 }, utilPct: 0, pstate: 'P8' });
    expect(pcieStatus(g)).toEqual({ level: 'info', text: 'idle: link downshifts to save power' });
    expect(gpuFindings(g).some((f) => f.message.includes('PCIe'))).toBe(false);
  });
  it('a lower generation under load warns', () => {
    const g = gpu({ pcie: { genCurrent: 4, genMax: 5, widthCurrent: 16, widthMax: 16 }, utilPct: 80, pstate: 'P0' });
    expect(pcieStatus(g)).toEqual({ level: 'warn', text: 'running Gen4 on a Gen5 link (x16) under load: check riser/slot/BIOS' });
    const f = gpuFindings(g).find((x) => x.message.includes('PCIe'));
    expect(f).toMatchObject({ severity: 'warn', target: 'GPU1' });
  });
  it('busy means util ≥ 10 %, or P0/P1 with any utilisation', () => {
    const low = { pcie: { genCurrent: 3, genMax: 4, widthCurrent: 16, widthMax: 16 } };
    expect(pcieStatus(gpu({ ...low, utilPct: 10, pstate: 'P2' })).level).toBe('warn');
    expect(pcieStatus(gpu({ ...low, utilPct: 3, pstate: 'P0' })).level).toBe('warn');
    expect(pcieStatus(gpu({ ...low, utilPct: 3, pstate: 'P2' })).level).toBe('info');
    expect(pcieStatus(gpu({ ...low, utilPct: 0, pstate: 'P0' })).level).toBe('info');
    expect(pcieStatus(gpu({ ...low, utilPct: undefined, pstate: 'P0' })).level).toBe('info');
  });
  it('a narrower link under load warns', () => {
    const s = pcieStatus(gpu({ pcie: { genCurrent: 5, genMax: 5, widthCurrent: 8, widthMax: 16 }, utilPct: 60, pstate: 'P0' }));
    expect(s.level).toBe('warn');
    expect(s.text).toContain('x8 on an x16 link');
  });
  it('unknown link', () => {
    expect(pcieStatus(gpu({ pcie: {} })).level).toBe('info');
  });
  it('a slot that limits the card is ok but says so', () => {
    expect(pcieStatus(gpu({ pcie: { genCurrent: 3, genMax: 3, genDeviceMax: 4, genHostMax: 3, widthCurrent: 16, widthMax: 16 }, utilPct: 90 })).text).toContain('card supports Gen4');
  });
});

describe('gpuFindings', () => {
  it('a healthy GPU has none', () => {
    expect(gpuFindings(gpu())).toEqual([]);
  });
  it('flags persistence off, ECC, pages, rows, throttling and faults', () => {
    const sev = (over: Partial<Gpu>) => gpuFindings(gpu(over)).map((f) => f.severity);
    expect(gpuFindings(gpu({ persistenceMode: false }))).toEqual([{ severity: 'warn', target: 'GPU1', message: expect.stringContaining('persistence mode off') }]);
    expect(sev({ persistenceMode: undefined })).toEqual([]);
    expect(sev({ eccErrors: { uncorrectedVolatile: 2 } })).toEqual(['crit']);
    expect(sev({ eccErrors: { uncorrectedVolatile: 0, correctedVolatile: 5 } })).toEqual([]);
    expect(sev({ retiredPages: { pending: true } })).toEqual(['warn']);
    expect(sev({ remappedRows: { pending: true } })).toEqual(['warn']);
    expect(sev({ remappedRows: { failure: true } })).toEqual(['crit']);
    expect(sev({ throttleReasons: ['gpu_idle', 'sw_power_cap'] })).toEqual([]);
    for (const r of ['hw_slowdown', 'hw_thermal_slowdown', 'hw_power_brake_slowdown', 'sw_thermal_slowdown']) expect(sev({ throttleReasons: [r] }), r).toEqual(['warn']);
    expect(gpuFindings(gpu({ fault: 'GPU is lost (fallen off the bus)' }))[0]).toMatchObject({ severity: 'crit', message: expect.stringContaining('fallen off the bus') });
  });
});
