import type { Runner, RunResult, StreamHandle, StreamOptions } from '../../backends/types.js';

export interface FakeCommand {
  argv: string[];
  stdout?: string;
  stderr?: string;
  exitCode?: number | null;
  notFound?: boolean;
  timedOut?: boolean;
}

export interface FakeStream {
  argv: string[];
  /** lines delivered on start (synchronously after stream() returns, via queueMicrotask) */
  lines?: string[];
  exit?: { exitCode: number | null; stderr?: string; notFound?: boolean };
}

/**
 * A runner for sampler tests that fails loudly on any argv it was not told about,
 * so a test proves the exact command a backend runs.
 */
export class FakeRunner implements Runner {
  host = 'fake';
  calls: string[][] = [];
  commands: FakeCommand[] = [];
  streams: FakeStream[] = [];
  files = new Map<string, string | Error>();
  dirs = new Map<string, string[]>();
  clock = 1_700_000_000_000;
  activeStreams: { argv: string[]; opts: StreamOptions; stopped: boolean }[] = [];

  on(cmd: FakeCommand): this { this.commands.push(cmd); return this; }
  onStream(s: FakeStream): this { this.streams.push(s); return this; }
  file(path: string, content: string | Error): this { this.files.set(path, content); return this; }
  dir(path: string, entries: string[]): this { this.dirs.set(path, entries); return this; }

  async run(argv: string[]): Promise<RunResult> {
    this.calls.push(argv);
    const c = this.commands.find((x) => same(x.argv, argv));
    if (!c) throw new Error(`FakeRunner: unexpected argv ${JSON.stringify(argv)}`);
    return {
      argv, exitCode: c.notFound ? null : (c.exitCode === undefined ? 0 : c.exitCode),
      stdout: c.stdout ?? '', stderr: c.stderr ?? '', timedOut: c.timedOut ?? false, notFound: c.notFound ?? false,
    };
  }

  stream(argv: string[], opts: StreamOptions): StreamHandle {
    this.calls.push(argv);
    const s = this.streams.find((x) => same(x.argv, argv));
    if (!s) throw new Error(`FakeRunner: unexpected stream argv ${JSON.stringify(argv)}`);
    const entry = { argv, opts, stopped: false };
    this.activeStreams.push(entry);
    queueMicrotask(() => {
      for (const l of s.lines ?? []) if (!entry.stopped) opts.onLine(l);
      if (s.exit && !entry.stopped) opts.onExit({ exitCode: s.exit.exitCode, stderr: s.exit.stderr ?? '', notFound: s.exit.notFound ?? false });
    });
    return { stop: () => { entry.stopped = true; } };
  }

  async readFile(path: string): Promise<string | undefined> {
    const v = this.files.get(path);
    if (v instanceof Error) throw v;
    return v;
  }

  async listDir(path: string): Promise<string[] | undefined> { return this.dirs.get(path); }

  now(): number { return this.clock; }
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
