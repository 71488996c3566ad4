/**
 * The cockpit's side of running an action (issue 8): ask for missing arguments, read the preconditions and the
 * plan, show them with the confirmation the tier asks for (T1 y/N · T2 type the target's name · T3 paste a
 * tripcode), then perform() it — live output into the Recovery screen's run panel, the outcome in the status line.
 * The decisions are src/recovery/perform.ts's; this file only moves between the overlay's states.
 */
import { actionsFor } from '../actions/index.js';
import { readOnlyReason, remoteReason, type Action, type ActionCtx } from '../actions/types.js';
import { parseCode } from '../recovery/codes.js';
import { perform, prepare, whoAmI, type Prepared } from '../recovery/perform.js';
import type { Confirmation } from '../recovery/types.js';
import { RUN_LINES, type Store } from '../store/store.js';
import type { ConfirmUi, RunState } from '../store/types.js';
import { sanitize } from '../../widgets/primitives/text.js';
import { keyIn, ownId, type Layer } from '../keys/keymap.js';
import { editText } from '../keys/names.js';

export interface RecoveryController {
  now(): number;
  /** hands the terminal to a program (ssh) and returns its exit code once the cockpit is back */
  attach?(argv: string[]): { code: number | null; signal?: string; error?: string };
  actionCtx?(engine?: string): ActionCtx;
  /** read the authority again (after a run, a tripcode) */
  refreshRecovery?(): void;
  /** starts the daemon (it keeps the audit log) when it is not running; resolves once the link is up, or with why not */
  ensureDaemon?(): Promise<true | string>;
}

/** what the overlay is asking about: kept out of the store (it holds functions), one at a time */
let pending: { prepared?: Prepared; ctx: ActionCtx; action: Action; tripcode?: string; seq: number; host?: string } | undefined;
let seq = 0;
let running: AbortController | undefined;

export function findAction(store: Store, id: string): Action | undefined {
  return actionsFor(store.getState().config).find((a) => a.id === id);
}

/** the arguments still to ask for: declared, not given, no default (an engine action's name comes from the selection) */
function missingArgs(a: Action, ctx: ActionCtx): string[] {
  const given: Record<string, string> = { ...(a.argDefaults ?? {}), ...(ctx.args ?? {}), ...(ctx.engine ? { name: ctx.engine.name } : {}) };
  return Object.keys(a.args ?? {}).filter((k) => given[k] === undefined);
}

function askNext(store: Store, a: Action, ctx: ActionCtx, host?: string): boolean {
  const [arg] = missingArgs(a, ctx);
  if (arg === undefined) return false;
  let choices: string[] = [];
  try { choices = a.argChoices?.(ctx, arg) ?? []; } catch {}
  store.getState().setConfirm({
    action: a.id, title: a.title, tier: a.tier, args: ctx.args ?? {}, pending: false, text: a.describe(ctx), checks: [], kind: 'none', input: '',
    ask: { arg, description: a.args?.[arg] ?? arg, choices, index: 0 }, ...(ctx.engine ? { engine: ctx.engine.name } : {}), ...(host ? { host } : {}),
  });
  return true;
}

/** From a key, the palette or the Recovery screen: disabled → why; else arguments → preconditions → the overlay. */
export function startAction(store: Store, c: RecoveryController, a: Action, ctx: ActionCtx, tripcode?: string): void {
  const s = store.getState();
  // every way in (a key, the palette, the Recovery list, a pasted tripcode) passes the same guards, before anything is asked
  if (s.ui.readOnly && a.tier !== 'T0') return s.say(readOnlyReason(a.title), c.now());
  // another host on screen: only actions that act through its runner (ZFS, GPU) act there; the others are this box's
  const own = Object.keys(s.hosts)[0] ?? s.current;
  const notThere = remoteReason(a, s.current, own);
  if (notThere) return s.say(notThere, c.now());
  const host = s.current !== own ? s.current : undefined;
  const ok = a.when(ctx);
  if (ok !== true) return s.say(ok, c.now());
  if (running && a.tier !== 'T0') return s.say(`${s.run?.title ?? 'an action'} is still running: wait, or ctrl+c cancels it`, c.now());
  // only the arguments this action declares (the selection may offer more: the VM on the VMs screen)
  const args = Object.fromEntries(Object.entries(ctx.args ?? {}).filter(([k]) => k in (a.args ?? {})));
  pending = { ctx: { ...ctx, args }, action: a, seq: ++seq, ...(tripcode ? { tripcode } : {}), ...(host ? { host } : {}) };
  if (askNext(store, a, pending.ctx, host)) return;
  void prepareAndAsk(store, c);
}

