/**
 * Fault injection on the daemon side (issue 7), with the built `sov` (dist/sov.js + dist/log-relay.js), its real
 * daemon, real engines (node scripts, sleep) and a private XDG tree under /tmp:
 *   a log flood (as fast as it can, and paced at ~100 MB/s) with the daemon killed -9 in the middle; a full disk
 *   (an 8 MiB tmpfs the test mounts for the state and log dirs); a stopped daemon (SIGSTOP); an RPC bomb; an alias
 *   bomb and a dangling config symlink.
 * The flood lasts SOV_FLOOD_SEC seconds (default 20; 60 by hand for the figures in the report). Every process this
 * file starts carries SOV_TEST_RUN=<unique> in its environment; afterAll ends those, by pid, and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepEmptyCgroups } from '../../src/daemon/cgroup.js';
import { connectDaemon } from '../../src/daemon/client.js';
import { boxId } from '../../src/daemon/supervisor.js';
import { allStats, readEnviron, readStat } from '../../src/daemon/procfs.js';
import type { DaemonInfo, EngineStatus } from '../../src/daemon/types.js';
import { EXIT } from '../../src/daemon/types.js';
import { gone, runSov as sov, SOV } from '../helpers/proc.js';

const FLOOD_SEC = Number(process.env.SOV_FLOOD_SEC ?? 20);
const RUN = `faults-${process.pid}-${Date.now()}`;
const root = mkdtempSync(join(tmpdir(), 'sov-faults-'));
const mounts: string[] = [];
const stateDirs: string[] = [];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

if (!existsSync(SOV) || !existsSync(join(SOV, '..', 'log-relay.js'))) throw new Error(`${SOV} or dist/log-relay.js is missing: run npm run build`);

/** every live process started by this file (the marker is inherited by the daemon, its relays and engines) */
function ours(): { pid: number; startTime: string; comm: string }[] {
  return allStats().filter((s) => s.state !== 'Z' && s.state !== 'X' && readEnviron(s.pid)?.get('SOV_TEST_RUN') === RUN)
    .map((s) => ({ pid: s.pid, startTime: s.startTime, comm: s.comm }));
}
afterAll(async () => {
  for (const p of ours()) if (readStat(p.pid)?.startTime === p.startTime) { try { process.kill(p.pid, 'SIGCONT'); process.kill(p.pid, 'SIGKILL'); } catch {} }
  await sleep(200);
  for (const m of mounts) { try { execFileSync('umount', [m]); } catch {} }
  // the (now empty) engine cgroups the daemons made for this file's state dirs
  for (const sd of stateDirs) sweepEmptyCgroups(boxId(sd));
  rmSync(root, { recursive: true, force: true });
});

