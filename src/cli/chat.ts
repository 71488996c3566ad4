/**
 * `sov chat` headless: streams a reply to stdout (text, or NDJSON events with --json), through the fallback chain,
 * recording the conversation in its transcript. Also lists, searches and prints conversations.
 * Never loads ink/react.
 */
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import type { LookupFunction } from 'node:net';
import { loadConfig } from '../config/load.js';
import { configSchema, type Config } from '../config/schema.js';
import { CircuitBreaker, runChain, type ChainEvent } from '../chat/chain.js';
import { truncatedReason } from '../chat/client.js';
import { StreamSanitizer } from '../chat/markdown.js';
import { adHocProvider, defaultChain, resolveProviders, type Provider } from '../chat/providers.js';
import {
  ChainRecorder, chatsDir, damageReport, historyFor, isValidId, latestConversation, listConversations, newConversationId,
  newMessageId, readTranscript, searchConversations, TranscriptBusyError, TranscriptWriter, type TranscriptMessage,
} from '../chat/transcript.js';
import { sanitize } from '../text/sanitize.js';
import { redactFields } from '../chat/redact-fields.js';
import { redact } from '../text/redact.js';

export const CHAT_EXIT = { answered: 0, usage: 2, allFailed: 3, badConfig: 7, cancelled: 130 } as const;

export const CHAT_USAGE = `usage:
  sov chat [options] "prompt"          ask; the reply streams to stdout (the prompt may come on stdin instead)
  sov chat --resume [ID] ["prompt"]    continue a conversation (the newest without ID); no prompt: print it
  sov chat --list [--json]             conversations, newest first
  sov chat --search TEXT [--deep] [--json]   messages containing TEXT (the start of each message, from the
                                       index; --deep reads every transcript whole)

options:
  --provider NAME[,NAME…]   exactly these providers, in this order (default: the configured chain, local last)
  --model M                 the model for the first provider
  --base-url URL            one ad-hoc OpenAI-compatible endpoint, no config needed (key from SOV_API_KEY)
  --offline                 blackout: only loopback providers; nothing leaves this machine
  --system TEXT             a system prompt for this conversation
  --no-stream               ask for the whole reply at once
  --json                    NDJSON events on stdout: start, provider, token (sanitized text), skip, retry, partial, switch,
                            done {provider, model, ttftMs, tokPerSec, tokens, skipped}, failed {reasons}
  --no-save                 write no transcript
  --config PATH             default $XDG_CONFIG_HOME/sov/config.yaml

transcripts: $XDG_STATE_HOME/sov/chats/<id>.jsonl (one per conversation)
exit codes: 0 answered · 2 bad arguments · 3 every provider failed (each reason is printed) · 7 invalid config ·
            130 cancelled`;

export interface ChatIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  /** cancels the request (the entry point wires SIGINT to it) */
  signal?: AbortSignal;
  /** the resolver (tests inject one) */
  lookup?: LookupFunction;
}

export interface ChatArgs {
  prompt?: string;
  provider?: string[];
  model?: string;
  baseUrl?: string;
  offline: boolean;
  json: boolean;
  stream: boolean;
  save: boolean;
  config?: string;
  system?: string;
  resume?: { id?: string };
  list: boolean;
  search?: string;
  /** --search reads every transcript whole instead of the index */
  deep: boolean;
}

export class ChatUsageError extends Error {}

