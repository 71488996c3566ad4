import { describe, expect, it, vi } from 'vitest';
import { TUNNEL_ACTIONS } from '../../src/actions/tunnels.js';
import type { ActionCtx } from '../../src/actions/types.js';
import { paletteEntries } from '../../src/app/palette.js';
import { parseConfigText } from '../../src/config/load.js';
import type { TunnelStatus } from '../../src/daemon/types.js';
import type { Samples } from '../../src/store/types.js';
import { KEYMAP } from '../../src/keys/keymap.js';
import { fakeLink } from '../helpers/engines.js';

const [start, stop, restart] = TUNNEL_ACTIONS as [typeof TUNNEL_ACTIONS[0], typeof TUNNEL_ACTIONS[0], typeof TUNNEL_ACTIONS[0]];
const r = parseConfigText('hosts:\n  - name: omni\n    ssh: { host: 100.64.0.7, user: ops }\ntunnels:\n  - name: omni-bridge\n    via: omni\n    local: [{ port: 8000, to: 127.0.0.1:8000 }]\n', 'c.yaml');
if (!r.ok) throw new Error(r.text);
const tunnel = (name: string, state: TunnelStatus['state']): TunnelStatus => ({ name, kind: 'process', state, pids: [], restarts: 0, warnings: [], forwards: ['8000→127.0.0.1:8000'], via: 'omni', probe: 'tcp 127.0.0.1:8000', ...(state === 'healthy' ? { pid: 77 } : {}) });

function ctx(tunnels: TunnelStatus[], over: Partial<ActionCtx> = {}): ActionCtx & { link: ReturnType<typeof fakeLink> } {
  const link = fakeLink({
    'tunnels.start': ({ name }) => ({ ...tunnel(name, 'starting'), pid: 99 }),
    'tunnels.stop': ({ name }) => tunnel(name, 'stopped'),
    'tunnels.restart': ({ name }) => { if (name === 'gone') throw Object.assign(new Error('no tunnel named "gone"'), { code: 404 }); return { ...tunnel(name, 'starting'), pid: 100 }; },
  });
  const samples = { engines: { state: 'ok', data: { engines: [], tunnels }, at: 1, tookMs: 1 } } as unknown as Samples;
  return { readOnly: false, setLogs: vi.fn(), link, samples, config: r.ok ? r.config : undefined, args: { tunnel: 'omni-bridge' }, ...over } as ActionCtx & { link: ReturnType<typeof fakeLink> };
}

describe('tunnel actions', () => {
  it('keyless T1 actions, offered in the palette on every screen with the tunnels as choices; no key bindings', () => {
    for (const a of TUNNEL_ACTIONS) {
      expect(a).toMatchObject({ tier: 'T1', keys: [], args: { tunnel: expect.any(String) } });
      expect(a.argChoices!(ctx([tunnel('omni-bridge', 'healthy'), tunnel('b', 'stopped')]), 'tunnel')).toEqual(['omni-bridge', 'b']);
    }
    for (const screen of ['engines', 'overview'] as const) expect(paletteEntries(screen).map((e) => e.id)).toEqual(expect.arrayContaining(['tunnel.start', 'tunnel.stop', 'tunnel.restart']));
    expect(KEYMAP.some((b) => b.id.startsWith('tunnel.'))).toBe(false);
  });

  it('when: read-only, no daemon, an unknown tunnel, already running / not running say why', () => {
    const c = ctx([tunnel('omni-bridge', 'healthy')]);
    expect(start.when({ ...c, readOnly: true })).toBe('Start tunnel is disabled: sov runs --read-only');
    expect(stop.when({ ...c, link: undefined, noLink: 'the daemon is not running' } as unknown as ActionCtx)).toBe('the daemon is not running');
    expect(start.when({ ...c, args: { tunnel: 'nope' } })).toBe('no tunnel named "nope" (known: omni-bridge)');
    expect(start.when(c)).toBe('omni-bridge is already running (healthy, pid 77)');
    expect(stop.when(c)).toBe(true);
    expect(restart.when(ctx([tunnel('omni-bridge', 'stopped')]))).toMatch(/is stopped/);
    // not asked yet: the palette asks for it
    expect(stop.when({ ...c, args: {} })).toBe(true);
  });

  it('describe shows the exact ssh; run asks the daemon; an unknown name exits 3', async () => {
    const c = ctx([tunnel('omni-bridge', 'stopped')]);
    expect(start.describe(c)).toBe('start tunnel omni-bridge: `ssh -N -T -o ExitOnForwardFailure=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=3 -o BatchMode=yes -o ConnectTimeout=10 -o ControlMaster=no -o ControlPath=none -L 127.0.0.1:8000:127.0.0.1:8000 ops@100.64.0.7`');
    expect(await start.run(c)).toEqual({ kind: 'done', message: 'tunnel omni-bridge: start → starting (pid 99)' });
    expect(c.link.calls).toEqual([{ method: 'tunnels.start', params: { name: 'omni-bridge' } }]);
    expect(await stop.run(c)).toMatchObject({ kind: 'done', message: 'tunnel omni-bridge: stop → stopped' });
    expect(await restart.run({ ...c, args: { tunnel: 'gone' } })).toMatchObject({ kind: 'error', exitCode: 3 });
  });
});
