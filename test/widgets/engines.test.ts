import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { composeFrame } from '../../src/app/frame.js';
import type { EnginesData } from '../../src/engines/source.js';
import type { BenchResult } from '../../src/engines/bench.js';
import { createAppStore, type Store } from '../../src/store/store.js';
import type { ServicesData } from '../../backends/services/types.js';
import { themeByName } from '../../themes/index.js';
import { enginesTableLines, logViewLines, NO_ENGINES } from '../../widgets/panels/engines.js';
import { servicesLines } from '../../widgets/panels/services.js';
import { gpuDetailLines } from '../../widgets/panels/gpu.js';
import { ALL_STATES, engine, everyState, T0 } from '../helpers/engines.js';

const theme = themeByName('no-color');
const plain = (ls: string[]) => ls.map((l) => stripAnsi(l));

function check(lines: string[], cols: number, rows: number): string {
  expect(lines).toHaveLength(rows);
  for (const l of lines) expect(stringWidth(l), stripAnsi(l)).toBe(cols);
  return lines.map((l) => stripAnsi(l)).join('\n');
}

const SERVICES: ServicesData = { services: [
  { name: 'redis', kind: 'redis', target: '127.0.0.1:6379', up: true, latencyMs: 0.4 },
  { name: 'qdrant', kind: 'http', target: 'http://127.0.0.1:6333/healthz', up: false, error: 'connection refused' },
] };

function storeWith(cols: number, rows: number, data: EnginesData | undefined, opts: { readOnly?: boolean } = {}): Store {
  const store = createAppStore({ host: 'box', cols, rows, theme: 'no-color', readOnly: opts.readOnly });
  store.getState().ingest('box', {
    ...(data ? { engines: { state: 'ok', data } } : {}),
    services: { state: 'ok', data: SERVICES },
  }, T0);
  store.getState().setScreen('engines');
  return store;
}

describe('engines table', () => {
  for (const w of [78, 118]) {
    it(`draws every state with glyph and word at ${w + 2} columns`, () => {
      const lines = plain(enginesTableLines(everyState(), w, theme, T0, 'eng-healthy'));
      for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(w);
      const text = lines.join('\n');
      for (const s of ALL_STATES) expect(text).toContain(s);
      expect(text).toMatch(/› eng-healthy/);
      expect(text).toContain('✓ healthy');
      expect(text).toContain('✖ crashloop');
      expect(text).toContain('5 failures within 10 min; last exit 1');
      expect(text).toMatch(/NAME\s+STATE\s+PID/);
      expect(text).toContain('4242');
      expect(text).toContain('6.5GiB');
      if (w > 100) {
        expect(text).toMatch(/EXIT/);
        expect(text).toContain('139');
        expect(text).toContain('127.0.0.1:8082');
        expect(text).toContain('1h02m');
      }
    });
  }

  it('no engines: says how to add them', () => {
    expect(plain(enginesTableLines([], 118, theme, T0)).join('')).toContain(NO_ENGINES);
  });
});

