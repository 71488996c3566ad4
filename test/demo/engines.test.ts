/**
 * The demo box's simulated engines on a fake clock: what a newcomer sees (two healthy engines on the two GPUs'
 * processes, one in backoff, one in crashloop) and what the engine actions do to them.
 */
import { describe, expect, it } from 'vitest';
import { createDemoEnginesLink } from '../../src/demo/engines.js';

function setup() {
  let now = 1_750_000_000_000;
  const link = createDemoEnginesLink({ now: () => now });
  const list = async () => Object.fromEntries((await link.call('engines.list', {})).map((e) => [e.name, e]));
  return { link, list, advance: (ms: number) => { now += ms; } };
}

describe('the demo engines', () => {
  it('start as a newcomer should see them: llama and vLLM healthy on the GPU processes, KTransformers in backoff, the worker in crashloop', async () => {
    const { list } = setup();
    const e = await list();
    expect(e.llama).toMatchObject({ state: 'healthy', pid: 4242, pids: [4242], models: ['qwen3-235b-a22b-q4_k_m'] });
    expect(e.vllm).toMatchObject({ state: 'healthy', pid: 5151 });
    expect(e.ktransformers).toMatchObject({ state: 'backoff', message: expect.stringMatching(/restart 4 in \d+ s/) });
    expect(e['ramalama-worker']).toMatchObject({ state: 'crashloop', pids: [] });
    expect(e.llama!.tokPerSec).toBeGreaterThan(30);
  });

  it('the backoff engine retries when its delay is up, loads, crashes again, and counts a crash loop at the fifth failure', async () => {
    const { list, advance } = setup();
    const states: string[] = [];
    for (let i = 0; i < 40 && states.at(-1) !== 'crashloop'; i++) {
      advance(4000);
      const k = (await list()).ktransformers!;
      if (states.at(-1) !== k.state) states.push(k.state);
    }
    expect(states.slice(0, 2)).toEqual(['backoff', 'starting']);
    expect(states).toContain('backoff');
    expect(states.at(-1)).toBe('crashloop');
    expect(states.filter((s) => s === 'starting').length).toBe(5);
  });

  it('stop, start and restart change the engine; its log says so; an unknown engine is refused', async () => {
    const { link, list, advance } = setup();
    expect(await link.call('engines.stop', { name: 'llama' })).toMatchObject({ state: 'stopped', pids: [] });
    expect(await link.call('engines.start', { name: 'llama' })).toMatchObject({ state: 'starting', pid: 4242 });
    advance(5000);
    expect((await list()).llama!.state).toBe('healthy');
    const log = await link.call('engines.logs', { name: 'llama', lines: 500 });
    expect(log.lines.some((l) => /SIGTERM received/.test(l))).toBe(true);
    expect(log.lines.some((l) => /server is listening/.test(l))).toBe(true);
    expect((await link.call('engines.logs', { name: 'llama', search: 'SIGTERM' })).matched).toBe(1);
    await expect(link.call('engines.start', { name: 'nope' })).rejects.toThrow(/no engine named "nope"/);
    // the worker's model is missing: started again, it fails again
    await link.call('engines.start', { name: 'ramalama-worker' });
    advance(5000);
    expect((await list())['ramalama-worker']!.state).toBe('backoff');
  });

  it('logs stay bounded however long the demo runs', async () => {
    const { link, list, advance } = setup();
    for (let i = 0; i < 2000; i++) { advance(1000); await list(); }
    expect((await link.call('engines.logs', { name: 'llama', lines: 100_000 })).lines.length).toBeLessThanOrEqual(400);
  });
});
