import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared/samples beside the project: real outputs handed to us. Never copied into the repo. */
export const samplesDir = resolve(repoRoot, '../shared/samples');
export const haveSamples = existsSync(samplesDir);
if (!haveSamples) console.warn(`[samples] ${samplesDir} not found: tests over ../shared/samples are not run`);

export function sampleFiles(sub: string): string[] {
  const d = join(samplesDir, sub);
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => !f.startsWith('.') && f !== 'README.md').map((f) => join(d, f));
}
export function readSample(path: string): string { return readFileSync(path, 'utf8'); }
export function fixture(...parts: string[]): string { return readFileSync(join(repoRoot, 'fixtures', ...parts), 'utf8'); }
export function fixturePath(...parts: string[]): string { return join(repoRoot, 'fixtures', ...parts); }

/** Deterministic mutations for fuzzing parsers: truncations and byte flips. */
export function* mutations(text: string, count: number, seed = 1): Generator<string> {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 0x100000000);
  const junk = ['\n', ' ', '\t', ',', '-', '[N/A]', '<', '>', '/', '\u001b[31m', '\u0000', '9'.repeat(30), 'NaN', '%', 'x'];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.3) yield text.slice(0, Math.floor(rnd() * text.length));
    else if (r < 0.6) {
      const chars = text.split('');
      const n = 1 + Math.floor(rnd() * 8);
      for (let k = 0; k < n; k++) {
        const p = Math.floor(rnd() * chars.length);
        chars[p] = String.fromCharCode(Math.floor(rnd() * 128));
      }
      yield chars.join('');
    } else if (r < 0.85) {
      const p = Math.floor(rnd() * text.length);
      yield text.slice(0, p) + junk[Math.floor(rnd() * junk.length)]! + text.slice(p);
    } else {
      const lines = text.split('\n');
      const p = Math.floor(rnd() * lines.length);
      lines.splice(p, 1 + Math.floor(rnd() * 3));
      yield lines.join('\n');
    }
  }
}
