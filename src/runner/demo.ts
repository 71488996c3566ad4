import type { Runner, RunResult, StreamHandle, StreamOptions } from '../../backends/types.js';
import type { DemoScript, DemoVars } from '../demo/types.js';

export interface DemoRunnerOptions {
  host?: string;
  /** demo seconds per real second (the soak bench ages the box fast) */
  speed?: number;
  /** real clock, injectable for tests */
  clock?: () => number;
}

const key = (argv: string[]) => argv.join('\u0000');

/** A template taken apart once: text[0] name[0] text[1] … name[n-1] text[n]. */
interface Compiled { text: string[]; names: string[] }
const COMPILED_MAX = 1024;
const compiled = new Map<string, Compiled>();

function compile(template: string): Compiled {
  let c = compiled.get(template);
  if (c === undefined) {
    c = { text: [], names: [] };
    const re = /\{\{([a-zA-Z0-9_]+)\}\}/g;
    let from = 0;
    for (let m = re.exec(template); m !== null; m = re.exec(template)) {
      c.text.push(template.slice(from, m.index));
      c.names.push(m[1]!);
      from = m.index + m[0].length;
    }
    c.text.push(template.slice(from));
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    compiled.set(template, c);
  }
  return c;
}

/** Fills a template; a name `vars` lacks stays `{{name}}`, or, when `strict`, makes the result undefined. */
function fillWith(template: string, vars: DemoVars, strict: boolean): string | undefined {
  const { text, names } = compile(template);
  if (names.length === 0) return template;
  let out = text[0]!;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!(name in vars)) {
      if (strict) return undefined;
      out += `{{${name}}}`;
    } else {
      let v = vars[name]!;
      // a thunk (a whole `zpool status`, a 500-dataset `zfs get`) is rendered when first asked for, then kept
      if (typeof v === 'function') vars[name] = v = v();
      out += String(v);
    }
    out += text[i + 1]!;
  }
  return out;
}

/**
 * Fills {{name}} placeholders; an unknown name stays visible as `{{name}}` so a broken template is obvious. Each
 * template is taken apart once (the box fills the same few hundred templates every step).
 */
export function fillTemplate(template: string, vars: DemoVars): string {
  return fillWith(template, vars, false)!;
}

/**
 * Serves a DemoScript's recorded outputs to the real backends: the demo box runs exactly the code a real box does.
 * A command the script does not know answers like a missing program, loudly, so a backend/demo mismatch shows.
 */
export function createDemoRunner(base: DemoScript, opts: DemoRunnerOptions = {}): Runner {
  // this runner's own box: what an action changes stays in it (a new cockpit starts fresh)
  const script = base.fresh?.() ?? base;
  const clock = opts.clock ?? Date.now;
  const speed = opts.speed ?? 1;
  const started = clock();
  // demo time in 10 ms steps: every read within a step sees the same values, computed once (vars() builds every
  // template value of the box, and one sample reads many files)
  const tSec = () => Math.floor(((clock() - started) * speed) / 10) / 100;
  const commands = new Map(script.commands.map((c) => [key(c.argv), c]));
  const streams = new Map(script.streams.map((s) => [key(s.argv), s]));
  const files = new Map(script.files.map((f) => [f.path, f]));
  const dirs = new Map(script.dirs.map((d) => [d.path, d.entries]));
  // per part of a merged box (-1: the whole box), computed once per step
  const memo = new Map<number, { t: number; v: DemoVars }>();
  const vars = (part?: number) => {
    const t = tSec();
    const k = part !== undefined && script.partVars ? part : -1;
    let m = memo.get(k);
    if (m?.t !== t) memo.set(k, m = { t, v: k === -1 ? script.vars(t) : script.partVars!(k, t) });
    return m.v;
  };
  // a part's template naming another part's value is filled from the whole box
  const fill = (template: string, part?: number) =>
    (part !== undefined ? fillWith(template, vars(part), true) : undefined) ?? fillTemplate(template, vars());

  return {
    host: opts.host ?? 'omni (demo)',
    async run(argv: string[]): Promise<RunResult> {
      const h = script.handle?.(argv, tSec());
      if (h) {
        memo.clear(); // the box changed: what is read next shows it
        return { argv, exitCode: h.exitCode ?? 0, stdout: h.stdout, stderr: h.stderr ?? '', timedOut: false, notFound: false };
      }
      const c = commands.get(key(argv));
      if (!c) {
        return { argv, exitCode: 127, stdout: '', stderr: `demo box: no recorded output for ${argv.join(' ')}`, timedOut: false, notFound: false };
      }
      return { argv, exitCode: c.exitCode ?? 0, stdout: fill(c.stdout, c.part), stderr: fill(c.stderr ?? '', c.part), timedOut: false, notFound: false };
    },
    stream(argv: string[], o: StreamOptions): StreamHandle {
      const s = streams.get(key(argv));
      if (!s) {
        const t = setTimeout(() => o.onExit({ exitCode: 127, stderr: `demo box: no recorded stream for ${argv.join(' ')}`, notFound: false }), 0);
        return { stop: () => clearTimeout(t) };
      }
      const emit = () => { for (const line of fill(s.lines, s.part).split('\n')) if (line) o.onLine(line); };
      const first = setTimeout(emit, 0);
      const every = setInterval(emit, Math.max(1, s.intervalMs / speed));
      every.unref?.();
      return { stop: () => { clearTimeout(first); clearInterval(every); } };
    },
    async readFile(path: string) {
      const f = files.get(path);
      return f === undefined ? undefined : fill(f.content, f.part);
    },
    async listDir(path: string) { return dirs.get(path); },
    now: () => started + tSec() * 1000,
  };
}

/** Merges per-source demo scripts into one box; a mutating command goes to the first part that knows it. */
export function mergeDemoScripts(...parts: DemoScript[]): DemoScript {
  return {
    commands: parts.flatMap((p, part) => p.commands.map((c) => ({ ...c, part }))),
    streams: parts.flatMap((p, part) => p.streams.map((x) => ({ ...x, part }))),
    files: parts.flatMap((p, part) => p.files.map((f) => ({ ...f, part }))),
    dirs: parts.flatMap((p) => p.dirs),
    vars: (t) => Object.assign({}, ...parts.map((p) => p.vars(t))) as DemoVars,
    partVars: (part, t) => parts[part]!.vars(t),
    handle(argv, t) {
      for (const p of parts) {
        const r = p.handle?.(argv, t);
        if (r) return r;
      }
      return undefined;
    },
    fresh: () => mergeDemoScripts(...parts.map((p) => p.fresh?.() ?? p)),
  };
}