async function prepareAndAsk(store: Store, c: RecoveryController): Promise<void> {
  const mine = pending;
  if (!mine) return;
  const { action: a, ctx } = mine;
  const base: ConfirmUi = { action: a.id, title: a.title, tier: a.tier, args: ctx.args ?? {}, pending: true, text: a.describe(ctx), checks: [], kind: 'none', input: '', ...(ctx.engine ? { engine: ctx.engine.name } : {}), ...(mine.host ? { host: mine.host } : {}) };
  // a T0 with nothing to check runs at once, without an overlay
  if (a.tier === 'T0' && !a.checks && !a.plan) { store.getState().setConfirm(undefined); pending = undefined; return execute(store, c, await prepare(a, ctx), { kind: 'none' }); }
  store.getState().setConfirm(base);
  // nothing above T0 runs unrecorded: the daemon keeps the audit log, so a box whose config names no engines starts it now
  if (a.tier !== 'T0' && c.ensureDaemon) {
    const up = await c.ensureDaemon();
    if (pending?.seq !== mine.seq) return;
    if (up !== true) { store.getState().setConfirm(undefined); pending = undefined; return store.getState().say(`${a.title}: the daemon (which keeps the audit log) could not start: ${up}`, c.now()); }
  }
  const p = await prepare(a, ctx);
  if (pending?.seq !== mine.seq) return; // cancelled or replaced meanwhile
  mine.prepared = p;
  const s = store.getState();
  if (p.refused && p.refused.code !== 'precondition') { s.setConfirm(undefined); pending = undefined; return s.say(p.refused.reason, c.now()); }
  const ui: ConfirmUi = { ...base, pending: false, text: p.dryRun, checks: p.checks, kind: p.confirm, args: p.args, ...(p.target ? { target: p.target } : {}), ...(p.code ? { code: p.code } : {}) };
  if (p.refused) {
    s.setConfirm({ ...ui, refused: p.refused.reason });
    // above T0 the authority records the refusal (it sees the failed checks); nothing runs either way
    if (a.tier !== 'T0') void perform(p, { kind: 'none' }).then(() => c.refreshRecovery?.());
    return;
  }
  if (mine.tripcode && p.confirm === 'tripcode') { s.setConfirm(undefined); pending = undefined; return execute(store, c, p, { kind: 'tripcode', payload: mine.tripcode }); }
  if (p.confirm === 'none') { s.setConfirm(undefined); pending = undefined; return execute(store, c, p, { kind: 'none' }); }
  s.setConfirm(ui);
}

/** the confirm overlay's layer in the key map: its state decides which keys it takes */
export function confirmLayer(ui: ConfirmUi): Layer {
  return ui.pending ? 'pending' : ui.refused ? 'refused' : ui.ask ? 'ask' : ui.kind === 'yes' ? 'confirm' : 'typed';
}

/** what the status line says to a key the overlay's state takes nothing for */
const HINTS: Partial<Record<Layer, string>> = { pending: 'reading the preconditions… esc cancels', refused: 'refused: enter or esc closes', confirm: 'y (or enter) runs it · n or esc cancels' };

