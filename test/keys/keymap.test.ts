import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEYMAP, keysMarkdown } from '../../src/keys/keymap.js';
import { fixturePath } from '../helpers/samples.js';

describe('key map', () => {
  it('docs/keys.md is generated from the key map and fresh (npm run docs:keys)', () => {
    const doc = readFileSync(fixturePath('..', 'docs', 'keys.md'), 'utf8');
    expect(doc).toBe(keysMarkdown());
  });
  it('no key is bound twice', () => {
    const keys = KEYMAP.flatMap((b) => b.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
  it('every binding named in the issue exists', () => {
    const all = new Set(KEYMAP.flatMap((b) => b.keys));
    for (const k of ['1', '2', '3', '4', '5', '?', 'tab', 'j', 'k', 'up', 'down', 'enter', '/', 'f', 'r', 't', 'q']) expect(all.has(k), k).toBe(true);
  });
});
