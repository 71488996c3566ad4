/**
 * `sov status --host NAME` and `sov status --all-hosts`: the same document as `sov status`, for a host of the
 * config's `hosts:` (over SSH) or for every host at once ({ schema, hosts: [ …one document per host… ] }).
 * Every host is sampled in parallel under the same 15 s deadline; a host that cannot be reached says why in its
 * own samples (an error per source), never by failing the others.
 */
import { BACKENDS } from '../../backends/index.js';
import type { Runner, SourceId } from '../../backends/types.js';
import type { Options } from '../app/options.js';
import type { HostConfig } from '../config/hosts.js';
import { resolvePaths } from '../daemon/paths.js';
import type { Samples } from '../store/types.js';
import { sanitize } from '../../widgets/primitives/text.js';
import { summarize } from '../cli/summary.js';
import { killAllChildren } from '../runner/local.js';
import { findHost, hostRunners, REMOTE_SKIPPED, type HostRunner } from './runner.js';

type Collected = { host: string; at: number; samples: Samples };

async function configuredHosts(o: Options): Promise<{ hosts: HostConfig[] } | { error: string }> {
  if (o.demo) return { hosts: [] };
  const path = resolvePaths({ ...(o.config !== undefined ? { config: o.config } : {}) }).configPath;
  const { loadConfig } = await import('../config/load.js');
  const r = await loadConfig(path);
  if (!r.ok) return { error: r.text };
  return { hosts: r.config.hosts };
}

/** The public document for one host: the host sources only, as `sov status --json`. */
export function hostDocument(schema: number, r: Collected, only?: readonly SourceId[]): { schema: number; host: string; at: number; samples: Record<string, unknown> } {
  return { schema, host: r.host, at: r.at, samples: Object.fromEntries(BACKENDS.map((b) => [b.id, !only || only.includes(b.id) ? r.samples[b.id] : { ...REMOTE_SKIPPED, at: r.at }])) };
}

export async function statusHosts(o: Options, out: (s: string) => void, collect: (runner: Runner, only?: readonly SourceId[]) => Promise<Collected>): Promise<number> {
  const cfg = await configuredHosts(o);
  if ('error' in cfg) { process.stderr.write(`sov: ${sanitize(cfg.error)}\n`); return 7; }
  const all = hostRunners({ demo: o.demo, demoSpeed: o.demoSpeed, hosts: cfg.hosts });
  let chosen: HostRunner[] = all;
  if (o.host !== undefined) {
    const h = findHost(all, o.host);
    if (!h) {
      process.stderr.write(`sov: no host named "${sanitize(o.host)}" (known: ${all.map((x) => x.name).join(', ')}; add it under hosts: in the config)\n`);
      return 2;
    }
    chosen = [h];
  }
  let results: Collected[];
  try {
    results = await Promise.all(chosen.map((h) => collect(h.runner, h.only)));
  } finally {
    // queued commands are refused first, so nothing starts after the groups are killed
    const closing = chosen.map((h) => h.close().catch(() => {}));
    killAllChildren();
    await Promise.all(closing);
  }
  if (o.json) {
    const docs = results.map((r, i) => hostDocument(1, r, chosen[i]!.only));
    out(JSON.stringify(o.allHosts ? { schema: 1, hosts: docs } : docs[0], null, 2) + '\n');
  } else {
    out(results.map((r) => summarize(r.host, r.at, r.samples)).join('\n\n') + '\n');
  }
  const missing = results.flatMap((r) => o.require.filter((id) => r.samples[id].state !== 'ok').map((id) => `${r.host}:${id}`));
  if (missing.length && !o.json) process.stderr.write(`sov: required source not ok: ${missing.join(', ')}\n`);
  return missing.length ? 2 : 0;
}
