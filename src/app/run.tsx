import { render } from 'ink';
import { join } from 'node:path';
import { BACKENDS } from '../../backends/index.js';
import { servicesBackend } from '../../backends/services/index.js';
import type { Source } from '../../backends/types.js';
import { SCREENS } from '../../screens/index.js';
import { benchJobStarter } from '../actions/bench-job.js';
import { actionContext } from '../actions/context.js';
import type { Config } from '../config/schema.js';
import { connectDaemon, createDaemonLink, type DaemonLink } from '../daemon/client.js';
import { resolvePaths } from '../daemon/paths.js';
import { benchFile, readBenchResults } from '../engines/bench.js';
import { createEnginesSource } from '../engines/source.js';
import { runnerFor } from '../hosts/runner.js';
import { startFleet } from '../hosts/fleet.js';
import { createLocalRunner } from '../runner/local.js';
import { createScheduler } from '../scheduler/scheduler.js';
import { createAppStore } from '../store/store.js';
import { createTerminalSession, installTerminalGuards } from '../terminal/lifecycle.js';
import { createScreenWriter } from '../terminal/writer.js';
import { App } from './App.js';
import { createChatSession } from '../chat/session.js';
import { resolveProviders } from '../chat/providers.js';
import { chatsDir } from '../chat/transcript.js';
import { setChatSession } from '../../screens/chat.js';
import type { Options } from './options.js';
import { recoveryFor } from '../recovery/connect.js';
import { whoAmI } from '../recovery/perform.js';
import { killAll as killRunningScripts } from '../scripts/run.js';
import { demoConfig } from '../demo/config.js';
import { createRecoveryPoller } from './recovery-poll.js';
import { chooseBlueprint } from '../doctor/load.js';
import { handOff } from '../terminal/handoff.js';
import { startDemoChat } from '../demo/chat.js';
import { demoStateDir } from '../recovery/authority.js';
import { createDemoEnginesLink } from '../demo/engines.js';

/** The config (engines, services) for the cockpit; a bad file does not stop it: the reason is shown instead. */
async function loadTuiConfig(o: Options): Promise<{ config?: Config; error?: string; path: string }> {
  const config = o.config;
  const path = resolvePaths({ ...(config !== undefined ? { config } : {}) }).configPath;
  try {
    const { loadConfig } = await import('../config/load.js');
    const r = await loadConfig(path);
    return r.ok ? { config: r.config, path } : { error: r.text, path };
  } catch (e) {
    return { error: `${path}: ${(e as Error)?.message ?? String(e)}`, path };
  }
}

/** Starts the daemon when the link is down (a box whose config names no engines never started it) and waits for the link. */
async function ensureDaemonUp(link: DaemonLink, config: string | undefined): Promise<true | string> {
  if (link.state === 'up') return true;
  try {
    const c = await connectDaemon({ autostart: true, ...(config !== undefined ? { config } : {}) });
    c.close();
  } catch (e) {
    return String((e as Error)?.message ?? e);
  }
  link.reconnectNow();
  const isUp = () => link.state === ('up' as DaemonLink['state']);
  for (let i = 0; i < 50 && !isUp(); i++) await new Promise((r) => setTimeout(r, 100));
  return isUp() ? true : `the daemon started but the link did not come up (${link.lastError ?? 'no answer'})`;
}

/**
 * The cockpit: backends → scheduler → store → Ink (rendering into our writer, which sends only changed cells).
 * Host sources come from BACKENDS with the runner; `services` from the config; `engines` from the daemon link.
 * Resolves with the exit code when the user quits; SIGTERM/SIGHUP/crashes restore the terminal first.
 */
