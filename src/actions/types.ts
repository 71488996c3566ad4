/**
 * Actions, declared once (DESIGN.md §5): the key map, the help screen and docs/keys.md come from these
 * declarations, and so will the palette, `sov do` and the chat model's tools.
 */
import type { EngineConfig } from '../config/schema.js';
import type { DaemonLink } from '../daemon/client.js';
import type { EngineStatus } from '../daemon/types.js';
import type { ScreenId } from '../store/types.js';

/** T0 read-only … T3 destructive; `--read-only` disables T1–T3 everywhere. */
export type Tier = 'T0' | 'T1' | 'T2' | 'T3';

/** why an action above T0 does not run under --read-only: the same words from a key, the palette and `sov do` */
export const readOnlyReason = (title: string): string => `${title} is disabled: sov runs --read-only`;

export type ActionResult =
  | { kind: 'done'; message: string }
  /** runs on in the background; progress shows in the screen it belongs to */
  | { kind: 'job'; id: string; message: string }
  | { kind: 'navigate'; message?: string }
  | { kind: 'error'; message: string };

export interface ActionCtx {
  readOnly: boolean;
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
  /** starts a benchmark job; undefined when benchmarks cannot run here */
  startBench?: (engine: EngineStatus) => ActionResult;
  /** a benchmark of this engine is running */
  benchRunning?: (engine: string) => boolean;
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
}
