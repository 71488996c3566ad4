import { z } from 'zod';

/**
 * `scripts:` host scripts (issue 8): declared chores run from the palette, the Recovery screen and
 * `sov do script.NAME --arg k=v`. argv only (no shell unless the argv says `sh -c`). Inputs reach the argv as
 * `{{name}}` placeholders inside argv elements, each value checked against its allowlist (an anchored `pattern`
 * or `choices`) before anything runs; a placeholder inside a shell's script text is refused (pass the value as a
 * positional argument: `[sh, -c, 'echo "$1"', sh, '{{name}}']`), so a value never becomes shell code.
 */

export const SCRIPT_TIMEOUT_MAX_SEC = 3600;
/** an input value longer than this is refused (an allowlist regex never sees megabytes) */
export const INPUT_MAX_CHARS = 1024;

const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** every `{{…}}` in a string; what is inside must be a declared input's name, exactly */
const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'busybox']);

/** `pattern` as sov applies it: the whole value must match (`^(?:pattern)$`); undefined when it does not compile. */
export function anchoredPattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return undefined;
  }
}

export const scriptInputSchema = z.object({
  name: z.string().regex(INPUT_NAME, 'letters, digits, _ (starting with a letter or _): used as {{name}} in argv'),
  description: z.string().default(''),
  /** an allowlist regex; the whole value must match (sov anchors it) */
  pattern: z.string().min(1).optional(),
  /** or the only values it may take */
  choices: z.array(z.string()).min(1).optional(),
  /** the value when none is given (it must pass the allowlist too) */
  default: z.string().optional(),
}).strict().superRefine((i, ctx) => {
  if ((i.pattern === undefined) === (i.choices === undefined)) {
    ctx.addIssue({ code: 'custom', path: [], message: `input "${i.name}" needs exactly one allowlist: pattern (a regex the whole value must match) or choices` });
    return;
  }
  if (i.pattern !== undefined && !anchoredPattern(i.pattern)) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${i.pattern}` });
  if (i.default !== undefined) {
    const why = inputProblem(i as ScriptInput, i.default);
    if (why) ctx.addIssue({ code: 'custom', path: ['default'], message: `the default is not allowed by the input's own allowlist: ${why}` });
  }
});

export type ScriptInput = z.infer<typeof scriptInputSchema>;

/** Why `value` is not allowed for this input, or undefined when it is. Never throws. */
export function inputProblem(input: Pick<ScriptInput, 'name' | 'pattern' | 'choices'>, value: string): string | undefined {
  if (value.length > INPUT_MAX_CHARS) return `${input.name}: ${value.length} characters (at most ${INPUT_MAX_CHARS})`;
  if (input.choices) return input.choices.includes(value) ? undefined : `${input.name}: ${JSON.stringify(value)} is not one of ${input.choices.map((c) => JSON.stringify(c)).join(', ')}`;
  const re = input.pattern !== undefined ? anchoredPattern(input.pattern) : undefined;
  if (!re) return `${input.name}: no usable allowlist`;
  return re.test(value) ? undefined : `${input.name}: ${JSON.stringify(value)} does not match ${re.source}`;
}

/** The names of every `{{…}}` in a string (whatever is inside, so a typo shows as itself). */
export function placeholders(s: string): string[] {
  return [...s.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Fills `{{name}}` placeholders of each element; an element never splits or joins (no shell sees it). */
export function fillArgv(argv: string[], values: Record<string, string>): string[] {
  return argv.map((a) => a.replace(PLACEHOLDER, (m, name: string) => (Object.hasOwn(values, name) ? values[name]! : m)));
}

/**
 * The index of the script text of a shell in the argv (`sh -c SCRIPT`, `bash -euc`, `/bin/sh -c`, also behind a
 * wrapper such as `sudo sh -c` or `env X=1 bash -o pipefail -c`), or -1. Errs towards finding one: a false find
 * only asks for a positional argument.
 */
export function shellScriptIndex(argv: string[]): number {
  for (let s = 0; s < argv.length; s++) {
    if (!SHELLS.has(argv[s]!.split('/').pop() ?? '')) continue;
    for (let i = s + 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-o' || a === '+o') { i++; continue; }
      if (!/^[-+]/.test(a) || a === '-' || a === '--') break;
      if (a.startsWith('-') && !a.startsWith('--') && a.includes('c')) return i + 1 < argv.length ? i + 1 : -1;
    }
  }
  return -1;
}

/** Unknown placeholders and placeholders inside shell script text, with their path under the script. */
function checkArgv(argv: string[], key: 'argv' | 'plan', names: Set<string>, ctx: z.RefinementCtx): void {
  const shellAt = shellScriptIndex(argv);
  argv.forEach((a, i) => {
    for (const p of placeholders(a)) {
      if (!names.has(p)) {
        ctx.addIssue({ code: 'custom', path: [key, i], message: `unknown placeholder {{${p}}}${names.size ? ` (inputs: ${[...names].join(', ')})` : ' (this script declares no inputs)'}` });
      } else if (i === shellAt) {
        ctx.addIssue({ code: 'custom', path: [key, i], message: `{{${p}}} inside shell script text would let a value become shell code: pass it as a positional argument (append "{{${p}}}" after the script and use "$1")` });
      }
    }
  });
}

export const scriptSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, . _ - (no spaces)'),
  description: z.string().default(''),
  argv: z.array(z.string()).min(1),
  cwd: z.string().optional(),
  /** added to sov's environment (LC_ALL=C unless set here) */
  env: z.record(z.string()).default({}),
  tier: z.enum(['T0', 'T1', 'T2', 'T3']).default('T1'),
  inputs: z.array(scriptInputSchema).default([]),
  /** hard deadline: SIGTERM to its process group, SIGKILL after a grace period */
  timeoutSec: z.number().positive().max(SCRIPT_TIMEOUT_MAX_SEC).default(60),
  /** the dry run: an argv that prints what the script would change (same inputs, same runner) */
  plan: z.array(z.string()).min(1).optional(),
  planTimeoutSec: z.number().positive().max(300).default(15),
  /** a single key name (wired by the key map) */
  key: z.string().regex(/^\S+$/, 'one key name, e.g. "P" or "ctrl+r"').optional(),
}).strict().superRefine((s, ctx) => {
  const names = new Set<string>();
  s.inputs.forEach((i, n) => {
    if (names.has(i.name)) ctx.addIssue({ code: 'custom', path: ['inputs', n, 'name'], message: `duplicate input "${i.name}"` });
    names.add(i.name);
  });
  if (s.argv[0] === '') ctx.addIssue({ code: 'custom', path: ['argv', 0], message: 'the program is empty' });
  checkArgv(s.argv, 'argv', names, ctx);
  if (s.plan) checkArgv(s.plan, 'plan', names, ctx);
  if (s.cwd !== undefined && placeholders(s.cwd).length) ctx.addIssue({ code: 'custom', path: ['cwd'], message: 'placeholders work only in argv and plan' });
  for (const [k, v] of Object.entries(s.env)) if (placeholders(v).length) ctx.addIssue({ code: 'custom', path: ['env', k], message: 'placeholders work only in argv and plan' });
});

export type ScriptConfig = z.infer<typeof scriptSchema>;