function xdg(name: string): { dir: string; env: NodeJS.ProcessEnv; stateDir: string; logDir: string; config: string } {
  const dir = mkdtempSync(join(root, `${name}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config'), SOV_TEST_RUN: RUN };
  for (const k of ['SOV_RUNTIME_DIR', 'SOV_STATE_DIR', 'NODE_OPTIONS', 'SOV_CONFIG']) delete env[k];
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
  stateDirs.push(join(dir, 'state', 'sov'));
  return { dir, env, stateDir: join(dir, 'state', 'sov'), logDir: join(dir, 'state', 'sov', 'logs'), config: join(dir, 'config', 'sov', 'config.yaml') };
}

/** a node engine that writes ~1 KiB lines: `rateMBs` MB/s (0: as fast as it can) for `sec` s, then idles */
function floodScript(dir: string): string {
  const p = join(dir, 'flood.cjs');
  writeFileSync(p, `
const fs = require('fs');
const rate = Number(process.argv[2]) * 1e6, sec = Number(process.argv[3]);
const line = (n) => Buffer.from(('needle-' + n + ' ').padEnd(1023, 'z') + '\\n');
const block = Buffer.concat(Array.from({ length: 64 }, (_, i) => line(i)));
const t0 = Date.now(); let sent = 0;
function burst() {
  const el = (Date.now() - t0) / 1000;
  if (el >= sec) { setInterval(() => {}, 1 << 30); return; }
  const want = rate > 0 ? rate * el : Infinity;
  for (let i = 0; i < 256 && sent < want; i++) { fs.writeSync(1, block); sent += block.length; }
  setImmediate(burst);
}
burst();
`);
  return p;
}

const rssOf = (pid: number) => { try { const m = /^VmRSS:\s*(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8')); return m ? Number(m[1]) * 1024 : 0; } catch { return 0; } };
const logDirBytes = (dir: string) => { let n = 0; try { for (const f of readdirSync(dir)) if (/\.log(\.\d+)?$/.test(f)) { try { n += statSync(join(dir, f)).size; } catch {} } } catch {} return n; };

async function until<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(200);
  }
}

async function daemonInfo(env: NodeJS.ProcessEnv): Promise<DaemonInfo> {
  const r = await sov(['daemon', 'status', '--json'], env);
  return JSON.parse(r.stdout) as DaemonInfo;
}
async function engines(env: NodeJS.ProcessEnv): Promise<EngineStatus[]> {
  const r = await sov(['engines', 'ls', '--json'], env);
  if (r.code !== 0) throw new Error(`engines ls: ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout) as EngineStatus[];
}

describe('log flood (issue 7, finding 1)', () => {
  for (const [label, rate] of [['as fast as it can', 0], ['paced at 100 MB/s', 100]] as const) {
    it(`${label} for ${FLOOD_SEC} s, the daemon killed -9 midway: the cap holds, RPC answers within 1 s, search works, the engine is re-adopted`, async () => {
      const x = xdg(rate ? 'paced' : 'fast');
      const cap = 10 * MiB;
      const keep = 5;
      writeFileSync(x.config, `engines:\n  - name: flood\n    kind: process\n    argv: ${JSON.stringify([process.execPath, floodScript(x.dir), String(rate), String(FLOOD_SEC)])}\n    autostart: true\n    logs: { maxBytes: ${cap}, keep: ${keep} }\n`);
      expect((await sov(['daemon', 'start'], x.env)).code).toBe(0);
      const first = await engines(x.env);
      const enginePid = first[0]!.pid!;
      expect(enginePid).toBeGreaterThan(0);
      let daemonPid = (await daemonInfo(x.env)).pid;
      const fig = { peakBytes: 0, rpcMaxMs: 0, rpcCalls: 0, rpcFailed: 0, daemonRssMax: 0, relayRssMax: 0, searchMs: [] as number[], written: 0 };
      const relayPid = () => allStats().find((s) => readEnviron(s.pid)?.get('SOV_LOG_RELAY') === 'flood' && readEnviron(s.pid)?.get('SOV_TEST_RUN') === RUN)?.pid;
      const t0 = Date.now();
      const endAt = t0 + FLOOD_SEC * 1000;
      let killed = false;
      let stop = false;
      const sampler = (async () => {
        while (!stop) {
          fig.peakBytes = Math.max(fig.peakBytes, logDirBytes(x.logDir));
          fig.daemonRssMax = Math.max(fig.daemonRssMax, rssOf(daemonPid));
          const rp = relayPid();
          if (rp) fig.relayRssMax = Math.max(fig.relayRssMax, rssOf(rp));
          await sleep(20);
        }
      })();
      const rpc = (async () => {
        while (!stop) {
          if (killed) { await sleep(100); continue; }
          const c0 = performance.now();
          try {
            const c = await connectDaemon({ env: x.env, timeoutMs: 5000 });
            try { await c.call('engines.list', {}); } finally { c.close(); }
            fig.rpcMaxMs = Math.max(fig.rpcMaxMs, performance.now() - c0);
            fig.rpcCalls++;
          } catch { if (!killed) fig.rpcFailed++; }
          await sleep(100);
        }
      })();
      let searched = '';
      while (Date.now() < endAt) {
        const el = Date.now() - t0;
        if (fig.searchMs.length < 2 && el > FLOOD_SEC * 250 * (fig.searchMs.length + 1)) {
          const s0 = performance.now();
          const r = await sov(['engines', 'logs', 'flood', '--search', 'needle-7 ', '-n', '3'], x.env, 30_000);
          fig.searchMs.push(Math.round(performance.now() - s0));
          expect(r.code, r.stderr).toBe(0);
          searched = r.stdout;
        }
        if (!killed && el > FLOOD_SEC * 600) {
          // the daemon dies hard in the middle of the flood; a new one takes over
          killed = true;
          process.kill(daemonPid, 'SIGKILL');
          await sleep(300);
          expect(readStat(enginePid)?.state).not.toBe('Z');
          expect((await sov(['daemon', 'start'], x.env)).code).toBe(0);
          daemonPid = (await daemonInfo(x.env)).pid;
          killed = false;
        }
        await sleep(100);
      }
      stop = true;
      await Promise.all([sampler, rpc]);
      expect(searched).toMatch(/needle-7 z+/);
      const after = await engines(x.env);
      expect(after[0]!.pid).toBe(enginePid); // re-adopted, not started again
      expect(allStats().filter((s) => readEnviron(s.pid)?.get('SOV_ENGINE') === 'flood' && readEnviron(s.pid)?.get('SOV_TEST_RUN') === RUN)).toHaveLength(1);
      const relay = relayPid();
      expect(relay).toBeDefined();
      try { fig.written = (JSON.parse(readFileSync(join(x.logDir, '.flood.relay'), 'utf8').trim()) as { writtenBytes: number }).writtenBytes; } catch {}
      console.log(`[figures] flood ${label} ${FLOOD_SEC} s: peak log dir ${(fig.peakBytes / MiB).toFixed(2)} MiB (cap ${cap / MiB} MiB x ${keep + 1} = ${(cap * (keep + 1)) / MiB} MiB), written by the last relay ${(fig.written / MiB).toFixed(0)} MiB, RPC max ${fig.rpcMaxMs.toFixed(0)} ms over ${fig.rpcCalls} calls (${fig.rpcFailed} failed), daemon RSS max ${(fig.daemonRssMax / MiB).toFixed(1)} MiB, relay RSS max ${(fig.relayRssMax / MiB).toFixed(1)} MiB, search ${fig.searchMs.join(', ')} ms`);
      expect(fig.peakBytes).toBeGreaterThan(cap); // it really flooded past one file
      expect(fig.peakBytes).toBeLessThanOrEqual(cap * (keep + 1) + 64 * 1024 + 4096);
      expect(fig.rpcFailed).toBe(0);
      expect(fig.rpcMaxMs).toBeLessThan(1000);
      // stop reaches the engine and ends its relay
      const stopped = await sov(['engines', 'stop', 'flood'], x.env, 60_000);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(await gone([relay!], 5000), 'the relay outlived its engine').toEqual([]);
      await sov(['daemon', 'stop'], x.env);
    }, FLOOD_SEC * 1000 + 90_000);
  }
});

describe('a full disk (tmpfs of 8 MiB for the state and log dirs)', () => {
  it('the relay keeps the floor and counts what it dropped; a failed state write is shown and never reported as success; the daemon keeps serving', async () => {
    const x = xdg('full');
    mkdirSync(join(x.dir, 'state'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', join(x.dir, 'state')]);
    mounts.push(join(x.dir, 'state'));
    writeFileSync(x.config, `engines:
  - name: spew
    kind: process
    argv: ${JSON.stringify([process.execPath, floodScript(x.dir), '20', '600'])}
    autostart: true
    logs: { maxBytes: ${2 * MiB}, keep: 5 }
  - name: idle
    kind: process
    argv: ["sleep", "3600.${process.pid}"]
`);
    expect((await sov(['daemon', 'start'], x.env)).code).toBe(0);
    // 2 MiB x 6 does not fit in 8 MiB: the relay stops at the floor (5 % of the filesystem) and counts
    let spew: EngineStatus | undefined;
    for (let i = 0; i < 100; i++) {
      spew = (await engines(x.env)).find((e) => e.name === 'spew');
      if ((spew?.logDroppedBytes ?? 0) > 0) break;
      await sleep(200);
    }
    expect(spew?.logDroppedBytes).toBeGreaterThan(0);
    const df = execFileSync('df', ['-B1', '--output=avail', join(x.dir, 'state')], { encoding: 'utf8' }).split('\n')[1]!.trim();
    expect(Number(df)).toBeGreaterThanOrEqual(8 * MiB * 0.05 - 256 * 1024);
    const logs = await sov(['engines', 'logs', 'spew', '-n', '5'], x.env);
    expect(logs.code).toBe(0);
    expect(logs.stderr).toMatch(/the log relay dropped \d+ bytes of output: disk nearly full/);
    // now fill the disk to the last byte: the next state write fails
    try { execFileSync('dd', ['if=/dev/zero', `of=${join(x.stateDir, 'filler')}`, 'bs=64k'], { stdio: 'ignore' }); } catch {}
    // the engine crashes: the supervisor restarts it and records the new pid; that write fails
    process.kill(spew!.pid!, 'SIGKILL');
    let st = await sov(['daemon', 'status'], x.env);
    for (let i = 0; i < 50 && !/STATE NOT SAVED/.test(st.stdout); i++) { await sleep(200); st = await sov(['daemon', 'status'], x.env); }
    expect(st.code).toBe(0); // it keeps serving
    expect(st.stdout).toMatch(/STATE NOT SAVED: cannot write the engine state file .*engines\.json: .*ENOSPC/);
    const restarted = await until(async () => { const e = (await engines(x.env)).find((y) => y.name === 'spew'); return e?.pid !== undefined && e.pid !== spew!.pid ? e : undefined; });
    const stop = await sov(['daemon', 'stop'], x.env);
    expect(stop.code).toBe(EXIT.failed);
    expect(stop.stdout).not.toContain('will be re-adopted');
    expect(stop.stderr).toMatch(/the engine state was NOT saved: .*ENOSPC/);
    // room again: a new daemon still finds both engines (by their marker), and starts neither twice
    rmSync(join(x.stateDir, 'filler'));
    expect((await sov(['daemon', 'start'], x.env)).code).toBe(0);
    const list = await engines(x.env);
    expect(list.map((e) => [e.name, e.state === 'stopped' ? 'stopped' : 'running'])).toEqual([['spew', 'running'], ['idle', 'stopped']]);
    // the restarted engine was never recorded: found by its marker, the same process, one copy
    expect(list[0]!.pid).toBe(restarted.pid);
    expect(allStats().filter((s) => s.pid === s.pgid && readEnviron(s.pid)?.get('SOV_ENGINE') === 'spew' && readEnviron(s.pid)?.get('SOV_TEST_RUN') === RUN)).toHaveLength(1);
    await sov(['engines', 'stop', 'spew'], x.env, 30_000);
    await sov(['daemon', 'stop'], x.env);
  }, 120_000);
});

describe('a stopped daemon, an RPC bomb, a bad config', () => {
  it('SIGSTOP: `sov daemon status` says it gets no answer, within its timeout', async () => {
    const x = xdg('stopped');
    expect((await sov(['daemon', 'start'], x.env)).code).toBe(0);
    const pid = (await daemonInfo(x.env)).pid;
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = performance.now();
      const r = await sov(['daemon', 'status'], x.env, 30_000);
      const ms = performance.now() - t0;
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/no answer from the daemon within 5000 ms/);
      expect(ms).toBeLessThan(8000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect((await sov(['daemon', 'status'], x.env)).code).toBe(0);
    await sov(['daemon', 'stop'], x.env);
  }, 60_000);

  it('a 60-call batch of lines: 100000 on a 50 MB log, and 60 calls at once: refused or bounded; the daemon stays small and answers', async () => {
    const x = xdg('bomb');
    writeFileSync(x.config, `engines:\n  - name: big\n    kind: process\n    argv: ["sleep", "1"]\n    logs: { maxBytes: ${64 * MiB}, keep: 1 }\n`);
    mkdirSync(x.logDir, { recursive: true });
    writeFileSync(join(x.logDir, 'big.log'), ('w'.repeat(499) + '\n').repeat(100_000));
    expect((await sov(['daemon', 'start'], x.env)).code).toBe(0);
    const pid = (await daemonInfo(x.env)).pid;
    const rss0 = rssOf(pid);
    const sockPath = join(x.dir, 'run', 'sov', 'sovd.sock');
    const ask = (payload: string) => new Promise<string>((resolve, reject) => {
      const s = connect(sockPath);
      let buf = '';
      s.on('data', (d) => { buf += d.toString(); if (buf.endsWith('\n')) { s.end(); resolve(buf); } });
      s.on('error', reject);
      s.write(payload + '\n');
      setTimeout(() => { s.destroy(); reject(new Error('no answer in 30 s')); }, 30_000).unref();
    });
    let peak = rss0;
    const sampler = setInterval(() => { peak = Math.max(peak, rssOf(pid)); }, 10);
    const batch = JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'engines.logs', params: { name: 'big', lines: 100_000 } })));
    expect(batch.length).toBeLessThan(7000);
    expect(JSON.parse(await ask(batch))).toMatchObject({ error: { code: -32600 } });
    const one = JSON.parse(await ask(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'engines.logs', params: { name: 'big', lines: 100_000 } }))) as { error?: { code: number } };
    expect(one.error?.code).toBe(-32602);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'engines.logs', params: { name: 'big', lines: 10_000 } }))));
    clearInterval(sampler);
    let busy = 0;
    for (const a of answers) {
      const r = JSON.parse(a) as { result?: { lines: string[] }; error?: { code: number; message: string } };
      if (r.error) { expect(r.error).toMatchObject({ code: 429, message: expect.stringMatching(/log reads are already waiting; retry/) }); busy++; continue; }
      expect(r.result!.lines.length).toBeLessThanOrEqual(10_000);
    }
    expect(busy).toBeGreaterThan(0);
    expect(busy).toBeLessThan(60);
    console.log(`[figures] RPC bomb: daemon RSS ${(rss0 / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB during 60 concurrent 10000-line calls on a 50 MB log (${busy} told to retry)`);
    expect(peak - rss0).toBeLessThan(64 * MiB);
    expect((await sov(['daemon', 'status'], x.env)).code).toBe(0);
    await sov(['daemon', 'stop'], x.env);
  }, 90_000);

  it('an alias bomb: exit 7 with a clear message; the daemon still starts and serves status with the config refused', async () => {
    const x = xdg('alias');
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    writeFileSync(x.config, bomb.join('\n') + '\n');
    const t0 = performance.now();
    const ls = await sov(['engines', 'ls'], x.env, 30_000);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(ls.code).toBe(EXIT.badConfig);
    expect(ls.stderr).toMatch(/Excessive alias count/);
    expect(ls.stderr).not.toMatch(/\n\s+at /);
    const start = await sov(['daemon', 'start'], x.env);
    expect(start.code).toBe(EXIT.badConfig);
    const st = await sov(['daemon', 'status'], x.env);
    expect(st.code).toBe(EXIT.badConfig);
    expect(st.stdout).toMatch(/running, pid \d+/);
    expect(st.stdout).toContain('(REFUSED)');
    await sov(['daemon', 'stop'], x.env);
  }, 60_000);

  it('a dangling config symlink: an error naming the target, not "no engines"', async () => {
    const x = xdg('dangle');
    symlinkSync(join(x.dir, 'nowhere.yaml'), x.config);
    const r = await sov(['engines', 'ls'], x.env, 30_000);
    expect(r.code).toBe(EXIT.badConfig);
    expect(r.stderr).toContain(`a symlink to ${join(x.dir, 'nowhere.yaml')}, which does not exist`);
  }, 30_000);
});
