import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { hostLink } from '../../src/hosts/link.js';
import { withMissing } from '../../src/hosts/missing.js';
import { findHost, hostRunners, REMOTE_SKIPPED, REMOTE_SOURCES, runnerFor } from '../../src/hosts/runner.js';
import { createLocalRunner } from '../../src/runner/local.js';
import { startFleet, type Fleet } from '../../src/hosts/fleet.js';
import { createAppStore, newHost } from '../../src/store/store.js';
import { nextSample } from '../../src/store/sample.js';
import { FakeRunner } from '../helpers/fake-runner.js';

describe('hosts: in the config', () => {
  it('takes an alias or host/port/user/identity, refuses "local", bad names, duplicates and unknown keys', () => {
    const ok = configSchema.safeParse({ hosts: [{ name: 'cloudlab', ssh: 'cloudlab' }, { name: 'forge', ssh: { host: '100.64.0.7', port: 2222, user: 'ops', identity: '/k/id' }, timeoutSec: 20 }] });
    expect(ok.success && ok.data.hosts.map((h) => [h.name, h.timeoutSec])).toEqual([['cloudlab', 10], ['forge', 20]]);
    const bad = (hosts: unknown) => configSchema.safeParse({ hosts }).success;
    expect(bad([{ name: 'local', ssh: 'x' }])).toBe(false);
    expect(bad([{ name: 'a b', ssh: 'x' }])).toBe(false);
    expect(bad([{ name: 'a', ssh: '-oProxyCommand=sh' }])).toBe(false);
    expect(bad([{ name: 'a', ssh: 'x' }, { name: 'a', ssh: 'y' }])).toBe(false);
    expect(bad([{ name: 'a', ssh: { host: 'h', identity: 'relative' } }])).toBe(false);
    expect(bad([{ name: 'a', ssh: 'x', extra: 1 }])).toBe(false);
    expect(configSchema.parse({}).hosts).toEqual([]);
  });
});

describe('hostRunners / findHost', () => {
  it('this machine first, then the configured hosts over SSH, sampling the host sources only', () => {
    const all = hostRunners({ demo: false, demoSpeed: 1, hosts: [{ name: 'box', ssh: 'box', timeoutSec: 10 }], env: { SOV_RUNTIME_DIR: '/tmp/sov-rt-x' } });
    expect(all.map((h) => h.via)).toEqual(['local', 'ssh box']);
    expect(all[1]!.only).toEqual(REMOTE_SOURCES);
    expect(findHost(all, 'box')?.name).toBe('box');
    expect(findHost(all, 'local')?.via).toBe('local');
    expect(findHost(all, 'nope')).toBeUndefined();
  });
  it('the demo fleet: omni, vault, forge, found with or without "(demo)"', () => {
    const all = hostRunners({ demo: true, demoSpeed: 1 });
    expect(all.map((h) => h.name)).toEqual(['omni (demo)', 'vault (demo)', 'forge (demo)']);
    expect(all.map((h) => h.only)).toEqual([undefined, REMOTE_SOURCES, REMOTE_SOURCES]);
    // the caller's runner for the first box is used, not a second one built and thrown away
    const primary = runnerFor({ demo: true, demoSpeed: 1 });
    expect(hostRunners({ demo: true, demoSpeed: 1, primary })[0]!.runner).toBe(primary);
    const local = createLocalRunner();
    expect(hostRunners({ demo: false, demoSpeed: 1, primary: local })[0]).toMatchObject({ runner: local, via: 'local' });
    expect(findHost(all, 'forge')?.name).toBe('forge (demo)');
  });
});