/** The overlay's keys, by binding id (the key map's pending, refused, confirm, typed and ask layers). */
export function confirmKey(store: Store, c: RecoveryController & { quit(): void }, name: string, input: string): void {
  const s = store.getState();
  const ui = s.ui.confirm!;
  const close = (msg?: string) => { s.setConfirm(undefined); pending = undefined; if (msg) s.say(msg, c.now()); };
  const layer = confirmLayer(ui);
  const id = ownId(keyIn(layer, name, input));
  switch (id) {
    case 'overlay.quit': close(); return c.quit();
    case 'overlay.close': case 'confirm.no': return close(`cancelled: ${ui.title}`);
    case 'overlay.hint': return s.say(HINTS[layer] ?? '', c.now());
    case 'refused.close': return close(ui.refused);
    case 'confirm.yes': return go(store, c, { kind: 'yes' });
    // T2 and T3 take typed text: the target's name, the pasted tripcode
    case 'confirm.type': return s.setConfirm({ ...ui, input: editText(ui.input, name, input, 600) });
    case 'confirm.submit':
      if (!ui.input) return s.say(ui.kind === 'typed' ? `type "${ui.target}" to confirm` : 'paste the tripcode, then enter', c.now());
      return go(store, c, ui.kind === 'typed' ? { kind: 'typed', text: ui.input } : { kind: 'tripcode', payload: ui.input.trim() });
    case 'ask.prev': case 'ask.next': case 'ask.type': case 'ask.take': return askKey(store, c, ui, id, name, input);
  }
}

/** an argument being asked: pick one of the values offered, or type one */
function askKey(store: Store, c: RecoveryController, ui: ConfirmUi, id: string, name: string, input: string): void {
  const s = store.getState();
  const ask = ui.ask!;
  const n = ask.choices.length;
  if (id === 'ask.prev') return s.setConfirm({ ...ui, input: '', ask: { ...ask, index: n ? (ask.index - 1 + n) % n : 0 } });
  if (id === 'ask.next') return s.setConfirm({ ...ui, input: '', ask: { ...ask, index: n ? (ask.index + 1) % n : 0 } });
  if (id === 'ask.type') return s.setConfirm({ ...ui, input: editText(ui.input, name, input, 200) });
  const value = ui.input || ask.choices[ask.index];
  if (value === undefined || value === '') return s.say(`${ask.arg}: type a value${n ? ' or pick one with up/down' : ''}`, c.now());
  if (!pending) return;
  pending.ctx = { ...pending.ctx, args: { ...(pending.ctx.args ?? {}), [ask.arg]: value } };
  if (askNext(store, pending.action, pending.ctx)) return;
  void prepareAndAsk(store, c);
}

function go(store: Store, c: RecoveryController, conf: Confirmation): void {
  const p = pending?.prepared;
  store.getState().setConfirm(undefined);
  pending = undefined;
  if (p) execute(store, c, p, conf);
}

/** an action's output reaches the store in batches (one write, one render per 100 ms), never a write per line */
export function outputBatcher(store: Store, everyMs = 100): { push(line: string): void; flush(): void } {
  let lines: string[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!lines.length && !dropped) return;
    store.getState().runOutput(lines, dropped);
    lines = [];
    dropped = 0;
  };
  return {
    push(line) {
      lines.push(sanitize(line));
      // the panel keeps RUN_LINES: a flood between two flushes keeps only what it could show
      if (lines.length > 2 * RUN_LINES) { dropped += lines.length - RUN_LINES; lines = lines.slice(-RUN_LINES); }
      timer ??= setTimeout(flush, everyMs);
    },
    flush,
  };
}

