/** The Tunnels panel beside the services on the Engines screen: one row per tunnel, every state, fixed widths. */
import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { composeFrame } from '../../src/app/frame.js';
import type { TunnelStatus } from '../../src/daemon/types.js';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import type { EnginesData } from '../../src/engines/source.js';
import { themeByName } from '../../themes/index.js';
import { NO_TUNNELS, tunnelsBadge, tunnelsLines } from '../../widgets/panels/tunnels.js';
import { ALL_STATES } from '../helpers/engines.js';

const theme = themeByName('no-color');
const plain = (ls: string[]) => ls.map((l) => stripAnsi(l));
const T = 1_750_000_000_000;
const tunnel = (state: TunnelStatus['state'], o: Partial<TunnelStatus> = {}): TunnelStatus => ({
  name: `t-${state}`, kind: 'process', state, pids: [], restarts: 0, warnings: [], forwards: ['8000→127.0.0.1:8000'], via: 'omni', probe: 'tcp 127.0.0.1:8000', ...o,
});

describe('tunnelsLines', () => {
  it('every state at 40, 60 and 100 columns: exactly that wide, glyph and word; one line each from 70 columns, two below', () => {
    const ts = ALL_STATES.map((s) => tunnel(s, s === 'backoff' ? { message: 'restart in 4 s (exit 255)', restarts: 3 } : s === 'healthy' ? { health: { state: 'ready', at: T } } : {}));
    for (const w of [40, 60, 100]) {
      const lines = tunnelsLines(ts, w, theme);
      expect(lines).toHaveLength(w >= 70 ? ts.length : 2 * ts.length);
      for (const l of lines) expect(stringWidth(l)).toBe(w);
    }
    const text = plain(tunnelsLines(ts, 100, theme)).join('\n');
    expect(text).toMatch(/✓ healthy\s+t-healthy\s+8000→127\.0\.0\.1:8000 via omni\s+ready/);
    expect(text).toMatch(/▲ backoff\s+t-backoff\s+8000→127\.0\.0\.1:8000 via omni\s+restart in 4 s \(exit 255\) · 3 restarts/);
    expect(text).toMatch(/· stopped\s+t-stopped .*stopped/);
    // narrow: the forward and its host on a second line under the state, name and probe
    const narrow = plain(tunnelsLines(ts, 46, theme));
    expect(narrow[0]).toMatch(/^· stopped\s+t-stopped\s+stopped/);
    expect(narrow[1]).toMatch(/^\s{12}8000→127\.0\.0\.1:8000 via omni\s*$/);
  });

  it('none configured says how to add one; the badge counts the healthy ones', () => {
    expect(plain(tunnelsLines([], 60, theme))[0]).toContain(NO_TUNNELS);
    expect(tunnelsBadge([], theme)).toBeUndefined();
    expect(stripAnsi(tunnelsBadge([tunnel('healthy'), tunnel('backoff')], theme)!)).toBe('1/2 healthy');
  });

  it('text from outside cannot move the cursor', () => {
    const text = tunnelsLines([tunnel('degraded', { name: 'x\u001b[2Jy', health: { state: 'down', message: 'refused\u001b]0;t\u0007', at: T } })], 80, theme).join('');
    expect(text).not.toMatch(/\u001b\[2J|\u001b\]0/);
  });
});

describe('the Engines screen of the demo box', () => {
  it('shows the Tunnels panel beside the services: omni-bridge healthy, forge-metrics in backoff (120×40 and 80×24)', async () => {
    const { demoStore } = await import('../helpers/demo-state.js');
    for (const [cols, rows] of [[120, 40], [80, 24]] as const) {
      const { store, now } = await demoStore(cols, rows);
      const link = createDemoEnginesLink({ now: () => now });
      const data: EnginesData = { engines: await link.call('engines.list', {}), tunnels: await link.call('tunnels.list', {}) };
      store.getState().ingest(store.getState().current, { engines: { state: 'ok', data } }, now);
      store.getState().setScreen('engines');
      const lines = composeFrame(store.getState(), now, 1000).lines.map((l) => stripAnsi(l));
      expect(lines).toHaveLength(rows);
      for (const l of lines) expect(stringWidth(l)).toBe(cols);
      const text = lines.join('\n');
      expect(text, `${cols}×${rows}`).toMatch(/Tunnels/);
      expect(text).toMatch(/✓ healthy\s+omni-bridge/);
      expect(text).toMatch(/▲ backoff\s+forge-metrics/);
      expect(text).toMatch(/omni-bridge\s+(8000→127\.0\.0\.1:8000 via omni\s+)?ready · 1 restart/);
      expect(text).toMatch(/8000→127\.0\.0\.1:8000 via omni/);
      expect(text).toMatch(/R 9100→127\.0\.0\.1:9100 via forge/);
    }
  });
});
