import { HOST_SOURCES } from '../../backends/ids.js';
import { parseArgs } from 'node:util';
import type { SourceId } from '../../backends/types.js';
import type { GlyphSetName, ThemeName } from '../store/types.js';
import { consoleTerm } from '../../themes/console-term.js';

export interface Options {
  command: 'tui' | 'status' | 'help' | 'version';
  demo: boolean;
  readOnly: boolean;
  json: boolean;
  require: SourceId[];
  intervalMs: number;
  demoSpeed: number;
  /** --demo-scale N: the demo box ×N (N GPUs, N NUMA nodes, 200 disks, 500 datasets, 4 + 2N engines): the bench's scale run */
  demoScale: number;
  theme?: ThemeName;
  /** console: only the Linux console font's glyphs (--ascii, or TERM=linux, vt100, dumb), with the tty theme unless --theme says */
  glyphs: GlyphSetName;
  /** --config PATH: the config the cockpit reads engines and services from (default $XDG_CONFIG_HOME/sov/config.yaml) */
  config?: string;
  /** --offline: the chat starts in blackout (only loopback providers are tried) */
  offline: boolean;
  /** --host NAME: sov status samples that host of the config's `hosts:` (over SSH) instead of this machine */
  host?: string;
  /** --all-hosts: sov status samples this machine and every configured host, one document each */
  allHosts: boolean;
}

export const USAGE = `sov — the sovereign AI box cockpit

usage:
  sov [--demo] [--read-only] [--theme dark|light|high-contrast|no-color|tty] [--ascii] [--interval-ms N]
  sov status [--json] [--require nvidia,numa,system,zfs,vms] [--demo]   answers within 15 s, whatever hangs
  sov status --host NAME | --all-hosts [--json]   a host of the config's hosts: (over SSH), or every host
  sov engines ls|start|stop|restart|logs|bench …   engines, through the daemon (sov engines --help)
  sov tunnels ls|start|stop|restart …              SSH tunnels the daemon keeps up (sov tunnels --help)
  sov daemon --foreground|start|status|stop|reload  the supervision daemon (sov daemon --help)
  sov do ACTION [--arg k=v …] [--dry-run] [--json] [--read-only]   an action of the cockpit, headless (sov do --list)
  sov doctor [--json] [--demo] [--blueprint FILE]   the box against its blueprint: PASS/WARN/FAIL/UNKNOWN (sov doctor --help)
  sov vms ls|snapshots|snapshot|revert|reimage|ssh …   VMs: inventory, snapshots, golden images (sov vms --help); sov ssh NAME
  sov tripcode init|sign CODE|apply PAYLOAD|code ACTION   signed tripcodes for T3 actions, LOCKDOWN and UNLOCK (sov tripcode --help)
  sov audit ls|verify [--json]   the hash-chained audit log: who did what, and whether any byte was edited
  sov exporter [--demo] [--listen 127.0.0.1:PORT]   a Prometheus /metrics endpoint (the daemon serves it with exporter: in the config)
  sov chat [--provider X] [--model M] [--offline] [--json] "prompt"   chat headless (sov chat --help)

options:
  --demo            a simulated OMNI-class box (2 GPUs, 4 NUMA nodes, ZFS with a resilver) instead of this machine
  --read-only       a monitor: no action can change anything (for a pinned tmux pane)
  --json            headless output as one JSON document (schema 1)
  --require LIST    exit 2 when any of these sources is not ok
  --interval-ms N   refresh interval (default 1000)
  --theme NAME      start with this theme (NO_COLOR in the environment selects no-color)
  --ascii           only the console font's glyphs (ASCII, ─│┌┐ ░▒▓█) and 16 colours; TERM=linux does the same
  --demo-speed X    run the demo clock X times faster (benchmarks)
  --demo-scale N    the demo box ×N: N GPUs and NUMA nodes, 200 disks, 500 datasets, 4 + 2N engines, one logging
                    1250·N lines/s (benchmarks: npm run bench compares ×8 with the demo box)
  --config PATH     engines and services from this config (default $XDG_CONFIG_HOME/sov/config.yaml)
  --offline         blackout: the chat tries only loopback providers

exit codes: 0 ok · 2 a required source is not ok, or bad arguments
            engines/daemon/do: 1 failed or refused · 3 no such engine · 4 failed to start · 5 crash loop · 6 daemon down ·
            7 the config is invalid`;

export class UsageError extends Error {}

/** `sov daemon …`, `sov engines …` and `sov do …` parse the rest of argv themselves (src/cli/daemon.ts, engines.ts, do.ts). */
export function subcommand(argv: string[]): { command: 'daemon' | 'engines' | 'do'; rest: string[] } | undefined {
  const first = argv[0];
  return first === 'daemon' || first === 'engines' || first === 'do' ? { command: first, rest: argv.slice(1) } : undefined;
}

/** the sampled sources (backends/ids.ts; a test holds BACKENDS to the same list: --require vms was once refused) */
const SOURCES: readonly SourceId[] = HOST_SOURCES;
const THEMES: ThemeName[] = ['dark', 'light', 'high-contrast', 'no-color', 'tty'];

/** --demo-scale: a whole number 1–16 */
function demoScale(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new UsageError(`--demo-scale wants a whole number 1–16, got "${raw}"`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        demo: { type: 'boolean' }, 'read-only': { type: 'boolean' }, json: { type: 'boolean' }, require: { type: 'string' },
        'interval-ms': { type: 'string' }, 'demo-speed': { type: 'string' }, 'demo-scale': { type: 'string' }, theme: { type: 'string' }, config: { type: 'string' }, offline: { type: 'boolean' }, ascii: { type: 'boolean' }, host: { type: 'string' }, 'all-hosts': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const [cmd, ...rest] = parsed.positionals;
  if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
  if (cmd !== undefined && cmd !== 'status') throw new UsageError(`unknown command: ${cmd}`);
  const num = (name: string, raw: string | undefined, def: number, min: number) => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} wants a number ≥ ${min}, got "${raw}"`);
    return n;
  };
  const require = (v.require ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  for (const r of require) if (!SOURCES.includes(r as SourceId)) throw new UsageError(`--require: unknown source "${r}" (known: ${SOURCES.join(', ')})`);
  if (v.theme !== undefined && !THEMES.includes(v.theme as ThemeName)) throw new UsageError(`--theme: unknown theme "${v.theme}" (known: ${THEMES.join(', ')})`);
  if (v['demo-scale'] !== undefined && !v.demo) throw new UsageError('--demo-scale scales the demo box: add --demo');
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const glyphs: GlyphSetName = v.ascii || consoleTerm(env.TERM) ? 'console' : 'unicode';
  return {
    command: v.help ? 'help' : v.version ? 'version' : cmd === 'status' ? 'status' : 'tui',
    demo: v.demo ?? false,
    readOnly: v['read-only'] ?? false,
    json: v.json ?? false,
    require: require as SourceId[],
    intervalMs: num('interval-ms', v['interval-ms'], 1000, 1),
    demoSpeed: num('demo-speed', v['demo-speed'], 1, 0.001),
    demoScale: demoScale(v['demo-scale']),
    theme: (v.theme as ThemeName | undefined) ?? (noColor ? 'no-color' : glyphs === 'console' ? 'tty' : undefined),
    glyphs,
    ...(v.config !== undefined ? { config: v.config } : {}),
    offline: v.offline ?? false,
    ...(v.host !== undefined ? { host: v.host } : {}),
    allHosts: v['all-hosts'] ?? false,
  };
}
