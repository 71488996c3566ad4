/**
 * Tunnels beside the services (Engines screen): per tunnel its state glyph and word, name, forward and the host it
 * goes through, the probe's answer (or why it is not up), restarts. Pure line builders.
 */
import type { TunnelStatus } from '../../src/daemon/types.js';
import { paint, type Theme } from '../../themes/tokens.js';
import { stateText } from './engines.js';
import { fit, sanitize } from '../primitives/text.js';

export const NO_TUNNELS = 'no tunnels configured (tunnels: in the config)';

/** what to say after the forward: the probe's answer while it runs, why not otherwise */
function probeText(t: TunnelStatus, theme: Theme): string {
  if (t.state === 'healthy') return t.health ? paint(theme, 'ok', t.health.state) : paint(theme, 'muted', 'up');
  if (t.state === 'stopped') return paint(theme, 'muted', 'stopped');
  const why = t.state === 'starting' || t.state === 'degraded' ? (t.health?.message ?? t.message) : (t.message ?? t.health?.message);
  return paint(theme, t.state === 'starting' ? 'muted' : 'warn', sanitize(why ?? t.state));
}

/** One line per tunnel from 70 columns; narrower, the forward and its host go on a second, indented line. */
export function tunnelsLines(ts: TunnelStatus[], w: number, theme: Theme): string[] {
  if (!ts.length) return [paint(theme, 'muted', fit(NO_TUNNELS, w))];
  const nameW = Math.min(16, Math.max(6, ...ts.map((t) => sanitize(t.name).length)));
  const route = (t: TunnelStatus) => sanitize(`${t.forwards.join(', ')} via ${t.via}`);
  const fwdW = Math.min(34, Math.max(8, ...ts.map((t) => route(t).length)));
  const wide = w >= 70;
  return ts.flatMap((t) => {
    const state = fit(stateText(theme, t.state), 11);
    const restarts = t.restarts ? paint(theme, t.state === 'healthy' ? 'muted' : 'warn', ` · ${t.restarts} restart${t.restarts === 1 ? '' : 's'}`) : '';
    const head = `${state} ${fit(sanitize(t.name), nameW)} `;
    if (wide) return [fit(`${head}${fit(route(t), fwdW)} ${probeText(t, theme)}${restarts}`, w)];
    return [fit(`${head}${probeText(t, theme)}${restarts}`, w), paint(theme, 'muted', fit(`${' '.repeat(12)}${route(t)}`, w))];
  });
}

/** "1/2 healthy" for the badge */
export function tunnelsBadge(ts: TunnelStatus[], theme: Theme): string | undefined {
  if (!ts.length) return undefined;
  const up = ts.filter((t) => t.state === 'healthy').length;
  return paint(theme, up === ts.length ? 'ok' : 'warn', `${up}/${ts.length} healthy`);
}
