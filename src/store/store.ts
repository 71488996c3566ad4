import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Attempt, Sample, SourceId } from '../../backends/types.js';
import { cloneHistory, emptyHistory, emptySamples, nextSample, recordHistory } from './sample.js';

export { emptySamples, nextSample, recordHistory };
import type { BenchResult } from '../engines/bench.js';
import type { Config } from '../config/schema.js';
import type { AppState, AttemptBatch, HostState, Job, RecoveryView, RunState, Samples, ScreenId, ThemeName, UiState, GlyphSetName } from './types.js';

/** output lines a run keeps for its panel */
export const RUN_LINES = 500;

export function newHost(host: string): HostState {
  return { host, samples: emptySamples(), history: emptyHistory(), ticks: 0 };
}

export const SOURCE_IDS: SourceId[] = ['nvidia', 'numa', 'system', 'zfs', 'services', 'engines', 'vms'];

export interface Actions {
  /** one batch per data tick → one render */
  ingest(host: string, batch: AttemptBatch, at: number): void;
  setTerm(cols: number, rows: number): void;
  setScreen(screen: ScreenId): void;
  setFocus(focus: number): void;
  setZoom(panel: string | undefined): void;
  scrollBy(panel: string, delta: number): void;
  setFilter(filter: string, editing: boolean): void;
  toggleFreeze(at: number): void;
  setTheme(theme: ThemeName): void;
  say(text: string, at: number): void;
  selectEngine(name: string | undefined): void;
  selectVm(name: string | undefined): void;
  /** shows another host on every screen (a frozen picture belongs to the host it was taken of) */
  setHost(host: string): void;
  setFleet(open: boolean): void;
  /** opens the log view for an engine (following), or closes it */
  setLogs(logs: UiState['logs']): void;
  setConfirm(confirm: UiState['confirm']): void;
  /** opens (or updates) the command palette; undefined closes it */
  setPalette(palette: UiState['palette']): void;
  setJob(job: Job): void;
  addBench(results: BenchResult[]): void;
  /** the config as loaded (its engines are what the engines screen and actions read), or why it could not be */
  setConfig(config: Config | undefined, error?: string): void;
  setTripcode(tripcode: UiState['tripcode']): void;
  setRecoveryIndex(i: number): void;
  setRecovery(v: RecoveryView): void;
  setDoctor(d: AppState['doctor']): void;
  /** starts, updates or ends the foreground run */
  setRun(run: RunState | undefined): void;
  /** appends output lines to the running action (bounded: the oldest are dropped and counted, with `dropped` more dropped before) */
  runOutput(lines: string[], dropped?: number): void;
}

export type Store = StoreApi<AppState & Actions>;

export function createAppStore(init: { host: string; cols?: number; rows?: number; theme?: ThemeName; glyphs?: GlyphSetName; readOnly?: boolean }): Store {
  const ui: UiState = { screen: 'overview', focus: 0, scroll: {}, filter: '', filterEditing: false, theme: init.theme ?? 'dark', ...(init.glyphs ? { glyphs: init.glyphs } : {}), readOnly: init.readOnly ?? false, recoveryIndex: 0 };
  return createStore<AppState & Actions>()((set, get) => ({
    current: init.host,
    hosts: { [init.host]: newHost(init.host) },
    ui,
    term: { cols: init.cols ?? 80, rows: init.rows ?? 24 },
    jobs: {},
    bench: [],
    recovery: { recent: [] },
    ingest(host, batch, at) {
      const prev = get().hosts[host] ?? newHost(host);
      const samples = { ...prev.samples };
      for (const id of SOURCE_IDS) {
        const a = batch[id];
        if (a) (samples as Record<SourceId, Sample<unknown>>)[id] = nextSample(prev.samples[id] as Sample<unknown>, a as Attempt<unknown>, at, a.tookMs);
      }
      recordHistory(prev.history, samples);
      set({ hosts: { ...get().hosts, [host]: { ...prev, samples, ticks: prev.ticks + 1 } } });
    },
    setTerm: (cols, rows) => set({ term: { cols, rows } }),
    setScreen: (screen) => set({ ui: { ...get().ui, screen, focus: 0, zoomed: undefined } }),
    setZoom: (zoomed) => set({ ui: { ...get().ui, zoomed } }),
    setFocus: (focus) => set({ ui: { ...get().ui, focus } }),
    scrollBy(panel, delta) {
      const cur = get().ui.scroll[panel] ?? 0;
      set({ ui: { ...get().ui, scroll: { ...get().ui.scroll, [panel]: Math.max(0, cur + delta) } } });
    },
    setFilter: (filter, filterEditing) => set({ ui: { ...get().ui, filter, filterEditing } }),
    toggleFreeze(at) {
      const { ui, hosts, current } = get();
      const host = hosts[current];
      set({ ui: { ...ui, frozen: ui.frozen || !host ? undefined : { at, samples: host.samples, history: cloneHistory(host.history) } } });
    },
    setTheme: (theme) => set({ ui: { ...get().ui, theme } }),
    say: (text, at) => set({ ui: { ...get().ui, message: { text, at } } }),
    selectEngine: (engine) => set({ ui: { ...get().ui, engine } }),
    selectVm: (vm) => set({ ui: { ...get().ui, vm } }),
    setHost: (current) => set({ current, ui: { ...get().ui, frozen: undefined } }),
    setFleet: (fleet) => set({ ui: { ...get().ui, fleet } }),
    setLogs: (logs) => set({ ui: { ...get().ui, logs, scroll: { ...get().ui.scroll, 'eng.logs': 0 } } }),
    setConfirm: (confirm) => set({ ui: { ...get().ui, confirm } }),
    setPalette: (palette) => set({ ui: { ...get().ui, palette } }),
    setJob: (job) => set({ jobs: { ...get().jobs, [job.id]: job } }),
    setConfig: (config, configError) => set({ config, configError }),
    setTripcode: (tripcode) => set({ ui: { ...get().ui, tripcode } }),
    setRecoveryIndex: (recoveryIndex) => set({ ui: { ...get().ui, recoveryIndex } }),
    setRecovery: (recovery) => set({ recovery }),
    setDoctor: (doctor) => set({ doctor }),
    setRun: (run) => set({ run }),
    runOutput(lines, dropped = 0) {
      const run = get().run;
      if (!run || (!lines.length && !dropped)) return;
      const all = [...run.lines, ...lines];
      const drop = Math.max(0, all.length - RUN_LINES);
      set({ run: { ...run, lines: drop ? all.slice(drop) : all, dropped: run.dropped + drop + dropped } });
    },
    addBench: (results) => set({ bench: [...get().bench, ...results].slice(-500) }),
  }));
}

/** What the screens draw: the frozen copy while frozen, else the live samples. */
export function viewSamples(s: AppState): Samples {
  return s.ui.frozen?.samples ?? s.hosts[s.current]?.samples ?? emptySamples();
}
