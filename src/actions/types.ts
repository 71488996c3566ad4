/**
 * Actions, declared once (DESIGN.md §5): the key map, the help screen and docs/keys.md come from these
 * declarations, and so will the palette, `sov do` and the chat model's tools.
 */
import type { EngineConfig } from '../config/schema.js';
import type { DaemonLink } from '../daemon/client.js';
import type { EngineStatus } from '../daemon/types.js';
import type { ScreenId, Samples } from '../store/types.js';
import type { Config } from '../config/schema.js';
import type { Blueprint } from '../doctor/blueprint.js';
import type { Runner, SourceId } from '../../backends/types.js';
import type { CheckResult, RecoveryLink, Who } from '../recovery/types.js';

/** T0 read-only … T3 destructive; `--read-only` disables T1–T3 everywhere. */
export type Tier = 'T0' | 'T1' | 'T2' | 'T3';

/** why an action above T0 does not run under --read-only: the same words from a key, the palette and `sov do` */
export const readOnlyReason = (title: string): string => `${title} is disabled: sov runs --read-only`;

export type ActionResult =
  | { kind: 'done'; message: string; exitCode?: number }
  /** runs on in the background; progress shows in the screen it belongs to */
  | { kind: 'job'; id: string; message: string }
  /** open a screen (the cockpit); headless it only says the message */
  | { kind: 'navigate'; message?: string; screen?: ScreenId }
  /** hand the terminal to this program (the user's own ssh) and come back when it exits */
  | { kind: 'attach'; argv: string[]; message: string }
  | { kind: 'error'; message: string; exitCode?: number };

export interface ActionCtx {
  readOnly: boolean;
  /** the simulated demo box (`sov --demo`, `sov do --demo`): its own blueprint, state dir, no real VMs */
  demo?: boolean;
  /** the engine the action is about (the selected one) */
  engine?: EngineStatus;
  /** its configuration (the command it runs), when the config is loaded */
  engineConfig?: EngineConfig;
  /** the daemon; undefined when there is none (demo box) */
  link?: DaemonLink;
  /** why there is no link */
  noLink?: string;
  /** the log view as it is now, and how to change it */
  logs?: { engine: string; follow: boolean };
  setLogs(logs: { engine: string; follow: boolean } | undefined): void;
  /** the blueprint the Doctor screen checks (doctor.run with a profile); absent headless */
  setDoctor?(d: { blueprint?: Blueprint; path?: string; error?: string }): void;
  /** starts a benchmark job; undefined when benchmarks cannot run here */
  startBench?: (engine: EngineStatus) => ActionResult;
  /** a benchmark of this engine is running */
  benchRunning?: (engine: string) => boolean;
  /** `--arg k=v` headless, or filled in the cockpit (from the selection, then asked for); engine actions use `engine` */
  args?: Record<string, string>;
  /** the host the action acts on, its live readings and how to run programs there (local, demo, later SSH) */
  host?: string;
  /** `host` is another host than this machine (reached over SSH): a T3 tripcode must be made for it */
  remote?: boolean;
  samples?: Samples;
  runner?: Runner;
  /** the whole config (scripts, blueprint, phoenix); absent when it could not be loaded */
  config?: Config;
  /** the authority that records and may refuse (the daemon, or in-process on the demo box); absent: nothing above T0 runs */
  recovery?: RecoveryLink;
  /** who is asking (the audit log's "who") */
  who?: Who;
  /** output of a running action, a line at a time (scripts, phoenix steps); sanitised by the receiver */
  output?: (line: string) => void;
  /** cancels a running action (ctrl+c): its process group gets SIGTERM, then SIGKILL */
  signal?: AbortSignal;
}

export interface Action {
  id: string;
  title: string;
  description: string;
  /** key names as the input layer reports them */
  keys: string[];
  /** the screen the keys work on ('global': everywhere) */
  scope: ScreenId | 'global';
  tier: Tier;
  /** shows describe() in a confirm overlay and runs only on enter */
  confirm: boolean;
  /** what `sov do` needs as `--arg k=v` (name → what it is), all required; the TUI fills them from the selection */
  args?: Record<string, string>;
  /** true, or the reason it cannot run now (shown in the status line) */
  when(ctx: ActionCtx): true | string;
  /** the exact command or effect, shown before it runs */
  describe(ctx: ActionCtx): string;
  run(ctx: ActionCtx): Promise<ActionResult>;
  /** arguments that may be left out, with the value they take then */
  argDefaults?: Record<string, string>;
  /** the values an argument may take here (the cockpit offers them; `sov do` lists them on a bad value) */
  argChoices?(ctx: ActionCtx, arg: string): string[];
  /** the sources its describe(), checks and postconditions read from ctx.samples (headless reads only these; [] none); unset: all */
  reads?: SourceId[];
  /** preconditions, shown before the confirm; any `fail` refuses (`unknown` is shown, and refuses too unless the action says otherwise) */
  checks?(ctx: ActionCtx): Promise<CheckResult[]>;
  /** a precondition that may be unknown without refusing (e.g. "no GPU process" on a box without nvidia-smi) */
  unknownOk?: string[];
  /** postconditions after a successful run (probe green for N seconds); a fail is said loudly and recorded */
  verify?(ctx: ActionCtx): Promise<CheckResult[]>;
  /** T2: the name the operator types to confirm (the pool, the dataset, the device) */
  target?(ctx: ActionCtx): string;
  /** the dry run beyond describe(): a script's declared plan step, run and its output shown */
  plan?(ctx: ActionCtx): Promise<string>;
  /**
   * it acts only through ctx.runner and reads only ctx.samples (ZFS, GPU): it can act on a host reached over SSH
   * (the cockpit's host switcher, `sov do --host`). The others act on this machine only (its daemon, its files).
   */
  remote?: boolean;
}

/** why an action cannot act on `host` (another host than this machine), or undefined when it can */
export function remoteReason(a: Pick<Action, 'title' | 'remote'>, host: string, own: string): string | undefined {
  if (host === own || a.remote) return undefined;
  return `${a.title} acts on this machine (${own}) only: it needs its daemon or its files; ZFS and GPU actions act on ${host} over SSH`;
}
