/**
 * A daemon that could not write its state file says so in the cockpit (issue 7): the engines source reads
 * daemon.info beside engines.list, the header says STATE NOT SAVED on every screen, the engines table says why.
 */
import stripAnsi from 'strip-ansi';
import { describe, expect, it } from 'vitest';
import { composeFrame } from '../../src/app/frame.js';
import { createEnginesSource } from '../../src/engines/source.js';
import { createAppStore } from '../../src/store/store.js';
import { engine, fakeLink, T0 } from '../helpers/engines.js';

describe('the daemon\'s own trouble in the cockpit', () => {
  it('a failed state write reaches the header and the engines table; a healthy daemon shows nothing', async () => {
    let stateError: string | undefined = 'ENOSPC: no space left on device, write engines.json';
    const link = fakeLink({
      'engines.list': () => [engine('llama', 'healthy')],
      'daemon.info': () => ({ pid: 1, startedAt: T0, version: 'x', socket: 's', stateDir: 'd', configPath: 'c', engines: 1, ...(stateError ? { stateError } : {}) }),
    });
    const src = createEnginesSource({ link });
    const store = createAppStore({ host: 'h', cols: 120, rows: 30, theme: 'no-color' });
    const a = await src.sample();
    store.getState().ingest('h', { engines: a as never }, T0);
    let text = stripAnsi(composeFrame(store.getState(), T0, 1000).lines.join('\n'));
    expect(text.split('\n')[0]).toContain('STATE NOT SAVED');
    store.getState().setScreen('engines');
    text = stripAnsi(composeFrame(store.getState(), T0, 1000).lines.join('\n'));
    expect(text).toMatch(/STATE NOT SAVED: ENOSPC: no space left on device/);
    // fixed: the next reading of daemon.info (every fifth tick) clears it
    stateError = undefined;
    for (let i = 0; i < 5; i++) store.getState().ingest('h', { engines: (await src.sample()) as never }, T0 + i);
    expect(stripAnsi(composeFrame(store.getState(), T0, 1000).lines.join('\n'))).not.toContain('STATE NOT SAVED');
  });
});
