import { recordRun } from './measure.js';
import { splitCommand } from './args.js';
const cmds = process.argv.slice(3); const n = Number(process.argv[2]);
const res = new Map<string, number[]>();
const env = { ...process.env, CI: 'false', TERM: 'xterm-256color' } as Record<string, string>;
delete env.NODE_ENV; delete env.COLUMNS; delete env.LINES;
for (let i = 0; i < n; i++) for (const c of cmds) {
  const [cmd, ...args] = splitCommand(c);
  const r = await recordRun({ cmd: cmd!, args, cols: 120, rows: 40, env, seconds: 1.5 } as never, 'ember');
  res.set(c, [...(res.get(c) ?? []), r.firstFrameMs ?? NaN]);
}
for (const [c, xs] of res) { const s = [...xs].sort((a, b) => a - b); console.log(c.padEnd(36), 'median', s[Math.floor(s.length / 2)]!.toFixed(0), 'min', s[0]!.toFixed(0), 'all', s.map((x) => x.toFixed(0)).join(' ')); }
