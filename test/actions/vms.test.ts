import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmsData } from '../../backends/vms/types.js';
import { VM_ACTIONS } from '../../src/actions/vms.js';
import { runSsh, runVmsCli, signalExitCode } from '../../src/cli/vms.js';
import { joinRows, sshTargetOf } from '../../src/vms/rows.js';
import { vmSchema, sshArgv, sshText, type VmConfig } from '../../src/config/vms.js';
import { vmListLines } from '../../widgets/panels/vms.js';
import { noColor } from '../../themes/index.js';
import { createLocalRunner } from '../../src/runner/local.js';
import { probeHeartbeat, sshBeatArgv } from '../../src/vms/heartbeat.js';
import { snapshotName, startArgv } from '../../src/vms/ops.js';
import { reimageChecks, reimagePlan, rotationPlan } from '../../src/vms/reimage.js';

const IMG = ['/usr/bin/qemu-img', '/usr/local/bin/qemu-img'].find((p) => existsSync(p));
const dir = mkdtempSync(`/tmp/sov-vmact-${process.pid}-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = (o: Record<string, unknown> = {}): VmConfig => vmSchema.parse({ name: 'g1', ...o });

describe('reimage: keeping N generations of the overlay', () => {
  const o = '/v/g1.qcow2';
  it('shifts the older ones up, removes the oldest past N, moves the current to .1', () => {
    expect(rotationPlan(o, 3, new Set([o, `${o}.1`, `${o}.2`, `${o}.3`]))).toEqual({ remove: `${o}.3`, moves: [[`${o}.2`, `${o}.3`], [`${o}.1`, `${o}.2`], [o, `${o}.1`]] });
    expect(rotationPlan(o, 3, new Set([o, `${o}.2`]))).toEqual({ moves: [[`${o}.2`, `${o}.3`], [o, `${o}.1`]] });
    expect(rotationPlan(o, 1, new Set([o, `${o}.1`]))).toEqual({ remove: `${o}.1`, moves: [[o, `${o}.1`]] });
  });
  it('keep 0 removes the overlay; a missing overlay (an interrupted reimage run again) moves nothing', () => {
    expect(rotationPlan(o, 0, new Set([o]))).toEqual({ remove: o, moves: [] });
    expect(rotationPlan(o, 3, new Set([`${o}.1`]))).toEqual({ moves: [] });
  });
  it('the dry run names every step, with the exact qemu-img argv', () => {
    const p = reimagePlan(cfg({ golden: '/v/golden.qcow2', overlay: o, keep: 2, start: ['qemu-system-x86_64', '-name', 'g1'], heartbeat: { tcp: '127.0.0.1:2222' } }));
    expect(p).toEqual([
      'stop g1 (QMP quit, or virsh destroy)',
      'move /v/g1.qcow2 aside as g1.qcow2.1 (keeping 2 generations: g1.qcow2.1 … .2)',
      'qemu-img create -f qcow2 -b /v/golden.qcow2 -F qcow2 /v/g1.qcow2',
      'start: qemu-system-x86_64 -name g1 -daemonize',
      'wait for its heartbeat (120 s)',
    ]);
  });
});

describe.runIf(IMG !== undefined)('reimage preconditions on real images (qemu-img, sha256sum)', () => {
  const golden = join(dir, 'golden.qcow2');
  const runner = createLocalRunner();
  const o = { runner };
  beforeAll(() => { execFileSync(IMG!, ['create', '-q', '-f', 'qcow2', golden, '8M']); });
  const sum = () => createHash('sha256').update(readFileSync(golden)).digest('hex');
  const empty: VmsData = { vms: [], routes: [], heartbeats: {}, warnings: [] };

  it('all pass: the golden exists, no running VM writes it, its sha256 is the one recorded', async () => {
    const c = await reimageChecks(o, cfg({ golden, overlay: join(dir, 'o.qcow2'), goldenSha256: sum() }), empty);
    expect(c.map((x) => `${x.name}:${x.state}`)).toEqual(['golden exists:pass', 'golden not in use:pass', 'golden checksum:pass']);
  });
  it('refuses a missing golden, a golden that a running VM has as its disk, a changed or unrecorded checksum', async () => {
    const missing = await reimageChecks(o, cfg({ golden: join(dir, 'nope.qcow2'), overlay: join(dir, 'o.qcow2'), goldenSha256: 'a'.repeat(64) }), empty);
    expect(missing[0]).toMatchObject({ name: 'golden exists', state: 'fail', detail: expect.stringContaining('No such file') });
    const writer: VmsData = { ...empty, vms: [{ name: 'rogue', kind: 'qemu', state: 'running', pid: 4242, disks: [{ path: golden, chain: [] }], hostfwd: [], snapshots: [], notes: [] }] };
    const inUse = await reimageChecks(o, cfg({ golden, overlay: join(dir, 'o.qcow2'), goldenSha256: sum() }), writer);
    expect(inUse[1]).toEqual({ name: 'golden not in use', state: 'fail', detail: `${golden} is a disk of running rogue (pid 4242): it may be written` });
    const changed = await reimageChecks(o, cfg({ golden, overlay: join(dir, 'o.qcow2'), goldenSha256: 'b'.repeat(64) }), empty);
    expect(changed[2]).toMatchObject({ state: 'fail', detail: expect.stringMatching(/differs from the recorded bbbbbbbbbbbbbbbb…: the golden changed$/) });
    const unrecorded = await reimageChecks(o, cfg({ golden, overlay: join(dir, 'o.qcow2') }), empty);
    expect(unrecorded[2]).toMatchObject({ state: 'fail', detail: expect.stringContaining('no goldenSha256 recorded') });
    expect((await reimageChecks(o, undefined, empty))[0]!.state).toBe('fail');
  });
});

describe('the VM actions as declared', () => {
  it('tiers: snapshot T1, revert T2 typing the VM name, reimage T3; no keys (reached from Recovery and the palette)', () => {
    const t = Object.fromEntries(VM_ACTIONS.map((a) => [a.id, a.tier]));
    expect(t).toEqual({ 'vm.snapshot': 'T1', 'vm.revert': 'T2', 'vm.reimage': 'T3', 'vm.start': 'T1', 'vm.stop': 'T1' });
    const revert = VM_ACTIONS.find((a) => a.id === 'vm.revert')!;
    expect(revert.target!({ args: { vm: 'green-2', snapshot: 'clean' } } as never)).toBe('green-2');
    for (const a of VM_ACTIONS) expect(a.keys).toEqual([]);
  });
  it('need a runner, say why; names that could reach the monitor\'s command line are refused', async () => {
    const snap = VM_ACTIONS.find((a) => a.id === 'vm.snapshot')!;
    expect(snap.when({} as never)).toBe('no runner for this host');
    const checks = await snap.checks!({ runner: createLocalRunner(), args: { vm: 'x; quit', name: 'a b' } } as never);
    expect(checks.filter((c) => c.state === 'fail').map((c) => c.name)).toEqual(['VM found', 'vm', 'name']);
  });
  it('auto snapshot names, -daemonize added to a QEMU start argv only', () => {
    expect(snapshotName(new Date(Date.UTC(2026, 11, 6, 7, 5, 9)))).toBe('sov-20261206-070509');
    expect(startArgv(cfg({ start: ['/usr/bin/qemu-system-x86_64', '-m', '64'] }))).toEqual(['/usr/bin/qemu-system-x86_64', '-m', '64', '-daemonize']);
    expect(startArgv(cfg({ start: ['virsh', 'start', 'g1'] }))).toEqual(['virsh', 'start', 'g1']);
  });
});

describe('config', () => {
  it('refuses a watchdog without heartbeat, reimage without golden/overlay, an overlay that is the golden, a bad policy', () => {
    const bad = (o: Record<string, unknown>) => vmSchema.safeParse({ name: 'g1', ...o }).success;
    expect(bad({ watchdog: { policy: 'restart' } })).toBe(false);
    expect(bad({ heartbeat: { tcp: 'h:1' }, watchdog: { policy: 'reimage' } })).toBe(false);
    // reimage is T3 (an operator's tripcode): refused as a watchdog policy even with golden and overlay, saying why
    const r = vmSchema.safeParse({ name: 'g1', golden: '/g', overlay: '/o', heartbeat: { tcp: 'h:1' }, watchdog: { policy: 'reimage' } });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([expect.objectContaining({ path: ['watchdog', 'policy'], message: expect.stringMatching(/^reimage cannot be a watchdog policy: it needs an operator's tripcode/) })]);
    expect(vmSchema.safeParse({ name: 'g1', heartbeat: { tcp: 'h:1' }, watchdog: { policy: 'rebuild' } }).error?.issues[0]?.message).toBe('restart or revert:<snapshot>');
    expect(bad({ heartbeat: { tcp: 'h:1' }, watchdog: { policy: 'restart' } })).toBe(true);
    expect(bad({ golden: '/a', overlay: '/a' })).toBe(false);
    expect(bad({ heartbeat: { tcp: 'h:1' }, watchdog: { policy: 'revert:' } })).toBe(false);
    expect(bad({ heartbeat: { tcp: 'h:1' }, watchdog: { policy: 'revert:clean' } })).toBe(true);
    expect(bad({ ssh: 'agent-ws', heartbeat: { ssh: ['true'] } })).toBe(true);
    expect(bad({ heartbeat: { ssh: ['true'] } })).toBe(false);
  });
  it('ssh argv: the user\'s own ssh, never host-key checking off; BatchMode for heartbeats', () => {
    expect(sshArgv({ host: '127.0.0.1', port: 2222, user: 'ops', identity: '/k/id' })).toEqual(['ssh', '-p', '2222', '-i', '/k/id', 'ops@127.0.0.1']);
    expect(sshBeatArgv('agent-ws', ['true'], 3)).toEqual(['ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', 'agent-ws', '--', 'true']);
    expect(JSON.stringify(sshBeatArgv('x', ['y'], 1))).not.toMatch(/StrictHostKeyChecking/);
    const vm = { name: 'g', kind: 'qemu', state: 'running', disks: [], snapshots: [], notes: [], hostfwd: [{ proto: 'tcp', hostPort: 2222, guestPort: 22 }] } as never;
    expect(sshTargetOf(vm, undefined)).toEqual({ host: '127.0.0.1', port: 2222 });
    expect(sshTargetOf(vm, cfg({ ssh: 'agent-ws' }))).toBe('agent-ws');
  });
  it('the VMs panel shows the SSH target that enter and sov ssh use (one rule: config, else hostfwd 22)', () => {
    const vm = { name: 'g', kind: 'qemu', state: 'running', disks: [], snapshots: [], notes: [], hostfwd: [{ proto: 'tcp', hostAddr: '0.0.0.0', hostPort: 2222, guestPort: 22 }] } as never;
    const data = (ssh?: string): VmsData => ({ vms: [vm], heartbeats: ssh ? { g: { state: 'ok', ssh } } : {}, routes: [], warnings: [] }) as never;
    const panelSsh = (d: VmsData) => vmListLines(d, 200, noColor).join('\n').includes('ops@agent:2200') ? 'ops@agent:2200' : vmListLines(d, 200, noColor).join('\n').includes('127.0.0.1:2222') ? '127.0.0.1:2222' : 'none';
    // the watchdog wrote the declared target: the panel, sov vms ls and enter all say it
    const declared = cfg({ name: 'g', ssh: { host: 'agent', port: 2200, user: 'ops' } });
    expect(joinRows(data('ops@agent:2200'), { vms: [declared] } as never)[0]!.ssh).toBe('ops@agent:2200');
    expect(sshText(sshTargetOf(vm, declared)!)).toBe('ops@agent:2200');
    expect(panelSsh(data('ops@agent:2200'))).toBe('ops@agent:2200');
    // nothing declared: the forwarded port, everywhere, written the same way
    expect(joinRows(data(), { vms: [cfg({ name: 'g' })] } as never)[0]!.ssh).toBe('127.0.0.1:2222');
    expect(sshText(sshTargetOf(vm, cfg({ name: 'g' }))!)).toBe('127.0.0.1:2222');
    expect(panelSsh(data())).toBe('127.0.0.1:2222');
    // a stale heartbeat ssh never beats the config at hand (enter would not use it)
    expect(joinRows(data('old-alias'), { vms: [cfg({ name: 'g' })] } as never)[0]!.ssh).toBe('127.0.0.1:2222');
  });
});

describe('heartbeat probes against real loopback servers', () => {
  let tcp: Server;
  let http: ReturnType<typeof createHttp>;
  let tcpPort = 0;
  let httpPort = 0;
  beforeAll(async () => {
    tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    tcpPort = (tcp.address() as { port: number }).port;
    http = createHttp((req, res) => { res.statusCode = req.url === '/ok' ? 204 : 503; res.end(); });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpPort = (http.address() as { port: number }).port;
  });
  afterAll(() => { tcp.close(); http.close(); });

  it('tcp connects or says why; http wants 2xx', async () => {
    expect(await probeHeartbeat({ tcp: `127.0.0.1:${tcpPort}`, intervalSec: 1, misses: 1, timeoutSec: 2 }, {})).toMatchObject({ ok: true });
    const closed = await new Promise<number>((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => r(p)); }); });
    expect(await probeHeartbeat({ tcp: `127.0.0.1:${closed}`, intervalSec: 1, misses: 1, timeoutSec: 2 }, {})).toEqual({ ok: false, why: `tcp 127.0.0.1:${closed}: connection refused` });
    expect(await probeHeartbeat({ http: `http://127.0.0.1:${httpPort}/ok`, intervalSec: 1, misses: 1, timeoutSec: 2 }, {})).toMatchObject({ ok: true });
    expect(await probeHeartbeat({ http: `http://127.0.0.1:${httpPort}/sick`, intervalSec: 1, misses: 1, timeoutSec: 2 }, {})).toEqual({ ok: false, why: `http http://127.0.0.1:${httpPort}/sick: HTTP 503` });
  });

  it('ssh: the command over the user\'s ssh (a PATH shim that knows only the exact argv) must exit 0', async () => {
    writeFileSync(join(dir, 'ssh'), `#!/bin/sh
[ "$*" = "-o BatchMode=yes -o ConnectTimeout=2 agent-ws -- systemctl is-active agent" ] || { echo "ssh shim: unexpected argv: $*" >&2; exit 255; }
exit \${SHIM_EXIT:-0}
`);
    chmodSync(join(dir, 'ssh'), 0o755);
    const hb = { ssh: ['systemctl', 'is-active', 'agent'], intervalSec: 1, misses: 1, timeoutSec: 2 };
    expect(await probeHeartbeat(hb, { runner: createLocalRunner({ env: { PATH: `${dir}:/usr/bin:/bin` } }), ssh: 'agent-ws' })).toMatchObject({ ok: true });
    const down = await probeHeartbeat(hb, { runner: createLocalRunner({ env: { PATH: `${dir}:/usr/bin:/bin`, SHIM_EXIT: '3' } }), ssh: 'agent-ws' });
    expect(down).toEqual({ ok: false, why: 'ssh heartbeat: exit 3' });
  });
});

