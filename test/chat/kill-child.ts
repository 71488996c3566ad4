// A child process for the kill -9 test: one complete exchange against a fast engine, then a second one against a
// slow engine, writing the transcript as the TUI and the CLI do. It prints STREAMING once the second reply has
// been flowing for a while; the test then kills it with SIGKILL (by pid).
//   node --import tsx test/chat/kill-child.ts DIR ID FAST_URL SLOW_URL
import { runChain } from '../../src/chat/chain.js';
import type { Provider } from '../../src/chat/providers.js';
import { ChainRecorder, newMessageId, TranscriptWriter } from '../../src/chat/transcript.js';

const [dir, id, fast, slow] = process.argv.slice(2);
if (!dir || !id || !fast || !slow) { process.stderr.write('usage: kill-child DIR ID FAST_URL SLOW_URL\n'); process.exit(2); }
const p = (name: string, url: string): Provider => ({ name, kind: 'engine', baseUrl: `${url}/v1`, loopback: true, model: 'sim' });
const w = TranscriptWriter.open(dir, id);

async function exchange(text: string, provider: Provider, onToken?: (n: number) => void): Promise<void> {
  const userId = newMessageId();
  w.append({ t: 'user', id: userId, at: Date.now(), text });
  const rec = new ChainRecorder(w, userId, { everyMs: 100, everyTokens: 5 });
  let n = 0;
  await runChain({ chain: [provider], messages: [{ role: 'user', content: text }], onEvent: (e) => { rec.onEvent(e); if (e.type === 'token') onToken?.(++n); } });
}

await exchange('first question', p('fast', fast));
process.stdout.write('FIRST-DONE\n');
let said = false;
await exchange('second question', p('slow', slow), (n) => {
  if (n >= 12 && !said) { said = true; process.stdout.write('STREAMING\n'); }
});
process.stdout.write('SECOND-DONE\n');
w.close();