describe('the engines screen', () => {
  for (const [cols, rows] of [[80, 24], [120, 40]] as [number, number][]) {
    it(`every state, the detail and the services at ${cols}×${rows}`, () => {
      const store = storeWith(cols, rows, { engines: everyState() });
      store.getState().selectEngine('eng-healthy');
      const text = check(composeFrame(store.getState(), T0, 1000).lines, cols, rows);
      expect(text).toContain('Engines');
      expect(text).toContain('Engine eng-healthy');
      expect(text).toContain('Services');
      expect(text).toContain('redis');
      expect(text).toMatch(/qdrant.*connection refused/);
      expect(text).toContain('6 Engines');
      expect(text).toMatch(/s start/);
      expect(text).not.toContain('failed to draw');
    });

    it(`daemon down keeps the last list dimmed and says so at ${cols}×${rows}`, () => {
      const store = storeWith(cols, rows, { engines: everyState() });
      store.getState().ingest('box', { engines: { state: 'error', message: 'daemon down, reconnecting (connect ECONNREFUSED)' } }, T0 + 3000);
      const text = check(composeFrame(store.getState(), T0 + 3000, 1000).lines, cols, rows);
      expect(text).toContain('daemon down, reconnecting');
      expect(text).toMatch(/error ×1/);
      expect(text).toContain('eng-healthy');
      // the other panels stay live
      expect(text).toContain('redis');
    });

    it(`daemon down before any list at ${cols}×${rows}`, () => {
      const store = storeWith(cols, rows, undefined);
      store.getState().ingest('box', { engines: { state: 'error', message: 'daemon down, reconnecting' } }, T0);
      const text = check(composeFrame(store.getState(), T0, 1000).lines, cols, rows);
      expect(text).toContain('daemon down, reconnecting');
    });

    it(`empty config at ${cols}×${rows}`, () => {
      const store = storeWith(cols, rows, { engines: [] });
      const text = check(composeFrame(store.getState(), T0, 1000).lines, cols, rows);
      expect(text.replace(/\s+/g, ' ')).toContain('no engines configured: add them to');
    });

    it(`the log view: windowed, dropped lines counted, search highlights at ${cols}×${rows}`, () => {
      const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${i % 10 === 0 ? 'needle' : 'hay'}`);
      const store = storeWith(cols, rows, { engines: [engine('llama', 'healthy')], log: { engine: 'llama', lines, total: 9300, dropped: 9000, via: 'file', file: '/x/llama.log' } });
      store.getState().setLogs({ engine: 'llama', follow: true });
      let text = check(composeFrame(store.getState(), T0, 1000).lines, cols, rows);
      expect(text).toContain('Log llama');
      expect(text).toContain('line 299');
      expect(text).not.toContain('line 10 ');
      expect(text).toContain('9,000 lines dropped');
      expect(text).toContain('following');
      store.getState().setFilter('needle', false);
      text = check(composeFrame(store.getState(), T0, 1000).lines, cols, rows);
      expect(text).toContain('line 290 needle');
      expect(text).not.toContain('line 299');
      expect(text).toContain('30 matches');
    });

    it(`the confirm overlay shows exactly what will run at ${cols}×${rows}`, () => {
      const store = storeWith(cols, rows, { engines: [engine('llama', 'healthy')] });
      store.getState().setConfirm({ action: 'engine.restart', title: 'Restart', tier: 'T1', engine: 'llama', args: { name: 'llama' }, pending: false, checks: [{ name: 'daemon', state: 'pass', detail: 'up' }], kind: 'yes', input: '', text: 'restart llama: SIGTERM pid 4242, then start `llama-server -m /m/q.gguf --port 8080`' });
      const text = check(composeFrame(store.getState(), T0, 1000).lines, cols, rows);
      expect(text).toContain('Confirm: Restart');
      expect(text).toContain('T1 · easy to undo');
      expect(text).toContain('restart llama: SIGTERM pid 4242');
      expect(text).toContain('✓ daemon: up');
      expect(text).toContain('y/enter run it');
      expect(text).toContain('n/esc cancel');
    });
  }

  it('the detail shows the command from the config and the last benchmark per model side by side', () => {
    const store = storeWith(160, 50, { engines: [engine('llama', 'healthy')] });
    store.getState().setConfig({ engines: [{ name: 'llama', kind: 'process', argv: ['llama-server', '-m', '/m/q.gguf', '--port', '8080'] }] } as never);
    const r = (model: string, gen: number, at: number): BenchResult => ({
      schema: 1, engine: 'llama', model, at, baseUrl: 'http://127.0.0.1:8080/v1', prompts: 5, maxTokens: 128, ok: 5, errors: 0,
      ttftMs: { p50: 41, p95: 88 }, genTokPerSec: gen, promptTokPerSec: 900, promptTokens: 100, completionTokens: 600, durationMs: 4000, requests: [], peakRssBytes: 2 ** 33,
    });
    store.getState().addBench([r('/m/a.gguf', 50, T0 - 9000), r('/m/b.gguf', 80, T0 - 5000), r('/m/a.gguf', 55, T0 - 1000), { ...r('/m/c.gguf', 1, T0), engine: 'other' }]);
    const text = check(composeFrame(store.getState(), T0, 1000).lines, 160, 50);
    expect(text).toContain('llama-server -m /m/q.gguf --port 8080');
    expect(text).toMatch(/model\s+a\.gguf\s+b\.gguf/);
    expect(text).toMatch(/gen tok\/s\s+55\.0\s+80\.0/);
    expect(text).toMatch(/TTFT p50\s+41 ms/);
    expect(text).toMatch(/peak RSS\s+8\.0GiB/);
    expect(text).not.toContain('c.gguf');
  });

  it('the VRAM column sums the GPU processes of the engine\'s tree', () => {
    const store = storeWith(120, 40, { engines: [engine('llama', 'healthy', { pids: [10, 11] }), engine('vllm', 'healthy', { pids: [20], pid: 20 })] });
    store.getState().ingest('box', { nvidia: { state: 'ok', data: { gpus: [
      { index: 0, uuid: 'GPU-a', name: 'H100', pcie: {}, throttleReasons: [], processes: [{ pid: 10, name: 'llama-server', usedMemBytes: 2 ** 30 }, { pid: 20, name: 'python', usedMemBytes: 3 * 2 ** 30 }] },
      { index: 1, uuid: 'GPU-b', name: 'H100', pcie: {}, throttleReasons: [], processes: [{ pid: 11, name: 'llama-server', usedMemBytes: 2 ** 30 }, { pid: 99, name: 'Xorg', usedMemBytes: 2 ** 20 }] },
    ], warnings: [] } } }, T0);
    const text = check(composeFrame(store.getState(), T0, 1000).lines, 120, 40);
    expect(text).toMatch(/› llama .*2\.0GiB/);
    expect(text).toMatch(/ vllm .*3\.0GiB/);
    // and the GPU screen names the engine behind each process
    store.getState().setScreen('gpu');
    const gpu = check(composeFrame(store.getState(), T0, 1000).lines, 120, 40);
    expect(gpu).toMatch(/10\s+llama\s+llama-server/);
    expect(gpu).toMatch(/20\s+vllm\s+python/);
    expect(gpu).toMatch(/99\s+—\s+Xorg/);
  });
});

describe('log view', () => {
  const log = { engine: 'e', lines: Array.from({ length: 50 }, (_, i) => `l${i}`), total: 50, dropped: 0, via: 'file' as const };
  it('follows the end, or holds a window counted up from the end', () => {
    expect(plain(logViewLines(log, 40, 5, theme, { follow: true, fromBottom: 7 }).lines)).toEqual(['l45', 'l46', 'l47', 'l48', 'l49'].map((x) => x.padEnd(40)));
    const held = logViewLines(log, 40, 5, theme, { follow: false, fromBottom: 7 });
    expect(plain(held.lines)[4]!.trim()).toBe('l42');
    expect(stripAnsi(held.badge)).toContain('held ↑7');
    expect(plain(logViewLines(log, 40, 5, theme, { follow: false, fromBottom: 999 }).lines)[0]!.trim()).toBe('l0');
  });
  it('an unknown count of dropped lines is marked', () => {
    expect(stripAnsi(logViewLines({ ...log, droppedUnknown: true }, 40, 5, theme, { follow: true, fromBottom: 0 }).badge)).toContain('0+ lines dropped');
  });
});

describe('services panel', () => {
  for (const w of [58, 78, 118]) {
    it(`up with latency, down with the reason, at ${w}`, () => {
      const lines = plain(servicesLines(SERVICES, w, theme));
      for (const l of lines) expect(stringWidth(l)).toBe(w);
      expect(lines[0]).toMatch(/✓ up\s+redis\s+redis .*0\.4 ms/);
      expect(lines[1]).toMatch(/✖ down qdrant\s+http .*connection refused/);
    });
  }
});

describe('gpu processes without an engine list', () => {
  it('keeps the old table when engines are unknown', () => {
    const g = { index: 0, uuid: 'u', name: 'n', pcie: {}, throttleReasons: [], processes: [{ pid: 7, name: 'llama-server', usedMemBytes: 1 }] };
    const text = plain(gpuDetailLines(g, undefined, 80, theme)).join('\n');
    expect(text).not.toContain('ENGINE');
    expect(text).toMatch(/7\s+llama-server/);
  });
});

describe('the overview with services', () => {
  it('shows the services beside ZFS when there is room, never at 80×24', async () => {
    const { demoStore } = await import('../helpers/demo-state.js');
    for (const [cols, rows, shown] of [[120, 40, true], [80, 24, false]] as const) {
      const { store, now } = await demoStore(cols, rows);
      store.getState().ingest(store.getState().current, { services: { state: 'ok', data: SERVICES } }, now);
      const text = check(composeFrame(store.getState(), now, 1000).lines, cols, rows);
      expect(text.includes('Services'), `${cols}×${rows}`).toBe(shown);
      for (const s of ['GPU0', 'rpool', 'node3']) expect(text).toContain(s);
      if (shown) expect(text).toMatch(/✓ up\s+redis/);
    }
  });
});

describe('the engine detail says what its log lost', () => {
  it('bytes the relay dropped at the disk\'s free-space floor are shown beside the log file', async () => {
    const { engineDetailLines } = await import('../../widgets/panels/engines.js');
    const e = { ...engine('llama', 'healthy'), logFile: '/state/logs/llama.log', logDroppedBytes: 3 * 1024 * 1024 };
    const text = plain(engineDetailLines(e, 100, theme, T0, {})).join('\n');
    expect(text).toMatch(/log\s+\/state\/logs\/llama\.log · 3\.0MiB dropped \(disk nearly full\)/);
    const clean = plain(engineDetailLines({ ...e, logDroppedBytes: undefined }, 100, theme, T0, {})).join('\n');
    expect(clean).not.toContain('dropped');
  });
});
