/**
 * Remote hosts over SSH, agentless, with real parts: a real sshd on 127.0.0.1 (test/helpers/sshd.ts: throwaway
 * keys, its own known_hosts, host-key checking on) whose session PATH serves recorded nvidia-smi and zpool outputs
 * (shims that fail loudly on any argv they do not know; the runner puts their dir first on the remote PATH only
 * because SOV_SSH_REMOTE_PATH_PREFIX says so). The built `sov` reaches it through the user's `ssh` and config.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamArgv } from '../../backends/nvidia/source.js';
import { ZPOOL_LIST_FUSE, ZPOOL_LIST_OPENZFS, ZPOOL_STATUS } from '../../backends/zfs/source.js';
import { haveSamples, repoRoot, samplesDir } from '../helpers/samples.js';
import { freePort } from '../helpers/proc.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';
import { SOV, Tmux } from './tmux.js';

const run = promisify(execFile);
const NV = join(repoRoot, 'fixtures', 'nvidia', 'h100-real');
const ZFS = haveSamples ? join(samplesDir, 'zfs') : undefined;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** the remote box's tools: exact argv → recorded output; anything else fails loudly (exit 99) */
function writeShims(dir: string, zfs: string): void {
  mkdirSync(dir);
  const unknown = (tool: string) => `*) echo "${tool} shim: unknown argv: $*" >&2; exit 99;;`;
  writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh
case "$*" in
  ${q(['-q', '-x'].join(' '))}) cat ${q(join(NV, 'q-x-load.xml'))};;
  ${q(streamArgv(0).slice(1).join(' '))}) while :; do while IFS= read -r l; do echo "$l"; sleep 0.5; done < ${q(join(NV, 'query-gpu-lms500-load.csv'))}; done;;
  ${unknown('nvidia-smi')}
esac
`, { mode: 0o755 });
  // zfs-fuse's dialect: -p is refused as the real one refuses it; the -o selection is the recorded list's first 7 columns
  writeFileSync(join(dir, 'zpool'), `#!/bin/sh
case "$*" in
  ${q(ZPOOL_LIST_OPENZFS.slice(1).join(' '))}) echo "invalid option 'p'" >&2; echo "usage:" >&2; exit 2;;
  ${q(ZPOOL_LIST_FUSE.slice(1).join(' '))}) cut -f1-7 ${q(join(zfs, 'zfsfuse-healthy-zpool-list-H.txt'))};;
  ${q(ZPOOL_STATUS.slice(1).join(' '))}) cat ${q(join(zfs, 'zfsfuse-healthy-zpool-status.txt'))};;
  'clear tank') echo "$*" >> ${q(join(dir, 'zpool-actions.log'))};;
  ${unknown('zpool')}
