/**
 * GPU recovery actions: the pure checks as tables, then the actions through perform() with the real authority
 * (temp state dir) and the real local runner against an `nvidia-smi` PATH shim that serves a captured H100
 * `-q -x` (fixtures/nvidia/h100-real) and fails loudly on any argv it does not know.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { checkGpuIndex, noProcessCheck, persistenceArgv, resetArgv, smiSaid } from '../../backends/nvidia/actions.js';
import type { Gpu } from '../../backends/nvidia/types.js';
import { gpuPersistence, gpuReset } from '../../src/actions/gpu.js';
import type { ActionCtx } from '../../src/actions/types.js';
import type { EngineStatus } from '../../src/daemon/types.js';
import { createAuthority } from '../../src/recovery/authority.js';
import { perform, prepare } from '../../src/recovery/perform.js';
import { readKey, sign } from '../../src/recovery/tripcode.js';
import type { Who } from '../../src/recovery/types.js';
import { createLocalRunner } from '../../src/runner/local.js';
import { emptySamples } from '../../src/store/sample.js';
import { fixturePath } from '../helpers/samples.js';

const root = mkdtempSync(join(tmpdir(), `sov-gpu-act-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const who: Who = { uid: 0, user: 'op', via: 'cli' };

const gpu = (over: Partial<Gpu> = {}): Gpu => ({ index: 1, uuid: 'GPU-x', name: 'RTX', pcie: {}, throttleReasons: [], processes: [], ...over });

describe('GPU argv and checks (pure)', () => {
  it('argv', () => {
    expect(persistenceArgv(1)).toEqual(['nvidia-smi', '-i', '1', '-pm', '1']);
    expect(resetArgv(0)).toEqual(['nvidia-smi', '--gpu-reset', '-i', '0']);
  });
  it.each([['0', true], ['12', true], ['-1', false], ['1 -pm 0', false], ['', false], ['--gpu-reset', false]])('GPU index %j → %s', (s, ok) => {
    expect(checkGpuIndex(s) === true).toBe(ok);
  });
  it('no process check names each process and its engine', () => {
    const g = gpu({ processes: [{ pid: 5151, name: 'python3 -m vllm' }, { pid: 77, name: 'nvtop' }] });
    expect(noProcessCheck(gpu(), undefined)).toMatchObject({ state: 'pass' });
    const c = noProcessCheck(g, (pid) => (pid === 5151 ? 'vllm' : undefined));
    expect(c.state).toBe('fail');
    expect(c.detail).toBe('GPU 1 is held by pid 5151 python3 -m vllm (engine vllm), pid 77 nvtop; stop vllm first');
    expect(noProcessCheck(g, undefined).detail).toMatch(/no engine list to say whose they are/);
  });
  it('what nvidia-smi said: the refusal line, not the noise', () => {
    expect(smiSaid('GPU 00000000:C1:00.0 is currently in use by another process.\n\n1 device is currently being used…', '')).toBe('GPU 00000000:C1:00.0 is currently in use by another process.');
    expect(smiSaid('', 'Unable to reset this GPU: Insufficient Permissions')).toMatch(/Insufficient Permissions/);
  });
});

/** an nvidia-smi that knows exactly these argv; $D/pm and $D/free are its state (persistence set, GPU released) */
function shim(dir: string): string {
  const bin = join(dir, 'bin');
  const fx = fixturePath('nvidia', 'h100-real', 'q-x-load.xml');
  const script = `#!/bin/sh
D='${dir}'
F='${fx}'
echo "$*" >> "$D/calls"
case "$*" in
  "-q -x")
    if [ -f "$D/pm" ]; then P=Enabled; else P=Disabled; fi
    if [ -f "$D/free" ]; then sed -e "s#<persistence_mode>Enabled<#<persistence_mode>$P<#" -e '/<process_info>/,/<\\/process_info>/d' "$F"
    else sed "s#<persistence_mode>Enabled<#<persistence_mode>$P<#" "$F"; fi ;;
  "-i 0 -pm 1") touch "$D/pm"; printf 'Enabled persistence mode for GPU 00000000:00:06.0.\\nAll done.\\n' ;;
  "--gpu-reset -i 0")
    if [ -f "$D/free" ]; then printf 'GPU 00000000:00:06.0 was successfully reset.\\nAll done.\\n'
    else printf '\\033]0;owned\\007GPU 00000000:00:06.0 is currently in use by another process.\\033[31m\\n\\n1 device is currently being used by one or more other processes.\\n'; exit 255; fi ;;
  *) echo "nvidia-smi shim: unexpected argv: $*" >&2; exit 99 ;;
esac
`;
  mkdirSync(bin);
  writeFileSync(join(bin, 'nvidia-smi'), script);
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  return bin;
}

let n = 0;
let dir = '';
let clockMs = Date.now();
const nowSec = () => Math.floor(clockMs / 1000);
beforeEach(() => { dir = join(root, `c${++n}`); mkdirSync(dir); clockMs = Date.now(); });

function setup(engines?: EngineStatus[]) {
  const bin = shim(dir);
  const runner = createLocalRunner({ env: { PATH: `${bin}:/usr/bin:/bin` } });
  const stateDir = join(dir, 'state');
  const recovery = createAuthority({ stateDir, now: () => clockMs });
  const key = () => { const k = readKey(join(stateDir, 'tripcode.key')); if (!k.ok) throw new Error(k.reason); return k.key; };
  const samples = emptySamples();
  if (engines) samples.engines = { state: 'ok', data: { engines } as never, at: Date.now(), tookMs: 1 };
  const ctx = (args: Record<string, string>): ActionCtx => ({ readOnly: false, setLogs: () => {}, runner, host: 'shim', recovery, who, args, samples });
  const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : []);
  const audit = () => readFileSync(join(stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ctx, calls, audit, key, recovery };
}

