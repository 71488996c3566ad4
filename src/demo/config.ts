/**
 * The demo box's config: what a newcomer's `sov --demo` acts on beyond the recorded readings — its host scripts
 * (simulated chores that touch nothing real). Parsed through the real schema, so it cannot drift from it.
 */
import { configSchema, type Config } from '../config/schema.js';
import { DEMO_SCRIPTS } from '../scripts/demo.js';

export function demoConfig(): Config {
  return configSchema.parse({
    scripts: DEMO_SCRIPTS,
    // what the demo's simulated engines (src/demo/engines.ts) would run on a real box: shown in the engine detail and confirmations
    engines: [
      { name: 'llama', kind: 'process', port: 8080, argv: ['/opt/llama.cpp/build/bin/llama-server', '-m', '/tank/models/qwen3-235b-a22b-q4_k_m.gguf', '-ngl', '99', '-c', '32768', '--host', '127.0.0.1', '--port', '8080'], gpus: [0], numa: { interleave: 'all' }, autostart: true },
      { name: 'vllm', kind: 'process', port: 8000, argv: ['python3', '-m', 'vllm.entrypoints.openai.api_server', '--model', 'Qwen/Qwen3-32B-AWQ', '--host', '127.0.0.1', '--port', '8000'], gpus: [1], autostart: true },
      { name: 'ktransformers', kind: 'process', port: 10002, argv: ['python3', '-m', 'ktransformers.server.main', '--model_path', '/tank/models/DeepSeek-V3-0324', '--port', '10002'], numa: { cpunodebind: 1, membind: 1 }, gpus: [1] },
      { name: 'ramalama-worker', kind: 'process', port: 8081, argv: ['ramalama', 'serve', '--port', '8081', 'granite-3.3-8b'] },
    ],
  });
}
