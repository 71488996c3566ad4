// The chat screen in the built sov, in tmux, against a simulated engine on 127.0.0.1: type, watch it stream,
// cancel with esc, switch provider, kill -9 sov mid-stream, and `sov chat --resume` shows the conversation.
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTranscript } from '../../src/chat/transcript.js';
import { cleanup, sim, tempDir } from '../chat/helpers.js';
import { SOV, Tmux } from './tmux.js';


let t: Tmux | undefined;
let daemonEnv: Record<string, string> | undefined;
afterEach(async () => {
  t?.kill(); t = undefined;
  // the cockpit started the daemon (the config names engines): stop it before its directory goes
  if (daemonEnv) {
    try { execFileSync(process.execPath, [SOV, 'daemon', 'stop'], { env: { ...process.env, ...daemonEnv }, stdio: 'ignore', timeout: 20_000 }); } catch { /* reported by the next line */ }
    daemonEnv = undefined;
  }
  await cleanup();
});

function childPid(parent: number): number {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' }).trim();
  return Number(out.split('\n')[0]);
}

describe('chat in the real terminal (tmux)', () => {
  it('streams, cancels, switches provider, survives kill -9 and resumes', async () => {
    const slow = await sim({ tokensPerSec: 15, replyTokens: 3000, model: 'slow-model' });
    const other = await sim({ tokensPerSec: 15, replyTokens: 3000, model: 'other-model' });
    const home = tempDir('sov-e2e-chat-');
    const cfgDir = join(home, 'config', 'sov');
    execFileSync('mkdir', ['-p', cfgDir]);
    writeFileSync(join(cfgDir, 'config.yaml'), [
      'engines:',
      `  - {name: slow, kind: process, argv: [llama-server], openai: "${slow.url}/v1"}`,
      `  - {name: other, kind: process, argv: [llama-server], openai: "${other.url}/v1"}`,
      'providers:',
      '  - {name: first, engine: slow}',
      '  - {name: second, engine: other}',
      'chat: {chain: [first, second]}',
      '',
    ].join('\n'));
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), XDG_RUNTIME_DIR: join(home, 'run') };
    daemonEnv = env;
    const tm = (t = new Tmux().start(120, 40, env));
    tm.typeLine(`node ${SOV}`);
    await tm.waitFor('Overview', 15_000);
    tm.keys('7');
    await tm.waitFor('Prompt');

    // type, send, watch it stream
    tm.text('hello over there');
    await tm.waitFor('hello over there');
    tm.keys('Enter');
    await tm.waitFor(/streaming \d+ tok/);
    await tm.waitFor('quick brown');

    // esc cancels; the partial stays, marked partial
    tm.keys('Escape');
    await tm.waitFor(/partial: cancelled/);

    // ctrl+p: ask the second provider first
    tm.keys('C-p');
    tm.keys('C-p');
    await tm.waitFor('second first');
    tm.text('and now?');
    tm.keys('Enter');
    await tm.waitFor(/▍second .*streaming/);
    await tm.waitFor((s) => /streaming (\d+) tok/.test(s) && Number(/streaming (\d+) tok/.exec(s)![1]) >= 5);

    // kill -9 mid-stream
    const pid = childPid(tm.panePid());
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50; i++) {
      try { process.kill(pid, 0); } catch { break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    const chats = join(home, 'state', 'sov', 'chats');
    const files = readdirSync(chats).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const tr = readTranscript(join(chats, files[0]!));
    expect(tr.torn).toBeUndefined();
    expect(tr.messages.map((m) => [m.role, m.partial ?? false])).toEqual([['user', false], ['assistant', true], ['user', false], ['assistant', true]]);
    expect(tr.messages[3]!.interrupted).toBe(true);

    // `sov chat --resume` (headless: no prompt, stdin not a terminal) prints the conversation back
    const shown = execFileSync(process.execPath, [SOV, 'chat', '--resume'], { env: { ...process.env, ...env }, input: '', encoding: 'utf8' });
    expect(shown).toContain('hello over there');
    expect(shown).toContain('and now?');
    expect(shown).toMatch(/PARTIAL: cancelled/);
    expect(shown).toMatch(/PARTIAL: the writer stopped mid-stream/);
  });
});
