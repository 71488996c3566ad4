/**
 * Engines: the table (a row per engine), the detail of the selected one (state, process, health, memory, warnings,
 * the command it runs, the last benchmark per model side by side) and its log, windowed. Pure line builders.
 */
import type { EngineState, EngineStatus } from '../../src/daemon/types.js';
import type { BenchResult } from '../../src/engines/bench.js';
import type { LogSnapshot } from '../../src/engines/logtail.js';
import type { GlyphKey } from '../../themes/glyphs.js';
import { paint, type Theme, type Token } from '../../themes/tokens.js';
import { bytes, DASH, duration, num, age } from '../primitives/format.js';
import { fit, padLeft, sanitize, width } from '../primitives/text.js';

export const NO_ENGINES = 'no engines configured: add them to ~/.config/sov/config.yaml (see contrib/examples)';

export interface EngineRow extends EngineStatus {
  /** VRAM of the engine's processes, from the GPU process list (a selector joins them) */
  vramBytes?: number;
}

const STATE_LOOK: Record<EngineState, [Token, GlyphKey]> = {
  healthy: ['ok', 'ok'],
  starting: ['info', 'pending'],
  degraded: ['warn', 'warn'],
  backoff: ['warn', 'warn'],
  crashed: ['crit', 'crit'],
  crashloop: ['crit', 'crit'],
  stopped: ['muted', 'idle'],
};

export function stateText(theme: Theme, s: EngineState): string {
  const [tok, g] = STATE_LOOK[s] ?? ['muted', 'unknown'];
  return paint(theme, tok, `${theme.glyphs[g]} ${s}`);
}

