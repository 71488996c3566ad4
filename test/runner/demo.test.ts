import { describe, expect, it } from 'vitest';
import { createDemoRunner, fillTemplate, mergeDemoScripts } from '../../src/runner/demo.js';
import type { DemoScript } from '../../src/demo/types.js';

const script: DemoScript = {
  commands: [{ argv: ['tool', '-x'], stdout: 'value={{a}}\n' }],
  streams: [{ argv: ['mon'], lines: 'l1 {{a}}\nl2', intervalMs: 1000 }],
  files: [{ path: '/proc/x', content: 'f {{a}} {{missing}}' }],
  dirs: [{ path: '/d', entries: ['a', 'b'] }],
  vars: (t) => ({ a: Math.floor(t) }),
};

describe('demo runner', () => {
  it('fills templates from the demo clock', async () => {
    let now = 1000;
    const r = createDemoRunner(script, { clock: () => now, speed: 2 });
    expect((await r.run(['tool', '-x'])).stdout).toBe('value=0\n');
    now += 5000;
    expect((await r.run(['tool', '-x'])).stdout).toBe('value=10\n');
    expect(await r.readFile('/proc/x')).toBe('f 10 {{missing}}');
    expect(await r.readFile('/nope')).toBeUndefined();
    expect(await r.listDir('/d')).toEqual(['a', 'b']);
    expect(r.now()).toBe(1000 + 10_000);
  });
  it('answers an unknown command loudly', async () => {
    const r = createDemoRunner(script);
    const res = await r.run(['tool', '-y']);
    expect(res.exitCode).toBe(127);
    expect(res.stderr).toContain('no recorded output for tool -y');
  });
  it('streams lines and stops', async () => {
    const r = createDemoRunner(script);
    const lines: string[] = [];
    const h = r.stream(['mon'], { onLine: (l) => lines.push(l), onExit: () => {} });
    await new Promise((res) => setTimeout(res, 20));
    h.stop();
    expect(lines).toEqual(['l1 0', 'l2']);
  });
  it('merges scripts', () => {
    const m = mergeDemoScripts(script, { ...script, vars: () => ({ b: 1 }) });
    expect(m.commands).toHaveLength(2);
    expect(m.vars(3)).toEqual({ a: 3, b: 1 });
    expect(fillTemplate('{{a}}-{{b}}', { a: 1 })).toBe('1-{{b}}');
  });
  it('a merged box computes only the values of the part a template belongs to; one naming another part\'s value still fills', async () => {
    const calls = { gpu: 0, host: 0 };
    const gpu: DemoScript = { commands: [{ argv: ['smi'], stdout: 'util {{gpu_util}}' }], streams: [], files: [], dirs: [], vars: () => { calls.gpu++; return { gpu_util: 42 }; } };
    const host: DemoScript = {
      commands: [], streams: [], dirs: [],
      files: [{ path: '/proc/loadavg', content: 'load {{sys_load}}' }, { path: '/proc/both', content: '{{sys_load}} {{gpu_util}}' }],
      vars: () => { calls.host++; return { sys_load: 1.5 }; },
    };
    let now = 1000;
    const r = createDemoRunner(mergeDemoScripts(gpu, host), { clock: () => now });
    expect(await r.readFile('/proc/loadavg')).toBe('load 1.5');
    expect(calls).toEqual({ gpu: 0, host: 1 });
    expect((await r.run(['smi'])).stdout).toBe('util 42');
    expect(calls).toEqual({ gpu: 1, host: 1 });
    // the same demo-time step: nothing computed again
    await r.readFile('/proc/loadavg');
    await r.run(['smi']);
    expect(calls).toEqual({ gpu: 1, host: 1 });
    // a template of the host part that names a GPU value: filled from the whole box, not left as {{gpu_util}}
    expect(await r.readFile('/proc/both')).toBe('1.5 42');
    now += 1000;
    expect(await r.readFile('/proc/loadavg')).toBe('load 1.5');
    expect(calls.gpu).toBe(2);
    expect(calls.host).toBe(3);
  });
  it('a thunk value is rendered only when a template names it, once per demo-time step', async () => {
    let renders = 0;
    let now = 1000;
    const lazy: DemoScript = {
      ...script,
      commands: [...script.commands, { argv: ['big'], stdout: '{{big}}|{{big}}' }],
      vars: (t) => ({ a: Math.floor(t), big: () => { renders++; return `table@${Math.floor(t)}`; } }),
    };
    const r = createDemoRunner(lazy, { clock: () => now });
    await r.run(['tool', '-x']);
    await r.readFile('/proc/x');
    expect(renders).toBe(0);
    expect((await r.run(['big'])).stdout).toBe('table@0|table@0');
    await r.run(['big']);
    expect(renders).toBe(1);
    now += 2000;
    expect((await r.run(['big'])).stdout).toBe('table@2|table@2');
    expect(renders).toBe(2);
  });
});
