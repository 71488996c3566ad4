// The benchmark's pure parts (bench/ has no test folder of its own), and one short real run in a pseudo-terminal.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, splitCommand } from '../../bench/args.js';
import { bytesPerSec, FirstFrameDetector, median, soakSummary, steadyCpuPct, type Sample } from '../../bench/measure.js';
import { parseStat, parseStatusKb, sampleTree } from '../../bench/proc.js';
import { runInPty } from '../../bench/pty.js';
import { buildRows } from '../../bench/report.js';
import { percentile } from '../../bench/keys.js';

describe('splitCommand', () => {
  it('splits like a shell for quotes and backslashes', () => {
    expect(splitCommand('node dist/sov.js --demo')).toEqual(['node', 'dist/sov.js', '--demo']);
    expect(splitCommand(`node -e "console.log('a b')" x\\ y ''`)).toEqual(['node', '-e', "console.log('a b')", 'x y', '']);
    expect(splitCommand(String.raw`sh -c "printf '\x1b' \"q\""`)).toEqual(['sh', '-c', String.raw`printf '\x1b' "q"`]);
  });
});

describe('parseBenchArgs', () => {
  it('has the documented defaults and derives the soak command', () => {
    const o = parseBenchArgs([], '/usr/bin/htop');
    expect(o).toMatchObject({ cmd: ['dist/sov.js', '--demo'], marker: 'ember', seconds: 60, warmupSeconds: 5, cols: 120, rows: 40, soakSeconds: 120 });
    expect(o.htop).toEqual(['/usr/bin/htop', '-d', '10']);
    expect(o.soakCmd).toEqual(['dist/sov.js', '--demo', '--interval-ms', '5', '--demo-speed', '200']);
    expect(parseBenchArgs(['--no-htop', '--seconds', '3'], '/usr/bin/htop')).toMatchObject({ htop: undefined, seconds: 3 });
    expect(parseBenchArgs([], undefined).htop).toBeUndefined();
    expect(o.scale).toBe(8);
    expect(parseBenchArgs(['--no-scale'], undefined).scale).toBe(0);
    expect(parseBenchArgs(['--cmd', 'htop'], undefined).scale).toBe(0);
    expect(o.keys).toBe(true);
    expect(parseBenchArgs(['--no-keys'], undefined).keys).toBe(false);
    expect(parseBenchArgs(['--no-app'], undefined).keys).toBe(false);
    expect([percentile([5, 1, 3, 2, 4], 50), percentile([5, 1, 3, 2, 4], 95), percentile([7], 95)]).toEqual([3, 5, 7]);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
    expect(() => parseBenchArgs(['--seconds', 'x'], undefined)).toThrow(/--seconds/);
  });

  it('runs supervision (60 s, 5 restarts) and chat by default; flags skip or size them', () => {
    expect(parseBenchArgs([], undefined)).toMatchObject({ supervision: true, supervisionSeconds: 60, restartTrials: 5, chat: true });
    expect(parseBenchArgs(['--no-supervision', '--no-chat'], undefined)).toMatchObject({ supervision: false, chat: false });
    expect(parseBenchArgs(['--supervision-seconds', '15', '--restart-trials', '3'], undefined)).toMatchObject({ supervisionSeconds: 15, restartTrials: 3 });
    expect(parseBenchArgs(['--restart-trials', '0'], undefined).restartTrials).toBe(0);
    expect(parseBenchArgs(['--restart-trials', '2.7'], undefined).restartTrials).toBe(2);
    expect(() => parseBenchArgs(['--supervision-seconds', '0'], undefined)).toThrow(/--supervision-seconds/);
    expect(() => parseBenchArgs(['--restart-trials', '-1'], undefined)).toThrow(/--restart-trials/);
    expect(() => parseBenchArgs(['--help'], undefined)).toThrow(/--no-supervision[\s\S]*--supervision-seconds N[\s\S]*--restart-trials N/);
  });
});