describe('sov ssh NAME', () => {
  it('an ssh ended by a signal exits 128 + that signal\'s number, as a shell says it (not 143 for every signal)', async () => {
    for (const [sig, code] of [['INT', 130], ['KILL', 137], ['TERM', 143], ['HUP', 129]] as const) {
      expect(await runSsh(['sh', '-c', `kill -${sig} $$`], process.env)).toBe(code);
    }
    expect(signalExitCode(null)).toBe(255);
  });
  it('execs the user\'s ssh with the declared target and the command, and exits with ssh\'s code; no target: exit 4', async () => {
    writeFileSync(join(dir, 'ssh'), `#!/bin/sh
[ "$*" = "-p 2222 ops@127.0.0.1 -- exit 7" ] || { echo "ssh shim: unexpected argv: $*" >&2; exit 255; }
exit 7
`);
    chmodSync(join(dir, 'ssh'), 0o755);
    const cfgDir = join(dir, 'cfg', 'sov');
    execFileSync('mkdir', ['-p', cfgDir]);
    writeFileSync(join(cfgDir, 'config.yaml'), 'vms:\n  - name: g1\n    ssh: { host: 127.0.0.1, port: 2222, user: ops }\n  - name: g2\n');
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, XDG_CONFIG_HOME: join(dir, 'cfg'), SOV_STATE_DIR: join(dir, 'state') };
    const err: string[] = [];
    expect(await runVmsCli(['g1', '--', 'exit', '7'], { env, err: (s) => err.push(s), out: () => {} }, { sshOnly: true })).toBe(7);
    expect(err).toEqual([]);
    expect(await runVmsCli(['ssh', 'g2'], { env, err: (s) => err.push(s), out: () => {} })).toBe(4);
    expect(err.join('')).toMatch(/g2 has no SSH target/);
    expect(await runVmsCli(['ssh', 'nope'], { env, err: () => {}, out: () => {} })).toBe(3);
    expect(await runVmsCli(['frobnicate'], { env, err: () => {}, out: () => {} })).toBe(2);
    // a libvirt domain without SSH: virsh console in this terminal, with its exit code
    writeFileSync(join(dir, 'virsh'), `#!/bin/sh
case "$*" in
  "list --all") printf ' Id   Name   State\\n------------------\\n 1    lv1    running\\n\\n' ;;
  "dominfo lv1") printf 'Name:           lv1\\nState:          running\\n' ;;
  "domstats --raw") printf "Domain: 'lv1'\\n" ;;
  "domblklist lv1 --details"|"snapshot-list lv1") printf ' X\\n-----\\n' ;;
  "console lv1") exit 5 ;;
  *) echo "virsh shim: unexpected argv: $*" >&2; exit 99 ;;
esac
`);
    chmodSync(join(dir, 'virsh'), 0o755);
    const cerr: string[] = [];
    expect(await runVmsCli(['ssh', 'lv1'], { env, err: (s) => cerr.push(s), out: () => {} })).toBe(5);
    expect(cerr.join('')).toContain('virsh console lv1');
  });
});