esac
`, { mode: 0o755 });
}

/** sshd's accepted connections so far (each is one SSH handshake) */
const accepted = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => /Accepted publickey/.test(l)).length : 0);

const ready = haveSshd() && ZFS !== undefined && existsSync(SOV);

describe.runIf(ready)('remote hosts over SSH (real sshd on loopback)', () => {
  let sshd: Sshd;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    // this machine's root ~/.bashrc runs `pyenv init` (~3 s a shell on the shared box), and bash sources it for every
    // command sshd runs; SHLVL=1 makes bash skip it, as a box with a plain ~/.bashrc would be
    sshd = await startSshd('remotebox', { serverConfig: ['SetEnv SHLVL=1'] });
    dir = mkdtempSync(join(tmpdir(), 'sov-hosts-'));
    writeShims(join(dir, 'remote-bin'), ZFS!);
    mkdirSync(join(dir, 'rt'), { mode: 0o700 });
    writeFileSync(join(dir, 'config.yaml'), 'hosts:\n  - name: box\n    ssh: remotebox\n');
    env = {
      PATH: `${sshd.shimDir}:${process.env.PATH}`, SOV_RUNTIME_DIR: join(dir, 'rt'), SOV_SSH_REMOTE_PATH_PREFIX: join(dir, 'remote-bin'),
      XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'cfg'),
    };
  });
  afterAll(() => {
    // the SSH master (its own session) ends with the connection; sshd and its sessions by pid
    try { execFileSync('ssh', ['-o', `ControlPath=${join(dir, 'rt')}/ssh-%C`, '-O', 'exit', 'remotebox'], { env: { ...process.env, ...env }, stdio: 'ignore' }); } catch {}
    sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function sov(args: string[]) {
    try {
      const r = await run(process.execPath, [SOV, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) { const x = e as { code: number; stdout: string; stderr: string }; return { code: x.code, stdout: x.stdout, stderr: x.stderr }; }
  }

  it('sov status --host box --json: the recorded GPU and pools, read over ssh; --all-hosts has this machine and box', async () => {
    const r = await sov(['status', '--config', join(dir, 'config.yaml'), '--host', 'box', '--json', '--require', 'nvidia,zfs,system']);
    const doc = JSON.parse(r.stdout);
    const notOk = Object.entries(doc.samples as Record<string, { state: string }>).filter(([k, v]) => k !== 'vms' && k !== 'numa' && v.state !== 'ok');
    expect(notOk).toEqual([]);
    expect(r.code).toBe(0);
    expect(doc.samples.vms).toMatchObject({ state: 'unavailable', reason: expect.stringMatching(/not sampled over SSH/) });
    expect(doc).toMatchObject({ schema: 1, host: 'box' });
    const gpus = doc.samples.nvidia.data.gpus;
    expect(gpus.map((g: { index: number; name: string; uuid: string }) => [g.index, g.name, g.uuid])).toEqual([[0, 'NVIDIA H100 80GB HBM3', 'GPU-03b86e88-bd3e-dc1b-80ce-759ff65be7f7']]);
    expect(gpus[0].utilPct).toBe(100);
    const pools = doc.samples.zfs.data.pools as { name: string; health: string }[];
    expect(doc.samples.zfs.data.dialect).toBe('zfs-fuse');
    expect(pools.map((p) => [p.name, p.health]).sort()).toEqual([['bulk', 'ONLINE'], ['tank', 'ONLINE']]);
    expect(doc.samples.system.data.cpu.cores.length).toBeGreaterThan(0);

    const all = await sov(['status', '--config', join(dir, 'config.yaml'), '--all-hosts', '--json']);
    expect(all.code).toBe(0);
    const docs = JSON.parse(all.stdout);
    expect(docs.schema).toBe(1);
    expect(docs.hosts.map((h: { host: string }) => h.host).slice(1)).toEqual(['box']);
    expect(docs.hosts[1].samples.nvidia.data.gpus[0].name).toBe('NVIDIA H100 80GB HBM3');
    // this machine has no nvidia-smi: its own document says so, the remote one is not affected
    expect(docs.hosts[0].samples.nvidia.state).toBe('unavailable');
    // the remote box is this machine: NUMA reads the same there as here (ok, or unavailable with the same reason)
    expect(docs.hosts[1].samples.numa.state).toBe(docs.hosts[0].samples.numa.state);
    expect(docs.hosts[1].samples.numa.reason).toBe(docs.hosts[0].samples.numa.reason);
  }, 60_000);

  it('the cockpit: H shows the remote host over ONE handshake for its ticks; sshd killed → reconnecting with the data kept; sshd back → live again, no key pressed', async () => {
    const t = new Tmux().start(120, 40, env);
    try {
      const before = accepted(sshd.log);
      // the environment on the command line: the pane's shell may reset PATH
      t.typeLine(`env ${Object.entries(env).map(([k, v]) => `${k}=${q(v)}`).join(' ')} ${process.execPath} ${SOV} --config ${join(dir, 'config.yaml')}`);
      await t.waitFor(/^sov /m, 20_000);
      t.keys('H');
      const first = await t.waitFor((x) => /^sov box /m.test(x) && x.includes('H100'), 30_000);
      expect(first).toMatch(/NVIDIA H100|H100 80GB/);
      // a minute of ticks (SOV_E2E_SSH_TICKS_S shortens it), every one through the same master
      const ticksS = Number(process.env.SOV_E2E_SSH_TICKS_S ?? 60);
      await new Promise((r) => setTimeout(r, ticksS * 1000));
      expect(t.screen()).toMatch(/^sov box /m);
      expect(accepted(sshd.log) - before).toBe(1);

      // sshd and the sessions it forked die: the master's connection drops with them
      await sshd.down();
      const lost = await t.waitFor(/reconnecting/, 40_000);
      expect(lost).toMatch(/H100/); // the last good data stays on screen (dimmed, with its age)
      expect(lost).toMatch(/data \S+ old/);
      // the fleet overview names both hosts, this one reconnecting
      t.keys('W');
      const fleet = await t.waitFor(/Fleet · 2 hosts/, 10_000);
      expect(fleet).toMatch(/› box\s+reconnecting/);
      t.keys('W');

      // the same sshd again (same port, keys and config), started by this test and ended by its pid
      await sshd.up();
      const back = await t.waitFor((x) => !x.includes('reconnecting') && /^sov box /m.test(x) && x.includes('H100'), 60_000);
      expect(back).not.toMatch(/reconnecting/);
      t.keys('q');
      // quitting ends the master now, not ControlPersist seconds later
      await t.waitFor(/^[#$] ?$/m, 15_000);
      const check = () => { try { execFileSync('ssh', ['-o', `ControlPath=${join(dir, 'rt')}/ssh-%C`, '-O', 'check', 'remotebox'], { env: { ...process.env, ...env }, stdio: 'ignore' }); return true; } catch { return false; } };
      expect(check()).toBe(false);
    } finally {
      t.kill();
      // the later tests need sshd: up again whatever happened above
      if (sshd.pid() === undefined) await sshd.up();
    }
  }, 180_000);

  it('an unknown host is refused with the known names; an unreachable one says why in each source', async () => {
    const r = await sov(['status', '--config', join(dir, 'config.yaml'), '--host', 'nope', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no host named "nope" \(known: .*box/);
    writeFileSync(join(dir, 'down.yaml'), 'hosts:\n  - name: down\n    ssh: { host: 127.0.0.1, port: 1 }\n');
    const d = await sov(['status', '--config', join(dir, 'down.yaml'), '--host', 'down', '--json']);
    const doc = JSON.parse(d.stdout);
    expect(doc.samples.zfs.state).toBe('error');
    expect(doc.samples.zfs.message).toMatch(/ssh down: .*(refused|Connection)/i);
  }, 60_000);

  it('sov exporter with hosts: sov_host_up{host="box"} 1 over the SSH master; sshd down → 0; back → 1, no restart of the exporter', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'exp.yaml'), `hosts:\n  - name: box\n    ssh: remotebox\n    timeoutSec: 2\nexporter:\n  listen: 127.0.0.1:${port}\n  hostCheckSec: 0.5\n`);
    const x = spawn(process.execPath, [SOV, 'exporter', '--config', join(dir, 'exp.yaml')], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const upIs = async (v: 0 | 1, ms: number) => {
      const end = Date.now() + ms;
      let text = '';
      while (Date.now() < end) {
        text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => '');
        if (text.includes(`sov_host_up{host="box"} ${v}`)) return text;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`sov_host_up{host="box"} never became ${v}; last scrape:\n${text.split('\n').filter((l) => l.includes('sov_host')).join('\n')}`);
    };
    try {
      const up = await upIs(1, 20_000);
      expect(up).toMatch(/^sov_host_check_duration_seconds\{host="box"\} [\d.e-]+$/m);
      await sshd.down();
      await upIs(0, 20_000);
      await sshd.up();
      await upIs(1, 30_000);
      expect(x.exitCode).toBeNull();
    } finally {
      if (sshd.pid() === undefined) await sshd.up();
      const exited = new Promise((r) => (x.exitCode !== null || x.signalCode !== null ? r(undefined) : x.once('exit', r)));
      x.kill('SIGTERM');
      await exited;
    }
  }, 90_000);

  it('sov do zfs.clear --host box: runs `zpool clear tank` on the remote box over SSH (its postcondition read there too); the audit log here names box', async () => {
    const cfg = join(dir, 'config.yaml');
    try {
      const r = await sov(['do', 'zfs.clear', '--arg', 'pool=tank', '--host', 'box', '--config', cfg, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { outcome: string; post: { name: string; state: string }[] };
      expect(doc.outcome).toBe('ok');
      expect(doc.post.length).toBeGreaterThan(0);
      expect(doc.post.every((c) => c.state === 'pass')).toBe(true);
      // the shim on the remote side's PATH ran it, once
      expect(readFileSync(join(dir, 'remote-bin', 'zpool-actions.log'), 'utf8')).toBe('clear tank\n');
      const audit = readFileSync(join(dir, 'state', 'sov', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; action?: string; host?: string });
      expect(audit.find((e) => e.kind === 'begin')).toMatchObject({ action: 'zfs.clear', host: 'box' });
      // an action that needs this machine is refused before anything runs
      const eng = await sov(['do', 'engine.stop', '--arg', 'name=x', '--host', 'box', '--config', cfg]);
      expect(eng.code).toBe(2);
      expect(eng.stderr).toMatch(/acts on this machine .* only/);
    } finally {
      // the daemon this test's sov do started (it keeps the audit log)
      await sov(['daemon', 'stop', '--config', cfg]);
    }
  }, 60_000);
});

describe.runIf(existsSync(SOV))('the demo fleet (sov --demo)', () => {
  it('three hosts: H goes to the ZFS server (its resilver) and the forge VPS (no GPU, no ZFS); W shows all three', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sov-fleet-'));
    const t = new Tmux().start(120, 40);
    try {
      t.typeLine(`env XDG_STATE_HOME=${q(join(dir, 'state'))} SOV_RUNTIME_DIR=${q(join(dir, 'rt'))} ${process.execPath} ${SOV} --demo`);
      await t.waitFor(/^sov omni \(demo\)/m, 20_000);
      t.keys('H');
      await t.waitFor(/^sov vault \(demo\)/m, 10_000);
      t.keys('3');
      await t.waitFor((x) => /^sov vault \(demo\)/m.test(x) && /resilver/i.test(x) && /ember/.test(x), 15_000);
      t.keys('H', '1');
      const forge = await t.waitFor((x) => /^sov forge \(demo\)/m.test(x) && x.includes('nvidia-smi not found') && x.includes('zpool not found'), 15_000);
      expect(forge).toMatch(/forge/);
      t.keys('W');
      const fleet = await t.waitFor(/Fleet · 3 hosts/, 10_000);
      expect(fleet).toMatch(/omni \(demo\)\s+up\s+2 ·/);
      expect(fleet).toMatch(/vault \(demo\)\s+up\s+none\s+DEGRADED/);
      expect(fleet).toMatch(/› forge \(demo\)\s+up\s+none\s+none/);
      t.keys('W', 'q');
    } finally {
      t.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
