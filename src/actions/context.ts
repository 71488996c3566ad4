/** Builds an action's context from the store (the selected engine, the log view) and what the app provides. */
import type { EngineConfig } from '../config/schema.js';
import type { DaemonLink } from '../daemon/client.js';
import type { EngineStatus } from '../daemon/types.js';
import { engineList, selectedEngine } from '../store/selectors.js';
import type { Store } from '../store/store.js';
import { viewSamples } from '../store/store.js';
import type { ActionCtx, ActionResult } from './types.js';
import type { Runner } from '../../backends/types.js';
import type { RecoveryLink, Who } from '../recovery/types.js';

export interface ActionDeps {
  link?: DaemonLink;
  noLink?: string;
  config?: EngineConfig[];
  startBench?: (engine: EngineStatus) => ActionResult;
  /** how actions reach the box (local, demo), the authority that records them, who is asking */
  runner?: Runner;
  recovery?: RecoveryLink;
  who?: Who;
  /** the simulated demo box */
  demo?: boolean;
  /** the runner of another host the cockpit shows (remote actions act through it) */
  runnerOf?: (host: string) => Runner | undefined;
}

export function actionContext(store: Store, deps: ActionDeps = {}, engineName?: string): ActionCtx {
  const s = store.getState();
  const list = engineList(s.hosts[s.current]?.samples ?? viewSamples(s)) ?? [];
  // live samples (an action acts on the engine as it is now), chosen by the same rule the screen draws with
  const engine = engineName !== undefined ? list.find((e) => e.name === engineName) : selectedEngine(list, s.ui.engine);
  const ctx: ActionCtx = {
    readOnly: s.ui.readOnly,
    setLogs: (l) => store.getState().setLogs(l),
    setDoctor: (d) => store.getState().setDoctor(d),
    benchRunning: (name) => Object.values(store.getState().jobs).some((j) => j.engine === name && j.state === 'running'),
  };
  if (engine) ctx.engine = engine;
  const cfg = engine ? deps.config?.find((c) => c.name === engine.name) : undefined;
  if (cfg) ctx.engineConfig = cfg;
  // another host on screen: its runner, and no engines (the daemon's are this machine's); the audit stays here
  const own = Object.keys(s.hosts)[0] ?? s.current;
  const remote = s.current !== own;
  if (deps.link && !remote) ctx.link = deps.link;
  ctx.noLink = remote ? `${s.current} is reached over SSH: its engines are not supervised from here` : deps.noLink ?? 'no daemon: engines are not available here';
  if (s.ui.logs) ctx.logs = s.ui.logs;
  if (deps.startBench) ctx.startBench = deps.startBench;
  // the VMs screen's selection fills a VM action's `vm` (startAction keeps only the arguments an action declares)
  const vms = (s.hosts[s.current]?.samples ?? viewSamples(s)).vms;
  const vm = s.ui.screen === 'vms' && vms?.state === 'ok' ? (vms.data.vms.find((v) => v.name === s.ui.vm) ?? vms.data.vms[0])?.name : undefined;
  if (vm !== undefined) ctx.args = { vm };
  const host = s.hosts[s.current];
  if (host) ctx.samples = host.samples;
  ctx.host = s.current;
  if (remote) ctx.remote = true;
  if (s.config) ctx.config = s.config;
  const runner = remote ? deps.runnerOf?.(s.current) : deps.runner;
  if (runner) ctx.runner = runner;
  if (deps.recovery) ctx.recovery = deps.recovery;
  if (deps.who) ctx.who = deps.who;
  if (deps.demo) ctx.demo = true;
  return ctx;
}
