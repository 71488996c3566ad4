import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nvidiaBackend } from '../../../backends/nvidia/index.js';
import { pcieStatus, gpuFindings } from '../../../backends/nvidia/present.js';
import type { NvidiaData } from '../../../backends/nvidia/types.js';
import { nvidiaDemo } from '../../../src/demo/omni/nvidia.js';
import { createDemoRunner } from '../../../src/runner/demo.js';
import type { Attempt } from '../../../backends/types.js';

function ok(a: Attempt<NvidiaData>): NvidiaData {
  if (a.state !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(a)}`);
  return a.data;
}
const GiB = 1024 ** 3;

describe('the real nvidia source on the OMNI demo box', () => {
  beforeEach(() => { vi.useFakeTimers(); vi.setSystemTime(new Date('2026-11-23T09:00:00Z')); });
  afterEach(() => { vi.useRealTimers(); });

  it('two GPUs, GPU1 down-trained under load, the engines as processes, values that move', async () => {
    const runner = createDemoRunner(nvidiaDemo);
    const src = nvidiaBackend.create(runner);
    const first = ok(await src.sample());
    expect(first.driverVersion).toBe('580.95.05');
    expect(first.cudaVersion).toBe('13.0');
    expect(first.warnings).toEqual([]);
    expect(first.gpus.map((g) => g.name)).toEqual(['NVIDIA RTX PRO 6000 Blackwell Workstation Edition', 'NVIDIA GeForce RTX 5090']);

    await vi.advanceTimersByTimeAsync(1000);
    const d = ok(await src.sample());
    const [g0, g1] = d.gpus as [NvidiaData['gpus'][0], NvidiaData['gpus'][0]];
    expect(d.gpus).toHaveLength(2);
    expect(g0).toMatchObject({ index: 0, memTotalBytes: 97887 * 1048576, persistenceMode: true, pcie: { genCurrent: 5, genMax: 5, widthCurrent: 16, widthMax: 16 } });
    expect(g1).toMatchObject({ index: 1, memTotalBytes: 32607 * 1048576, persistenceMode: false, pcie: { genCurrent: 4, genMax: 5, widthCurrent: 16, widthMax: 16 } });
    expect(pcieStatus(g0).level).toBe('ok');
    expect(pcieStatus(g1)).toMatchObject({ level: 'warn', text: expect.stringContaining('Gen4 on a Gen5') });
    expect(gpuFindings(g1).map((f) => f.message).join()).toMatch(/PCIe.*persistence|persistence.*PCIe/s);
    expect(gpuFindings(g0)).toEqual([]);
    expect(g0.processes).toEqual([expect.objectContaining({ pid: 4242, name: '/opt/llama.cpp/build/bin/llama-server' })]);
    expect(g1.processes).toEqual([expect.objectContaining({ pid: 5151, name: 'python3 -m vllm.entrypoints.openai.api_server' })]);
    expect(g0.processes[0]!.usedMemBytes! / GiB).toBeCloseTo(71, 0);
    expect(g1.processes[0]!.usedMemBytes! / GiB).toBeCloseTo(27, 0);

    const seen: number[][] = [];
    for (let i = 0; i < 30; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      const s = ok(await src.sample());
      for (const g of s.gpus) {
        expect(g.utilPct).toBeGreaterThanOrEqual(40);
        expect(g.utilPct).toBeLessThanOrEqual(98);
        expect(g.tempC).toBeGreaterThan(40);
        expect(g.powerDrawW).toBeLessThanOrEqual(g.powerLimitW!);
      }
      seen.push(s.gpus.map((g) => g.utilPct!));
    }
    expect(new Set(seen.map((x) => x[0])).size).toBeGreaterThan(5);
    expect(new Set(seen.map((x) => x[1])).size).toBeGreaterThan(5);
    // smooth: no jump of more than 10 points per second
    for (let i = 1; i < seen.length; i++) expect(Math.abs(seen[i]![0]! - seen[i - 1]![0]!)).toBeLessThanOrEqual(10);
    src.dispose();
  });

  it('the demo is deterministic in tSec', () => {
    expect(nvidiaDemo.vars(0)['gpu0_util']).not.toEqual(nvidiaDemo.vars(10)['gpu0_util']);
    for (const k of Object.keys(nvidiaDemo.vars(0))) expect(k.startsWith('gpu')).toBe(true);
  });
});
