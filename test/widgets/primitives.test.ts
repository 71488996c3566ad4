import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { dark, noColor } from '../../themes/index.js';
import { meter, sparkline } from '../../widgets/primitives/charts.js';
import { age, bytes, cpuList, duration, pct } from '../../widgets/primitives/format.js';
import { frame, hjoin, split } from '../../widgets/primitives/panel.js';
import { sampleBody } from '../../widgets/primitives/sample.js';
import { fit, sanitize } from '../../widgets/primitives/text.js';

const plain = (ls: string[]) => ls.map((l) => stripAnsi(l));

describe('text', () => {
  it('fit cuts with an ellipsis and pads, counting wide characters', () => {
    expect(fit('hello', 8)).toBe('hello   ');
    expect(stripAnsi(fit('\u001b[31mhello world\u001b[0m', 6))).toBe('hello…');
    expect(stringWidth(fit('漢字漢字漢字', 5))).toBe(5);
  });
  it('sanitize strips escape sequences and control characters from outside text', () => {
    expect(sanitize('a\u001b]0;pwned\u0007b\u001b[2Jc\u0000d\te')).toBe('abcd e');
  });
});

describe('format', () => {
  it('unknown is a dash, never zero', () => {
    expect(bytes(undefined)).toBe('—');
    expect(pct(undefined)).toBe('—');
    expect(duration(undefined)).toBe('—');
  });
  it('formats sizes, ages, durations and CPU lists', () => {
    expect(bytes(0)).toBe('0B');
    expect(bytes(1536)).toBe('1.5KiB');
    expect(bytes(97887 * 1024 * 1024)).toBe('95.6GiB');
    expect(age(65_000)).toBe('1m');
    expect(duration(4320)).toBe('1h12m');
    expect(cpuList([0, 1, 2, 3, 8, 9, 64])).toBe('0-3,8-9,64');
    expect(cpuList([])).toBe('none');
  });
});

describe('charts', () => {
  it('sparkline leaves gaps blank and scales to max', () => {
    expect(sparkline([0, 50, NaN, 100], 4, 100)).toBe('▁▅ █');
    expect(sparkline([100], 3, 100)).toBe('  █');
  });
  it('meter shows an unknown value as an empty track with a dash', () => {
    expect(stripAnsi(meter(noColor, undefined, 5))).toBe('····—');
    expect(stripAnsi(meter(noColor, 60, 5))).toBe('███░░');
    expect(meter(dark, 95, 4)).toContain('\u001b[');
  });
});

describe('frame', () => {
  it('is exactly width × height, with title, badge and a scroll hint', () => {
    const f = frame({ title: 'GPU', badge: 'ok', lines: ['a', 'b', 'c', 'd'], width: 20, height: 4, theme: noColor });
    expect(f).toHaveLength(4);
    for (const l of f) expect(stringWidth(l)).toBe(20);
    const p = plain(f);
    expect(p[0]).toMatch(/^╭─ GPU ─+ ok ─╮$/);
    expect(p[1]).toBe('│a                 │');
    expect(p[3]).toContain('↓2 more');
  });
  it('scrolls and clamps the scroll offset', () => {
    const f = plain(frame({ title: 'T', lines: ['1', '2', '3', '4'], width: 10, height: 4, theme: noColor, scroll: 99 }));
    expect(f[1]!.startsWith('│3')).toBe(true);
    expect(f[3]).toContain('↑2');
  });
  it('survives absurd sizes', () => {
    const f = frame({ title: 'a very long title indeed', lines: [], width: 4, height: 2, theme: noColor });
    expect(f).toHaveLength(2);
    for (const l of f) expect(stringWidth(l)).toBe(4);
  });
  it('hjoin and split', () => {
    expect(hjoin([['a', 'b'], ['c', 'd']])).toEqual(['ac', 'bd']);
    expect(split(81, [55, 45])).toEqual([44, 37]);
    expect(split(10, [1, 1, 1]).reduce((a, b) => a + b)).toBe(10);
  });
});

describe('sample states', () => {
  const draw = (d: number) => [`value ${d}`];
  it('pending, unavailable, error with and without last good data, stale, ok', () => {
    expect(plain(sampleBody({ state: 'pending' }, 0, noColor, 5000, draw).lines)[0]).toContain('waiting');
    const un = sampleBody({ state: 'unavailable', reason: 'nvidia-smi not found on PATH', hint: 'install the driver', at: 0 }, 0, noColor, 5000, draw);
    expect(plain(un.lines)).toEqual(['? unavailable: nvidia-smi not found on PATH', '  hint: install the driver']);
    const err = sampleBody({ state: 'error', message: 'timed out', at: 10_000, failures: 3, lastGood: { data: 7, at: 1000 } }, 13_000, noColor, 5000, draw);
    expect(plain(err.lines)).toEqual(['✖ timed out', 'value 7']);
    expect(stripAnsi(err.badge!)).toBe('✖ error ×3 · data 12s old');
    expect(err.lines[1]).toContain('\u001b[2m');
    const bare = sampleBody({ state: 'error', message: 'boom', at: 0, failures: 1 }, 0, noColor, 5000, draw);
    expect(plain(bare.lines)).toEqual(['✖ boom']);
    const stale = sampleBody({ state: 'ok', data: 1, at: 0, tookMs: 1 }, 60_000, noColor, 5000, draw);
    expect(stripAnsi(stale.badge!)).toBe('stale 1m');
    const ok = sampleBody({ state: 'ok', data: 1, at: 0, tookMs: 1 }, 1000, noColor, 5000, draw);
    expect(ok).toEqual({ lines: ['value 1'] });
  });
  it('a reason with escape sequences is drawn clean', () => {
    const un = sampleBody({ state: 'unavailable', reason: 'bad\u001b]52;c;aGk=\u0007 thing', at: 0 }, 0, noColor, 5000, draw);
    expect(un.lines[0]).not.toContain('\u001b]');
  });
});
