// Chat rendering throughput: a simulated engine (in its own process, so its CPU is not counted) streams at
// 2000 tok/s into a real chat session; every notification composes the whole chat screen (120×40), as the TUI
// does. Reports tokens delivered vs frames composed, CPU ms per 1000 tokens, the worst frame, and whether the
// screen kept up (tokens shown at the end = tokens received; lag in tokens at each frame).
//   tsx bench/chat.ts [--tokens-per-sec 2000] [--seconds 5] [--cols 120] [--rows 40] [--json]
// bench/run.ts can call measureChatRendering() and put the figures in its report.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChatSession } from '../src/chat/session.js';
import type { Provider } from '../src/chat/providers.js';
import { createChatScreen } from '../screens/chat.js';
import { renderScreen } from '../screens/host.js';
import type { ScreenCtx } from '../screens/types.js';
import { themeByName } from '../themes/index.js';

export interface ChatBenchOptions {
  tokensPerSec?: number;
  seconds?: number;
  cols?: number;
  rows?: number;
}

export interface ChatBenchResult {
  tokensPerSec: number;
  tokensDelivered: number;
  tokensShown: number;
  frames: number;
  framesPerSec: number;
  wallMs: number;
  /** process CPU (user + system) per 1000 tokens: HTTP client, SSE decoding, session, markdown and screen */
  cpuMsPer1000Tokens: number;
  maxFrameMs: number;
  meanFrameMs: number;
  /** tokens received but not yet on screen, at worst (sampled every 10 ms) */
  maxLagTokens: number;
  /** the longest a received token waited for a frame, ms */
  maxLagMs: number;
  /** the screen showed every token by the end */
  keptUp: boolean;
  /** tokens/s the client actually received */
  receivedTokPerSec: number;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function startSimProcess(tokensPerSec: number, replyTokens: number): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/demo/engine.ts'), '--host', '127.0.0.1', '--port', '0', '--tokens-per-sec', String(tokensPerSec), '--reply-tokens', String(replyTokens)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((res, rej) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => { buf += c.toString(); const m = /listening on (http:\/\/\S+)/.exec(buf); if (m) res(m[1]!); });
    child.on('exit', (code) => rej(new Error(`sim-engine exited (${code}) before listening`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return { url, stop: () => { if (child.pid !== undefined && child.exitCode === null) { try { process.kill(child.pid, 'SIGKILL'); } catch {} } } };
}

export async function measureChatRendering(o: ChatBenchOptions = {}): Promise<ChatBenchResult> {
  const tps = o.tokensPerSec ?? 2000;
  const seconds = o.seconds ?? 5;
  const cols = o.cols ?? 120;
  const rows = o.rows ?? 40;
  const replyTokens = Math.max(1, Math.round(tps * seconds));
  const sim = await startSimProcess(tps, replyTokens);
  try {
    const provider: Provider = { name: 'sim', kind: 'engine', baseUrl: `${sim.url}/v1`, loopback: true, model: 'sim' };
    let received = 0;
    const session = createChatSession({
      providers: [provider],
      run: async (opts) => {
        const { runChain } = await import('../src/chat/chain.js');
        return runChain({ ...opts, onEvent: (e) => { if (e.type === 'token') received++; opts.onEvent?.(e); } });
      },
    });
    const def = createChatScreen(session, { providers: [provider] });
    const theme = themeByName('dark');
    let frames = 0;
    let frameMsTotal = 0;
    let maxFrameMs = 0;
    let maxLag = 0;
    const compose = () => {
      const t0 = performance.now();
      const ctx: ScreenCtx = { samples: {} as ScreenCtx['samples'], history: {} as ScreenCtx['history'], theme, cols, rows: rows - 2, now: Date.now(), staleMs: 5000, scroll: {}, filter: '' };
      renderScreen(def, ctx, def.panels(ctx));
      const dt = performance.now() - t0;
      frames++;
      frameMsTotal += dt;
      maxFrameMs = Math.max(maxFrameMs, dt);
      lastFrameTokens = session.getState().streaming?.tokens ?? lastFrameTokens;
      lastFrameAt = performance.now();
    };
    let lastFrameTokens = 0;
    let lastFrameAt = performance.now();
    let maxLagMs = 0;
    // how far the screen trails the wire: sampled every 10 ms between frames
    const sampler = setInterval(() => {
      if (!session.getState().streaming) return;
      const lag = received - lastFrameTokens;
      maxLag = Math.max(maxLag, lag);
      if (lag > 0) maxLagMs = Math.max(maxLagMs, performance.now() - lastFrameAt);
    }, 10);
    session.subscribe(compose);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    session.send('stream as fast as you can');
    await session.idle();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    const last = session.getState().messages.at(-1);
    const shown = last && last.role === 'assistant' ? (last.tokens ?? 0) : 0;
    session.dispose();
    return {
      tokensPerSec: tps,
      tokensDelivered: received,
      tokensShown: shown,
      frames,
      framesPerSec: frames / (wallMs / 1000),
      wallMs,
      cpuMsPer1000Tokens: received > 0 ? ((cpu.user + cpu.system) / 1000) / (received / 1000) : 0,
      maxFrameMs,
      meanFrameMs: frames > 0 ? frameMsTotal / frames : 0,
      maxLagTokens: maxLag,
      maxLagMs,
      keptUp: received === replyTokens && shown >= received,
      receivedTokPerSec: received / (wallMs / 1000),
    };
  } finally {
    sim.stop();
  }
}

export function formatChatBench(r: ChatBenchResult): string {
  return [
    `chat stream at ${r.tokensPerSec} tok/s: ${r.tokensDelivered} tokens in ${(r.wallMs / 1000).toFixed(2)} s (${r.receivedTokPerSec.toFixed(0)} tok/s received)`,
    `  frames composed ${r.frames} (${r.framesPerSec.toFixed(1)}/s) · mean ${r.meanFrameMs.toFixed(2)} ms · worst ${r.maxFrameMs.toFixed(2)} ms`,
    `  CPU ${r.cpuMsPer1000Tokens.toFixed(1)} ms per 1000 tokens · screen trails the wire by ≤ ${r.maxLagTokens} tokens / ${r.maxLagMs.toFixed(0)} ms · ${r.keptUp ? 'kept up' : 'FELL BEHIND'}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const get = (name: string, def: number) => { const i = argv.indexOf(`--${name}`); const v = i >= 0 ? Number(argv[i + 1]) : def; return Number.isFinite(v) && v > 0 ? v : def; };
  const r = await measureChatRendering({ tokensPerSec: get('tokens-per-sec', 2000), seconds: get('seconds', 5), cols: get('cols', 120), rows: get('rows', 40) });
  process.stdout.write((argv.includes('--json') ? JSON.stringify(r, null, 2) : formatChatBench(r)) + '\n');
  return r.keptUp ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: unknown) => { process.stderr.write(`bench/chat: ${String(e)}\n`); process.exitCode = 1; });
}
