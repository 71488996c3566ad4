/**
 * The supervisor under faults, with REAL processes (sleep, sh, setsid, node) and the real log relay:
 * a lost or unwritable state file (no duplicate, ever), a setsid escape, a crash loop (no uptime), a log flood
 * (the cap holds, reads stay quick) and the bounds of a logs answer. Every process a test starts is recorded by
 * pid + start time and SIGKILLed in afterEach only when it is still that process.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processEngineSchema, type ProcessEngineConfig } from '../../src/config/schema.js';
import { MAX_LOG_LINES, MAX_RESPONSE_BYTES } from '../../src/daemon/logs.js';
import { allStats, readCmdline, readEnviron, readStat } from '../../src/daemon/procfs.js';
import { sweepEmptyCgroups } from '../../src/daemon/cgroup.js';
import { boxId, createSupervisor, STATE_FILE } from '../../src/daemon/supervisor.js';
import type { Supervisor } from '../../src/daemon/types.js';

const root = mkdtempSync(join(tmpdir(), 'sov-supf-'));
const run = `${process.pid}${Date.now() % 100000}`;
const started = new Map<number, string>();
const sups: Supervisor[] = [];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** every live process whose environment says it belongs to one of this file's state dirs */
function ours(): number[] {
  return allStats().filter((s) => s.state !== 'Z' && readEnviron(s.pid)?.get('SOV_TEST_RUN') === run).map((s) => s.pid);
}
function trackAll(): void {
  for (const pid of ours()) { const s = readStat(pid); if (s && !started.has(pid)) started.set(pid, s.startTime); }
}

afterEach(async () => {
  trackAll();
  for (const s of sups.splice(0)) await s.detach();
  trackAll();
  for (const [pid, st] of started) {
    if (readStat(pid)?.startTime === st) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  }
  started.clear();
});
const boxes = new Set<string>();
afterAll(() => {
  // the (empty) engine cgroups of this file's state dirs
  for (const b of boxes) sweepEmptyCgroups(b);
  rmSync(root, { recursive: true, force: true });
});

function eng(name: string, argv: string[], over: Record<string, unknown> = {}): ProcessEngineConfig {
  return processEngineSchema.parse({ kind: 'process', name, argv, backoff: { initialSec: 0.1, factor: 1, maxSec: 0.1 }, stop: { timeoutSec: 2 }, ...over });
}

async function sup(engines: ProcessEngineConfig[], stateDir: string, logs: string[] = [], clocks: { now?: () => number } = {}): Promise<Supervisor> {
  boxes.add(boxId(stateDir));
  const s = await createSupervisor({
    engines, stateDir, logDir: join(stateDir, 'logs'), probeIntervalMs: 100, env: { ...process.env, SOV_TEST_RUN: run }, log: (m) => logs.push(m),
    ...(clocks.now ? { now: clocks.now, mono: () => performance.now() } : {}),
  });
  sups.push(s);
  trackAll();
  return s;
}

/** live processes running exactly `argv` */
const running = (argv: string[]) => allStats().filter((s) => s.state !== 'Z' && readCmdline(s.pid)?.join('\0') === argv.join('\0')).map((s) => s.pid);

