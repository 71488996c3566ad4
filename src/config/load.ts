/**
 * Loads ~/.config/sov/config.yaml (or --config): YAML → zod. A bad file is refused whole, and every problem comes
 * back with its line (and column), the key as a path (`engines[1].argv`) and what was expected — never guessed at.
 */
import { lstat, open, readlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { ZodIssue, ZodType, ZodTypeDef } from 'zod';
import { configSchema, type Config } from './schema.js';

export interface ConfigError {
  /** 1-based; absent only when the error is not tied to a place in the file (unreadable file) */
  line?: number;
  column?: number;
  /** where in the document: `engines[1].argv`, `chat.chain[0]`, '' for the whole file */
  key: string;
  message: string;
}

export type LoadResult =
  | { ok: true; config: Config; path: string; /** no file at `path`: an empty config */ missing: boolean; note?: string }
  | { ok: false; path: string; errors: ConfigError[]; /** one human message naming the file, each line and key */ text: string };

/** a config is a few KB; past this it is refused before it is parsed (a 6.5 MB file stalled the CLI for 30 s) */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** YAML aliases expanded at most (an alias bomb expands to billions of nodes) */
export const MAX_YAML_ALIASES = 100;

const refused = (path: string, message: string): LoadResult => {
  const errors = [{ key: '', message }];
  return { ok: false, path, errors, text: describe(path, errors) };
};

export async function loadConfig(path: string): Promise<LoadResult> {
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > MAX_CONFIG_BYTES) return refused(path, `${size} bytes: a config may be at most ${MAX_CONFIG_BYTES} bytes (is this the right file?)`);
      const buf = Buffer.alloc(Math.min(size, MAX_CONFIG_BYTES) + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_CONFIG_BYTES) return refused(path, `more than ${MAX_CONFIG_BYTES} bytes: a config may be at most that`);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      // a symlink whose target is gone is not "no config": say where it points
      const target = await lstat(path).then((st) => (st.isSymbolicLink() ? readlink(path) : undefined), () => undefined);
      if (target !== undefined) return refused(path, `a symlink to ${resolve(dirname(path), target)}, which does not exist`);
      return { ok: true, config: configSchema.parse({}), path, missing: true, note: `no config at ${path}: no engines, services or providers` };
    }
    return refused(path, `cannot read: ${err.message}`);
  }
  return parseConfigText(text, path);
}

/**
 * YAML text → a value of `schema`, or every problem with its line, column and key. Shared by the config and the
 * doctor's blueprint: the alias limit, the mapping check and the zod-issue → place mapping are the same. Never throws.
 */
export function parseYamlAs<T>(text: string, schema: ZodType<T, ZodTypeDef, unknown>, mapping: string, emptyOk = false): { ok: true; value: T } | { ok: false; errors: ConfigError[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length) return { ok: false, errors: doc.errors.map((e): ConfigError => ({ ...at(e.pos[0]), key: '', message: `YAML: ${firstLine(e.message)}` })) };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? (emptyOk ? {} : null);
  } catch (e) {
    // yaml refuses an alias bomb ("Excessive alias count indicates a resource exhaustion attack")
    return { ok: false, errors: [{ key: '', message: `YAML: ${firstLine((e as Error)?.message ?? String(e))} (at most ${MAX_YAML_ALIASES} alias expansions)` }] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ ...at(doc.contents?.range?.[0]), key: '', message: `expected a mapping (${mapping}), got ${raw === null ? 'nothing' : Array.isArray(raw) ? 'a list' : typeof raw}` }] };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const errors = r.error.issues.flatMap((i) => issueErrors(i, doc, at));
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, errors };
}

/** Parses and validates config text; `path` only names the file in messages. */
export function parseConfigText(text: string, path = 'config.yaml'): LoadResult {
  const r = parseYamlAs(text, configSchema, 'engines:, services:, providers:, chat:', true);
  return r.ok ? { ok: true, config: r.value, path, missing: false } : { ok: false, path, errors: r.errors, text: describe(path, r.errors) };
}

