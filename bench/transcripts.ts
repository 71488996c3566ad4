// `sov chat --list` and `--search` on a large corpus (issue 7): N conversations holding about M MB of transcripts
// in all, written by the real TranscriptWriter (so each has its index), then
//   - listConversations / searchConversations in this process (the work itself), median of 5;
//   - the built CLI, `node dist/sov.js chat --list` and `--search` (with Node's start), median of 5;
//   - the first --list over transcripts without an index (as after an upgrade), once, and the one after it.
// Usage: npx tsx bench/transcripts.ts [--conversations 1000] [--total-mb 1024] [--dir DIR] [--keep]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listConversations, searchConversations, TranscriptWriter } from '../src/chat/transcript.js';

const { values } = parseArgs({ options: { conversations: { type: 'string' }, 'total-mb': { type: 'string' }, dir: { type: 'string' }, keep: { type: 'boolean' } } });
const conversations = Number(values.conversations ?? 1000);
const totalBytes = Number(values['total-mb'] ?? 1024) * 1024 * 1024;
const root = values.dir ? resolve(values.dir) : mkdtempSync(join(tmpdir(), 'sov-bench-transcripts-'));
const state = join(root, 'state');
const chats = join(state, 'sov', 'chats');
const SOV = resolve(import.meta.dirname, '..', 'dist', 'sov.js');
const log = (s: string) => process.stderr.write(`bench/transcripts: ${s}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(f: () => unknown, n = 5): number {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); f(); ms.push(performance.now() - t0); }
  return median(ms);
}

function generate(): void {
  const perConversation = Math.floor(totalBytes / conversations);
  const turns = 4;
  const replyChars = Math.max(100, Math.floor(perConversation / turns) - 200);
  const filler = 'the quick brown fox jumps over the lazy dog; ';
  const reply = filler.repeat(Math.ceil(replyChars / filler.length)).slice(0, replyChars);
  log(`writing ${conversations} conversations of ${turns} turns, ~${Math.round(perConversation / 1024)} KiB each, to ${chats}`);
  const t0 = performance.now();
  for (let c = 0; c < conversations; c++) {
    const id = `bench-${String(c).padStart(5, '0')}`;
    const w = TranscriptWriter.open(chats, id, {}, () => 1_700_000_000_000 + c * 1000);
    for (let t = 0; t < turns; t++) {
      w.append({ t: 'user', id: `u${t}`, at: 1_700_000_000_000 + c * 1000 + t, text: `question ${t} about topic-${c % 97} and the pool ${c}` });
      w.append({ t: 'assistant', id: `a${t}`, at: 1_700_000_000_000 + c * 1000 + t, text: reply, replyTo: `u${t}`, provider: 'bench' });
    }
    w.close();
  }
  log(`written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function cli(args: string[]): number {
  const t0 = performance.now();
  execFileSync(process.execPath, [SOV, 'chat', ...args], { env: { ...process.env, XDG_STATE_HOME: state }, stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t0;
}

try {
  generate();
  const bytes = readdirSync(chats).filter((f) => f.endsWith('.jsonl')).length;
  const listMs = time(() => listConversations(chats));
  const searchMs = time(() => searchConversations(chats, 'topic-42 and'));
  const searchMissMs = time(() => searchConversations(chats, 'nothing matches this'));
  const nodeMs = median([0, 1, 2].map(() => { const t0 = performance.now(); execFileSync(process.execPath, ['-e', '0']); return performance.now() - t0; }));
  const cliList = median([0, 1, 2, 3, 4].map(() => cli(['--list'])));
  const cliSearch = median([0, 1, 2, 3, 4].map(() => cli(['--search', 'topic-42 and'])));
  for (const f of readdirSync(chats)) if (f.endsWith('.sum.json') || f.endsWith('.dig.json')) unlinkSync(join(chats, f));
  const t0 = performance.now();
  listConversations(chats);
  const coldMs = performance.now() - t0;
  const rebuiltMs = time(() => listConversations(chats), 1);
  const out = [
    `corpus: ${bytes} conversations, ${(Number(execFileSync('du', ['-sb', chats], { encoding: 'utf8' }).split('\t')[0]) / 1024 / 1024).toFixed(0)} MB on disk (transcripts + index)`,
    `listConversations (index):            ${listMs.toFixed(1)} ms`,
    `searchConversations, a hit (index):   ${searchMs.toFixed(1)} ms`,
    `searchConversations, no hit (index):  ${searchMissMs.toFixed(1)} ms`,
    `sov chat --list (CLI, Node start incl.):   ${cliList.toFixed(0)} ms  (node -e 0 alone: ${nodeMs.toFixed(0)} ms)`,
    `sov chat --search (CLI, Node start incl.): ${cliSearch.toFixed(0)} ms`,
    `first --list without an index (reads every transcript, writes the index): ${(coldMs / 1000).toFixed(1)} s; the next: ${rebuiltMs.toFixed(1)} ms`,
  ];
  process.stdout.write(out.join('\n') + '\n');
} finally {
  if (!values.keep && !values.dir) rmSync(root, { recursive: true, force: true });
}