function bind(e: EngineStatus): string {
  const l = e.listen?.[0];
  if (l) return `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;
  if (e.port !== undefined) return `${e.host ?? '127.0.0.1'}:${e.port}`;
  return DASH;
}

function exitText(e: EngineStatus): string {
  const x = e.lastExit;
  if (!x) return DASH;
  return x.code !== null ? String(x.code) : (x.signal ?? 'sig');
}

function healthText(e: EngineStatus): string {
  return e.health ? e.health.state : DASH;
}

const uptime = (e: EngineStatus, now: number) => (e.startedAt !== undefined && e.state !== 'stopped' && e.state !== 'crashed' ? duration((now - e.startedAt) / 1000) : DASH);

interface Col { head: string; w: number; right?: boolean; prio: number; get(e: EngineRow, now: number, theme: Theme): string; flex?: boolean }

const COLS: Col[] = [
  { head: 'NAME', w: 12, prio: 0, get: (e) => sanitize(e.name) },
  { head: 'STATE', w: 11, prio: 0, get: (e, _n, t) => stateText(t, e.state) },
  { head: 'PID', w: 7, right: true, prio: 1, get: (e) => (e.pid !== undefined ? String(e.pid) : DASH) },
  { head: 'UP', w: 7, right: true, prio: 2, get: (e, now) => uptime(e, now) },
  { head: 'RST', w: 3, right: true, prio: 3, get: (e) => String(e.restarts) },
  { head: 'EXIT', w: 4, right: true, prio: 5, get: (e) => exitText(e) },
  { head: 'HEALTH', w: 7, prio: 4, get: (e) => healthText(e) },
  { head: 'MODEL', w: 10, prio: 6, flex: true, get: (e) => sanitize(e.models?.[0]?.replace(/^.*\//, '') ?? DASH) },
  { head: 'TOK/S', w: 6, right: true, prio: 2, get: (e) => num(e.tokPerSec, '', e.tokPerSec !== undefined && e.tokPerSec < 10 ? 1 : 0) },
  { head: 'RSS', w: 7, right: true, prio: 1, get: (e) => bytes(e.rssBytes) },
  { head: 'VRAM', w: 7, right: true, prio: 3, get: (e) => bytes(e.vramBytes) },
  { head: 'BIND', w: 16, prio: 4, get: (e) => bind(e) },
];

/** The columns that fit in `w`, in display order; MODEL takes what is left. */
function columnsFor(w: number): { col: Col; w: number }[] {
  const avail = w - 2;
  const chosen = new Set<Col>();
  let used = 0;
  for (const c of [...COLS].sort((a, b) => a.prio - b.prio)) {
    const need = c.w + (chosen.size ? 1 : 0);
    if (used + need > avail) continue;
    chosen.add(c);
    used += need;
  }
  const spare = avail - used;
  return COLS.filter((c) => chosen.has(c)).map((c) => ({ col: c, w: c.flex ? c.w + spare : c.w }));
}

/** The engines table: a header, then a row per engine; the selected one is marked (› and inverse). */
export function enginesTableLines(rows: EngineRow[], w: number, theme: Theme, now: number, selected?: string): string[] {
  if (!rows.length) return [paint(theme, 'muted', fit(NO_ENGINES, w))];
  const cols = columnsFor(w);
  const cell = (s: string, c: { col: Col; w: number }) => (c.col.right ? padLeft(fit(s, c.w).trimEnd() || s, c.w) : fit(s, c.w));
  const out = [paint(theme, 'muted', fit('  ' + cols.map((c) => (c.col.right ? padLeft(c.col.head, c.w) : c.col.head.padEnd(c.w))).join(' '), w))];
  for (const e of rows) {
    const sel = e.name === selected;
    const line = cols.map((c) => cell(c.col.get(e, now, theme), c)).join(' ');
    out.push(sel ? paint(theme, 'accent', `${theme.glyphs.select} `) + fit(line, w - 2) : fit('  ' + line, w));
    if (e.message && (e.state === 'crashloop' || e.state === 'backoff' || e.state === 'crashed' || e.state === 'degraded')) {
      out.push(paint(theme, e.state === 'degraded' || e.state === 'backoff' ? 'warn' : 'crit', fit(`    ${sanitize(e.message)}`, w)));
    }
  }
  return out;
}

export interface EngineDetailOptions {
  /** the command it runs (from the config), shown as is */
  command?: string;
  /** the newest benchmark per model, newest first */
  bench?: BenchResult[];
  /** a running or finished benchmark job line */
  job?: { state: 'running' | 'done' | 'failed'; progress?: string; message?: string };
}

const label = (theme: Theme, s: string) => paint(theme, 'muted', s.padEnd(9));

/** Everything about one engine. */
export function engineDetailLines(e: EngineRow, w: number, theme: Theme, now: number, o: EngineDetailOptions = {}): string[] {
  const out: string[] = [];
  out.push(fit(`${paint(theme, 'title', sanitize(e.name))}  ${stateText(theme, e.state)}  ${paint(theme, 'muted', e.kind)}${e.message ? '  ' + sanitize(e.message) : ''}`, w));
  const exit = e.lastExit ? `${e.lastExit.code !== null ? `code ${e.lastExit.code}` : `signal ${e.lastExit.signal ?? '?'}`} ${age(now - e.lastExit.at)} ago` : DASH;
  out.push(fit(`${label(theme, 'process')}pid ${e.pid ?? DASH} · up ${uptime(e, now)} · restarts ${e.restarts} · last exit ${exit}` +
    (e.state === 'backoff' && e.nextRestartAt !== undefined ? ` · next try in ${duration(Math.max(0, (e.nextRestartAt - now) / 1000))}` : ''), w));
  const h = e.health;
  out.push(fit(`${label(theme, 'health')}${h ? paint(theme, h.state === 'ready' ? 'ok' : h.state === 'loading' ? 'info' : 'crit', h.state) + (h.message ? ` ${sanitize(h.message)}` : '') + paint(theme, 'muted', ` (${age(now - h.at)} ago)`) : DASH}`, w));
  out.push(fit(`${label(theme, 'model')}${e.models?.length ? e.models.map(sanitize).join(', ') : DASH}`, w));
  out.push(fit(`${label(theme, 'load')}${num(e.tokPerSec, ' tok/s', 1)} · running ${num(e.requestsRunning)} · waiting ${num(e.requestsWaiting)} · kv ${num(e.kvCachePct, '%')}`, w));
  const numa = e.numaBytes && Object.keys(e.numaBytes).length ? ' · ' + Object.entries(e.numaBytes).map(([n, b]) => `node${n} ${bytes(b)}`).join(' ') : '';
  out.push(fit(`${label(theme, 'memory')}RSS ${bytes(e.rssBytes)} · VRAM ${bytes(e.vramBytes)}${numa}`, w));
  const listen = e.listen?.length ? e.listen.map((l) => `${l.address}:${l.port}${l.loopback ? '' : ' ' + theme.glyphs.warn}`).join(' ') : `${bind(e)}${e.openai ? ` · ${sanitize(e.openai)}` : ''}`;
  out.push(fit(`${label(theme, 'listen')}${listen}`, w));
  const cmd = o.command;
  if (cmd) out.push(fit(`${label(theme, 'command')}${sanitize(cmd)}`, w));
  if (e.logFile || e.logDroppedBytes) out.push(fit(`${label(theme, 'log')}${e.logFile ? sanitize(e.logFile) : DASH}${e.logDroppedBytes ? paint(theme, 'warn', ` · ${bytes(e.logDroppedBytes)} dropped (disk nearly full)`) : ''}`, w));
  for (const x of e.warnings) out.push(paint(theme, 'warn', fit(`${theme.glyphs.warn} ${sanitize(x)}`, w)));
  if (o.job) {
    const tok: Token = o.job.state === 'failed' ? 'crit' : o.job.state === 'done' ? 'ok' : 'info';
    out.push(fit(`${label(theme, 'bench')}${paint(theme, tok, o.job.state)}${o.job.progress ? ` ${o.job.progress}` : ''}${o.job.message ? ` · ${sanitize(o.job.message)}` : ''}`, w));
  }
  out.push(...benchLines(o.bench ?? [], w, theme, now));
  return out;
}

/** The last benchmark per model, a column per model (as many as fit). */
export function benchLines(results: BenchResult[], w: number, theme: Theme, now: number): string[] {
  if (!results.length) return [paint(theme, 'muted', fit(`${'bench'.padEnd(9)}no benchmark yet (b runs one)`, w))];
  const labelW = 13;
  const colW = Math.max(12, Math.min(24, Math.floor((w - labelW) / Math.max(1, results.length))));
  const fitN = Math.max(1, Math.floor((w - labelW) / colW));
  const rs = results.slice(0, fitN);
  const ms = (v?: number) => (v === undefined ? DASH : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
  const rows: [string, (r: BenchResult) => string][] = [
    ['model', (r) => sanitize(r.model.replace(/^.*\//, ''))],
    ['gen tok/s', (r) => num(r.genTokPerSec, '', 1)],
    ['prompt tok/s', (r) => num(r.promptTokPerSec, '', 0)],
    ['TTFT p50', (r) => ms(r.ttftMs.p50)],
    ['TTFT p95', (r) => ms(r.ttftMs.p95)],
    ['peak RSS', (r) => bytes(r.peakRssBytes)],
    ['peak VRAM', (r) => bytes(r.peakVramBytes)],
    ['runs', (r) => `${r.ok}/${r.prompts}${r.errors ? ` ${theme.glyphs.warn}` : ''} · ${age(now - r.at)}`],
  ];
  const out = [paint(theme, 'title', fit(`benchmark (${results.length > rs.length ? `${rs.length} of ${results.length} models` : `${rs.length} model${rs.length === 1 ? '' : 's'}`}, ${rs[0]!.prompts} prompts × ${rs[0]!.maxTokens} tokens)`, w))];
  for (const [name, get] of rows) {
    const cells = rs.map((r) => fit(get(r), colW - 1) + ' ').join('');
    out.push(fit(paint(theme, 'muted', name.padEnd(labelW)) + cells, w));
  }
  return out;
}

export interface LogViewOptions {
  follow: boolean;
  /** lines up from the newest (when not following) */
  fromBottom: number;
  /** filter: only lines containing it, the match highlighted */
  search?: string;
}

/** The log, windowed to `h` lines, plus a badge (following/held, lines dropped, matches). */
export function logViewLines(log: LogSnapshot | undefined, w: number, h: number, theme: Theme, o: LogViewOptions): { lines: string[]; badge: string } {
  if (!log) return { lines: [paint(theme, 'muted', `${theme.glyphs.pending} opening the log${theme.glyphs.ellipsis}`)], badge: '' };
  const q = (o.search ?? '').toLowerCase();
  const all = q ? log.lines.filter((l) => l.toLowerCase().includes(q)) : log.lines;
  const body = Math.max(1, h);
  const maxBack = Math.max(0, all.length - body);
  const back = o.follow ? 0 : Math.min(o.fromBottom, maxBack);
  const start = Math.max(0, all.length - body - back);
  const win = all.slice(start, start + body);
  const lines: string[] = [];
  if (log.error && !log.lines.length) lines.push(paint(theme, 'warn', fit(`${theme.glyphs.warn} ${sanitize(log.error)}`, w)));
  else if (!all.length) lines.push(paint(theme, 'muted', q ? `no line matches "${sanitize(o.search ?? '')}"` : 'the log is empty so far'));
  for (const l of win) lines.push(q ? highlight(theme, l, q, w) : fit(l, w));
  const parts = [o.follow ? paint(theme, 'ok', `${theme.glyphs.follow} following`) : paint(theme, 'warn', `held ${theme.glyphs.up}${back}`)];
  if (log.dropped > 0 || log.droppedUnknown) parts.push(paint(theme, 'warn', `${log.dropped.toLocaleString('en-US')}${log.droppedUnknown ? '+' : ''} lines dropped`));
  if (q) parts.push(`${all.length} match${all.length === 1 ? '' : 'es'}`);
  if (log.error && log.lines.length) parts.push(paint(theme, 'warn', theme.glyphs.warn));
  return { lines, badge: parts.join(paint(theme, 'muted', ' · ')) };
}

function highlight(theme: Theme, line: string, q: string, w: number): string {
  const shown = width(line) > w ? line.slice(0, w * 2) : line;
  const low = shown.toLowerCase();
  let out = '';
  let i = 0;
  for (let at = low.indexOf(q); at >= 0; at = low.indexOf(q, i)) {
    out += shown.slice(i, at) + paint(theme, 'selected', shown.slice(at, at + q.length));
    i = at + q.length;
  }
  return fit(out + shown.slice(i), w);
}