describe('withMissing', () => {
  it('the programs a box lacks answer notFound (run and stream); the others go through', async () => {
    const base = new FakeRunner();
    base.commands.push({ argv: ['zpool', 'list'], stdout: 'x' });
    const r = withMissing(base, ['nvidia-smi']);
    expect(await r.run(['/usr/bin/nvidia-smi', '-q'])).toMatchObject({ notFound: true, exitCode: null });
    expect((await r.run(['zpool', 'list'])).stdout).toBe('x');
    const exit = await new Promise((res) => r.stream(['nvidia-smi', '-lms', '1000'], { onLine: () => {}, onExit: res }));
    expect(exit).toMatchObject({ notFound: true });
  });
});

describe('hostLink (a lost connection, from the samples alone)', () => {
  it('lost when a source failed with the SSH runner\'s message; the newest good reading is the data\'s age', () => {
    const h = newHost('box');
    expect(hostLink(h).lost).toBe(false);
    h.samples.system = nextSample(h.samples.system, { state: 'ok', data: {} as never }, 1000) as never;
    h.samples.zfs = nextSample(h.samples.zfs, { state: 'ok', data: {} as never }, 2000) as never;
    h.samples.system = nextSample(h.samples.system, { state: 'error', message: '/proc/stat: ssh box: ssh: connect to host 127.0.0.1 port 22: Connection refused' }, 5000) as never;
    expect(hostLink(h)).toEqual({ lost: true, message: 'ssh box: ssh: connect to host 127.0.0.1 port 22: Connection refused', lastGoodAt: 1000, since: 5000 });
    // another kind of error is not a lost connection
    const g = newHost('x');
    g.samples.zfs = nextSample(g.samples.zfs, { state: 'error', message: 'zpool status: exit 1' }, 5000) as never;
    expect(hostLink(g).lost).toBe(false);
    expect(hostLink(undefined).lost).toBe(false);
  });
});

describe('startFleet (the demo fleet into one store)', () => {
  let fleet: Fleet | undefined;
  afterEach(() => fleet?.stop());
  it('adds the other hosts in order and fills their samples; the GPU-less boxes say nvidia-smi is not there', async () => {
    const store = createAppStore({ host: 'omni (demo)' });
    fleet = startFleet({ primary: runnerFor({ demo: true, demoSpeed: 1 }), demo: true, demoSpeed: 1, intervalMs: 100, store, visible: () => new Set() });
    expect(Object.keys(store.getState().hosts)).toEqual(['omni (demo)', 'vault (demo)', 'forge (demo)']);
    const t0 = Date.now();
    while (Date.now() - t0 < 5000 && store.getState().hosts['forge (demo)']!.samples.system.state !== 'ok') await new Promise((r) => setTimeout(r, 50));
    const s = store.getState().hosts;
    expect(s['forge (demo)']!.samples.system.state).toBe('ok');
    expect(s['forge (demo)']!.samples.nvidia).toMatchObject({ state: 'unavailable', reason: 'nvidia-smi not found on PATH' });
    // the demo's other boxes stand for SSH hosts: the same sources, VMs skipped with the reason (never a demo error)
    for (const h of ['vault (demo)', 'forge (demo)']) expect(s[h]!.samples.vms).toMatchObject({ state: 'unavailable', reason: REMOTE_SKIPPED.reason });
    expect(store.getState().current).toBe('omni (demo)');
  });
});