export async function runTui(o: Options): Promise<number> {
  const out = process.stdout;
  const runner = runnerFor(o);
  const store = createAppStore({ host: runner.host, cols: out.columns || 80, rows: out.rows || 24, theme: o.theme, glyphs: o.glyphs, readOnly: o.readOnly });
  const configArg = o.config;

  const cfg = o.demo ? { path: '' } : await loadTuiConfig(o);
  const demo = o.demo ? demoConfig() : undefined;
  store.getState().setConfig(demo ?? cfg.config, cfg.error);
  // the chat screen's session: providers from the config; --offline starts it in blackout
  let chat: ReturnType<typeof createChatSession> | undefined;
  // the demo box chats with a simulated engine on loopback, behind a "cloud" provider that refuses
  const demoChat = o.demo ? await startDemoChat().catch(() => undefined) : undefined;
  const chatConfig = demoChat?.config ?? cfg.config;
  if (chatConfig) {
    const providers = resolveProviders(chatConfig, { env: process.env });
    const settings = o.offline ? { ...chatConfig.chat, offline: true } : chatConfig.chat;
    chat = createChatSession({ providers, settings, dir: demoChat?.dir ?? chatsDir(process.env), emitTerminal: (seq) => process.stdout.write(seq) });
    setChatSession(chat, { providers, chain: chatConfig.chat.chain ?? [] });
  } else if (!o.demo) {
    chat = createChatSession({ providers: [], settings: undefined, dir: chatsDir(process.env), emitTerminal: (seq) => process.stdout.write(seq) });
    setChatSession(chat, { providers: [], chain: [] });
  }
  const firstErr = cfg.error?.split('\n').find((l) => l.trim()) ?? '';
  const services = servicesBackend.create(demoChat?.config.services ?? cfg.config?.services ?? [], cfg.error ? { none: { reason: `the config could not be loaded (${cfg.path})`, hint: firstErr } } : {});
  // the daemon supervises; the TUI starts it only when the config names engines for it to run
  // the demo's engines are simulated in this process; llama's API is the demo's simulated llama.cpp server (chat, benchmarks)
  const link: DaemonLink = o.demo
    ? createDemoEnginesLink({ now: runner.now, scale: o.demoScale, ...(demoChat ? { openai: { llama: demoChat.openai } } : {}) })
    : createDaemonLink({ autostart: (cfg.config?.engines.length ?? 0) > 0, ...(configArg !== undefined ? { config: configArg } : {}) });
  const engines = createEnginesSource({ link, watched: () => store.getState().ui.logs?.engine });

  const sources: Source<unknown>[] = [...BACKENDS.map((b) => b.create(runner)), services as Source<unknown>, engines as Source<unknown>];
  const scheduler = createScheduler({
    sources, intervalMs: o.intervalMs, now: runner.now,
    sourceIntervalMs: Object.fromEntries([...BACKENDS, servicesBackend].map((b) => [b.id, b.intervalMs])),
    ingest: (batch, at) => store.getState().ingest(runner.host, batch, at),
    visible: () => new Set(SCREENS[store.getState().ui.screen].sources),
  });
  // the other hosts (the config's hosts: over SSH; the demo's fleet): a scheduler each, into the same store
  const fleet = startFleet({ primary: runner, demo: o.demo, demoSpeed: o.demoSpeed, ...(cfg.config?.hosts ? { hosts: cfg.config.hosts } : {}), intervalMs: o.intervalMs, store, visible: () => new Set(SCREENS[store.getState().ui.screen].sources) });
  // the daemon came back (or went away): show it now rather than at the next backoff of the engines source
  let linkState = link.state;
  const offLink = link.onChange((l) => { if (l.state !== linkState) { linkState = l.state; void scheduler.refreshNow(); } });

  // benchmarks run for real on the demo too (against its simulated engine), their results kept in the demo state dir
  const file = o.demo ? join(demoStateDir(), 'bench.jsonl') : await benchFile().catch(() => undefined);
  if (file) store.getState().addBench(readBenchResults(file));
  const startBench = benchJobStarter(store, { link, runner: createLocalRunner(), ...(file ? { file } : {}), now: () => Date.now() });

  const writer = createScreenWriter(out);
  const session = createTerminalSession({ out, stdin: process.stdin });
  let done: (code: number) => void = () => {};
  const finished = new Promise<number>((r) => { done = r; });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    scheduler.stop();
    fleet.stop();
    offLink();
    link.close();
    try { chat?.dispose(); } catch {}
    void demoChat?.close();
    try { ink.unmount(); } catch {}
    writer.close();
    session.restore();
  };
  installTerminalGuards(restore);
  session.enter();

  const onResize = () => store.getState().setTerm(out.columns || 80, out.rows || 24);
  out.on('resize', onResize);
  const recovery = recoveryFor({ demo: o.demo, link });
  const who = whoAmI(o.demo ? 'demo' : 'cockpit');
  const deps = { link, config: demo?.engines ?? cfg.config?.engines ?? [], startBench, runner, runnerOf: fleet.runnerOf, who, ...(recovery ? { recovery } : {}), demo: o.demo };
  const readRecovery = createRecoveryPoller(store, recovery,
    () => (link.state !== 'up' ? 'the daemon is not running: the first action above T0 starts it (it keeps the audit log)' : undefined),
    () => store.getState().ui.screen === 'recovery');
  const offRecoveryScreen = store.subscribe((now, before) => { if (now.ui.screen === 'recovery' && before.ui.screen !== 'recovery') readRecovery.now(); });
  const controller = {
    refresh: () => { void scheduler.refreshNow(); fleet.refreshNow(); },
    quit: () => { out.off('resize', onResize); readRecovery.stop(); offRecoveryScreen(); killRunningScripts(); restore(); done(0); },
    now: runner.now,
    actionCtx: (engine?: string) => actionContext(store, deps, engine),
    refreshRecovery: () => readRecovery.now(),
    ...(!o.demo ? { ensureDaemon: () => ensureDaemonUp(link, configArg) } : {}),
    attach: (argv: string[]) => {
      const r = handOff(argv, { writer, out, stdin: process.stdin });
      // what was sampled meanwhile, and the terminal's size now
      onResize();
      void scheduler.refreshNow();
      return r;
    },
  };
  const ink = render(<App store={store} controller={controller} intervalMs={o.intervalMs} present={writer.present} />, {
    stdout: writer.inkStdout as unknown as NodeJS.WriteStream, stdin: process.stdin, debug: true, exitOnCtrlC: false, patchConsole: false,
  });
  scheduler.start();
  // the blueprint (parsing it costs ~15 ms of YAML) is chosen once the first full frame is out (the first samples in
  // and drawn), or after 1 s if they are slow; the Doctor says so meanwhile
  let blueprintAsked = false;
  const chooseTheBlueprint = () => {
    if (blueprintAsked) return;
    blueprintAsked = true;
    void chooseBlueprint({ demo: o.demo, ...(cfg.config ? { config: cfg.config } : {}), configPath: cfg.path, ...(cfg.error ? { configError: cfg.error } : {}) })
      .then((chosen) => store.getState().setDoctor(chosen.ok ? { blueprint: chosen.blueprint, path: chosen.path } : { error: chosen.error }),
        (e: unknown) => store.getState().setDoctor({ error: `the blueprint could not be read: ${e instanceof Error ? e.message : String(e)}` }));
  };
  void scheduler.nextIngest().then(() => setTimeout(chooseTheBlueprint, 20));
  setTimeout(chooseTheBlueprint, 1000).unref();
  return finished;
}