async function until<T>(what: string, fn: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('no duplicate engine, ever (issue 7, finding 4)', () => {
  const damage: [string, (p: string) => void][] = [
    ['deleted', (p) => rmSync(p, { force: true })],
    ['truncated', (p) => writeFileSync(p, readFileSync(p, 'utf8').slice(0, 17))],
    ['garbage', (p) => writeFileSync(p, '\u0000\u00ff garbage {{{')],
    ['[]', (p) => writeFileSync(p, '[]')],
    ['null', (p) => writeFileSync(p, 'null')],
    ['a directory', (p) => { rmSync(p, { force: true }); mkdirSync(p); }],
  ];
  it.each(damage)('state file %s: the next supervisor adopts the running engine by its marker, starts no second copy', async (what, hurt) => {
    const stateDir = mkdtempSync(join(root, 'dup-'));
    const argv = ['sleep', `${1000 + damage.findIndex(([w]) => w === what)}.${run}`];
    const a = await sup([eng('solo', argv, { autostart: true })], stateDir);
    const pid = await until('the engine', () => a.list()[0]!.pid);
    expect(running(argv)).toEqual([pid]);
    await a.detach();
    sups.splice(sups.indexOf(a), 1);
    hurt(join(stateDir, STATE_FILE));
    const logs: string[] = [];
    const b = await sup([eng('solo', argv, { autostart: true })], stateDir, logs);
    await sleep(300);
    trackAll();
    expect(running(argv)).toEqual([pid]);
    expect(b.list()[0]!.pid).toBe(pid);
    expect(logs.join('\n')).toMatch(/solo: not in the state file but running \(pid \d+, found by its SOV_ENGINE marker\): adopted/);
    if (what === 'a directory') {
      // and the write that cannot happen is said, not swallowed
      expect(b.stateError?.()).toMatch(/cannot write the engine state file .*engines\.json: .*(EISDIR|directory)/i);
      const d = await b.detach();
      expect(d).toMatchObject({ stateSaved: false });
    } else {
      expect(b.stateError?.()).toBeUndefined();
    }
  }, 30_000);

  it('an engine of another state dir (another user, another box) is never adopted', async () => {
    const argv = ['sleep', `999.${run}`];
    const a = await sup([eng('twin', argv, { autostart: true })], mkdtempSync(join(root, 'box-a-')));
    const pidA = await until('engine a', () => a.list()[0]!.pid);
    const b = await sup([eng('twin', argv, { autostart: true })], mkdtempSync(join(root, 'box-b-')));
    const pidB = await until('engine b', () => b.list()[0]!.pid);
    expect(pidB).not.toBe(pidA);
    expect(running(argv).sort()).toEqual([pidA, pidB].sort());
  }, 30_000);
});

describe('stop reaches every descendant (issue 7, finding 6)', () => {
  it('a child that called setsid is stopped too, and the engine detail says what escaped', async () => {
    const stateDir = mkdtempSync(join(root, 'setsid-'));
    const esc = ['sleep', `777.${run}`];
    const s = await sup([eng('leaky', ['sh', '-c', `setsid ${esc.join(' ')} & exec sleep 778.${run}`], { autostart: true })], stateDir);
    const escPid = await until('the escapee', () => running(esc)[0]);
    trackAll();
    const st = readStat(escPid)!;
    expect(st.pgid).toBe(escPid); // it really left the engine's group and session
    expect(st.pgid).not.toBe(s.list()[0]!.pid);
    const after = await s.stop('leaky');
    expect(after.state).toBe('stopped');
    expect(readStat(escPid)?.startTime === st.startTime && readStat(escPid)?.state !== 'Z').toBe(false);
    expect(after.warnings.join('\n')).toMatch(new RegExp(`1 process had left the engine's process group: ${escPid} \\(sleep\\); ended on SIGTERM`));
    expect(after.message).toContain('left the engine');
  }, 30_000);
});

describe('crash loop', () => {
  it('a crash-looped engine with no pid shows no uptime (no startedAt)', async () => {
    const s = await sup([eng('falls', ['false'], { autostart: true, crashloop: { failures: 2, withinMin: 1 } })], mkdtempSync(join(root, 'cl-')));
    const st = await until('crashloop', () => { const x = s.list()[0]!; return x.state === 'crashloop' ? x : undefined; });
    expect(st.pid).toBeUndefined();
    expect(st.startedAt).toBeUndefined();
  }, 30_000);

  it('a wall clock that jumps forward an hour between failures does not hide the crash loop (the window runs on a monotonic clock)', async () => {
    let wall = Date.now();
    // every reading of the wall clock is an hour later: each failure would look alone in its 1-minute window
    const jumping = () => (wall += 3_600_000);
    const s = await sup([eng('jumps', ['false'], { autostart: true, crashloop: { failures: 3, withinMin: 1 } })], mkdtempSync(join(root, 'cj-')), [], { now: jumping });
    const st = await until('crashloop', () => { const x = s.list()[0]!; return x.state === 'crashloop' ? x : undefined; });
    expect(st.message).toMatch(/3 failures within 1 min/);
  }, 30_000);
});

describe('log flood through the supervisor (issue 7, finding 1)', () => {
  it('the log directory stays under cap × (keep + 1) + one chunk while the engine writes as fast as it can; logs and search answer quickly', async () => {
    const stateDir = mkdtempSync(join(root, 'flood-'));
    const cap = 256 * 1024;
    const flood = `const b=Buffer.from(('needle-'+process.pid+' ').padEnd(511,'z')+'\\n');const end=Date.now()+3000;while(Date.now()<end)require('fs').writeSync(1,b);`;
    const s = await sup([eng('flood', [process.execPath, '-e', flood], { autostart: true, restart: 'never', logs: { maxBytes: cap, keep: 2 } })], stateDir);
    const logDir = join(stateDir, 'logs');
    const size = () => readdirSync(logDir).filter((f) => /\.log(\.\d+)?$/.test(f)).reduce((n, f) => { try { return n + statSync(join(logDir, f)).size; } catch { return n; } }, 0);
    let peak = 0;
    let slowest = 0;
    let searched = 0;
    const end = Date.now() + 4000;
    while (Date.now() < end) {
      peak = Math.max(peak, size());
      if (searched < 5) {
        const t0 = performance.now();
        const r = await s.logs('flood', { lines: 50, search: 'needle' });
        slowest = Math.max(slowest, performance.now() - t0);
        if (r.lines.length > 0) searched++;
      }
      await sleep(10);
    }
    trackAll();
    const chunk = 64 * 1024;
    expect(peak).toBeGreaterThan(cap); // it did flood past one file
    expect(peak).toBeLessThanOrEqual(cap * 3 + chunk + 4096);
    expect(searched).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(1000);
  }, 30_000);

  it('a logs answer is bounded in lines and bytes, read from the end', async () => {
    const stateDir = mkdtempSync(join(root, 'bound-'));
    const s = await sup([eng('big', ['sleep', `1.${run}`], { logs: { maxBytes: 64 * 1024 * 1024, keep: 1 } })], stateDir);
    mkdirSync(join(stateDir, 'logs'), { recursive: true });
    const line = 'q'.repeat(999) + '\n';
    writeFileSync(join(stateDir, 'logs', 'big.log'), line.repeat(8000) + 'the last line\n');
    const r = await s.logs('big', { lines: 100_000 });
    expect(r.lines.length).toBeLessThanOrEqual(MAX_LOG_LINES);
    expect(r.lines.reduce((n, l) => n + l.length + 1, 0)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(r.lines[r.lines.length - 1]).toBe('the last line');
    expect(r.truncated).toMatch(/capped at 1048576 bytes/);
  }, 30_000);
});

describe('the log relay dies (killed, OOM)', () => {
  it('the engine keeps running (no SIGPIPE: its writes wait in the FIFO) and a new relay drains them into the log', async () => {
    const stateDir = mkdtempSync(join(root, 'relay-dies-'));
    const script = `let n=0;setInterval(()=>{process.stdout.write('tick '+(n++)+'\\n')},20)`;
    const s = await sup([eng('ticker', [process.execPath, '-e', script], { autostart: true })], stateDir);
    const pid = await until('the engine', () => s.list()[0]!.pid);
    const relayOf = () => allStats().find((x) => readEnviron(x.pid)?.get('SOV_LOG_RELAY') === 'ticker' && readEnviron(x.pid)?.get('SOV_TEST_RUN') === run);
    const first = await until('its relay', () => relayOf());
    const log = join(stateDir, 'logs', 'ticker.log');
    await until('output', () => (readFileSync(log, 'utf8').includes('tick 3') ? true : undefined));
    process.kill(first.pid, 'SIGKILL');
    await sleep(800); // the engine fills the FIFO meanwhile
    const second = await until('a new relay', () => { const r = relayOf(); return r && r.pid !== first.pid ? r : undefined; });
    trackAll();
    expect(second.pid).not.toBe(first.pid);
    expect(readStat(pid)?.state).not.toBe('Z');
    expect(s.list()[0]!.pid).toBe(pid);
    // what the engine wrote while no relay ran, and after: the log goes on past 100 ticks (2 s of output)
    const lastTick = () => Number(/tick (\d+)\n$/.exec(readFileSync(log, 'utf8'))?.[1] ?? -1);
    await until('the log to go on', () => (lastTick() > 100 ? true : undefined), 15_000);
    const text = readFileSync(log, 'utf8');
    // nothing lost in between: the ticks run on without a gap
    const ticks = [...text.matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ticks).toEqual(ticks.map((_, i) => ticks[0]! + i));
  }, 30_000);
});
