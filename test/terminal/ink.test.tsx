// Ink (debug mode: whole frames, unthrottled) rendering into the writer's in-memory stdout.
import { EventEmitter } from 'node:events';
import { Box, render, Text } from 'ink';
import { describe, expect, it } from 'vitest';
import { gridText, parseFrame } from '../../src/terminal/cells.js';
import { createScreenWriter } from '../../src/terminal/writer.js';
import { VirtualTerminal } from './vt.js';

const ESC = '\u001b';
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function Dashboard({ tick }: { tick: number }) {
  const rows = Array.from({ length: 8 }, (_, i) => `gpu${i}  util ${String((tick * 7 + i * 13) % 100).padStart(3)} %  temp 61 C`);
  return (
    <Box flexDirection="column" borderStyle="round" width={60}>
      <Text bold color="cyan">
        overview — tick {tick}
      </Text>
      {rows.map((r, i) => (
        <Text key={i} color={i === tick % 8 ? 'yellow' : undefined}>
          {r}
        </Text>
      ))}
    </Box>
  );
}

describe('Ink → screen writer', () => {
  it('sends a full first frame, then a much smaller diff without clearing the screen', async () => {
    const term = Object.assign(new EventEmitter(), {
      columns: 80,
      rows: 24,
      writes: [] as string[],
      write(data: string) {
        this.writes.push(data);
        return true;
      },
    });
    const writer = createScreenWriter(term);
    const frames: string[] = [];
    const inkWrite = writer.inkStdout.write.bind(writer.inkStdout);
    writer.inkStdout.write = (chunk, ...rest) => {
      if (chunk !== '') frames.push(String(chunk));
      return inkWrite(chunk, ...rest);
    };
    const stdin = Object.assign(new EventEmitter(), { isTTY: false, setRawMode() {}, setEncoding() {}, ref() {}, unref() {}, read: () => null });
    const app = render(<Dashboard tick={1} />, { ...writer.inkOptions, stdin: stdin as unknown as NodeJS.ReadStream, exitOnCtrlC: false });
    await nextTurn();
    app.rerender(<Dashboard tick={2} />);
    const tick2 = frames[frames.length - 1]!;
    writer.flush(); // without waiting for the minimum interval
    app.unmount();
    writer.close();

    expect(term.writes).toHaveLength(2);
    const [first, second] = term.writes as [string, string];
    expect(first).toContain(`${ESC}[2J`);
    expect(second.length).toBeLessThan(first.length / 4);
    expect(second).not.toContain(`${ESC}[2J`);
    expect(second).not.toContain(`${ESC}[3J`);

    const vt = new VirtualTerminal(80, 24);
    vt.write(first);
    vt.write(second);
    expect(gridText(vt.grid())[1]).toContain('overview — tick 2');
    expect(vt.grid()).toEqual(parseFrame(tick2, 80, 24));
  });
});
