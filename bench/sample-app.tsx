// A stand-in cockpit for the bench while `sov` is being built: six panels of moving numbers, as tall as the
// terminal, refreshed every second. Default: rendered through src/terminal (the screen writer, alternate screen,
// guards). `--plain`: plain Ink, to see what the writer saves. Build: node bench/build-sample.mjs
import { Box, render, Text } from 'ink';
import { useEffect, useState } from 'react';
import { createTerminalSession, installTerminalGuards } from '../src/terminal/lifecycle.js';
import { createScreenWriter } from '../src/terminal/writer.js';

const plain = process.argv.includes('--plain');
const intervalMs = Number(process.argv[process.argv.indexOf('--interval-ms') + 1]) || 1000;

function Panel({ title, tick, seed, height }: { title: string; tick: number; seed: number; height: number }) {
  const lines = Array.from({ length: Math.max(1, height - 3) }, (_, i) => {
    const v = (tick * (seed + 3) + i * 17 + seed * 5) % 100;
    return `${`${title.toLowerCase()}${i}`.padEnd(8)} ${'█'.repeat(Math.round(v / 10)).padEnd(10, '░')} ${String(v).padStart(3)} %`;
  });
  return (
    <Box flexDirection="column" borderStyle="round" flexGrow={1} height={height}>
      <Text bold color="cyan">
        {title}
      </Text>
      <Text>{lines.join('\n')}</Text>
    </Box>
  );
}

function App({ rows }: { rows: number }) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), intervalMs);
    return () => clearInterval(t);
  }, []);
  const h = Math.floor((rows - 1) / 2);
  const names = ['GPU', 'NUMA', 'ZFS', 'Host', 'Engines', 'Net'];
  return (
    <Box flexDirection="column" height={rows - 1}>
      {[0, 1].map((r) => (
        <Box key={r} flexDirection="row">
          {names.slice(r * 3, r * 3 + 3).map((n, i) => (
            <Panel key={n} title={n} tick={tick} seed={r * 3 + i} height={h} />
          ))}
        </Box>
      ))}
      <Text dimColor>sample cockpit · tick {tick}</Text>
    </Box>
  );
}

const rows = process.stdout.rows || 24;
if (plain) {
  render(<App rows={rows} />, { exitOnCtrlC: true, patchConsole: false });
} else {
  const session = createTerminalSession({ out: process.stdout, stdin: process.stdin });
  const writer = createScreenWriter(process.stdout);
  installTerminalGuards(() => {
    writer.close();
    session.restore();
  });
  session.enter();
  render(<App rows={rows} />, { ...writer.inkOptions, exitOnCtrlC: true });
}