describe('fleetRows / fleetBox', () => {
  it('one row per host: reach, GPUs, the worst pool, engines, load, findings; a lost host keeps its data and says so', async () => {
    const { fleetRows, fleetBox } = await import('../../src/hosts/fleet-view.js');
    const { themeByName } = await import('../../themes/index.js');
    const a = newHost('omni');
    a.samples.nvidia = nextSample(a.samples.nvidia, { state: 'ok', data: { gpus: [{ index: 0, name: 'X', utilPct: 40, memUsedBytes: 8 * 1024 ** 3, memTotalBytes: 24 * 1024 ** 3, tempC: 65 }, { index: 1, name: 'Y', utilPct: 90, memUsedBytes: 2 * 1024 ** 3, memTotalBytes: 24 * 1024 ** 3, tempC: 50 }], warnings: [] } as never }, 1000) as never;
    a.samples.zfs = nextSample(a.samples.zfs, { state: 'ok', data: { pools: [{ health: 'ONLINE' }, { health: 'DEGRADED' }], lints: [{}, {}], warnings: [] } as never }, 1000) as never;
    a.samples.system = nextSample(a.samples.system, { state: 'ok', data: { load: [1.5, 1, 1], warnings: [] } as never }, 1000) as never;
    a.samples.engines = nextSample(a.samples.engines, { state: 'ok', data: { engines: [{ state: 'healthy' }, { state: 'crashloop' }] } as never }, 1000) as never;
    const b = newHost('box');
    b.samples.nvidia = nextSample(b.samples.nvidia, { state: 'unavailable', reason: 'nvidia-smi not found on PATH' }, 1000) as never;
    b.samples.system = nextSample(b.samples.system, { state: 'ok', data: { load: [0.25, 0, 0], warnings: ['w'] } as never }, 1000) as never;
    b.samples.system = nextSample(b.samples.system, { state: 'error', message: '/proc/stat: ssh box: Connection refused' }, 9000) as never;
    const rows = fleetRows({ omni: a, box: b });
    expect(rows).toEqual([
      { host: 'omni', reach: 'up', gpus: '2 · 90% · 10/48GiB · 65°C', pools: 'DEGRADED', engines: '1/2', load: '1.50', findings: 2 },
      { host: 'box', reach: 'lost', gpus: 'none', pools: '—', engines: '—', load: '0.25', findings: 1, lastGoodAt: 1000 },
    ]);
    const { stripVTControlCharacters } = await import('node:util');
    const box = stripVTControlCharacters(fleetBox(themeByName('no-color'), rows, 'box', 120, 13_000).join('\n'));
    expect(box).toMatch(/› box\s+reconnecting \(12s\)/);
    expect(box).toMatch(/omni\s+up\s+2 · 90%/);
  });
});

describe('actions while another host is on screen', () => {
  it('H moves to the next host and back; an action is refused (it would act on this box) with the reason', async () => {
    const { handleKey } = await import('../../src/app/input.js');
    const store = createAppStore({ host: 'here' });
    store.setState({ hosts: { ...store.getState().hosts, box: newHost('box') } });
    const said: string[] = [];
    const c = { refresh: () => {}, quit: () => {}, now: () => 1, panels: () => [], pageSize: () => 10 } as never;
    const say = store.getState().say;
    store.setState({ say: (t: string, at: number) => { said.push(t); say(t, at); } } as never);
    handleKey(store, c, 'H', 'H');
    expect(store.getState().current).toBe('box');
    store.getState().setScreen('recovery');
    handleKey(store, c, 'enter');
    expect(said.pop()).toMatch(/acts on this machine \(here\) only: it needs its daemon or its files/);
    handleKey(store, c, 'H', 'H');
    expect(store.getState().current).toBe('here');
  });
});

describe('the fleet overview\'s keys', () => {
  it('W opens it, j/k pick a host (the screens follow), enter opens that host and closes it', async () => {
    const { handleKey } = await import('../../src/app/input.js');
    const store = createAppStore({ host: 'here' });
    store.setState({ hosts: { ...store.getState().hosts, a: newHost('a'), b: newHost('b') } });
    const c = { refresh: () => {}, quit: () => {}, now: () => 1, panels: () => [], pageSize: () => 10 } as never;
    handleKey(store, c, 'W', 'W');
    expect(store.getState().ui.fleet).toBe(true);
    handleKey(store, c, 'j', 'j'); handleKey(store, c, 'down'); handleKey(store, c, 'down');
    expect(store.getState().current).toBe('b');
    handleKey(store, c, 'k', 'k');
    expect(store.getState().current).toBe('a');
    handleKey(store, c, 'enter');
    expect(store.getState().ui.fleet).toBe(false);
    expect(store.getState().current).toBe('a');
  });
});
