import type { Attempt, Sample, SourceId } from '../../backends/types.js';
import type { NvidiaData } from '../../backends/nvidia/types.js';
import type { NumaData } from '../../backends/numa/types.js';
import type { SystemData } from '../../backends/system/types.js';
import type { ZfsData } from '../../backends/zfs/types.js';
import type { ServicesData } from '../../backends/services/types.js';
import type { VmsData } from '../../backends/vms/types.js';
import type { EnginesData } from '../engines/source.js';
import type { BenchResult } from '../engines/bench.js';
import type { Config } from '../config/schema.js';
import type { Tier } from '../actions/types.js';
import type { Blueprint } from '../doctor/blueprint.js';
import type { CheckResult, Outcome, RecoveryStatus } from '../recovery/types.js';
import type { Ring } from './ring.js';

export interface SourceData { nvidia: NvidiaData; numa: NumaData; system: SystemData; zfs: ZfsData; services: ServicesData; engines: EnginesData; vms: VmsData }
export type Samples = { [K in SourceId]: Sample<SourceData[K]> };
export type AttemptBatch = Partial<{ [K in SourceId]: Attempt<SourceData[K]> & { tookMs?: number } }>;

export interface GpuHistory { util: Ring; mem: Ring; power: Ring; temp: Ring }
export interface History {
  gpus: Record<string, GpuHistory>;
  cpu: Ring;
  mem: Ring;
}

export interface HostState {
  host: string;
  samples: Samples;
  history: History;
  /** increments on every ingest: one render per data tick */
  ticks: number;
}

export type ScreenId = 'overview' | 'gpu' | 'storage' | 'numa' | 'help' | 'engines' | 'chat' | 'recovery' | 'doctor' | 'vms';
export type ThemeName = 'dark' | 'light' | 'high-contrast' | 'no-color' | 'tty';
/** unicode: the usual look; console: only what the Linux console font has (themes/glyphs.ts) */
export type GlyphSetName = 'unicode' | 'console';

export interface UiState {
  screen: ScreenId;
  /** index of the focused panel on the current screen */
  focus: number;
  /** scroll offset per panel id */
  scroll: Record<string, number>;
  /** the row filter, applied to tables on the current screen */
  filter: string;
  filterEditing: boolean;
  /** a panel shown full size (enter), by panel id */
  zoomed?: string;
  /** a frozen copy of the samples and history that the view shows until unfrozen; sampling goes on behind it */
  frozen?: { at: number; samples: Samples; history: History };
  theme: ThemeName;
  /** the glyph set the frame draws with (absent: unicode) */
  glyphs?: GlyphSetName;
  /** the status line: a key that is disabled says why here */
  message?: { text: string; at: number };
  readOnly: boolean;
  /** the engine selected on the engines screen, by name */
  engine?: string;
  /** the VM selected on the VMs screen, by name */
  vm?: string;
  /** the log view: open for one engine, following the end or held (kept across screen switches) */
  logs?: { engine: string; follow: boolean };
  /** an action being asked for: its arguments, then its preconditions and the confirmation its tier needs */
  confirm?: ConfirmUi;
  /** the tripcode prompt (Recovery screen `p`): what is pasted so far */
  tripcode?: { input: string };
  /** the highlighted row of the Recovery screen's actions */
  recoveryIndex: number;
  /** the fleet overview (W): one row per host, drawn over the screen */
  fleet?: boolean;
  /** the command palette (`:`): what is typed, and the highlighted entry among those it matches */
  palette?: { query: string; index: number };
}

/** The confirm overlay: what the operator sees before an action above T0 runs (src/app/recovery.ts fills it). */
export interface ConfirmUi {
  action: string;
  title: string;
  tier: Tier;
  /** the engine it is about (engine actions) */
  engine?: string;
  args: Record<string, string>;
  /** an argument being asked for, with the values offered (up/down) and what is typed */
  ask?: { arg: string; description: string; choices: string[]; index: number };
  /** preconditions and the plan are being read */
  pending: boolean;
  /** describe() and the plan: exactly what will run */
  text: string;
  checks: CheckResult[];
  /** why it will not run (a failed precondition): enter or esc closes */
  refused?: string;
  kind: 'none' | 'yes' | 'typed' | 'tripcode';
  /** T2: the name to type */
  target?: string;
  /** T3: the code a tripcode must carry */
  code?: string;
  /** what is typed: the argument, the target's name, the pasted tripcode */
  input: string;
  /** it acts on another host than this machine (over SSH): that host's name */
  host?: string;
}

/** The action running in the foreground (Recovery screen), or the last one: live output, outcome, postconditions. */
export interface RunState {
  action: string;
  title: string;
  tier: Tier;
  args: Record<string, string>;
  startedAt: number;
  state: 'running' | Outcome | 'refused';
  /** output lines, sanitised, the newest last; bounded */
  lines: string[];
  dropped: number;
  message?: string;
  checks: CheckResult[];
  post: CheckResult[];
  durationMs?: number;
  /** it acted on another host than this machine: that host's name */
  host?: string;
}

/** The recovery authority as last read: lockdown, the audit log's newest entries. */
export interface RecoveryView {
  status?: RecoveryStatus;
  recent: unknown[];
  error?: string;
  at?: number;
}

/** A long action running in the background (a benchmark): shown in the engine detail and the status line. */
export interface Job {
  id: string;
  title: string;
  engine: string;
  state: 'running' | 'done' | 'failed';
  /** "3/5 prompts" */
  progress?: string;
  message?: string;
  at: number;
}

export interface AppState {
  current: string;
  hosts: Record<string, HostState>;
  ui: UiState;
  term: { cols: number; rows: number };
  jobs: Record<string, Job>;
  /** benchmark results read from bench.jsonl (and appended by `b`) */
  bench: BenchResult[];
  /** the config could not be loaded: why (the cockpit runs on without it) */
  configError?: string;
  /** the whole config when loaded (scripts, recovery, vms) */
  config?: Config;
  recovery: RecoveryView;
  run?: RunState;
  /** the blueprint the Doctor screen checks, where it came from, or why there is none */
  doctor?: { blueprint?: Blueprint; path?: string; error?: string };
}