/** argv (after `chat`) → arguments; `--resume` takes an optional id (the next word, when it names a conversation). */
export function parseChatArgs(argv: string[], knownIds: (id: string) => boolean = () => false): ChatArgs {
  const args = [...argv];
  let resume: { id?: string } | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '--resume') {
      const next = args[i + 1];
      resume = {};
      if (next !== undefined && !next.startsWith('-') && isValidId(next) && knownIds(next)) { resume.id = next; args.splice(i, 2); } else args.splice(i, 1);
      i--;
    } else if (a.startsWith('--resume=')) {
      const id = a.slice('--resume='.length);
      if (!isValidId(id)) throw new ChatUsageError(`--resume: not a conversation id: ${JSON.stringify(id)}`);
      resume = { id };
      args.splice(i, 1);
      i--;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: {
        provider: { type: 'string' }, model: { type: 'string' }, 'base-url': { type: 'string' }, offline: { type: 'boolean' },
        json: { type: 'boolean' }, 'no-stream': { type: 'boolean' }, 'no-save': { type: 'boolean' }, config: { type: 'string' },
        system: { type: 'string' }, list: { type: 'boolean' }, search: { type: 'string' }, deep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new ChatUsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) throw new ChatUsageError('');
  const out: ChatArgs = {
    offline: v.offline ?? false, json: v.json ?? false, stream: !(v['no-stream'] ?? false), save: !(v['no-save'] ?? false),
    list: v.list ?? false, deep: v.deep ?? false,
  };
  const prompt = parsed.positionals.join(' ');
  if (prompt.trim() !== '') out.prompt = prompt;
  if (v.provider !== undefined) {
    const names = v.provider.split(',').map((x) => x.trim()).filter(Boolean);
    if (names.length === 0) throw new ChatUsageError('--provider needs a provider name');
    out.provider = names;
  }
  if (v.model !== undefined) { if (v.model.trim() === '') throw new ChatUsageError('--model needs a model name'); out.model = v.model; }
  if (v['base-url'] !== undefined) out.baseUrl = v['base-url'];
  if (v.config !== undefined) out.config = v.config;
  if (v.system !== undefined) out.system = v.system;
  if (v.search !== undefined) { if (v.search.trim() === '') throw new ChatUsageError('--search needs some text'); out.search = v.search; }
  if (resume) out.resume = resume;
  if (out.baseUrl !== undefined && out.provider !== undefined) throw new ChatUsageError('--base-url and --provider do not go together');
  if (out.list && out.search !== undefined) throw new ChatUsageError('--list and --search do not go together');
  return out;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? homedir();
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'sov', 'config.yaml');
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stdin) parts.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

const fmtMs = (n: number | undefined) => (n === undefined ? '—' : n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);
const fmtTps = (n: number | undefined) => (n === undefined ? '—' : n.toFixed(1));
const line1 = (s: string) => redact(sanitize(s)).replace(/\s+/g, ' ').trim();

