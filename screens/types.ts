import type { SourceId } from '../backends/types.js';
import type { EngineConfig } from '../src/config/schema.js';
import type { BenchResult } from '../src/engines/bench.js';
import type { History, Job, Samples, ScreenId, UiState } from '../src/store/types.js';
import type { Theme } from '../themes/tokens.js';

export interface ScreenCtx {
  samples: Samples;
  history: History;
  theme: Theme;
  /** the area the screen may draw in */
  cols: number;
  rows: number;
  now: number;
  /** a source older than this is drawn as stale */
  staleMs: number;
  focusId?: string;
  /** filled while drawing: the inner height the focused panel got (page up/down move by it) */
  drawn?: { focusInnerH?: number };
  scroll: Record<string, number>;
  filter: string;
  /** what the engines screen needs beyond samples (absent in older callers and tests: treated as empty) */
  engines?: EnginesCtx;
  /** the VMs screen's selection */
  vms?: { selected?: string };
  /** the Recovery screen's actions, run and audit log (absent: empty) */
  recovery?: import('./recovery.js').RecoveryCtx;
  /** the blueprint the Doctor screen checks (the app loads it with src/doctor/load.ts chooseBlueprint); absent: none */
  doctor?: DoctorCtx;
}

export interface DoctorCtx {
  blueprint?: import('../src/doctor/blueprint.js').Blueprint;
  /** where it came from: a file, or the demo box's own */
  path?: string;
  /** why there is none, or why it was refused (its lines and keys) */
  error?: string;
}

export interface EnginesCtx {
  selected?: string;
  logs?: UiState['logs'];
  jobs: Record<string, Job>;
  bench: BenchResult[];
  /** the configured engines (for the command each runs); empty when there is no config */
  config: EngineConfig[];
  configError?: string;
}

export interface PanelBody { lines: string[]; badge?: string }

export interface PanelSpec {
  id: string;
  title: string;
  /** drawn on demand with the inner size the layout gives it */
  body(innerW: number, innerH: number): PanelBody;
  /** enter on this panel in the overview opens this screen */
  drillTo?: ScreenId;
}

/** Draws a panel at a given size; the screen host supplies focus, scroll and crash containment. */
export type DrawPanel = (spec: PanelSpec, w: number, h: number) => string[];

export interface ScreenDef {
  id: ScreenId;
  title: string;
  /** the sources this screen shows: sampled at full rate while it is on screen */
  sources: SourceId[];
  /** panels in focus order */
  panels(ctx: ScreenCtx): PanelSpec[];
  /** arranges the panels in ctx.cols × ctx.rows, exactly ctx.rows lines */
  layout(ctx: ScreenCtx, panels: PanelSpec[], draw: DrawPanel): string[];
}

