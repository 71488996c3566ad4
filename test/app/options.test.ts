import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../../src/app/options.js';

describe('options', () => {
  it('parses the cockpit and status forms', () => {
    expect(parseOptions([])).toMatchObject({ command: 'tui', demo: false, readOnly: false, intervalMs: 1000 });
    expect(parseOptions(['--demo', '--read-only'])).toMatchObject({ command: 'tui', demo: true, readOnly: true });
    expect(parseOptions(['status', '--json', '--require', 'nvidia,zfs'])).toMatchObject({ command: 'status', json: true, require: ['nvidia', 'zfs'] });
  });
  it('NO_COLOR selects the no-color theme', () => {
    expect(parseOptions([], { NO_COLOR: '1' }).theme).toBe('no-color');
    expect(parseOptions([], {}).theme).toBeUndefined();
  });
  it('bad arguments are usage errors with a reason', () => {
    expect(() => parseOptions(['--bogus'])).toThrow(UsageError);
    expect(() => parseOptions(['status', '--require', 'gpu'])).toThrow(/unknown source "gpu"/);
    expect(() => parseOptions(['--interval-ms', 'fast'])).toThrow(/wants a number/);
    expect(() => parseOptions(['launch'])).toThrow(/unknown command/);
    expect(() => parseOptions(['--theme', 'pink'])).toThrow(/unknown theme/);
    expect(parseOptions(['--demo', '--demo-scale', '8']).demoScale).toBe(8);
    expect(parseOptions(['--demo']).demoScale).toBe(1);
    expect(() => parseOptions(['--demo-scale', '8'])).toThrow(/scales the demo box: add --demo/);
    expect(() => parseOptions(['--demo', '--demo-scale', '2.5'])).toThrow(/whole number 1–16/);
    expect(() => parseOptions(['--demo', '--demo-scale', '99'])).toThrow(/whole number 1–16/);
  });
});
