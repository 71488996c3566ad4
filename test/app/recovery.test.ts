/**
 * The cockpit's recovery flow, key by key, against the real authority (a real audit log and tripcode key in a temp
 * dir) and real script processes: arguments asked with the values offered, T1 y/N, T2 the target typed, T3 a
 * tripcode (a bad one refused and recorded, a good one run), a failed precondition refused before anything runs,
 * ctrl+c cancelling a running script, the tripcode prompt putting the box in lockdown.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { actionContext } from '../../src/actions/context.js';
import { recoveryActions } from '../../src/actions/index.js';
import { handleKey, type Controller } from '../../src/app/input.js';
import { outputBatcher } from '../../src/app/recovery.js';
import { configSchema } from '../../src/config/schema.js';
import { createAuthority, initKey, type Authority } from '../../src/recovery/authority.js';
import { perform, prepare, whoAmI } from '../../src/recovery/perform.js';
import type { Action } from '../../src/actions/types.js';
import { KEY_FILE, sign } from '../../src/recovery/tripcode.js';
import { actionCode } from '../../src/recovery/codes.js';
import { createAppStore, newHost } from '../../src/store/store.js';
import { DEMO_FLEET } from '../../src/demo/fleet/index.js';
import { createDemoRunner } from '../../src/runner/demo.js';
import { createZfsSource } from '../../backends/zfs/source.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { confirmBox } from '../../widgets/overlays/confirm.js';
import { themeByName } from '../../themes/index.js';

let dir: string;
let auth: Authority;

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out waiting'); await new Promise((r) => setTimeout(r, 10)); }
};

function setup(scripts: unknown[]) {
  const config = configSchema.parse({ scripts });
  const store = createAppStore({ host: 'h' });
  store.getState().setConfig(config);
  store.getState().setScreen('recovery');
  const c: Controller = {
    refresh: vi.fn(), quit: vi.fn(), now: () => Date.now(), pageSize: () => 10,
    panels: () => [{ id: 'rec.actions' }, { id: 'rec.run' }, { id: 'rec.audit' }],
    actionCtx: (name) => actionContext(store, { config: [], recovery: auth, who: whoAmI('cockpit') }, name),
  };
  const press = (name: string, input = name) => handleKey(store, c, name, input);
  const type = (text: string) => press(text.length === 1 ? text : 'paste', text);
  // j/k through the Recovery screen's list (T0 first, then by tier) until the action is highlighted
  const select = (id: string) => {
    const ids = recoveryActions(config).map((a) => a.id);
    expect(ids).toContain(id);
    for (let i = 0; i < ids.length; i++) press('k');
    for (let i = 0; i < ids.indexOf(id); i++) press('j');
    expect(ids[store.getState().ui.recoveryIndex]).toBe(id);
  };
  return { store, c, press, type, select, ui: () => store.getState().ui, msg: () => store.getState().ui.message?.text ?? '', run: () => store.getState().run };
}

const auditKinds = () => readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; action?: string; reason?: string; code?: string });

let savedRuntime: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sov-rec-'));
  // script locks live in the runtime dir: a private one, so two runs of this file never refuse each other
  savedRuntime = process.env.SOV_RUNTIME_DIR;
  process.env.SOV_RUNTIME_DIR = join(dir, 'run');
  initKey(dir);
  auth = createAuthority({ stateDir: dir });
});
afterEach(() => {
  auth.close();
  if (savedRuntime === undefined) delete process.env.SOV_RUNTIME_DIR; else process.env.SOV_RUNTIME_DIR = savedRuntime;
  rmSync(dir, { recursive: true, force: true });
});

describe('the cockpit runs an action by its tier', () => {
  it('T1 asks the argument (values offered), shows the plan and preconditions, runs on y; the audit has begin and end', async () => {
    const { press, select, ui, run } = setup([
      { name: 'greet', argv: ['sh', '-c', 'echo "hello $1"; printf "\\033[31mred\\033[0m\\n"', 'greet', '{{who}}'], tier: 'T1', inputs: [{ name: 'who', choices: ['world', 'box'] }] },
    ]);
    select('script.greet');
    press('enter');
    expect(ui().confirm?.ask).toMatchObject({ arg: 'who', choices: ['world', 'box'], index: 0 });
    press('down');
    expect(ui().confirm?.ask?.index).toBe(1);
    press('enter');
    await until(() => ui().confirm?.pending === false);
    expect(ui().confirm).toMatchObject({ kind: 'yes', tier: 'T1', args: { who: 'box' } });
    expect(ui().confirm?.text).toMatch(/' greet box\b/);
    press('y');
    await until(() => run()?.state === 'ok');
    expect(run()?.lines).toEqual(['hello box', 'red']);
    expect(auditKinds().map((e) => e.kind)).toEqual(['begin', 'end']);
  });

  it('T2 needs the target typed: a wrong name refuses (recorded), the right one runs', async () => {
    const { press, type, select, ui, run, msg } = setup([{ name: 'wipe-cache', argv: ['sh', '-c', 'echo wiped'], tier: 'T2' }]);
    select('script.wipe-cache');
    press('enter');
    await until(() => ui().confirm?.pending === false);
    expect(ui().confirm).toMatchObject({ kind: 'typed', target: 'wipe-cache' });
    type('wipe-cach');
    press('enter');
    await until(() => /type "wipe-cache" to confirm/.test(msg()));
    expect(run()?.state).toBe('refused');
    press('enter');
    await until(() => ui().confirm?.pending === false);
    type('wipe-cache');
    press('enter');
    await until(() => run()?.state === 'ok');
    expect(run()?.lines).toEqual(['wiped']);
    expect(auditKinds().map((e) => e.kind)).toEqual(['refused', 'begin', 'end']);
    // the refusal is recorded with the cockpit's own reason
    expect(auditKinds()[0]).toMatchObject({ code: 'confirmation', reason: expect.stringMatching(/type "wipe-cache" to confirm \(got "wipe-cach"\)/) });
  });

  it('T3 needs a tripcode: a forged one is refused with its reason and recorded; a signed one runs once', async () => {
    const marker = join(dir, 'ran');
    const { press, type, select, ui, run, msg } = setup([{ name: 'phoenix-lite', argv: ['sh', '-c', `echo rebuilt > ${marker}`], tier: 'T3' }]);
    select('script.phoenix-lite');
    press('enter');
    await until(() => ui().confirm?.pending === false);
    const code = ui().confirm?.code;
    expect(code).toBe(actionCode('script.phoenix-lite', {}));
    const ts = Math.floor(Date.now() / 1000);
    type(sign(Buffer.alloc(32, 7), code!, ts));
    press('enter');
    await until(() => run()?.state === 'refused');
    expect(msg()).toMatch(/key/i);
    expect(existsSync(marker)).toBe(false);
    const key = Buffer.from(readFileSync(join(dir, KEY_FILE), 'utf8').trim(), 'hex');
    press('enter');
    await until(() => ui().confirm?.pending === false);
    type(sign(key, code!, ts));
    press('enter');
    await until(() => run()?.state === 'ok');
    expect(readFileSync(marker, 'utf8')).toBe('rebuilt\n');
    expect(auditKinds().map((e) => e.kind)).toEqual(['refused', 'begin', 'end']);
  });

  it('an input outside its allowlist is refused before anything runs; enter closes the overlay', async () => {
    const marker = join(dir, 'ran');
    const { press, type, select, ui } = setup([{ name: 'snap', argv: ['sh', '-c', `touch ${marker}; echo "$1"`, 'snap', '{{name}}'], tier: 'T1', inputs: [{ name: 'name', pattern: '[a-z]+' }] }]);
    select('script.snap');
    press('enter');
    type('bad;rm');
    press('enter');
    await until(() => ui().confirm?.refused !== undefined);
    press('enter');
    expect(ui().confirm).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(marker)).toBe(false);
    expect(auditKinds().map((e) => e.kind)).toEqual(['refused']);
    expect(auditKinds()[0]).toMatchObject({ code: 'precondition', reason: expect.stringMatching(/name/) });
  });

  it('ctrl+c while a script runs cancels it (the cockpit stays); the outcome is recorded as cancelled', async () => {
    const { press, select, ui, run, c } = setup([{ name: 'long', argv: ['sh', '-c', 'echo started; sleep 30'], tier: 'T1' }]);
    select('script.long');
    press('enter');
    await until(() => ui().confirm?.pending === false);
    press('y');
    await until(() => run()?.lines.includes('started') === true);
    press('ctrl+c');
    expect(c.quit).not.toHaveBeenCalled();
    await until(() => run()?.state === 'cancelled', 10_000);
    expect(auditKinds().map((e) => e.kind)).toEqual(['begin', 'end']);
  });

  it('the tripcode prompt: RECOVERY:LOCKDOWN locks the box (actions refused), RECOVERY:UNLOCK opens it', async () => {
    const { press, type, select, ui, msg, run } = setup([{ name: 'hello', argv: ['sh', '-c', 'echo hi'], tier: 'T1' }]);
    const key = Buffer.from(readFileSync(join(dir, KEY_FILE), 'utf8').trim(), 'hex');
    press('p');
    expect(ui().tripcode).toEqual({ input: '' });
    type(sign(key, 'RECOVERY:LOCKDOWN', Math.floor(Date.now() / 1000)));
    press('enter');
    await until(() => auth.locked());
    select('script.hello');
    press('enter');
    await until(() => ui().confirm?.pending === false);
    press('y');
    await until(() => run()?.state === 'refused');
    expect(msg()).toMatch(/lockdown/i);
    press('p');
    type(sign(key, 'RECOVERY:UNLOCK', Math.floor(Date.now() / 1000)));
    press('enter');
    await until(() => !auth.locked());
  });
});

describe('the daemon keeps the audit log: the cockpit starts it for an action above T0', () => {
  it('asks ensureDaemon first; when it cannot start, the action is refused with why and nothing runs', async () => {
    const marker = join(dir, 'ran');
    const { press, select, ui, msg, c } = setup([{ name: 'touch', argv: ['sh', '-c', `touch ${marker}`], tier: 'T1' }]);
    let asked = 0;
    (c as { ensureDaemon?: () => Promise<true | string> }).ensureDaemon = async () => { asked++; return 'socket dir is not ours'; };
    select('script.touch');
    press('enter');
    await until(() => /could not start: socket dir is not ours/.test(msg()));
    expect(asked).toBe(1);
    expect(ui().confirm).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
    (c as { ensureDaemon?: () => Promise<true | string> }).ensureDaemon = async () => { asked++; return true; };
    press('enter');
    await until(() => ui().confirm?.pending === false);
    expect(asked).toBe(2);
    expect(ui().confirm?.kind).toBe('yes');
  });
});

describe('what a run costs the screen, and what a refused one does', () => {
  it('a T0 action refused by its precondition does not run (perform refuses; nothing recorded)', async () => {
    let ran = 0;
    const a: Action = {
      id: 'diag.x', title: 'Diag', description: 'd', keys: [], scope: 'recovery', tier: 'T0', confirm: false,
      when: () => true, describe: () => 'diag', run: async () => { ran++; return { kind: 'done', message: 'ran' }; },
      checks: async () => [{ name: 'source', state: 'fail', detail: 'no reading' }],
    };
    const p = await prepare(a, { readOnly: false, setLogs: () => {}, recovery: auth });
    expect(p.refused?.code).toBe('precondition');
    const r = await perform(p, { kind: 'none' });
    expect(r.outcome).toBe('refused');
    expect(ran).toBe(0);
    expect(existsSync(join(dir, 'audit.jsonl')) ? auditKinds() : []).toEqual([]);
  });

  it('100,000 output lines reach the store in a handful of writes, the newest kept, the rest counted', async () => {
    const store = createAppStore({ host: 'h' });
    store.getState().setRun({ action: 'x', title: 'x', tier: 'T0', args: {}, startedAt: 0, state: 'running', lines: [], dropped: 0, checks: [], post: [] });
    let writes = 0;
    const off = store.subscribe(() => { writes++; });
    const out = outputBatcher(store, 50);
    for (let i = 0; i < 100_000; i++) out.push(`line ${i} \u001b[31mred\u001b[0m`);
    out.flush();
    off();
    const run = store.getState().run!;
    expect(writes).toBeLessThanOrEqual(2);
    expect(run.lines.at(-1)).toBe('line 99999 red');
    expect(run.lines.length + run.dropped).toBe(100_000);
  });
});

describe('every way in passes the same guards', () => {
  it('a keyless action from the palette is refused under --read-only before it asks anything, and on another host\'s screen', async () => {
    const { store, press, type, ui, msg } = setup([{ name: 'touchit', argv: ['sh', '-c', 'true'], tier: 'T1' }]);
    store.setState({ ui: { ...store.getState().ui, readOnly: true } });
    press(':');
    type('touchit');
    press('enter');
    expect(ui().confirm).toBeUndefined();
    expect(msg()).toMatch(/disabled: sov runs --read-only/);
    store.setState({ ui: { ...store.getState().ui, readOnly: false }, hosts: { ...store.getState().hosts, forge: { ...store.getState().hosts.h!, host: 'forge' } }, current: 'forge' });
    press(':');
    type('touchit');
    press('enter');
    expect(ui().confirm).toBeUndefined();
    expect(msg()).toMatch(/touchit acts on this machine \(h\) only/);
  });
});

describe('actions on another host (issue 10)', () => {
  it('a ZFS action on another host\'s screen runs through that host\'s runner (never this one\'s), and the audit names the host', async () => {
    const vault = DEMO_FLEET.find((h) => h.name === 'vault')!;
    const remote = createDemoRunner(vault.script);
    const remoteCalls: string[][] = [];
    const recording = { ...remote, host: 'vault', run: (argv: string[], o?: never) => { remoteCalls.push(argv); return remote.run(argv, o); } } as typeof remote;
    const local = new FakeRunner(); // any command run here fails the test: it answers nothing it was not told
    const config = configSchema.parse({});
    const store = createAppStore({ host: 'h' });
    store.getState().setConfig(config);
    const vaultHost = newHost('vault');
    store.setState({ hosts: { ...store.getState().hosts, vault: vaultHost }, current: 'vault' });
    store.getState().ingest('vault', { zfs: await createZfsSource(recording).sample() }, Date.now());
    store.getState().setScreen('recovery');
    const c: Controller = {
      refresh: vi.fn(), quit: vi.fn(), now: () => Date.now(), pageSize: () => 10,
      panels: () => [{ id: 'rec.actions' }, { id: 'rec.run' }, { id: 'rec.audit' }],
      actionCtx: (name) => actionContext(store, { config: [], runner: local, runnerOf: (h) => (h === 'vault' ? recording : undefined), recovery: auth, who: whoAmI('cockpit') }, name),
    };
    const press = (name: string, input = name) => handleKey(store, c, name, input);
    const ids = recoveryActions(config).map((a) => a.id);
    for (let i = 0; i < ids.length; i++) press('k');
    for (let i = 0; i < ids.indexOf('zfs.scrub.start'); i++) press('j');
    press('enter');
    // the pool is asked with the remote host's pools offered
    await until(() => store.getState().ui.confirm?.ask !== undefined);
    expect(store.getState().ui.confirm!.ask!.choices).toEqual(['rpool', 'ember']);
    press('enter'); // rpool
    await until(() => store.getState().ui.confirm?.kind === 'yes');
    // the overlay names the host it acts on
    expect(store.getState().ui.confirm?.host).toBe('vault');
    const { stripVTControlCharacters } = await import('node:util');
    expect(stripVTControlCharacters(confirmBox(themeByName('no-color'), store.getState().ui.confirm!, 120, 30).join('\n'))).toMatch(/Confirm: Start scrub on vault/);
    press('y');
    await until(() => store.getState().run?.state !== undefined && store.getState().run?.state !== 'running');
    expect(store.getState().run, JSON.stringify(store.getState().run)).toMatchObject({ action: 'zfs.scrub.start', state: 'ok', post: [{ name: 'scrub running', state: 'pass' }] });
    expect(store.getState().run?.host).toBe('vault');
    expect(remoteCalls).toContainEqual(['zpool', 'scrub', 'rpool']);
    expect(local.calls).toEqual([]);
    const begin = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; host?: string; action?: string }).find((e) => e.kind === 'begin');
    expect(begin).toMatchObject({ action: 'zfs.scrub.start', host: 'vault' });
    // an engine action there is refused with the reason, before anything is asked
    store.getState().setScreen('engines');
    press('s');
    expect(store.getState().ui.confirm).toBeUndefined();
    expect(store.getState().ui.message?.text).toMatch(/acts on this machine \(h\) only/);
  });
});