function describe(path: string, errors: ConfigError[]): string {
  const lines = errors.map((e) => {
    const where = e.line !== undefined ? `${path}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : path;
    return `  ${where}: ${e.key ? `${e.key}: ` : ''}${e.message}`;
  });
  return `config ${path} is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'}); sov will not start engines from it:\n${lines.join('\n')}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0]?.trim() ?? s;
}

/** `['engines', 1, 'argv']` → `engines[1].argv` */
export function keyPath(path: (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

type At = (offset: number | undefined) => { line?: number; column?: number };

/** The YAML node at `path`, or the deepest ancestor found (exact: false), so a missing key points at its parent. */
function nodeAt(doc: Document, path: (string | number)[]): { node: unknown; keyNode?: unknown; exact: boolean } {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) return { node, keyNode, exact: false };
      keyNode = pair.key;
      // `key:` with no value: point at the key
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      keyNode = undefined;
      node = node.items[seg];
    } else {
      return { node, keyNode, exact: false };
    }
  }
  return { node, keyNode, exact: true };
}

function rangeStart(n: unknown): number | undefined {
  const r = (n as { range?: [number, number, number] | null } | null | undefined)?.range;
  return r ? r[0] : undefined;
}

function scalarValue(n: unknown): unknown {
  return isScalar(n) ? n.value : n === undefined ? undefined : String(n);
}

function typeName(t: string): string {
  return t === 'undefined' ? 'nothing' : t === 'null' ? 'null (an empty value)' : t;
}

/** zod says which of a union's branches failed how; the one with the fewest problems is what the author meant */
function bestUnionBranch(i: Extract<ZodIssue, { code: 'invalid_union' }>): ZodIssue[] | undefined {
  let best: ZodIssue[] | undefined;
  for (const e of i.unionErrors) if (!best || e.issues.length < best.length) best = e.issues;
  return best;
}

function issueErrors(i: ZodIssue, doc: Document, at: At): ConfigError[] {
  if (i.code === 'invalid_union') {
    const best = bestUnionBranch(i);
    if (best && best.length) return best.flatMap((x) => issueErrors(x, doc, at));
  }
  const found = nodeAt(doc, i.path);
  const place = at(rangeStart(found.exact && found.keyNode ? found.keyNode : found.node));
  const key = keyPath(i.path);
  switch (i.code) {
    case 'unrecognized_keys':
      return i.keys.map((k) => {
        const kn = nodeAt(doc, [...i.path, k]);
        return { ...at(rangeStart(kn.keyNode ?? kn.node)), key: keyPath([...i.path, k]), message: `unknown key "${k}"` };
      });
    case 'invalid_type':
      if (i.received === 'undefined') return [{ ...place, key, message: `required: expected ${i.expected}, got nothing` }];
      return [{ ...at(rangeStart(found.node)), key, message: `expected ${i.expected}, got ${typeName(i.received)}` }];
    case 'invalid_union_discriminator':
      return [{ ...place, key, message: `expected one of ${i.options.map((o) => JSON.stringify(o)).join(' | ')}${found.exact ? `, got ${JSON.stringify(scalarValue(found.node))}` : ', got nothing'}` }];
    case 'invalid_string':
      if (i.validation === 'url') return [{ ...at(rangeStart(found.node)), key, message: `expected a URL (http://host:port/…), got ${JSON.stringify(scalarValue(found.node))}` }];
      return [{ ...at(rangeStart(found.node)), key, message: i.message }];
    case 'invalid_enum_value':
      return [{ ...at(rangeStart(found.node)), key, message: `expected one of ${i.options.map((o) => JSON.stringify(o)).join(' | ')}, got ${JSON.stringify(i.received)}` }];
    case 'invalid_literal':
      return [{ ...at(rangeStart(found.node)), key, message: `expected ${JSON.stringify(i.expected)}, got ${JSON.stringify(i.received)}` }];
    default:
      return [{ ...(found.exact ? at(rangeStart(found.node)) : place), key, message: i.message }];
  }
}
