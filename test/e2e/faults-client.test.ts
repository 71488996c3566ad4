// Fault injection, the client side (issue 7): hanging tools, a provider that never stops, a provider that echoes
// the key, a full disk. Everything runs on loopback or in temp dirs; the test ends only what it started, by pid.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS_DEADLINE_MS } from '../../src/cli/status.js';
import { cleanup, endless } from '../chat/helpers.js';
import { isAlive, readCmdline } from '../../src/daemon/procfs.js';
import { gone } from '../helpers/proc.js';
import { SOV, Tmux } from './tmux.js';

const dirs: string[] = [];
const started: number[] = [];
const mounts: string[] = [];
/** the hanging shims' pid files: what they and their `sleep 1000` children wrote, ended even when a test failed */
const shimPidFiles: string[] = [];
const shimPids = (file: string): number[] => (existsSync(file) ? readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number) : []);
afterEach(async () => {
  for (const p of started.splice(0)) { try { process.kill(p, 'SIGKILL'); } catch {} }
  // only while that pid is still a shim or its sleep (pid reuse): never anything this file did not start
  for (const f of shimPidFiles.splice(0)) {
    for (const p of shimPids(f)) {
      const argv = readCmdline(p)?.join(' ') ?? '';
      if (isAlive(p) && (argv === '/bin/sleep 1000' || argv.startsWith('/bin/sh ' + join(f, '..')))) { try { process.kill(p, 'SIGKILL'); } catch {} }
    }
  }
  for (const m of mounts.splice(0)) spawnSync('umount', [m]);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  await cleanup();
});

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/**
 * A PATH holding `node` and hanging nvidia-smi and zpool shims: each writes its own pid and its background
 * child's to `pids`, prints a partial line, and then (`hang`) never exits, or exits at once leaving the child
 * holding stdout open.
 */
function hangingPath(hang: boolean): { path: string; pids: () => number[] } {
  const d = tmp('sov-hang-');
  symlinkSync(process.execPath, join(d, 'node'));
  const pidFile = join(d, 'pids');
  shimPidFiles.push(pidFile);
  for (const tool of ['nvidia-smi', 'zpool']) {
    writeFileSync(join(d, tool), `#!/bin/sh\n/bin/sleep 1000 &\necho "$! $$" >> ${pidFile}\necho partial\n${hang ? 'exec /bin/sleep 1000\n' : ''}`);
    chmodSync(join(d, tool), 0o755);
  }
  return { path: d, pids: () => shimPids(pidFile) };
}

/** `sov status --json` on this PATH; `signalWhen`: SIGTERM it once that holds (polled) */
function runStatus(path: string, signalWhen?: () => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number; stdout: string; signalledAtMs?: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [SOV, 'status', '--json'], { env: { PATH: path, HOME: tmp('sov-home-') }, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child.pid!);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    let signalledAtMs: number | undefined;
    const poll = signalWhen && setInterval(() => {
      if (signalledAtMs === undefined && signalWhen()) { signalledAtMs = performance.now() - t0; child.kill('SIGTERM'); }
    }, 50);
    child.on('exit', (code, signal) => {
      if (poll) clearInterval(poll);
      resolve({ code, signal, elapsedMs: performance.now() - t0, stdout, ...(signalledAtMs !== undefined ? { signalledAtMs } : {}) });
    });
  });
}


describe('sov status with tools that hang', () => {
  it('a tool whose child keeps stdout open: status answers at once and leaves nothing behind', async () => {
    const h = hangingPath(false);
    const r = await runStatus(h.path);
    expect(r.code).toBe(0);
    expect(r.elapsedMs).toBeLessThan(10_000);
    expect(JSON.parse(r.stdout).schema).toBe(1);
    expect(h.pids().length).toBeGreaterThanOrEqual(4);
    expect(await gone(h.pids())).toEqual([]);
  }, 30_000);

  it('a tool that never answers: status exits by its deadline, says how long it waited, and leaves nothing behind', async () => {
    const h = hangingPath(true);
    const r = await runStatus(h.path);
    expect(r.code).toBe(0);
    expect(r.elapsedMs).toBeLessThan(STATUS_DEADLINE_MS + 6000); // Node's start on a busy machine included
    const doc = JSON.parse(r.stdout) as { samples: Record<string, { state: string; message?: string }> };
    const msg = doc.samples.nvidia!.message ?? '';
    const waited = Number(/no answer within ([\d.]+) s/.exec(msg)?.[1]);
    expect(waited).toBeGreaterThan(STATUS_DEADLINE_MS / 1000 - 3);
    expect(waited).toBeLessThanOrEqual(r.elapsedMs / 1000);
    expect(doc.samples.zfs!.state).toBe('error');
    expect(await gone(h.pids())).toEqual([]);
  }, 40_000);

  it('SIGTERM while the tools hang: status ends (143) and takes their process groups with it', async () => {
    const h = hangingPath(true);
    // once both tools run (so sov is sampling, its guards in place), well before the deadline
    const r = await runStatus(h.path, () => h.pids().length >= 4);
    expect(r.signalledAtMs).toBeDefined();
    expect(r.code).toBe(143);
    expect(r.elapsedMs - r.signalledAtMs!).toBeLessThan(3000);
    expect(h.pids().length).toBeGreaterThanOrEqual(2);
    expect(await gone(h.pids())).toEqual([]);
  }, 30_000);
});

