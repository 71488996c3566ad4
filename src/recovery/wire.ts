/**
 * What may reach the authority from outside (RPC params, a client's request): checked and bounded here, so an
 * audit entry never holds an over-long or ill-typed field. Pure; each returns the value or why it is refused.
 */
import type { CheckResult, Confirmation, EndRequest, Outcome, BeginRequest, Who } from './types.js';
import type { Tier } from '../actions/types.js';

const TIERS: Tier[] = ['T0', 'T1', 'T2', 'T3'];
const OUTCOMES: Outcome[] = ['ok', 'failed', 'cancelled', 'post-failed'];
const VIA: Who['via'][] = ['cockpit', 'cli', 'daemon', 'demo'];
const MAX_ARGS = 32;

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** a string cut to `max` characters (with a mark that it was cut) */
export const cap = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max)}…(${s.length - max} more)`);

export function checkWho(x: unknown): Who | string {
  if (!isObj(x)) return 'who: an object { uid, user, via } is required';
  if (typeof x.uid !== 'number' || !Number.isInteger(x.uid)) return 'who.uid: an integer is required';
  if (typeof x.user !== 'string') return 'who.user: a string is required';
  if (!VIA.includes(x.via as Who['via'])) return `who.via: one of ${VIA.join(', ')}`;
  const who: Who = { uid: x.uid, user: cap(x.user, 64), via: x.via as Who['via'] };
  if (typeof x.tty === 'string') who.tty = cap(x.tty, 64);
  if (typeof x.ssh === 'string') who.ssh = cap(x.ssh, 128);
  return who;
}

export function checkArgs(x: unknown): Record<string, string> | string {
  if (x === undefined) return {};
  if (!isObj(x)) return 'args: an object of strings is required';
  const keys = Object.keys(x);
  if (keys.length > MAX_ARGS) return `args: at most ${MAX_ARGS}`;
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (typeof x[k] !== 'string') return `args.${cap(k, 40)}: a string is required`;
    if (k.length > 64 || (x[k] as string).length > 1024) return `args.${cap(k, 40)}: too long`;
    out[k] = x[k] as string;
  }
  return out;
}

function checkChecks(x: unknown, name: string): CheckResult[] | string {
  if (x === undefined) return [];
  if (!Array.isArray(x) || x.length > 64) return `${name}: an array (at most 64) is required`;
  const out: CheckResult[] = [];
  for (const c of x) {
    if (!isObj(c) || typeof c.name !== 'string' || !['pass', 'fail', 'unknown'].includes(c.state as string)) return `${name}: each needs a name and a state pass|fail|unknown`;
    out.push({ name: cap(c.name, 120), state: c.state as CheckResult['state'], detail: cap(typeof c.detail === 'string' ? c.detail : '', 1000) });
  }
  return out;
}

export function checkConfirmation(x: unknown): Confirmation | string {
  if (!isObj(x)) return 'confirmation: an object { kind } is required';
  switch (x.kind) {
    case 'none': return { kind: 'none' };
    case 'yes': return { kind: 'yes' };
    case 'typed': return typeof x.text === 'string' ? { kind: 'typed', text: cap(x.text, 256) } : 'confirmation.text: a string is required';
    case 'tripcode': return typeof x.payload === 'string' && x.payload.length <= 2048 ? { kind: 'tripcode', payload: x.payload } : 'confirmation.payload: a string (at most 2048) is required';
    default: return 'confirmation.kind: one of none, yes, typed, tripcode';
  }
}

export function checkBegin(x: unknown): BeginRequest | string {
  if (!isObj(x)) return 'params: a begin request object is required';
  if (typeof x.action !== 'string' || !/^[a-z][\w.-]{0,100}$/.test(x.action)) return 'action: an action id is required';
  if (!TIERS.includes(x.tier as Tier)) return `tier: one of ${TIERS.join(', ')}`;
  const args = checkArgs(x.args);
  if (typeof args === 'string') return args;
  const who = checkWho(x.who);
  if (typeof who === 'string') return who;
  const checks = checkChecks(x.checks, 'checks');
  if (typeof checks === 'string') return checks;
  const confirmation = checkConfirmation(x.confirmation);
  if (typeof confirmation === 'string') return confirmation;
  let refused: BeginRequest['refused'];
  if (x.refused !== undefined) {
    const r = x.refused;
    if (!isObj(r) || (r.code !== 'precondition' && r.code !== 'confirmation') || typeof r.reason !== 'string') return 'refused: {code: precondition|confirmation, reason}';
    refused = { code: r.code, reason: cap(r.reason, 2000) };
  }
  return {
    ...(refused ? { refused } : {}),
    action: x.action, args, tier: x.tier as Tier, who, checks, confirmation,
    host: cap(typeof x.host === 'string' ? x.host : 'localhost', 255), dryRun: cap(typeof x.dryRun === 'string' ? x.dryRun : '', 4096),
    ...(x.remote === true ? { remote: true } : {}),
  };
}

export function checkEnd(x: unknown): EndRequest | string {
  if (!isObj(x)) return 'params: an end request object is required';
  if (typeof x.id !== 'string' || !/^\d{1,15}$/.test(x.id)) return 'id: the id begin() returned is required';
  if (!OUTCOMES.includes(x.outcome as Outcome)) return `outcome: one of ${OUTCOMES.join(', ')}`;
  if (typeof x.durationMs !== 'number' || !Number.isFinite(x.durationMs) || x.durationMs < 0) return 'durationMs: a number ≥ 0 is required';
  if (x.exitCode !== undefined && (typeof x.exitCode !== 'number' || !Number.isInteger(x.exitCode))) return 'exitCode: an integer';
  const post = checkChecks(x.post, 'post');
  if (typeof post === 'string') return post;
  return {
    id: x.id, outcome: x.outcome as Outcome, message: cap(typeof x.message === 'string' ? x.message : '', 2000), durationMs: Math.round(x.durationMs), post,
    ...(x.exitCode !== undefined ? { exitCode: x.exitCode as number } : {}),
  };
}