/** `sov chat …` → exit code. */
export async function runChatCli(argv: string[], io?: Partial<ChatIo>): Promise<number> {
  const env = io?.env ?? process.env;
  const stdout = io?.stdout ?? process.stdout;
  const stderr = io?.stderr ?? process.stderr;
  const stdin = io?.stdin ?? process.stdin;
  // everything printed goes through the one redaction (a provider may echo the request's Authorization header)
  const err = (s: string) => { stderr.write(redact(`sov chat: ${s}\n`)); };
  const dir = chatsDir(env);
  const known = (id: string) => { try { return listConversations(dir).some((c) => c.id === id); } catch { return false; } };

  let a: ChatArgs;
  try {
    a = parseChatArgs(argv, known);
  } catch (e) {
    if (e instanceof ChatUsageError) {
      if (e.message === '') { stdout.write(CHAT_USAGE + '\n'); return 0; }
      stderr.write(`sov chat: ${e.message}\n\n${CHAT_USAGE}\n`);
      return CHAT_EXIT.usage;
    }
    throw e;
  }
  const json = (o: unknown) => { stdout.write(JSON.stringify(redactFields(o)) + '\n'); };

  if (a.list) {
    const list = listConversations(dir);
    if (a.json) json({ type: 'conversations', dir, conversations: list });
    else if (list.length === 0) stdout.write(`no conversations in ${dir}\n`);
    else for (const c of list) stdout.write(`${c.id}  ${new Date(c.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}  ${String(c.messages).padStart(4)} msg${c.partials ? `  ${c.partials} partial` : ''}${c.damaged ? '  DAMAGED' : ''}  ${line1(c.title)}\n`);
    return 0;
  }
  if (a.search !== undefined) {
    const hits = searchConversations(dir, a.search, 100, { deep: a.deep });
    if (a.json) json({ type: 'search', query: a.search, hits });
    else if (hits.length === 0) stdout.write(`nothing found for "${line1(a.search)}"\n`);
    else for (const h of hits) stdout.write(`${h.id}  ${h.role.padEnd(9)}  ${line1(h.snippet)}\n`);
    return 0;
  }

  // the conversation to continue
  let resumeId: string | undefined;
  let earlier: TranscriptMessage[] = [];
  let systemPrompt = a.system;
  if (a.resume) {
    resumeId = a.resume.id ?? latestConversation(dir);
    if (resumeId === undefined) { err(`no conversation to resume in ${dir}`); return CHAT_EXIT.usage; }
    if (!known(resumeId)) { err(`no conversation ${resumeId} in ${dir}`); return CHAT_EXIT.usage; }
    const r = readTranscript(join(dir, `${resumeId}.jsonl`));
    for (const d of damageReport(r)) err(d);
    earlier = r.messages;
    if (systemPrompt === undefined) systemPrompt = [...r.messages].reverse().find((m) => m.role === 'system')?.text ?? r.meta?.systemPrompt;
  }

  // the prompt: arguments, else stdin when it is not a terminal
  let prompt = a.prompt;
  if (prompt === undefined && !stdin.isTTY) {
    const text = await readStdin(stdin);
    if (text.trim() !== '') prompt = text.replace(/\n+$/, '');
  }
  if (prompt === undefined) {
    if (a.resume && resumeId !== undefined) {
      printConversation(resumeId, earlier, a.json, stdout);
      return 0;
    }
    stderr.write(`sov chat: no prompt (give it as an argument or on stdin)\n\n${CHAT_USAGE}\n`);
    return CHAT_EXIT.usage;
  }

  // providers
  let config: Config = configSchema.parse({});
  if (a.baseUrl === undefined || a.config !== undefined) {
    const path = resolve(a.config ?? defaultConfigPath(env));
    const c = await loadConfig(path);
    if (!c.ok) { stderr.write(`sov chat: ${c.text}\n`); return CHAT_EXIT.badConfig; }
    if (c.missing && a.config !== undefined) { err(`no config at ${path}`); return CHAT_EXIT.usage; }
    config = c.config;
  }
  let chain: Provider[];
  if (a.baseUrl !== undefined) {
    const p = adHocProvider(a.baseUrl, env, a.model);
    if (typeof p === 'string') { err(p); return CHAT_EXIT.usage; }
    chain = [p];
  } else {
    const all = resolveProviders(config, { env });
    if (all.length === 0) { err('no providers: add `providers:` to the config, or pass --base-url URL'); return CHAT_EXIT.usage; }
    if (a.provider) {
      const unknown = a.provider.filter((n) => !all.some((p) => p.name === n));
      if (unknown.length > 0) { err(`no provider named ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${all.map((p) => p.name).join(', ')})`); return CHAT_EXIT.usage; }
      chain = a.provider.map((n) => all.find((p) => p.name === n)!);
    } else {
      chain = defaultChain(all, config.chat.chain);
    }
  }
  const offline = a.offline || config.chat.offline;

  // the transcript: the user's message is on disk before the request goes out
  const id = resumeId ?? newConversationId();
  let writer: TranscriptWriter | undefined;
  if (a.save) {
    try {
      writer = TranscriptWriter.open(dir, id, { ...(systemPrompt !== undefined ? { systemPrompt } : {}), chain: chain.map((p) => p.name), offline });
    } catch (e) {
      if (e instanceof TranscriptBusyError) { err(e.message); return CHAT_EXIT.usage; }
      err(`the transcript cannot be written (${(e as Error).message}); going on without it`);
    }
  }
  const userId = newMessageId();
  const now = Date.now();
  try {
    if (a.system !== undefined) writer?.append({ t: 'system', id: newMessageId(), at: now, text: a.system });
    writer?.append({ t: 'user', id: userId, at: now, text: prompt });
  } catch (e) {
    err(`writing the transcript failed: ${(e as Error).message}`);
  }
  const messages = historyFor([...earlier, { id: userId, role: 'user', text: prompt, at: now }], systemPrompt);
  const recorder = writer ? new ChainRecorder(writer, userId) : undefined;

  const ac = new AbortController();
  const onAbort = () => ac.abort();
  io?.signal?.addEventListener('abort', onAbort, { once: true });
  const ownSigint = io?.signal === undefined && io?.stdout === undefined;
  if (ownSigint) process.once('SIGINT', onAbort);

  const clean = new StreamSanitizer();
  let atLineStart = true;
  const out = (s: string) => { if (s !== '') { stdout.write(s); atLineStart = s.endsWith('\n'); } };
  if (a.json) json({ type: 'start', conversation: id, chain: chain.map((p) => p.name), offline, transcript: writer?.path ?? null });

  const onEvent = (e: ChainEvent) => {
    if (recorder) { try { recorder.onEvent(e); } catch (x) { err(`writing the transcript failed: ${(x as Error).message}`); } }
    if (e.type === 'done' && e.truncated && !a.json) { if (!atLineStart) out('\n'); out(`[${truncatedReason(e.truncated.limitBytes)}]\n`); }
    if (a.json) {
      switch (e.type) {
        case 'token': { const text = clean.push(e.text); if (text !== '') json({ type: 'token', text }); return; }
        case 'provider-start': json({ type: 'provider', provider: e.provider, model: e.model ?? null, loopback: e.loopback, continuing: e.continuing }); return;
        case 'skip': json({ type: 'skip', provider: e.provider, kind: e.kind, reason: e.reason }); return;
        case 'retry': json({ type: 'retry', provider: e.provider, waitMs: e.waitMs, reason: e.reason }); return;
        case 'partial': json({ type: 'partial', provider: e.provider, chars: e.text.length, tokens: e.tokens, reason: e.reason }); return;
        case 'switch': json({ type: 'switch', from: e.from, to: e.to, reason: e.reason, withPartial: e.withPartial }); return;
        case 'done': json({ type: 'done', conversation: id, provider: e.provider, model: e.model ?? null, ttftMs: e.ttftMs ?? null, tokPerSec: e.tokPerSec ?? null, tokens: e.tokens, chars: e.prefix.length + e.text.length, continued: e.prefix !== '', truncated: e.truncated ? { limitBytes: e.truncated.limitBytes, reason: truncatedReason(e.truncated.limitBytes) } : null, skipped: e.skipped, warnings: e.warnings }); return;
        case 'failed': json({ type: 'failed', conversation: id, reasons: e.reasons }); return;
        case 'cancelled': json({ type: 'cancelled', conversation: id, provider: e.provider ?? null, chars: e.partial.length }); return;
      }
      return;
    }
    switch (e.type) {
      case 'token': out(clean.push(e.text)); return;
      case 'skip': err(`${line1(e.provider)} skipped: ${line1(e.reason)}`); return;
      case 'retry': err(`${line1(e.provider)}: ${line1(e.reason)}; waiting ${(e.waitMs / 1000).toFixed(1)} s`); return;
      case 'partial': if (!atLineStart) out('\n'); err(`${line1(e.provider)} was cut mid-way after ${e.text.length} chars: the partial is kept (marked partial) and the next provider continues it`); return;
      case 'switch': err(`switching ${line1(e.from)} → ${line1(e.to)}${e.withPartial ? ', with the partial reply as context' : ''}`); return;
      default:
    }
  };

  const outcome = await runChain({
    chain, messages, offline, breaker: new CircuitBreaker(config.chat.cooldownSec * 1000), model: a.model, stream: a.stream,
    connectTimeoutMs: config.chat.connectTimeoutSec * 1000, firstTokenTimeoutMs: config.chat.firstTokenTimeoutSec * 1000,
    maxRetryAfterMs: config.chat.maxRetryAfterSec * 1000, lookup: io?.lookup, signal: ac.signal, onEvent, maxReplyBytes: config.chat.maxReplyBytes,
  });
  io?.signal?.removeEventListener('abort', onAbort);
  if (ownSigint) process.off('SIGINT', onAbort);
  writer?.close();

  if (!a.json) {
    out(clean.end());
    if (!atLineStart) out('\n');
  }
  if (outcome.type === 'done') {
    if (!a.json) {
      const sk = outcome.skipped.length ? ` · skipped ${outcome.skipped.map((s) => `${line1(s.provider)} (${s.kind})`).join(', ')}` : '';
      err(`${line1(outcome.provider)} · ${line1(outcome.model ?? '—')} · TTFT ${fmtMs(outcome.ttftMs)} · ${fmtTps(outcome.tokPerSec)} tok/s · ${outcome.tokens} tokens${outcome.prefix ? ' · continued a cut reply' : ''}${sk} · conversation ${id}`);
      for (const w of outcome.warnings.slice(0, 5)) err(`warning: ${line1(w)}`);
    }
    return CHAT_EXIT.answered;
  }
  if (outcome.type === 'cancelled') {
    if (!a.json) err(`cancelled${outcome.partial ? ' (the partial reply is kept, marked partial)' : ''}`);
    return CHAT_EXIT.cancelled;
  }
  if (!a.json) {
    err('every provider failed:');
    for (const r of outcome.reasons) stderr.write(`  ${line1(r.provider)}: ${line1(r.reason)}\n`);
  }
  return CHAT_EXIT.allFailed;
}

function printConversation(id: string, messages: TranscriptMessage[], asJson: boolean, stdout: { write(s: string): unknown }): void {
  if (asJson) { stdout.write(JSON.stringify(redactFields({ type: 'conversation', id, messages })) + '\n'); return; }
  stdout.write(`conversation ${id}\n`);
  for (const m of messages) {
    const who = m.role === 'assistant' ? `${m.provider ?? 'assistant'}${m.model ? ` (${m.model})` : ''}` : m.role;
    stdout.write(`\n[${line1(who)}]${m.partial ? ` PARTIAL${m.reason ? `: ${line1(m.reason)}` : ''}` : ''}\n`);
    stdout.write(redact(m.text.split('\n').map((l) => sanitize(l)).join('\n')) + '\n');
  }
}