describe('the demo box: its libvirt agent VM answers the VM actions (virsh through the demo runner)', () => {
  it('snapshot, revert (the state before kept), stop and start change what the next reading shows; a Green is refused for its QMP', async () => {
    const { createDemoRunner } = await import('../../src/runner/demo.js');
    const { omniDemo } = await import('../../src/demo/omni/index.js');
    const { discover } = await import('../../src/vms/ops.js');
    const runner = createDemoRunner(omniDemo);
    const lines: string[] = [];
    const act = async (id: string, args: Record<string, string>) => {
      const a = VM_ACTIONS.find((x) => x.id === id)!;
      const ctx = { runner, args, output: (l: string) => lines.push(l) } as never;
      expect(a.when(ctx)).toBe(true);
      return { checks: await a.checks!(ctx), result: await a.run(ctx) };
    };
    const agent = async () => ((await discover(runner)) as VmsData).vms.find((v) => v.name === 'workstation_agent')!;
    expect((await act('vm.snapshot', { vm: 'workstation_agent', name: 'before-upgrade' })).result).toEqual({ kind: 'done', message: 'snapshot before-upgrade of workstation_agent taken (libvirt)' });
    expect((await agent()).snapshots.map((s) => s.name)).toEqual(['provisioned', 'before-upgrade']);
    const rev = await act('vm.revert', { vm: 'workstation_agent', snapshot: 'provisioned' });
    expect(rev.checks.every((c) => c.state === 'pass')).toBe(true);
    expect(rev.result.kind).toBe('done');
    expect(lines).toContain('$ virsh snapshot-revert workstation_agent provisioned');
    expect((await agent()).snapshots.map((s) => s.name)).toHaveLength(3);
    expect((await act('vm.stop', { vm: 'workstation_agent', mode: 'powerdown' })).result.kind).toBe('done');
    expect((await agent()).state).toBe('stopped');
    expect((await act('vm.start', { vm: 'workstation_agent' })).result.kind).toBe('done');
    expect((await agent()).state).toBe('running');
    const green = await act('vm.snapshot', { vm: 'green-1', name: 'x' });
    expect(green.checks.find((c) => c.name === 'QMP')).toMatchObject({ state: 'fail', detail: expect.stringContaining('sov opens QMP sockets on this machine only') });
  });
});

