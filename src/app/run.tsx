import { render } from 'ink';
import { BACKENDS } from '../../backends/index.js';
import { SCREENS } from '../../screens/index.js';
import { runnerFor } from '../hosts/runner.js';
import { createScheduler } from '../scheduler/scheduler.js';
import { createAppStore } from '../store/store.js';
import { createTerminalSession, installTerminalGuards } from '../terminal/lifecycle.js';
import { createScreenWriter } from '../terminal/writer.js';
import { App } from './App.js';
import type { Options } from './options.js';

/**
 * The cockpit: backends → scheduler → store → Ink (rendering into our writer, which sends only changed cells).
 * Resolves with the exit code when the user quits; SIGTERM/SIGHUP/crashes restore the terminal first.
 */
export function runTui(o: Options): Promise<number> {
  const out = process.stdout;
  const runner = runnerFor(o);
  const store = createAppStore({ host: runner.host, cols: out.columns || 80, rows: out.rows || 24, theme: o.theme, readOnly: o.readOnly });
  const sources = BACKENDS.map((b) => b.create(runner));
  const scheduler = createScheduler({
    sources, intervalMs: o.intervalMs, now: runner.now,
    ingest: (batch, at) => store.getState().ingest(runner.host, batch, at),
    visible: () => new Set(SCREENS[store.getState().ui.screen].sources),
  });

  const writer = createScreenWriter(out);
  const session = createTerminalSession({ out, stdin: process.stdin });
  let done: (code: number) => void = () => {};
  const finished = new Promise<number>((r) => { done = r; });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    scheduler.stop();
    try { ink.unmount(); } catch {}
    writer.close();
    session.restore();
  };
  installTerminalGuards(restore);
  session.enter();

  const onResize = () => store.getState().setTerm(out.columns || 80, out.rows || 24);
  out.on('resize', onResize);
  const controller = {
    refresh: () => { void scheduler.refreshNow(); },
    quit: () => { out.off('resize', onResize); restore(); done(0); },
    now: runner.now,
  };
  const ink = render(<App store={store} controller={controller} intervalMs={o.intervalMs} />, {
    stdout: writer.inkStdout as unknown as NodeJS.WriteStream, stdin: process.stdin, debug: true, exitOnCtrlC: false, patchConsole: false,
  });
  scheduler.start();
  return finished;
}
