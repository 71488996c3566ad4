import { writeFileSync } from 'node:fs';
import { keysMarkdown } from '../src/keys/keymap.js';

writeFileSync(new URL('../docs/keys.md', import.meta.url), keysMarkdown());
console.log('docs/keys.md written');