describe('the cockpit with a tool that hangs', () => {
  it('quitting with q leaves no orphan', async () => {
    const h = hangingPath(true);
    const t = new Tmux().start(120, 40);
    try {
      t.typeLine(`PATH=${h.path} HOME=${tmp('sov-home-')} ${process.execPath} ${SOV}`);
      await t.waitFor(() => h.pids().length >= 2, 20_000);
      t.keys('q');
      await t.waitFor(() => !t.alternateOn(), 10_000);
      expect(await gone(h.pids(), 5000)).toEqual([]);
    } finally { t.kill(); }
  }, 60_000);
});

/** Peak RSS (VmHWM) of a running child, polled until it exits. */
function runChat(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; peakRssKb: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SOV, 'chat', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child.pid!);
    let stdout = '';
    let stderr = '';
    let peakRssKb = 0;
    const poll = setInterval(() => {
      try { peakRssKb = Math.max(peakRssKb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0)); } catch {}
    }, 50);
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('exit', (code) => { clearInterval(poll); resolve({ code, stdout, stderr, peakRssKb }); });
  });
}

function chatEnv(dir: string, stateHome: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, XDG_STATE_HOME: stateHome, XDG_CONFIG_HOME: join(dir, 'cfg'), SOV_API_KEY: 'sk-e2e-secret-0123456789' };
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n');

describe('sov chat against a provider that never stops', () => {
  it('the reply stops at the bound with a marker, RSS stays bounded, lines are bounded; --list and --resume work after', async () => {
    const p = await endless(8192);
    const dir = tmp('sov-chat-');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'chat:\n  maxReplyBytes: 8388608\n');
    const env = chatEnv(dir, join(dir, 'state'));
    const r = await runChat(['--base-url', `${p.url}/v1`, '--config', config, 'never stop'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[truncated: the reply reached 8 MiB, the bound set by chat.maxReplyBytes\]\n$/);
    expect(r.stdout.length).toBeGreaterThan(8_000_000);
    console.log(`sov chat, endless provider, 8 MiB bound: peak RSS ${Math.round(r.peakRssKb / 1024)} MB`);
    expect(r.peakRssKb).toBeLessThan(250 * 1024);
    const chats = join(dir, 'state', 'sov', 'chats');
    const file = readdirSync(chats).find((f) => f.endsWith('.jsonl'))!;
    expect(Math.max(...lines(join(chats, file)).map((l) => Buffer.byteLength(l)))).toBeLessThan(256 * 1024);
    const list = await runChat(['--list', '--json'], env);
    expect(JSON.parse(list.stdout).conversations).toMatchObject([{ title: 'never stop', messages: 2, partials: 1, damaged: false }]);
    const resume = await runChat(['--resume', '--json'], env);
    const conv = JSON.parse(resume.stdout) as { messages: { role: string; text: string; truncated?: boolean }[] };
    expect(conv.messages[0]).toMatchObject({ role: 'user', text: 'never stop' });
    expect(conv.messages[1]).toMatchObject({ role: 'assistant', truncated: true });
    expect(Buffer.byteLength(conv.messages[1]!.text)).toBe(8 * 1024 * 1024);
  }, 120_000);

  it('a full disk: the transcript keeps what fit and says so; no line is left torn; --list still works', async () => {
    const dir = tmp('sov-full-');
    const state = join(dir, 'state');
    mkdirSync(state);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', state]);
    expect(m.status, `mounting a 2 MB tmpfs is needed here: ${String(m.stderr)}`).toBe(0);
    mounts.push(state);
    const p = await endless(8192);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'chat:\n  maxReplyBytes: 6291456\n');
    const env = chatEnv(dir, state);
    const r = await runChat(['--base-url', `${p.url}/v1`, '--config', config, 'fill the disk'], env);
    expect(r.code).toBe(0); // the answer still reached the terminal
    expect(r.stderr).toMatch(/writing the transcript failed: the disk is full \(ENOSPC\)/);
    expect(r.stderr.match(/writing the transcript failed/g)).toHaveLength(1);
    const chats = join(state, 'sov', 'chats');
    const file = join(chats, readdirSync(chats).find((f) => f.endsWith('.jsonl'))!);
    const all = lines(file);
    expect(all.pop()).toBe(''); // ends with a newline: nothing torn
    for (const l of all) expect(() => JSON.parse(l)).not.toThrow();
    expect(all.some((l) => l.includes('"user"') && l.includes('fill the disk'))).toBe(true);
    const list = await runChat(['--list', '--json'], env);
    expect(JSON.parse(list.stdout).conversations[0]).toMatchObject({ title: 'fill the disk' });
    const resume = await runChat(['--resume'], env);
    expect(resume.code).toBe(0);
    expect(resume.stderr + resume.stdout).toMatch(/the disk is full/);
  }, 120_000);
});
