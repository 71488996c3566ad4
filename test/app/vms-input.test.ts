/**
 * The VMs screen's selection: j/k move it (drawn as ›), and enter runs vm.ssh for the selected VM — on the demo box
 * it is refused with why (its VMs are simulated), naming nothing else; a VM action from the palette is pre-filled
 * with the selected VM.
 */
import stripAnsi from 'strip-ansi';
import { describe, expect, it, vi } from 'vitest';
import { actionContext } from '../../src/actions/context.js';
import { composeFrame } from '../../src/app/frame.js';
import { handleKey, type Controller } from '../../src/app/input.js';
import { demoStore } from '../helpers/demo-state.js';

describe('the VMs screen selection', () => {
  it('j/k move the selection; enter asks to attach to the selected VM (refused on the demo, with why)', async () => {
    const { store, now } = await demoStore(120, 40);
    const names = (() => { const v = store.getState().hosts[store.getState().current]!.samples.vms; return v.state === 'ok' ? v.data.vms.map((x) => x.name) : []; })();
    expect(names.length).toBeGreaterThan(1);
    const c: Controller = {
      refresh: vi.fn(), quit: vi.fn(), now: () => now, pageSize: () => 10,
      panels: () => [{ id: 'vms.list' }, { id: 'vms.detail' }, { id: 'vms.routes' }],
      actionCtx: () => actionContext(store, {}),
    };
    const press = (k: string) => handleKey(store, c, k, k);
    press('0');
    expect(store.getState().ui.screen).toBe('vms');
    press('j');
    expect(store.getState().ui.vm).toBe(names[1]);
    const frame = stripAnsi(composeFrame(store.getState(), now, 1000).lines.join('\n'));
    expect(frame).toMatch(new RegExp(`› ${names[1]}`));
    press('k');
    press('k');
    expect(store.getState().ui.vm).toBe(names[0]);
    // the selection reaches the action as its argument
    expect(actionContext(store, {}).args).toEqual({ vm: names[0] });
    press('enter');
    expect(store.getState().ui.message?.text).toMatch(/demo box's VMs are simulated/);
  });
});
