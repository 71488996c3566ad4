import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { composeFrame } from '../../src/app/frame.js';
import type { ScreenId } from '../../src/store/types.js';
import { demoStore, failAll } from '../helpers/demo-state.js';

const SCREENS: ScreenId[] = ['overview', 'gpu', 'storage', 'numa', 'help'];
const SIZES: [number, number][] = [[80, 24], [120, 40], [250, 70]];

function check(lines: string[], cols: number, rows: number): string {
  expect(lines).toHaveLength(rows);
  for (const l of lines) expect(stringWidth(l), stripAnsi(l)).toBe(cols);
  return lines.map((l) => stripAnsi(l)).join('\n');
}

describe('frames from the demo box', () => {
  for (const [cols, rows] of SIZES) {
    for (const screen of SCREENS) {
      it(`${screen} at ${cols}×${rows} is exactly the terminal size`, async () => {
        const { store, now } = await demoStore(cols, rows);
        store.getState().setScreen(screen);
        const text = check(composeFrame(store.getState(), now, 1000).lines, cols, rows);
        expect(text).not.toContain('waiting for the first reading');
        expect(text).not.toContain('failed to draw');
      });
    }
  }

  it('the overview at 80×24 has every panel filled', async () => {
    const { store, now } = await demoStore(80, 24);
    const text = check(composeFrame(store.getState(), now, 1000).lines, 80, 24);
    for (const s of ['GPU0', 'GPU1', 'rpool', 'ember', 'node3', 'cpu', 'mem', 'resilver']) expect(text).toContain(s);
  });

  it('the GPU screen shows PCIe now vs max, the down-trained card under load, and processes', async () => {
    const { store, now } = await demoStore(120, 40);
    store.getState().setScreen('gpu');
    const text = check(composeFrame(store.getState(), now, 1000).lines, 120, 40);
    expect(text).toMatch(/Gen4 x16 now · max Gen5 x16/);
    expect(text).toContain('llama-server');
    expect(text).toMatch(/persistence ▲ off/);
  });

  it('the storage screen shows the vdev tree (special class included), the resilver and lints', async () => {
    const { store, now } = await demoStore(200, 60);
    store.getState().setScreen('storage');
    const text = check(composeFrame(store.getState(), now, 1000).lines, 200, 60);
    expect(text).toMatch(/special_small_blocks \(128K\) ≥ recordsize \(64K\)/);
    expect(text).toMatch(/raidz2/);
    expect(text).toMatch(/\[special\]/);
    expect(text).toMatch(/resilver \d+(\.\d)?%/);
  });
});

describe('frames in every sample state', () => {
  for (const [cols, rows] of [[80, 24], [120, 40]] as [number, number][]) {
    it(`unavailable sources say why at ${cols}×${rows}`, async () => {
      const { store, now } = await demoStore(cols, rows);
      failAll(store, now, (id) => ({ state: 'unavailable', reason: `${id} tool not found on PATH`, hint: 'install it' }));
      for (const screen of SCREENS.slice(0, 4)) {
        store.getState().setScreen(screen);
        const text = check(composeFrame(store.getState(), now, 1000).lines, cols, rows);
        expect(text).toMatch(/unavailable: \w+ tool not found on PATH/);
      }
    });

    it(`errors keep the last good data with failures and age at ${cols}×${rows}`, async () => {
      const { store, now } = await demoStore(cols, rows);
      failAll(store, now + 5000, () => ({ state: 'error', message: 'timed out after 10 s' }));
      failAll(store, now + 9000, () => ({ state: 'error', message: 'timed out after 10 s' }));
      const text = check(composeFrame(store.getState(), now + 9000, 1000).lines, cols, rows);
      expect(text).toContain('timed out after 10 s');
      expect(text).toMatch(/error ×2/);
      expect(text).toContain('GPU0');
    });

    it(`stale data shows its age at ${cols}×${rows}`, async () => {
      const { store, now } = await demoStore(cols, rows);
      const text = check(composeFrame(store.getState(), now + 120_000, 1000).lines, cols, rows);
      expect(text).toMatch(/stale 2m/);
    });
  }

  it('pending sources say they are waiting', async () => {
    const { createAppStore } = await import('../../src/store/store.js');
    const store = createAppStore({ host: 'h', cols: 80, rows: 24, theme: 'no-color' });
    const text = check(composeFrame(store.getState(), 0, 1000).lines, 80, 24);
    expect(text).toContain('waiting for the first reading');
  });

  it('a tiny terminal gets a clear message, never more lines than it has', async () => {
    const { store, now } = await demoStore(40, 10);
    const text = check(composeFrame(store.getState(), now, 1000).lines, 40, 10);
    expect(text).toContain('needs at least 60×16');
  });

  it('a panel that throws shows its error and the others still draw', async () => {
    const { store, now } = await demoStore(120, 40);
    const s = store.getState();
    const zfs = s.hosts[s.current]!.samples.zfs;
    if (zfs.state !== 'ok') throw new Error('demo zfs not ok');
    // a pool whose vdev list is not a list: the ZFS panel's drawing code throws on it
    (zfs.data.pools[0] as unknown as { vdevs: unknown }).vdevs = null;
    s.setScreen('storage');
    const text = check(composeFrame(store.getState(), now, 1000).lines, 120, 40);
    expect(text).toContain('this panel failed to draw');
    expect(text).toContain('Datasets');
    expect(text).toContain('ember');
  });
});

describe('page size', () => {
  it('is the inner height of the focused panel as drawn, on each screen', async () => {
    const { store, now } = await demoStore(120, 40);
    const plain = (x: { lines: string[] }) => x.lines.map((l) => stripAnsi(l));
    const f = composeFrame(store.getState(), now, 1000);
    // the overview's first panel (GPU) is drawn with a frame: its inner height is its drawn height minus 2
    const top = plain(f).findIndex((l) => l.includes('╭─ GPU'));
    const bottom = plain(f).findIndex((l, i) => i > top && l.startsWith('╰'));
    expect(top).toBeGreaterThanOrEqual(0);
    expect(f.focusInnerH).toBe(bottom - top - 1);
    store.getState().setScreen('storage');
    store.getState().setFocus(2); // the datasets panel, full width at the bottom
    const g = composeFrame(store.getState(), now, 1000);
    const t2 = plain(g).findIndex((l) => l.includes('╭─ Datasets'));
    const b2 = plain(g).findIndex((l, i) => i > t2 && l.includes('╰'));
    expect(t2).toBeGreaterThan(top);
    expect(g.focusInnerH).toBe(b2 - t2 - 1);
  });
});
