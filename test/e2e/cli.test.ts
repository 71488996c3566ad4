import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { statusSchema } from '../../src/cli/schema.js';
import { barePath, SOV } from './tmux.js';

const run = promisify(execFile);
async function sov(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [SOV, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('sov status (headless, built binary)', () => {
  it('--demo --json prints one document that matches the public contract', async () => {
    const r = await sov(['status', '--demo', '--json', '--require', 'nvidia,numa,system,zfs']);
    expect(r.code).toBe(0);
    const doc = statusSchema.parse(JSON.parse(r.stdout));
    const s = doc.samples;
    expect(Object.keys(JSON.parse(r.stdout).samples).sort()).toEqual(['numa', 'nvidia', 'system', 'vms', 'zfs']);
    expect(s.nvidia.state === 'ok' && s.nvidia.data.gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(s.numa.state === 'ok' && s.numa.data.nodes).toHaveLength(4);
    expect(s.system.state === 'ok' && s.system.data.cpu.utilPct).toBeGreaterThan(0);
    const pools = s.zfs.state === 'ok' ? s.zfs.data.pools : [];
    expect(pools.map((p) => p.name).sort()).toEqual(['ember', 'rpool']);
    const ember = pools.find((p) => p.name === 'ember')!;
    expect(ember.scan).toMatchObject({ kind: 'resilver', state: 'running' });
    expect(ember.vdevs.filter((v) => v.kind === 'raidz2')).toHaveLength(2);
  });

  it('the human summary names each source', async () => {
    const r = await sov(['status', '--demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ nvidia\s+2 GPUs/);
    expect(r.stdout).toMatch(/ember DEGRADED/);
  });

  it('exit 2 when a required source is not ok, with the reason in the document', async () => {
    const r = await sov(['status', '--json', '--require', 'nvidia'], { PATH: barePath() });
    expect(r.code).toBe(2);
    const doc = statusSchema.parse(JSON.parse(r.stdout));
    expect(doc.samples.nvidia).toMatchObject({ state: 'unavailable', reason: expect.stringMatching(/nvidia-smi not found/) });
    expect(doc.samples.system.state).toBe('ok');
  });

  it('bad arguments exit 2 with usage', async () => {
    const r = await sov(['status', '--require', 'gpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown source "gpu"');
  });

  it('without a terminal the cockpit refuses and points at status', async () => {
    const r = await sov(['--demo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sov status');
  });
});

describe('sov do (headless actions, built binary)', () => {
  it('--list --json lists the actions; an unknown one exits 2; --dry-run starts no daemon', async () => {
    const dir = mkdtempSync('/tmp/sovdo-');
    try {
      const env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config'), SOV_RUNTIME_DIR: '', SOV_STATE_DIR: '' };
      mkdirSync(join(dir, 'run'), { mode: 0o700 });
      mkdirSync(join(dir, 'config', 'sov'), { recursive: true });
      writeFileSync(join(dir, 'config', 'sov', 'config.yaml'), 'engines:\n  - { name: llama, kind: process, argv: [/usr/bin/llama-server, --port, "8080"] }\n');
      const list = await sov(['do', '--list', '--json'], env);
      expect(list.code).toBe(0);
      expect((JSON.parse(list.stdout) as { id: string }[]).map((a) => a.id)).toContain('engine.restart');
      const bad = await sov(['do', 'engine.nope'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/known actions: engine\.start/);
      const dry = await sov(['do', 'engine.start', '--arg', 'name=llama', '--dry-run'], env);
      expect(dry.code).toBe(0);
      expect(dry.stdout.trim()).toBe('start llama: `/usr/bin/llama-server --port 8080`');
      expect(existsSync(join(dir, 'run', 'sov', 'sovd.sock'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