describe('gpu.persistence through perform() and an nvidia-smi shim', () => {
  it('T2: the typed target is asked; then -pm 1 runs and the re-read shows it on', async () => {
    const s = setup();
    const p = await prepare(gpuPersistence, s.ctx({ gpu: '0' }));
    expect(p.checks.map((c) => [c.name, c.state])).toEqual([['GPU present', 'pass'], ['persistence mode', 'pass']]);
    expect(p.target).toBe('gpu0');
    expect(p.dryRun).toContain('nvidia-smi -i 0 -pm 1');
    const wrong = await perform(p, { kind: 'typed', text: 'gpu1' });
    expect(wrong.outcome).toBe('refused');
    expect(s.calls()).toEqual(['-q -x']);
    const r = await perform(p, { kind: 'typed', text: 'gpu0' });
    expect(r.outcome).toBe('ok');
    expect(r.post).toEqual([{ name: 'persistence mode on', state: 'pass', detail: 'GPU 0: persistence mode on' }]);
    expect(s.calls()).toEqual(['-q -x', '-i 0 -pm 1', '-q -x']);
    expect(s.audit().map((e) => [e.kind, e.outcome ?? e.code])).toEqual([['refused', 'confirmation'], ['begin', undefined], ['end', 'ok']]);
    // now on: the precondition refuses a second time, with the reason
    const again = await prepare(gpuPersistence, s.ctx({ gpu: '0' }));
    expect(again.refused?.reason).toMatch(/already has persistence mode on/);
  });

  it('a GPU that is not there, a bad index, a missing nvidia-smi: refused, each with its reason', async () => {
    const s = setup();
    expect((await prepare(gpuPersistence, s.ctx({ gpu: '3' }))).refused?.reason).toMatch(/no GPU 3 \(GPUs: 0\)/);
    expect((await prepare(gpuPersistence, s.ctx({ gpu: '0;reboot' }))).refused?.reason).toMatch(/not a GPU index/);
    const none = createLocalRunner({ env: { PATH: join(dir, 'empty') } });
    const p = await prepare(gpuPersistence, { ...s.ctx({ gpu: '0' }), runner: none });
    expect(p.refused?.reason).toMatch(/nvidia source: nvidia-smi -q -x: nvidia-smi not found on PATH/);
  });
});

describe('gpu.reset through perform() and an nvidia-smi shim', () => {
  it('refused while a process holds the GPU, naming it and its engine; nothing is reset', async () => {
    const s = setup([{ name: 'llama', kind: 'process', state: 'healthy', pid: 570, pids: [570, 573], restarts: 0, warnings: [] }]);
    const p = await prepare(gpuReset, s.ctx({ gpu: '0' }));
    expect(p.refused?.code).toBe('precondition');
    expect(p.refused?.reason).toMatch(/GPU 0 is held by pid 573 .*\(engine llama\); stop llama first/);
    const r = await perform(p, { kind: 'tripcode', payload: sign(s.key(), p.code!, nowSec()) });
    expect(r.outcome).toBe('refused');
    expect(s.calls()).toEqual(['-q -x']);
    expect(s.audit().at(-1)).toMatchObject({ kind: 'refused', code: 'precondition' });
  });

  it('nvidia-smi\'s own refusal is reported clean (no escape sequence), and a free GPU resets with a tripcode', async () => {
    const s = setup();
    // the precondition saw no process (the GPU was released), then something grabbed it: nvidia-smi refuses itself
    writeFileSync(join(dir, 'free'), '');
    const p = await prepare(gpuReset, s.ctx({ gpu: '0' }));
    expect(p.refused).toBeUndefined();
    expect(p.code).toBe('ACTION::gpu.reset::' + p.code!.split('::')[2]);
    rmSync(join(dir, 'free'));
    const busy = await perform(p, { kind: 'tripcode', payload: sign(s.key(), p.code!, nowSec()) });
    expect(busy.outcome).toBe('failed');
    expect(busy.result.message).toMatch(/refused \(exit 255\): GPU 00000000:00:06.0 is currently in use by another process\./);
    expect(busy.result.message).not.toMatch(/\u001b|\u0007/);
    writeFileSync(join(dir, 'free'), '');
    const p2 = await prepare(gpuReset, s.ctx({ gpu: '0' }));
    // the same code again within its cooldown is refused by the authority; after it, it runs
    const early = await perform(p2, { kind: 'tripcode', payload: sign(s.key(), p2.code!, nowSec() + 1) });
    expect(early.refusal?.code).toBe('tripcode-cooldown');
    clockMs += 61_000;
    const ok = await perform(p2, { kind: 'tripcode', payload: sign(s.key(), p2.code!, nowSec()) });
    expect(ok.outcome).toBe('ok');
    expect(ok.post).toMatchObject([{ name: 'GPU back', state: 'pass' }]);
    // without a tripcode, nothing runs
    const p3 = await prepare(gpuReset, s.ctx({ gpu: '0' }));
    expect((await perform(p3, { kind: 'yes' })).outcome).toBe('refused');
    expect(s.calls().filter((c) => c.startsWith('--gpu-reset'))).toHaveLength(2);
  });
});
