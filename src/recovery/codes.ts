/**
 * The tripcode vocabulary (the turnkey-box seed's protocol): what a code may say and what it stands for. Pure.
 *
 *   RECOVERY:LOCKDOWN · RECOVERY:UNLOCK                     applied by the authority itself
 *   RECOVERY:REVERT_SNAPSHOT::<pool/ds@snap>                → zfs.rollback snapshot=<id>
 *   RECOVERY:REIMAGE_TO_GOLDEN[::<vm>]                      → vm.reimage vm=<vm>
 *   RECOVERY:DIAGNOSTIC::<profile>                          → doctor.run profile=<profile>
 *   RECOVERY:PHOENIX                                        → stack.phoenix
 *   ACTION::<action-id>::<args hash>                        → that action with exactly those arguments
 */
import { createHash } from 'node:crypto';

/** the arguments in one canonical form: sorted keys, JSON */
export function canonicalArgs(args: Record<string, string>): string {
  return JSON.stringify(Object.keys(args).sort().map((k) => [k, args[k]]));
}

/** the first 16 hex digits of SHA-256 over the canonical arguments */
export function argsHash(args: Record<string, string>): string {
  return createHash('sha256').update(canonicalArgs(args)).digest('hex').slice(0, 16);
}

/**
 * The arguments a code is made over: on another host than this machine (`remoteHost`), its name joins them as
 * `@host`, so a payload signed for a rollback on one box cannot run the same rollback on another.
 */
export function scopedArgs(args: Record<string, string>, remoteHost?: string): Record<string, string> {
  return remoteHost === undefined ? args : { ...args, '@host': remoteHost };
}

/** the code that authorises one T3 action with exactly these arguments (on `remoteHost`, when it acts there) */
export function actionCode(id: string, args: Record<string, string>, remoteHost?: string): string {
  return `ACTION::${id}::${argsHash(scopedArgs(args, remoteHost))}`;
}

export type CodeMeaning =
  | { kind: 'lockdown' }
  | { kind: 'unlock' }
  /** stands for one action; `args` are exact for RECOVERY codes, `hash` must match for ACTION codes */
  | { kind: 'action'; id: string; args?: Record<string, string>; hash?: string }
  | { kind: 'malformed'; reason: string };

const ID = /^[a-z][a-z0-9]*(\.[a-zA-Z0-9_-]+)+$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,200}$/;

/** What a code means; never throws. */
export function parseCode(code: string): CodeMeaning {
  if (code === 'RECOVERY:LOCKDOWN') return { kind: 'lockdown' };
  if (code === 'RECOVERY:UNLOCK') return { kind: 'unlock' };
  if (code === 'RECOVERY:PHOENIX') return { kind: 'action', id: 'stack.phoenix', args: {} };
  let m = /^RECOVERY:REVERT_SNAPSHOT::(.+)$/.exec(code);
  if (m) return NAME.test(m[1]!) && m[1]!.includes('@') ? { kind: 'action', id: 'zfs.rollback', args: { snapshot: m[1]! } } : { kind: 'malformed', reason: `not a snapshot name (pool/dataset@snap): ${m[1]}` };
  m = /^RECOVERY:REIMAGE_TO_GOLDEN(?:::(.+))?$/.exec(code);
  if (m) return m[1] === undefined ? { kind: 'action', id: 'vm.reimage', args: {} } : NAME.test(m[1]) ? { kind: 'action', id: 'vm.reimage', args: { vm: m[1] } } : { kind: 'malformed', reason: `not a VM name: ${m[1]}` };
  m = /^RECOVERY:DIAGNOSTIC::(.+)$/.exec(code);
  if (m) return NAME.test(m[1]!) ? { kind: 'action', id: 'doctor.run', args: { profile: m[1]! } } : { kind: 'malformed', reason: `not a profile name: ${m[1]}` };
  m = /^ACTION::([^:]+)::([0-9a-f]{16})$/.exec(code);
  if (m) return ID.test(m[1]!) ? { kind: 'action', id: m[1]!, hash: m[2]! } : { kind: 'malformed', reason: `not an action id: ${m[1]}` };
  return { kind: 'malformed', reason: `unknown code "${code.slice(0, 80)}" (RECOVERY:LOCKDOWN, RECOVERY:UNLOCK, RECOVERY:REVERT_SNAPSHOT::<snap>, RECOVERY:REIMAGE_TO_GOLDEN[::vm], RECOVERY:DIAGNOSTIC::<profile>, RECOVERY:PHOENIX, ACTION::<id>::<args hash>)` };
}

/**
 * Whether a code authorises this action with these arguments (a VM-less REIMAGE code covers any VM). On another
 * host (`remoteHost`) only an ACTION code made for that host does: the RECOVERY codes name this machine's things.
 */
export function codeCovers(code: string, id: string, args: Record<string, string>, remoteHost?: string): boolean {
  const m = parseCode(code);
  if (m.kind !== 'action' || m.id !== id) return false;
  if (m.hash !== undefined) return m.hash === argsHash(scopedArgs(args, remoteHost));
  if (remoteHost !== undefined) return false;
  const want = m.args ?? {};
  return Object.keys(want).every((k) => args[k] === want[k]);
}