describe('reimage steps, in order, with their exact argv (fake runner, loud on any other)', () => {
  it('a libvirt domain: virsh destroy, the overlay moved aside (keep 2), qemu-img create on the golden, virsh start; said step by step', async () => {
    const { FakeRunner } = await import('../helpers/fake-runner.js');
    const { reimageVm } = await import('../../src/vms/reimage.js');
    const r = new FakeRunner()
      .on({ argv: ['virsh', 'destroy', 'agent'], stdout: "Domain 'agent' destroyed\n" })
      .on({ argv: ['mv', '-f', '--', '/v/agent.qcow2.1', '/v/agent.qcow2.2'] })
      .on({ argv: ['mv', '-f', '--', '/v/agent.qcow2', '/v/agent.qcow2.1'] })
      .on({ argv: ['qemu-img', 'create', '-f', 'qcow2', '-b', '/g/golden.qcow2', '-F', 'qcow2', '/v/agent.qcow2'] })
      .on({ argv: ['virsh', 'start', 'agent'], stdout: "Domain 'agent' started\n" })
      .dir('/v', ['agent.qcow2', 'agent.qcow2.1', 'other.qcow2']);
    const c = cfg({ name: 'agent', golden: '/g/golden.qcow2', overlay: '/v/agent.qcow2', keep: 2 });
    const lines: string[] = [];
    const vm = { name: 'agent', kind: 'libvirt' as const, state: 'running' as const, disks: [], hostfwd: [], snapshots: [], notes: [] };
    const msg = await reimageVm({ runner: r, output: (l) => lines.push(l) }, { name: 'agent', cfg: c, vm });
    expect(msg).toBe('agent reimaged and started (no heartbeat declared: not waited for)');
    expect(r.calls.map((a) => a.join(' '))).toEqual([
      'virsh destroy agent', 'mv -f -- /v/agent.qcow2.1 /v/agent.qcow2.2', 'mv -f -- /v/agent.qcow2 /v/agent.qcow2.1',
      'qemu-img create -f qcow2 -b /g/golden.qcow2 -F qcow2 /v/agent.qcow2', 'virsh start agent',
    ]);
    expect(lines.filter((l) => /^\d\/5 /.test(l))).toEqual(['1/5 stop agent', '2/5 move the old overlay aside', '3/5 a fresh overlay on the golden', '4/5 start', '5/5 heartbeat']);
  });

  it('a failing step stops the reimage there and says which', async () => {
    const { FakeRunner } = await import('../helpers/fake-runner.js');
    const { reimageVm } = await import('../../src/vms/reimage.js');
    const r = new FakeRunner()
      .on({ argv: ['qemu-img', 'create', '-f', 'qcow2', '-b', '/g/golden.qcow2', '-F', 'qcow2', '/v/x.qcow2'], exitCode: 1, stderr: "qemu-img: /v/x.qcow2: Could not open '/g/golden.qcow2': No such file or directory\n" })
      .dir('/v', []);
    const c = cfg({ name: 'x', golden: '/g/golden.qcow2', overlay: '/v/x.qcow2', start: ['virsh', 'start', 'x'] });
    await expect(reimageVm({ runner: r }, { name: 'x', cfg: c })).rejects.toThrow("qemu-img create -f failed: qemu-img: /v/x.qcow2: Could not open '/g/golden.qcow2': No such file or directory");
    expect(r.calls).toHaveLength(1);
  });
});

describe('snapshot names are checked where they are used, whoever calls', () => {
  it('a name that could reach the monitor as a second command is refused before anything runs', async () => {
    const { FakeRunner } = await import('../helpers/fake-runner.js');
    const { snapshotVm, revertVm } = await import('../../src/vms/ops.js');
    const r = new FakeRunner();
    const l = { name: 'g1', image: '/v/g1.qcow2' };
    await expect(snapshotVm({ runner: r }, l, 'x\ninfo registers')).rejects.toThrow(/is not a snapshot name sov passes on/);
    await expect(revertVm({ runner: r }, l, 'a b', new Date())).rejects.toThrow(/is not a snapshot name sov passes on/);
    expect(r.calls).toEqual([]);
  });
});
