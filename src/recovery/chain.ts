/**
 * The audit log's hash chain, checked (pure; the files are read by src/recovery/audit.ts). Each line is one JSON
 * entry holding `seq` (1, 2, …) and `prev`: the SHA-256 hex of the previous entry's exact line bytes (without its
 * newline; 64 zeros before the first). The head file signs (HMAC-SHA256, the box key) the last seq and hash and
 * the oldest seq still kept (rotation drops old files), so truncation, a re-written tail and a removed old file
 * show. verifyChain() names the first bad entry and what happened to it: edited, deleted, inserted, reordered,
 * truncated; a torn last line (a crash mid-append) is a warning, not tampering.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export interface AuditHead {
  v: 1;
  seq: number;
  hash: string;
  /** the oldest entry still kept (1 until rotation drops a file) */
  firstSeq: number;
  /** entries written but not covered by the head when the writer crashed, adopted by the next writer (the last few) */
  adopted: number[];
  mac: string;
}

export const hashLine = (line: string): string => createHash('sha256').update(line).digest('hex');

export function headMac(key: Buffer, h: Omit<AuditHead, 'mac' | 'v'>): string {
  return createHmac('sha256', key).update(`sov-audit-head|v1|${h.seq}|${h.hash}|${h.firstSeq}|${h.adopted.join(',')}`).digest('hex');
}

export function signHead(key: Buffer, h: Omit<AuditHead, 'mac' | 'v'>): AuditHead {
  return { v: 1, seq: h.seq, hash: h.hash, firstSeq: h.firstSeq, adopted: h.adopted.slice(-16), mac: headMac(key, h) };
}

/** A head file's JSON, or why it is not one; never throws. */
export function parseHead(text: string): AuditHead | string {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return 'audit.head is not JSON'; }
  const h = v as Partial<AuditHead> | null;
  const int = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!h || h.v !== 1 || !int(h.seq) || !int(h.firstSeq) || typeof h.hash !== 'string' || !/^[0-9a-f]{64}$/.test(h.hash)
    || typeof h.mac !== 'string' || !/^[0-9a-f]{64}$/.test(h.mac) || !Array.isArray(h.adopted) || !h.adopted.every(int)) return 'audit.head does not have the expected fields';
  return h as AuditHead;
}

export type ProblemKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'not-json' | 'head' | 'missing-head' | 'no-key';

export interface Problem {
  kind: ProblemKind;
  message: string;
  file?: string;
  /** 1-based line in that file */
  line?: number;
  /** the first bad entry */
  seq?: number;
}

export interface ChainFile {
  name: string;
  text: string;
}

export interface ChainResult {
  ok: boolean;
  /** whole entries walked */
  entries: number;
  firstSeq?: number;
  lastSeq: number;
  lastHash: string;
  /** bytes after the last newline of the newest file (a crash mid-append) */
  torn?: { file: string; bytes: number };
  /** entries after the signed head (1 at most is a crash between the append and the head update) */
  unsignedTail?: number;
  problem?: Problem;
  warnings: string[];
}

interface Line { text: string; seq?: number; prev?: string }

/** the writer puts seq, at and prev first: read them without parsing the whole line (the hash covers every byte) */
const HEAD_FIELDS = /^\{"seq":(\d{1,15}),"at":"[^"\\]{0,40}","prev":"([0-9a-f]{64})"[,}]/;

function parseLine(text: string): Line {
  const m = HEAD_FIELDS.exec(text);
  if (m) return { text, seq: Number(m[1]), prev: m[2]! };
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v && typeof v === 'object' && Number.isInteger(v.seq) && typeof v.prev === 'string') return { text, seq: v.seq as number, prev: v.prev };
  } catch {}
  return { text };
}

/** one whole, chained entry as the walk sees it: its seq and its exact line (parse it only when needed) */
export interface Visited { seq: number; line: string }

interface Walk { lastSeq: number; lastHash: string; entries: number; firstSeq?: number; beforeLastHash?: string }

/** Classifies the first break in one file's lines; undefined when the lines chain on from `w`. */
function walkFile(name: string, lines: Line[], w: Walk, expectFirst: number, visit?: (e: Visited) => void, headHash?: string): Problem | undefined {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const at = { file: name, line: i + 1 };
    const expected = w.entries === 0 ? expectFirst : w.lastSeq + 1;
    if (l.seq === undefined) return { kind: 'not-json', ...at, seq: expected, message: `${name} line ${i + 1} is not a whole audit entry (edited or inserted): entry ${expected} expected there` };
    const next = lines[i + 1];
    if (l.seq === expected) {
      const chained = w.entries === 0 ? (l.seq === 1 ? l.prev === GENESIS : true) : l.prev === w.lastHash;
      if (!chained) {
        if (next?.seq === l.seq) return { kind: 'inserted', ...at, seq: l.seq, message: `${name} line ${i + 1}: a line was inserted (entry ${l.seq} appears twice; this one does not chain to entry ${w.lastSeq})` };
        // the previous line was edited if this one is intact (the next entry still chains to it)
        const selfIntact = next ? next.seq === l.seq + 1 && next.prev === hashLine(l.text) : headHash === hashLine(l.text);
        if (selfIntact && w.entries > 0) return { kind: 'edited', file: name, line: i, seq: w.lastSeq, message: `entry ${w.lastSeq} (${name} line ${i}) was edited: its bytes no longer hash to the prev that entry ${l.seq} recorded` };
        return { kind: 'edited', ...at, seq: l.seq, message: `entry ${l.seq} (${name} line ${i + 1}) was edited: it does not chain to entry ${l.seq - 1}` };
      }
    } else if (l.seq > expected) {
      const later = lines.findIndex((x, j) => j > i && x.seq === expected);
      if (later >= 0) return { kind: 'reordered', ...at, seq: expected, message: `entries out of order: ${name} line ${i + 1} holds entry ${l.seq} where entry ${expected} belongs (it is at line ${later + 1}): lines swapped or moved` };
      const gap = expected === l.seq - 1 ? `entry ${expected} is` : `entries ${expected}–${l.seq - 1} are`;
      return { kind: 'deleted', ...at, seq: expected, message: `${gap} missing before ${name} line ${i + 1} (deleted)` };
    } else if (l.seq === w.lastSeq && w.entries > 0) {
      // two lines claim one seq: the one entry seq+1 chains to is the real one
      const thisReal = next?.seq === l.seq + 1 && next.prev === hashLine(l.text);
      return thisReal
        ? { kind: 'inserted', file: name, line: i, seq: l.seq, message: `${name} line ${i} was inserted: entry ${l.seq} appears twice and the chain goes on from line ${i + 1}` }
        : { kind: 'inserted', ...at, seq: l.seq, message: `${name} line ${i + 1} was inserted: entry ${l.seq} appears twice` };
    } else {
      // a seq seen before, not next to its twin: a copied or forged line put in (a swap or a move shows above)
      return { kind: 'inserted', ...at, seq: l.seq, message: `${name} line ${i + 1} was inserted: it holds entry ${l.seq} again, after entry ${w.lastSeq}` };
    }
    if (w.entries === 0) w.firstSeq = l.seq;
    w.lastSeq = l.seq;
    w.beforeLastHash = w.lastHash;
    w.lastHash = hashLine(l.text);
    w.entries++;
    visit?.({ seq: l.seq, line: l.text });
  }
  return undefined;
}

