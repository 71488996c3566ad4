import { describe, expect, it } from 'vitest';
import { vmsScreen } from '../../../screens/vms.js';
import { renderScreen } from '../../../screens/host.js';
import type { ScreenCtx } from '../../../screens/types.js';
import { noColor } from '../../../themes/index.js';
import { width } from '../../../widgets/primitives/text.js';
import { enginesInto, vmDetailLines, vmListLines } from '../../../widgets/panels/vms.js';
import type { VmsData } from '../../../backends/vms/types.js';
import { demoStore } from '../../helpers/demo-state.js';

async function demoVms(cols: number, rows: number) {
  const { store, now } = await demoStore(cols, rows);
  const host = store.getState().hosts[store.getState().current]!;
  const ctx: ScreenCtx = { samples: host.samples, history: host.history, theme: noColor, cols, rows, now, staleMs: 60_000, scroll: {}, filter: '' };
  return { ctx, sample: host.samples.vms };
}

describe('the demo box\'s VMs, read by the real backend and drawn by the VMs screen', () => {
  it('finds the agent VM (libvirt), a Green on the golden image and a Green whose heartbeat is missing', async () => {
    const { sample } = await demoVms(120, 40);
    expect(sample.state).toBe('ok');
    const d = (sample as { data: VmsData }).data;
    expect(d.vms.map((v) => `${v.name}:${v.kind}:${v.state}`)).toEqual(['workstation_agent:libvirt:running', 'green-1:qemu:running', 'green-2:qemu:running']);
    const g1 = d.vms[1]!;
    expect(g1.disks[0]!.chain.map((c) => c.filename)).toEqual(['/srv/vm/green-1.qcow2', '/srv/vm/golden/ubuntu-24.04-green.qcow2']);
    expect(g1.snapshots.map((s) => s.name)).toEqual(['clean', 'pre-upgrade']);
    expect(g1.cpuPct).toBeGreaterThan(100); // two readings a second apart: ~1.8 cores
    expect(d.heartbeats['green-2']).toMatchObject({ state: 'missing', misses: 2, missLimit: 3 });
    expect(d.routes.find((r) => r.name === 'libvirt')?.state).toBe('ok');
  });

  for (const [cols, rows] of [[80, 24], [120, 40]] as const) {
    it(`fills the screen at ${cols}×${rows}: every line exactly as wide, the missing heartbeat and the golden visible`, async () => {
      const { ctx } = await demoVms(cols, rows);
      const lines = renderScreen(vmsScreen, ctx, vmsScreen.panels(ctx));
      expect(lines).toHaveLength(rows);
      for (const l of lines) expect(width(l)).toBe(cols);
      const text = lines.join('\n');
      for (const s of ['workstation_agent', 'green-1', 'green-2', 'missing', 'golden', 'libvirt']) expect(text).toContain(s);
    });
  }

  it('the filter narrows the list and the detail; escape sequences in names are stripped', async () => {
    const { sample } = await demoVms(120, 40);
    const d = (sample as { data: VmsData }).data;
    expect(vmListLines(d, 120, noColor, 'green-2').join('\n')).not.toContain('green-1');
    expect(vmListLines(d, 120, noColor, 'green-2').join('\n')).toContain('2 hidden by the filter');
    const evil: VmsData = { ...d, vms: [{ ...d.vms[1]!, name: 'x\u001b[2Jy\u0007' }] };
    const out = [...vmListLines(evil, 120, noColor), ...vmDetailLines(evil, 120, noColor, 0)].join('\n');
    expect(out).not.toMatch(/\u001b|\u0007/);
    expect(out).toContain('xy');
  });

  it('the detail says why a heartbeat is missing or failed (the watchdog\'s why), stripped of escapes', async () => {
    const { sample } = await demoVms(120, 40);
    const d = (sample as { data: VmsData }).data;
    expect(vmDetailLines(d, 120, noColor, 0, 'green-2').join('\n')).toContain('why: tcp 127.0.0.1:2223: timed out after 5 s');
    const failed: VmsData = { ...d, heartbeats: { 'green-2': { state: 'failed', why: 'restart failed: \u001b[31mno start argv\u0007' } } };
    const out = vmDetailLines(failed, 120, noColor, 0, 'green-2').join('\n');
    expect(out).toContain('why: restart failed: no start argv');
    expect(out).not.toContain('\u001b[31m');
    expect(out).not.toContain('\u0007');
  });

  it('engines whose loopback address is a forwarded port of a VM are shown inside it', async () => {
    const { sample } = await demoVms(120, 40);
    const d = (sample as { data: VmsData }).data;
    const g1 = d.vms.find((v) => v.name === 'green-1')!;
    const withFwd = { ...g1, hostfwd: [...g1.hostfwd, { proto: 'tcp' as const, hostAddr: '127.0.0.1', hostPort: 8080, guestPort: 8000 }] };
    expect(enginesInto(withFwd, [{ name: 'llama', port: 8080 }, { name: 'vllm', openai: 'http://localhost:8080/v1' }, { name: 'far', host: '10.0.0.5', port: 8080 }, { name: 'other', port: 9090 }]))
      .toEqual(['llama (:8080→8000)', 'vllm (:8080→8000)']);
    const lines = vmDetailLines({ ...d, vms: [withFwd] }, 120, noColor, 0, '', [{ name: 'llama', port: 8080 }]).join('\n');
    expect(lines).toContain('engines in it llama (:8080→8000)');
  });
});
