/**
 * The demo box's chat: a simulated llama.cpp engine serving over real HTTP on 127.0.0.1 (src/demo/engine.ts), and a
 * "cloud" provider asked first that refuses the connection (a loopback port that was just closed), so a newcomer
 * sees the fallback chain at work on their first prompt. Transcripts go to the demo state dir, never the real ones.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { configSchema, type Config } from '../config/schema.js';
import { demoStateDir } from '../recovery/authority.js';
import { startSimEngine, type SimEngine } from './engine.js';

const REPLY = 'This is the demo box answering: a simulated llama.cpp server on 127.0.0.1 streams this reply, word by word. '
  + 'The cloud provider was asked first and refused the connection, so the chain fell back to the local engine, as it would on '
  + 'a real box when the network or the provider is down. On your own box, providers and the chain come from chat: in '
  + '~/.config/sov/config.yaml; sov chat does the same headless.';

/** a loopback port with nothing listening: bind one, close it */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export interface DemoChat {
  config: Config;
  /** the simulated engine's OpenAI base URL */
  openai: string;
  dir: string;
  close(): Promise<void>;
}

export async function startDemoChat(env: NodeJS.ProcessEnv = process.env): Promise<DemoChat> {
  const engine: SimEngine = await startSimEngine({ port: 0, model: 'qwen3-235b-a22b-q4_k_m', tokensPerSec: 40, replyText: REPLY });
  const refused = await closedPort();
  const config = configSchema.parse({
    providers: [
      { name: 'cloud', baseUrl: `http://127.0.0.1:${refused}/v1`, model: 'gpt-4.1' },
      { name: 'llama', baseUrl: `${engine.url}/v1`, model: 'qwen3-235b-a22b-q4_k_m' },
    ],
    chat: { chain: ['cloud', 'llama'], connectTimeoutSec: 2 },
    // probed for real: the simulated engine's API answers; Open WebUI's port refuses
    services: [
      { name: 'llama API', probe: { kind: 'http', url: `${engine.url}/health` } },
      { name: 'open-webui', probe: { kind: 'tcp', port: await closedPort() } },
    ],
  });
  return { config, openai: `${engine.url}/v1`, dir: join(demoStateDir(env), 'chats'), close: () => engine.close() };
}
