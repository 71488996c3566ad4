import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { barePath, SOV, Tmux } from './tmux.js';

let t: Tmux | undefined;
afterEach(() => { t?.kill(); t = undefined; });

function childPid(parent: number): number {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' }).trim();
  return Number(out.split('\n')[0]);
}

function expectFits(screen: string, cols: number, rows: number): void {
  const lines = screen.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect(stringWidth(l), l).toBeLessThanOrEqual(cols);
}

async function startDemo(cols: number, rows: number, extra = ''): Promise<Tmux> {
  t = new Tmux().start(cols, rows);
  t.typeLine(`printf 'BEFORE-SOV\\n'; node ${SOV} --demo ${extra}`);
  await t.waitFor((s) => s.includes('GPU0') && s.includes('rpool') && s.includes('node3'), 15_000);
  return t;
}

describe('sov in a real terminal (tmux)', () => {
  it('demo at 80×24: every panel filled, nothing wider or taller than the terminal', async () => {
    const tm = await startDemo(80, 24);
    const s = await tm.waitFor((x) => !x.includes('waiting for the first reading') && /cpu\s+\S*\s*\d+%/.test(x), 10_000);
    for (const text of ['GPU', 'Host', 'NUMA', 'ZFS', 'GPU1', 'ember', 'resilver', 'node0']) expect(s).toContain(text);
    expect(tm.alternateOn()).toBe(true);
    expectFits(s, 80, 24);
    expect(tm.lines()).toHaveLength(24);
  });

  it('demo at 120×40 shows the down-trained PCIe link and moving values', async () => {
    const tm = await startDemo(120, 40);
    const first = await tm.waitFor(/Gen4x16/);
    expectFits(first, 120, 40);
    await new Promise((r) => setTimeout(r, 2200));
    const later = tm.screen();
    expect(later).not.toBe(first);
  });

  it('switches screens with 1–5 and ?', async () => {
    const tm = await startDemo(120, 40);
    // each screen is waited for whole: tmux can be read while a screen switch is still being drawn, so one
    // string on screen does not mean the rest is
    const all = (...want: (string | RegExp)[]) => (x: string) => want.every((w) => (typeof w === 'string' ? x.includes(w) : w.test(x)));
    tm.keys('2');
    await tm.waitFor(all('processes', /pcie/, 'llama-server'));
    tm.keys('3');
    await tm.waitFor(all('Vdevs', 'Datasets', /raidz2/));
    tm.keys('4');
    await tm.waitFor(all('distances', 'CPU cores'));
    tm.keys('?');
    await tm.waitFor(all('Keys', 'Freeze'));
    tm.keys('1');
    await tm.waitFor((x) => x.includes('ZFS') && x.includes('Host'));
  });

  it('keys: tab + enter drills in, / filters, f freezes, t changes theme', async () => {
    const tm = await startDemo(120, 40);
    tm.keys('Enter');
    await tm.waitFor('processes');
    tm.keys('/');
    await tm.waitFor('esc clear'); // the filter line is open: keys sent together arrive as one chunk
    tm.text('vllm');
    await tm.waitFor((x) => /^\/vllm/m.test(x)); // the filter prompt, not a path on screen
    tm.keys('Enter');
    const filtered = await tm.waitFor('filter "vllm"');
    expect(filtered).not.toContain('llama-server');
    tm.keys('Escape');
    await tm.waitFor((x) => x.includes('llama-server'));
    tm.keys('f');
    await tm.waitFor('frozen');
    tm.keys('t');
    await tm.waitFor('theme: light');
  });

  it('re-lays out live on resize and never draws past the edges', async () => {
    const tm = await startDemo(120, 40);
    tm.resize(80, 24);
    const small = await tm.waitFor((x) => x.split('\n').every((l) => stringWidth(l) <= 80) && x.includes('ZFS'));
    expectFits(small, 80, 24);
    tm.resize(200, 60);
    const big = await tm.waitFor((x) => x.split('\n')[0]!.trimEnd().length > 120);
    expectFits(big, 200, 60);
    tm.resize(50, 12);
    expect(await tm.waitFor('needs at least')).toContain('50×12');
  });

  it('q leaves the alternate screen and restores the terminal', async () => {
    const tm = await startDemo(100, 30);
    tm.keys('q');
    await tm.waitFor((x) => x.includes('BEFORE-SOV') && !x.includes('rpool'));
    expect(tm.alternateOn()).toBe(false);
    tm.typeLine('echo AFTER-$((40+2))');
    await tm.waitFor('AFTER-42');
  });

  for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${sig} (an SSH drop) restores the terminal`, async () => {
      const tm = await startDemo(100, 30);
      const pid = childPid(tm.panePid());
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, sig);
      await tm.waitFor((x) => x.includes('BEFORE-SOV') && !x.includes('rpool'));
      expect(tm.alternateOn()).toBe(false);
    });
  }

  it('--read-only says so in the header', async () => {
    const tm = await startDemo(120, 40, '--read-only');
    expect(tm.lines()[0]).toContain('read-only');
  });

  it('a host without nvidia-smi or zpool says why, and the host and NUMA panels stay live', async () => {
    t = new Tmux().start(120, 40);
    // PATH for sov alone (a login shell may reset the session's): only `node`, so nvidia-smi and zpool are missing
    t.typeLine(`PATH=${barePath()} ${process.execPath} ${SOV}`);
    const s = await t.waitFor((x) => x.includes('nvidia-smi not found') && /cpu\s+\S*\s*\d+%/.test(x), 15_000);
    expect(s).toMatch(/zpool not found/);
    expect(s).toMatch(/node0/);
    expectFits(s, 120, 40);
  });
});
