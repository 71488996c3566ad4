// Command-line handling for bench/run.ts.
import { parseArgs } from 'node:util';

/** Splits a command line into argv like a POSIX shell would for quotes and backslashes (no expansion, no shell). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && '"\\$`'.includes(line[i + 1] ?? 'x')) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export interface BenchOptions {
  cmd: string[];
  marker?: string;
  seconds: number;
  warmupSeconds: number;
  cols: number;
  rows: number;
  repeat: number;
  htop: string[] | undefined;
  htopMarker?: string;
  app: boolean;
  soak: boolean;
  soakCmd: string[];
  soakSeconds: number;
  soakWarmupSeconds: number;
  soakIntervalMs: number;
  out: string;
  strict: boolean;
  /** the daemon's supervision overhead and restart latency (bench/supervision.ts) */
  supervision: boolean;
  supervisionSeconds: number;
  restartTrials: number;
  /** chat rendering at 2000 tok/s (bench/chat.ts) */
  chat: boolean;
  /** the command again with --demo-scale N (the demo box ×N), its steady CPU against the demo box's; 0 = not run */
  scale: number;
  /** key → redraw latency through the PTY (bench/keys.ts) */
  keys: boolean;
}

export const USAGE = `usage: tsx bench/run.ts [options]   (npm run bench -- [options])
  --cmd "CMD ARGS"        command under test (default: "dist/sov.js --demo": the bin, run through its shebang as sov is)
  --marker TEXT           text that must be on screen for the first frame to count (default: "ember" for the
                          default command, the overview's last panel; any text for another --cmd)
  --seconds N             how long each run lasts (default 60)
  --warmup N              seconds left out of the steady-state figures (default 5)
  --cols N --rows N       terminal size (default 120×40)
  --repeat N              runs per command; figures are medians (default 1)
  --htop-cmd "CMD ARGS"   the reference (default: "htop -d 10" when htop is on PATH)
  --htop-marker TEXT      (default: "Load average")
  --no-htop --no-app --no-soak --no-supervision --no-chat --no-scale --no-keys   skip a part
  --scale N               the command again with --demo-scale N, the demo box ×N (default 8 with a --demo command)
  --soak-cmd "CMD ARGS"   (default: the command + " --interval-ms I --demo-speed 1000/I")
  --soak-seconds N        (default 120) --soak-warmup N (default 15) --soak-interval-ms N (default 5)
  --supervision-seconds N how long the daemon is measured with 5 healthy sim engines (default 60)
  --restart-trials N      kill -9 restarts timed, on different engines; 0 = none (default 5)
  --out FILE              JSON results (default .bench/results.json)
  --strict                exit 1 when a budget fails`;

export function parseBenchArgs(argv: string[], htopPath: string | undefined): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      cmd: { type: 'string', default: 'dist/sov.js --demo' },
      marker: { type: 'string' },
      seconds: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '5' },
      cols: { type: 'string', default: '120' },
      rows: { type: 'string', default: '40' },
      repeat: { type: 'string', default: '1' },
      'htop-cmd': { type: 'string' },
      'htop-marker': { type: 'string', default: 'Load average' },
      'no-htop': { type: 'boolean', default: false },
      'no-app': { type: 'boolean', default: false },
      'no-soak': { type: 'boolean', default: false },
      'no-supervision': { type: 'boolean', default: false },
      'no-chat': { type: 'boolean', default: false },
      'no-scale': { type: 'boolean', default: false },
      'no-keys': { type: 'boolean', default: false },
      scale: { type: 'string', default: '8' },
      'supervision-seconds': { type: 'string', default: '60' },
      'restart-trials': { type: 'string', default: '5' },
      'soak-cmd': { type: 'string' },
      'soak-seconds': { type: 'string', default: '120' },
      'soak-warmup': { type: 'string', default: '15' },
      'soak-interval-ms': { type: 'string', default: '5' },
      out: { type: 'string', default: '.bench/results.json' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new UsageError(USAGE);
  const num = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}\n${USAGE}`);
    return n;
  };
  const cmd = splitCommand(values.cmd);
  if (cmd.length === 0) throw new UsageError(`--cmd is empty\n${USAGE}`);
  const soakIntervalMs = num('soak-interval-ms', values['soak-interval-ms'], 1);
  const htopLine = values['htop-cmd'] ?? (htopPath ? `${htopPath} -d 10` : undefined);
  return {
    cmd,
    // the demo's overview is complete once the ember pool is drawn (the last panel); another --cmd: any text
    marker: values.marker ?? (values.cmd === 'dist/sov.js --demo' ? 'ember' : undefined),
    seconds: num('seconds', values.seconds, 1),
    warmupSeconds: num('warmup', values.warmup, 0),
    cols: num('cols', values.cols, 10),
    rows: num('rows', values.rows, 5),
    repeat: Math.floor(num('repeat', values.repeat, 1)),
    htop: values['no-htop'] || !htopLine ? undefined : splitCommand(htopLine),
    htopMarker: values['htop-marker'],
    app: !values['no-app'],
    soak: !values['no-soak'],
    soakCmd: values['soak-cmd'] ? splitCommand(values['soak-cmd']) : [...cmd, '--interval-ms', String(soakIntervalMs), '--demo-speed', String(1000 / soakIntervalMs)],
    soakSeconds: num('soak-seconds', values['soak-seconds'], 1),
    soakWarmupSeconds: num('soak-warmup', values['soak-warmup'], 0),
    soakIntervalMs,
    out: values.out,
    strict: values.strict,
    supervision: !values['no-supervision'],
    supervisionSeconds: num('supervision-seconds', values['supervision-seconds'], 1),
    restartTrials: Math.floor(num('restart-trials', values['restart-trials'], 0)),
    chat: !values['no-chat'],
    scale: values['no-scale'] || !cmd.includes('--demo') ? 0 : Math.floor(num('scale', values.scale, 2)),
    keys: !values['no-keys'] && !values['no-app'],
  };
}

export class UsageError extends Error {}
