import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/samples.js';

/**
 * Glyphs are theme tokens like colours: widgets, screens and the frame name them (theme.glyphs.ok, .tl, .spark…),
 * none writes one. Prose punctuation (· — → ×) may stay in text: the console set folds it.
 */
const DIRS = ['widgets', 'screens', 'src/app'];
const GLYPHS = /[╭╮╰╯┌┐└┘├┤┬┴┼▁▂▃▄▅▆▇█░▒▓■✓✔▲✖✗•❄›‹↑↓▍⚙▼▶◀⠀-⣿]/u;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

/** the code of a line: comments and the USAGE text's option descriptions are not drawing */
function code(line: string): string {
  if (/^\s*(\/\/|\*|\/\*)/.test(line)) return '';
  return line.replace(/\/\/.*$/, '').replace(/\/\*.*?\*\//g, '');
}

describe('no widget hard-codes a glyph', () => {
  it('widgets/, screens/ and src/app take every glyph from the theme', () => {
    const found: string[] = [];
    for (const d of DIRS) {
      for (const f of files(join(repoRoot, d))) {
        if (f.endsWith('options.ts')) continue; // the usage text shows the console's glyphs as words
        readFileSync(f, 'utf8').split('\n').forEach((l, i) => { if (GLYPHS.test(code(l))) found.push(`${f.slice(repoRoot.length + 1)}:${i + 1}: ${l.trim()}`); });
      }
    }
    expect(found).toEqual([]);
  });

  it('the check sees a hard-coded glyph', () => {
    expect(GLYPHS.test(code("out.push(paint(theme, 'ok', '✓ fine'));"))).toBe(true);
    expect(GLYPHS.test(code('// a comment may show ╭─ and ✓'))).toBe(false);
    expect(GLYPHS.test(code("fit(`${a} · ${b} — ${c}`, w)"))).toBe(false);
  });
});
