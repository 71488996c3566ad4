// `scripts:` in the config, through the real loader: defaults, and every mistake refused with its key path.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { fillArgv, inputProblem, placeholders, shellScriptIndex } from '../../src/config/scripts.js';

const load = (yaml: string) => parseConfigText(yaml, 'test.yaml');

function errorsOf(yaml: string): string[] {
  const r = load(yaml);
  if (r.ok) throw new Error('expected the config to be refused');
  return r.errors.map((e) => `${e.line}:${e.key}: ${e.message}`);
}

describe('scripts config', () => {
  it('fills defaults: tier T1, 60 s deadline, 15 s plan, no inputs, empty env', () => {
    const r = load('scripts:\n  - name: hello\n    argv: [echo, hi]\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.scripts[0]).toEqual({ name: 'hello', description: '', argv: ['echo', 'hi'], env: {}, tier: 'T1', inputs: [], timeoutSec: 60, planTimeoutSec: 15 });
  });

  it('takes every field', () => {
    const r = load(`scripts:
  - name: snap
    description: snapshot
    argv: [curl, "http://127.0.0.1:6333/collections/{{c}}/snapshots"]
    plan: [echo, "would snapshot {{c}}"]
    cwd: /tmp
    env: { A: "1" }
    tier: T2
    timeoutSec: 3600
    key: P
    inputs:
      - { name: c, pattern: "[a-z]+", default: mem, description: the collection }
      - { name: mode, choices: [fast, full] }
`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = r.config.scripts[0]!;
    expect(s.tier).toBe('T2');
    expect(s.key).toBe('P');
    expect(s.inputs.map((i) => i.name)).toEqual(['c', 'mode']);
  });

  it('an unknown placeholder is an error with its path and line', () => {
    expect(errorsOf('scripts:\n  - name: x\n    inputs: [{ name: pool, pattern: "[a-z]+" }]\n    argv: [zpool, scrub, "{{poool}}"]\n'))
      .toEqual(['4:scripts[0].argv[2]: unknown placeholder {{poool}} (inputs: pool)']);
    expect(errorsOf('scripts:\n  - name: x\n    inputs: [{ name: d, pattern: "[a-z]+" }]\n    cwd: "/srv/{{d}}"\n    env: { D: "{{d}}" }\n    argv: [echo]\n'))
      .toEqual(['4:scripts[0].cwd: placeholders work only in argv and plan', '5:scripts[0].env.D: placeholders work only in argv and plan']);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    plan: [echo, "{{ x }}"]\n'))
      .toEqual(['4:scripts[0].plan[1]: unknown placeholder {{ x }} (this script declares no inputs)']);
  });

  it('a placeholder inside shell script text is refused (a value never becomes shell code); as "$1" it is fine', () => {
    const errs = errorsOf('scripts:\n  - name: x\n    inputs: [{ name: f, pattern: ".+" }]\n    argv: [sh, -c, "touch {{f}}"]\n');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^4:scripts\[0\]\.argv\[2\]: \{\{f\}\} inside shell script text would let a value become shell code/);
    expect(errorsOf('scripts:\n  - name: x\n    inputs: [{ name: f, pattern: ".+" }]\n    argv: [sudo, /bin/bash, -o, pipefail, -euc, "rm {{f}}"]\n')[0]).toMatch(/argv\[5\]: \{\{f\}\} inside shell script/);
    expect(load('scripts:\n  - name: x\n    inputs: [{ name: f, pattern: ".+" }]\n    argv: [sh, -c, \'touch "$1"\', sh, "{{f}}"]\n').ok).toBe(true);
  });

  it('allowlists: exactly one of pattern or choices, a regex that compiles, a default that passes', () => {
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    inputs: [{ name: a }]\n')[0]).toMatch(/scripts\[0\]\.inputs\[0\]: input "a" needs exactly one allowlist/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    inputs: [{ name: a, pattern: "x", choices: [x] }]\n')[0]).toMatch(/needs exactly one allowlist/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    inputs: [{ name: a, pattern: "([a-z" }]\n')).toEqual(['4:scripts[0].inputs[0].pattern: not a valid regular expression: ([a-z']);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    inputs: [{ name: a, choices: [x, y], default: z }]\n')[0])
      .toMatch(/^4:scripts\[0\]\.inputs\[0\]\.default: the default is not allowed by the input's own allowlist: a: "z" is not one of "x", "y"$/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    inputs: [{ name: a, pattern: "[a-z]+" }, { name: a, pattern: "[0-9]+" }]\n')[0]).toMatch(/scripts\[0\]\.inputs\[1\]\.name: duplicate input "a"/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    inputs: [{ name: "a-b", pattern: "x" }]\n')[0]).toMatch(/inputs\[0\]\.name/);
  });

  it('tier, deadline, key, names and unknown keys are checked', () => {
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    tier: T4\n')[0]).toMatch(/scripts\[0\]\.tier: expected one of "T0" \| "T1" \| "T2" \| "T3", got "T4"/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    timeoutSec: 7200\n')[0]).toMatch(/scripts\[0\]\.timeoutSec/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    timeoutSec: 0\n')[0]).toMatch(/scripts\[0\]\.timeoutSec/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    key: "ctrl r"\n')[0]).toMatch(/scripts\[0\]\.key: one key name/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: []\n')[0]).toMatch(/scripts\[0\]\.argv/);
    expect(errorsOf('scripts:\n  - name: "a b"\n    argv: [echo]\n')[0]).toMatch(/scripts\[0\]\.name/);
    expect(errorsOf('scripts:\n  - name: x\n    argv: [echo]\n    shell: true\n')).toEqual(['4:scripts[0].shell: unknown key "shell"']);
    expect(errorsOf('scripts:\n  - { name: x, argv: [echo] }\n  - { name: x, argv: [echo] }\n')[0]).toMatch(/scripts\[1\]\.name: duplicate name "x"/);
  });

  it('a pattern must match the whole value (anchored), whatever the author wrote', () => {
    const i = { name: 'pool', pattern: '[a-z]+' };
    expect(inputProblem(i, 'tank')).toBeUndefined();
    for (const bad of ['tank; rm -rf /', 'tank\n', '\ntank', 'tank x', '', 'TANK']) expect(inputProblem(i, bad)).toMatch(/does not match \^\(\?:\[a-z\]\+\)\$/);
    // an alternation cannot escape the anchors
    expect(inputProblem({ name: 'a', pattern: 'x|y' }, 'xz')).toBeDefined();
    expect(inputProblem({ name: 'a', pattern: '.*' }, 'x'.repeat(5000))).toMatch(/5000 characters/);
    expect(inputProblem({ name: 'a', choices: ['fast'] }, 'fast ')).toBe('a: "fast " is not one of "fast"');
  });

  it('placeholders are filled inside one argv element: a value never splits or joins elements', () => {
    expect(placeholders('a{{x}}b{{ y }}')).toEqual(['x', ' y ']);
    expect(fillArgv(['curl', 'http://h/{{c}}/s', '{{c}}', '{{other}}'], { c: 'a b;c' })).toEqual(['curl', 'http://h/a b;c/s', 'a b;c', '{{other}}']);
    // a value that looks like a placeholder is not expanded again
    expect(fillArgv(['{{a}}{{b}}'], { a: '{{b}}', b: 'x' })).toEqual(['{{b}}x']);
  });

  it('finds the script text of a shell, behind wrappers and flags', () => {
    expect(shellScriptIndex(['sh', '-c', 'x'])).toBe(2);
    expect(shellScriptIndex(['/bin/bash', '-euc', 'x', 'bash', 'y'])).toBe(2);
    expect(shellScriptIndex(['env', 'A=1', 'dash', '-e', '-c', 'x'])).toBe(5);
    expect(shellScriptIndex(['bash', 'script.sh', '-c'])).toBe(-1);
    expect(shellScriptIndex(['curl', '-c', 'x'])).toBe(-1);
    expect(shellScriptIndex(['sh', '-c'])).toBe(-1);
  });
});
