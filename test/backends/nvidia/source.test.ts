import { describe, expect, it } from 'vitest';
import { nvidiaBackend } from '../../../backends/nvidia/index.js';
import type { NvidiaData } from '../../../backends/nvidia/types.js';
import type { Attempt, RunOptions, Runner } from '../../../backends/types.js';
import { FakeRunner } from '../../helpers/fake-runner.js';
import { fixture } from '../../helpers/samples.js';

const FIELDS = 'index,uuid,name,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,power.draw,power.limit,fan.speed,clocks.sm,clocks.mem,pstate,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current,pcie.link.width.max';
const STREAM = ['nvidia-smi', `--query-gpu=${FIELDS},clocks_event_reasons.active`, '--format=csv,noheader,nounits', '-lms', '1000'];
const STREAM_OLD = ['nvidia-smi', `--query-gpu=${FIELDS},clocks_throttle_reasons.active`, '--format=csv,noheader,nounits', '-lms', '1000'];
const QX = ['nvidia-smi', '-q', '-x'];
const XML = fixture('nvidia', 'h100-real', 'q-x-load.xml');
const ROW = '0, GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7, NVIDIA H100 80GB HBM3, 77, 12, 2048, 81559, 51, 420.50, 700.00, [N/A], 1755, 2619, P0, 5, 5, 16, 16, 0x0000000000000004';
const MiB = 1048576;