describe('/proc parsing', () => {
  it('reads stat with spaces and parentheses in the command name', () => {
    const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 1000 1000000 300';
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, ownTicks: 300, reapedChildTicks: 10 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('reads VmRSS / VmHWM in kB', () => {
    const status = 'Name:\tnode\nVmHWM:\t  120000 kB\nVmRSS:\t   98765 kB\n';
    expect(parseStatusKb(status)).toBe(98765);
    expect(parseStatusKb(status, 'VmHWM')).toBe(120000);
    expect(parseStatusKb('Name:\tkthread\n')).toBeUndefined();
  });

  it('samples a process tree (and not a fork of this process before it has exec-ed)', async () => {
    const child = spawn('sh', ['-c', 'sleep 5 & sleep 5; wait'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const s = sampleTree(child.pid!)!;
      expect(s.pids).toBe(3);
      expect(s.rssBytes).toBeGreaterThan(100 * 1024);
      expect(s.cpuSeconds).toBeGreaterThanOrEqual(0);
      expect(sampleTree(process.pid)).toBeUndefined(); // same command line as ours
    } finally {
      child.kill();
    }
  });
});

describe('figures', () => {
  it('first full frame: the end of the first burst holding the marker, followed by quiet', () => {
    const d = new FirstFrameDetector('Load', 100);
    d.feed('\u001b[?1049h', 10);
    d.feed('Lo', 40);
    expect(d.check(200)).toBeUndefined(); // marker not complete yet
    d.feed('ad average', 220);
    d.feed('more of the frame', 260);
    expect(d.check(300)).toBeUndefined(); // not quiet long enough
    d.feed('rest', 330);
    expect(d.check(430)).toBe(330);
    d.feed('next refresh', 1330);
    expect(d.result).toBe(330);
  });

  it('without a marker, any visible text counts', () => {
    const d = new FirstFrameDetector(undefined, 100);
    d.feed('\u001b[?1049h\u001b[H', 5);
    expect(d.check(500)).toBeUndefined();
    d.feed('x', 600);
    expect(d.check(700)).toBe(600);
  });

  it('steady CPU and bytes/s leave out the warm-up', () => {
    const s = (t: number, cpuSeconds: number): Sample => ({ t, cpuSeconds, rssBytes: 0, rootHwmBytes: 0, pids: 1 });
    expect(steadyCpuPct([s(0, 0), s(5000, 2), s(15000, 2.5)], 5000)).toBeCloseTo(5);
    expect(steadyCpuPct([s(0, 0)], 5000)).toBeUndefined();
    expect(bytesPerSec([{ t: 100, bytes: 9000 }, { t: 6000, bytes: 500 }, { t: 8000, bytes: 500 }], 5000, 15000)).toBe(100);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('soak growth compares the RSS floors (after garbage collections) of the first and last quarter, not two moments of the GC saw', () => {
    const MB = 1024 * 1024;
    const run = (rss: (t: number) => number) => {
      const samples: Sample[] = Array.from({ length: 241 }, (_, i) => ({ t: i * 1000, rssBytes: rss(i), cpuSeconds: 0, rootHwmBytes: 0, pids: 1 }));
      return soakSummary({ cmd: 'x', args: [], cols: 80, rows: 24, env: {}, seconds: 240 }, { run: { pid: 1, bytes: 0, durationMs: 240_000, exitCode: 0, exitedEarly: false }, samples, chunks: [] }, 15, 5);
    };
    // a 40 s saw between 105 and 158 MB: whatever moments start and end fall on, no growth
    const saw = run((t) => (105 + 53 * ((t % 40) / 40)) * MB);
    expect(saw.growthBytes).toBe(0);
    expect(saw.peakRssBytes).toBeGreaterThan(150 * MB);
    // the same saw on a floor that rises 0.1 MB a second: the growth shows
    const leak = run((t) => (105 + 0.1 * t + 53 * ((t % 40) / 40)) * MB);
    expect(leak.growthBytes! / MB).toBeGreaterThan(15);
  });

  it('judges the budgets, and calls a run that exited early invalid', () => {
    const m = { command: 'x', seconds: 60, warmupSeconds: 5, totalBytes: 0, exitedEarly: false, exitCode: 0 };
    const rows = buildRows(
      { ...m, bytesPerSec: 600, cpuPct: 1, peakRssBytes: 90 * 1024 * 1024, firstFrameMs: 700 },
      { ...m, bytesPerSec: 417, cpuPct: 0.27, peakRssBytes: 4 * 1024 * 1024, firstFrameMs: 100 },
      undefined,
    );
    expect(rows.map((r) => r.verdict)).toEqual(['PASS', 'FAIL', 'FAIL', 'FAIL']);
    // the demo box ×8: its CPU against the demo box's (≤ 2×)
    const scaled = (cpuPct: number) => buildRows({ ...m, cpuPct: 1 }, undefined, undefined, { factor: 8, m: { ...m, cpuPct, peakRssBytes: 70 * 1024 * 1024 } });
    expect(scaled(1.9).find((r) => r.metric.includes('×8') && r.unit === '%')).toMatchObject({ app: 1.9, ratio: 1.9, verdict: 'PASS' });
    expect(scaled(2.5).find((r) => r.metric.includes('×8') && r.unit === '%')?.verdict).toBe('FAIL');
    expect(buildRows({ ...m, exitedEarly: true }, undefined, undefined).every((r) => r.verdict === 'INVALID')).toBe(true);
  });
});

describe('runInPty', () => {
  it('runs a command in a terminal of the given size and counts what it writes', async () => {
    let text = '';
    const r = await runInPty(process.execPath, ['-e', 'process.stdout.write(`${process.stdout.columns}x${process.stdout.rows} ${process.stdout.isTTY}`)'], {
      cols: 77,
      rows: 22,
      seconds: 10,
      onData: (chunk) => (text += chunk),
    });
    expect(text).toContain('77x22 true');
    expect(r.bytes).toBe(Buffer.byteLength(text));
    expect(r.exitedEarly).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it('ends a command that keeps running when the time is up', async () => {
    const r = await runInPty(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { seconds: 0.5 });
    expect(r.exitedEarly).toBe(false);
    expect(r.durationMs).toBeLessThan(5000);
  });
});