export interface ChainOptions {
  /** the parsed head file; undefined when there is none */
  head?: AuditHead;
  /** the box key (checks the head's HMAC); undefined: the head cannot be checked */
  key?: Buffer;
  /** every whole, chained entry in order (replay) */
  visit?: (e: Visited) => void;
}

/** Walks the files oldest first (audit.jsonl.N … audit.jsonl.1, audit.jsonl) and checks them against the head. */
export function verifyChain(files: ChainFile[], o: ChainOptions = {}): ChainResult {
  const w: Walk = { lastSeq: 0, lastHash: GENESIS, entries: 0 };
  const warnings: string[] = [];
  const done = (problem?: Problem, extra: Partial<ChainResult> = {}): ChainResult =>
    ({ ok: problem === undefined, entries: w.entries, lastSeq: w.lastSeq, lastHash: w.lastHash, ...(w.firstSeq !== undefined ? { firstSeq: w.firstSeq } : {}), ...extra, ...(problem ? { problem } : {}), warnings });
  const { head } = o;
  if (head) {
    if (!o.key) return done({ kind: 'no-key', message: 'the audit head cannot be checked: the box key is missing or unreadable' });
    const want = headMac(o.key, head);
    if (!timingSafeEqual(Buffer.from(want, 'hex'), Buffer.from(head.mac, 'hex'))) return done({ kind: 'head', file: 'audit.head', message: 'audit.head: its signature does not match the box key (the head was edited, or signed with another key)' });
  }
  let torn: ChainResult['torn'];
  for (let f = 0; f < files.length; f++) {
    const { name, text } = files[f]!;
    const parts = text.split('\n');
    const tail = parts.pop()!;
    if (tail.length > 0) {
      if (f < files.length - 1) return done({ kind: 'truncated', file: name, message: `${name} ends inside a line (a rotated file was cut)` });
      torn = { file: name, bytes: Buffer.byteLength(tail) };
    }
    const p = walkFile(name, parts.map(parseLine), w, head?.firstSeq ?? 1, o.visit, f === files.length - 1 ? head?.hash : undefined);
    if (p) return done(p, torn ? { torn } : {});
  }
  const extra: Partial<ChainResult> = torn ? { torn } : {};
  if (torn) warnings.push(`torn last line (crash): ${torn.bytes} byte(s) after the last whole entry of ${torn.file}; the writer sets them aside in audit.torn`);
  if (!head) {
    if (w.entries > 0) return done({ kind: 'missing-head', file: 'audit.head', message: `audit.head is missing: the signed head of a ${w.entries}-entry log was removed` }, extra);
    return done(undefined, extra);
  }
  for (const s of head.adopted) warnings.push(`entry ${s} was written but the head not updated before a crash; the next writer adopted it`);
  if (w.lastSeq < head.seq) {
    const cut = torn ? ` (cut inside entry ${w.lastSeq + 1})` : '';
    return done({ kind: 'truncated', seq: w.lastSeq + 1, message: `truncated: the log ends at entry ${w.lastSeq} but the signed head says ${head.seq}; entries ${w.lastSeq + 1}–${head.seq} are gone${cut}` }, extra);
  }
  if (w.lastSeq === head.seq) {
    if (w.lastHash !== head.hash) return done({ kind: 'edited', seq: w.lastSeq, message: `entry ${w.lastSeq} (the last) was edited: its hash differs from the signed head` }, extra);
    return done(undefined, extra);
  }
  // the log goes on past the head: one entry is a crash between the append and the head update
  const tailCount = w.lastSeq - head.seq;
  if (tailCount === 1 && w.entries >= 1 && w.beforeLastHash === head.hash) {
    warnings.push(`entry ${w.lastSeq} is not covered by the signed head yet (a crash between the append and the head update)`);
    return done(undefined, { ...extra, unsignedTail: 1 });
  }
  return done({ kind: 'inserted', seq: head.seq + 1, message: `entries ${head.seq + 1}–${w.lastSeq} are not covered by the signed head (appended without the key)` }, extra);
}