const flush = async () => { for (let i = 0; i < 5; i++) await Promise.resolve(); };
const streamCalls = (f: FakeRunner) => f.calls.filter((a) => a.includes('-lms'));
const qxCalls = (f: FakeRunner) => f.calls.filter((a) => a.join(' ') === QX.join(' '));
function ok(a: Attempt<NvidiaData>): NvidiaData {
  if (a.state !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(a)}`);
  return a.data;
}

describe('nvidia source', () => {
  it('descriptor', () => {
    expect(nvidiaBackend).toMatchObject({ id: 'nvidia', title: 'GPU', intervalMs: 1000 });
  });

  it('runs exactly the stream and -q -x (15 s timeout); the first sample is ok from -q -x alone', async () => {
    const f = new FakeRunner().on({ argv: QX, stdout: XML }).onStream({ argv: STREAM });
    const opts: (RunOptions | undefined)[] = [];
    const run = f.run.bind(f);
    const spy: Runner = Object.assign(Object.create(f) as FakeRunner, {
      run: (argv: string[], o?: RunOptions) => { opts.push(o); return run(argv); },
    });
    const src = nvidiaBackend.create(spy);
    const d = ok(await src.sample());
    expect(f.calls).toEqual([STREAM, QX]);
    expect(opts).toEqual([{ timeoutMs: 15000 }]);
    expect(d.driverVersion).toBe('580.159.04');
    expect(d.cudaVersion).toBe('13.0');
    expect(d.gpus).toHaveLength(1);
    expect(d.gpus[0]).toMatchObject({ utilPct: 100, memUsedBytes: 591 * MiB, processes: [{ pid: 573, name: '/tmp/burn' }] });
    src.dispose();
  });

  it('stream values win for fast fields; -q -x fills the rest; -q -x at most every 10 s', async () => {
    const f = new FakeRunner().on({ argv: QX, stdout: XML }).onStream({ argv: STREAM, lines: [ROW] });
    const src = nvidiaBackend.create(f);
    await src.sample();
    await flush();
    const d = ok(await src.sample());
    const g = d.gpus[0]!;
    expect(g).toMatchObject({ utilPct: 77, memUtilPct: 12, memUsedBytes: 2048 * MiB, tempC: 51, powerDrawW: 420.5, smClockMHz: 1755, throttleReasons: ['sw_power_cap'] });
    expect(g).toMatchObject({ busId: '00000000:00:06.0', persistenceMode: true, smClockMaxMHz: 1980, eccMode: 'enabled', processes: [{ pid: 573 }] });
    expect(g.fanPct).toBeUndefined();
    expect(qxCalls(f)).toHaveLength(1);
    f.clock += 9_999;
    await src.sample();
    expect(qxCalls(f)).toHaveLength(1);
    f.clock += 1;
    await src.sample();
    await flush();
    expect(qxCalls(f)).toHaveLength(2);
    expect(streamCalls(f)).toHaveLength(1); // the long-lived stream is not respawned
    src.dispose();
    expect(f.activeStreams[0]!.stopped).toBe(true);
  });

  it('nvidia-smi not on PATH → unavailable with reason and hint', async () => {
    const f = new FakeRunner().on({ argv: QX, notFound: true }).onStream({ argv: STREAM, exit: { exitCode: null, notFound: true } });
    const a = await nvidiaBackend.create(f).sample();
    expect(a).toEqual({ state: 'unavailable', reason: 'nvidia-smi not found on PATH', hint: 'install the NVIDIA driver utilities (nvidia-utils) or run sov where the GPUs are' });
  });

  it('a stream that exits is restarted lazily with backoff 1, 2, 4 … 30 s, reset by a good row', async () => {
    const f = new FakeRunner().on({ argv: QX, stdout: XML }).onStream({ argv: STREAM, exit: { exitCode: 1, stderr: 'killed' } });
    const src = nvidiaBackend.create(f);
    const t0 = f.clock;
    const d = ok(await src.sample()); // stream started and died; -q -x still answers
    expect(d.gpus).toHaveLength(1);
    expect(streamCalls(f)).toHaveLength(1);
    const expectRestartAt = async (afterMs: number, calls: number) => {
      f.clock = afterMs - 1;
      await src.sample(); await flush();
      expect(streamCalls(f), `not before ${afterMs}`).toHaveLength(calls - 1);
      f.clock = afterMs;
      await src.sample(); await flush();
      expect(streamCalls(f), `at ${afterMs}`).toHaveLength(calls);
    };
    let t = t0;
    let n = 1;
    for (const delay of [1000, 2000, 4000, 8000, 16000, 30000, 30000]) {
      t += delay;
      n++;
      await expectRestartAt(t, n);
    }
    const last = ok(await src.sample());
    expect(last.warnings.join('\n')).toMatch(/stream exited \(killed\); restart in 30 s/);
    // a healthy stream resets the backoff
    f.streams[0]!.exit = undefined;
    f.streams[0]!.lines = [ROW];
    t += 30000;
    f.clock = t;
    await src.sample(); await flush();
    expect(ok(await src.sample()).gpus[0]!.utilPct).toBe(77);
    f.streams[0]!.exit = { exitCode: 1 };
    f.activeStreams.at(-1)!.opts.onExit({ exitCode: 1, stderr: '', notFound: false });
    f.clock = t + 1000;
    await src.sample(); await flush();
    expect(streamCalls(f)).toHaveLength(n + 2);
    src.dispose();
  });

  it('older drivers: invalid clocks_event_reasons.active → restarts with clocks_throttle_reasons.active', async () => {
    const f = new FakeRunner()
      .on({ argv: QX, stdout: XML })
      .onStream({ argv: STREAM, lines: ['Field "clocks_event_reasons.active" is not a valid field to query.', ''], exit: { exitCode: 2 } })
      .onStream({ argv: STREAM_OLD, lines: [ROW.replace('0x0000000000000004', '0x0000000000000040')] });
    const src = nvidiaBackend.create(f);
    await src.sample();
    await src.sample(); // restarts at once (no backoff) with the old name
    await flush();
    const d = ok(await src.sample());
    expect(streamCalls(f)).toEqual([STREAM, STREAM_OLD]);
    expect(d.gpus[0]!.throttleReasons).toEqual(['hw_thermal_slowdown']);
    expect(d.gpus[0]!.utilPct).toBe(77);
    src.dispose();
  });

  it('driver/library version mismatch → error with the classified message', async () => {
    const msg = 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.95';
    const f = new FakeRunner()
      .on({ argv: QX, exitCode: 18, stdout: msg })
      .onStream({ argv: STREAM, lines: [msg.split('\n')[0]!], exit: { exitCode: 18 } });
    const a = await nvidiaBackend.create(f).sample();
    expect(a.state).toBe('error');
    if (a.state === 'error') {
      expect(a.message).toContain('driver/library version mismatch');
      expect(a.message).toContain('reboot');
    }
  });

  it('driver not loaded → unavailable with the classified reason', async () => {
    const msg = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";
    const f = new FakeRunner().on({ argv: QX, exitCode: 9, stdout: msg }).onStream({ argv: STREAM, lines: [msg], exit: { exitCode: 9 } });
    const a = await nvidiaBackend.create(f).sample();
    expect(a).toMatchObject({ state: 'unavailable', reason: "nvidia-smi couldn't communicate with the NVIDIA driver" });
  });

  it('a GPU fallen off the bus beside a healthy one → ok, the lost one carries a fault', async () => {
    const lost = 'Unable to determine the device handle for GPU 0000:41:00.0: GPU is lost.  Reboot the system to recover this GPU';
    const f = new FakeRunner().on({ argv: QX, exitCode: 15, stdout: XML, stderr: lost }).onStream({ argv: STREAM, lines: [ROW, lost] });
    const src = nvidiaBackend.create(f);
    const d = ok(await src.sample());
    expect(d.gpus).toHaveLength(2);
    expect(d.gpus[0]!.fault).toBeUndefined();
    expect(d.gpus[1]).toMatchObject({ index: 1, busId: '0000:41:00.0' });
    expect(d.gpus[1]!.fault).toMatch(/fallen off the bus/);
    src.dispose();
  });

  it('the only GPU fallen off the bus → error naming it', async () => {
    const lost = 'Unable to determine the device handle for GPU 0000:41:00.0: GPU is lost.  Reboot the system to recover this GPU';
    const f = new FakeRunner().on({ argv: QX, exitCode: 15, stdout: lost }).onStream({ argv: STREAM, lines: [lost], exit: { exitCode: 15 } });
    const a = await nvidiaBackend.create(f).sample();
    expect(a.state).toBe('error');
    if (a.state === 'error') expect(a.message).toMatch(/0000:41:00\.0 has fallen off the bus/);
  });

  it('never throws, even when the runner does', async () => {
    const f = new FakeRunner(); // knows no argv at all: run and stream throw
    const src = nvidiaBackend.create(f);
    const a = await src.sample();
    expect(a.state).toBe('error');
    f.clock += 60_000;
    await expect(src.sample()).resolves.toMatchObject({ state: 'error' });
    src.dispose();
  });

  it('-q -x timing out after the first good answer keeps the cached data with a warning', async () => {
    const f = new FakeRunner().on({ argv: QX, stdout: XML }).onStream({ argv: STREAM, lines: [ROW] });
    const src = nvidiaBackend.create(f);
    await src.sample();
    f.commands[0] = { argv: QX, timedOut: true, exitCode: null };
    f.clock += 10_000;
    await src.sample(); await flush();
    const d = ok(await src.sample());
    expect(d.gpus[0]!.processes).toHaveLength(1);
    expect(d.warnings.join()).toMatch(/timed out/);
    src.dispose();
  });

  it('a driver failure after a good start is reported, not hidden behind cached data', async () => {
    const f = new FakeRunner().on({ argv: QX, stdout: XML }).onStream({ argv: STREAM, lines: [ROW] });
    const src = nvidiaBackend.create(f);
    await src.sample(); await flush();
    expect(ok(await src.sample()).gpus[0]!.utilPct).toBe(77);
    const msg = 'Failed to initialize NVML: Driver/library version mismatch';
    f.commands[0] = { argv: QX, exitCode: 18, stdout: msg };
    f.streams[0] = { argv: STREAM, lines: [msg], exit: { exitCode: 18 } };
    f.activeStreams.at(-1)!.opts.onExit({ exitCode: 18, stderr: msg, notFound: false });
    f.clock += 10_000;
    await src.sample(); await flush();
    const a = await src.sample();
    expect(a).toMatchObject({ state: 'error', message: expect.stringContaining('version mismatch') });
    src.dispose();
  });
});
