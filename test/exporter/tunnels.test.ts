/** Per-tunnel series: sov_tunnel_state (a state set like sov_engine_state) and sov_tunnel_restarts_total; promtool passes. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDemoEnginesLink } from '../../src/demo/engines.js';
import { buildFamilies, ENGINE_STATES, renderMetrics } from '../../src/exporter/metrics.js';
import { one, rows } from './helpers.js';

const havePromtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].some(existsSync);

describe('tunnel metrics', () => {
  it('the demo daemon\'s tunnels: a state set per tunnel (one 1, the rest 0) and its restarts', async () => {
    const tunnels = await createDemoEnginesLink({ now: () => 1_750_000_000_000 }).call('tunnels.list', {});
    const f = buildFamilies({ samples: {}, host: 'omni', tunnels });
    expect(rows(f, 'sov_tunnel_state', { tunnel: 'omni-bridge' }).map((r) => r.labels.state)).toEqual([...ENGINE_STATES]);
    const on = (tunnel: string) => rows(f, 'sov_tunnel_state', { tunnel }).filter((r) => r.value === 1).map((r) => r.labels.state);
    expect([on('omni-bridge'), on('forge-metrics')]).toEqual([['healthy'], ['backoff']]);
    expect(one(f, 'sov_tunnel_restarts_total', { tunnel: 'forge-metrics' })).toBe(6);
    expect(one(f, 'sov_tunnel_restarts_total', { tunnel: 'omni-bridge' })).toBe(1);
  });

  it('no tunnels (no daemon, an older one): no tunnel series', () => {
    const f = buildFamilies({ samples: {}, host: 'omni' });
    expect(f.has('sov_tunnel_state')).toBe(false);
    expect(f.has('sov_tunnel_restarts_total')).toBe(false);
  });

  it.runIf(havePromtool)('promtool check metrics passes the text', async () => {
    const tunnels = await createDemoEnginesLink({ now: () => 1_750_000_000_000 }).call('tunnels.list', {});
    const { text } = await renderMetrics({ samples: {}, host: 'omni', tunnels: [...tunnels, { ...tunnels[0]!, name: 'a"b\\c' }] });
    expect(text).toContain('# TYPE sov_tunnel_restarts_total counter');
    expect(text).toContain('sov_tunnel_state{tunnel="omni-bridge",state="healthy"} 1');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