/** Runs it: the run panel follows its output; the status line says how it ended. */
function execute(store: Store, c: RecoveryController, p: Prepared, conf: Confirmation): void {
  const s = store.getState();
  const abort = new AbortController();
  // the engines screen's own actions show there; every other run (T0 diagnostics too) fills the Run panel
  const recorded = p.action.scope !== 'engines';
  if (recorded) running = abort;
  const own = Object.keys(s.hosts)[0];
  const there = p.ctx.host !== undefined && own !== undefined && p.ctx.host !== own ? { host: p.ctx.host } : {};
  const run: RunState = { action: p.action.id, title: p.action.title, tier: p.action.tier, args: p.args, startedAt: c.now(), state: 'running', lines: [], dropped: 0, checks: p.checks, post: [], ...there };
  if (recorded) s.setRun(run);
  if (p.action.tier !== 'T0') s.say(`${p.dryRun.split('\n')[0]} …`, c.now());
  const out = outputBatcher(store);
  const prepared: Prepared = { ...p, ctx: { ...p.ctx, signal: abort.signal, output: out.push } };
  perform(prepared, conf).then((r) => {
    out.flush();
    const st = store.getState();
    if (recorded) {
      running = undefined;
      const cur = st.run;
      st.setRun({ ...(cur ?? run), state: r.outcome, message: r.result.message, post: r.post, durationMs: r.durationMs });
    }
    if (r.result.kind === 'attach') {
      const argv = r.result.argv;
      if (!c.attach) return st.say(`cannot hand the terminal over here: run ${argv.join(' ')} yourself`, c.now());
      const x = c.attach(argv);
      return store.getState().say(x.error ? `${argv[0]}: ${x.error}` : `back from ${argv.join(' ')}: ${x.signal ? `killed by ${x.signal}` : `exit ${x.code}`}`, c.now());
    }
    if (r.result.kind !== 'navigate' || r.result.message) st.say(r.result.message ?? '', c.now());
    if (r.result.kind === 'navigate' && r.result.screen) st.setScreen(r.result.screen);
    c.refreshRecovery?.();
  }, (e: unknown) => {
    running = undefined;
    store.getState().say(`${p.action.title} failed: ${String((e as Error)?.message ?? e)}`, c.now());
  });
}

/** ctrl+c while an action runs cancels it (its process group gets SIGTERM, then SIGKILL) instead of quitting. */
export function cancelRunning(store: Store, c: RecoveryController): boolean {
  if (!running) return false;
  running.abort();
  store.getState().say(`cancelling ${store.getState().run?.title ?? 'the action'}: SIGTERM, then SIGKILL of its group (ctrl+c again quits)`, c.now());
  running = undefined;
  return true;
}

/** The tripcode prompt (Recovery `p`; the key map's `tripcode` layer): LOCKDOWN/UNLOCK take effect in the authority; the others start their action. */
export function tripcodeKey(store: Store, c: RecoveryController & { quit(): void }, name: string, input: string): void {
  const s = store.getState();
  const t = s.ui.tripcode!;
  switch (keyIn('tripcode', name, input)?.id) {
    case 'overlay.quit': s.setTripcode(undefined); return c.quit();
    case 'overlay.close': s.setTripcode(undefined); return s.say('tripcode prompt closed', c.now());
    case 'tripcode.type': return s.setTripcode({ input: editText(t.input, name, input, 600) });
    case 'tripcode.submit': break;
    default: return;
  }
  const payload = t.input.trim();
  s.setTripcode(undefined);
  if (!payload) return;
  const ctx = c.actionCtx?.();
  const rec = ctx?.recovery;
  if (!ctx || !rec) return s.say('no authority to verify it (the daemon is not reachable)', c.now());
  void rec.applyTripcode(payload, ctx.who ?? whoAmI('cockpit')).then((r) => {
    const st = store.getState();
    c.refreshRecovery?.();
    if (!r.ok) return st.say(`tripcode refused (${r.code}): ${r.reason}`, c.now());
    if (!r.action) return st.say(`tripcode ${r.code}: ${r.effect}`, c.now());
    const a = findAction(store, r.action.id);
    if (!a) return st.say(`tripcode ${r.code} names ${r.action.id}, which this box does not have`, c.now());
    const meaning = parseCode(r.code);
    st.say(`tripcode ${r.code}: ${meaning.kind === 'action' && meaning.hash ? 'pick the arguments it was signed for' : r.effect}`, c.now());
    startAction(store, c, a, { ...ctx, args: { ...r.action.args } }, payload);
  }, (e: unknown) => store.getState().say(`tripcode: ${String((e as Error)?.message ?? e)}`, c.now()));
}
