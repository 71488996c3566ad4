// Bundles src/main.ts into dist/sov.js (one file, fast start).
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, URL } from 'node:url';

/**
 * Ink 6.8 memoises every distinct text it measures or wraps in module-level caches that are never evicted
 * (build/measure-text.js, build/wrap-text.js). A cockpit whose frame changes every second would grow without
 * bound over days, so the bundle bounds both caches. If Ink's source changes shape, the build fails loudly.
 */
const boundInkCaches = {
  name: 'bound-ink-caches',
  setup(b) {
    const patches = {
      'measure-text.js': [['    cache.set(text, dimensions);', '    if (cache.size >= 512) cache.clear();\n    cache.set(text, dimensions);']],
      'wrap-text.js': [
        ['const cache = {};', 'let cache = {};\nlet cacheSize = 0;'],
        ['    cache[cacheKey] = wrappedText;', '    if (++cacheSize > 512) { cache = {}; cacheSize = 1; }\n    cache[cacheKey] = wrappedText;'],
      ],
    };
    b.onLoad({ filter: /[\\/]ink[\\/]build[\\/](measure-text|wrap-text)\.js$/ }, async (args) => {
      let src = await readFile(args.path, 'utf8');
      for (const [from, to] of patches[args.path.split(/[\\/]/).pop()]) {
        if (!src.includes(from)) throw new Error(`bound-ink-caches: "${from}" not found in ${args.path}; Ink changed, review the patch`);
        src = src.replace(from, to);
      }
      return { contents: src, loader: 'js' };
    });
  },
};

/** ink's devtools.js imports react-devtools-core statically; bundled, that import runs at load even though ink only
 * uses devtools when DEV=true, so `external` crashes at start. Stub it. */
const noDevtools = {
  name: 'no-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };' }));
  },
};

/** Every `import 'string-width'` (Ink's, wrap-ansi's, ours) goes through src/terminal/fast-width.ts: measuring text
 * is the hottest code in a render, and nearly all of it is one-column text (see that file). */
const fastWidth = {
  name: 'fast-string-width',
  setup(b) {
    const shim = fileURLToPath(new URL('../src/terminal/fast-width.ts', import.meta.url));
    b.onResolve({ filter: /^string-width$/ }, (a) => (a.importer === shim ? undefined : { path: shim }));
  },
};

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/sov.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  jsx: 'automatic',
  plugins: [boundInkCaches, noDevtools, fastWidth],
  banner: { js: "#!/usr/bin/env -S node --max-semi-space-size=1\nimport { createRequire as __sovCreateRequire } from 'node:module';\nconst require = __sovCreateRequire(import.meta.url);" },
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync('dist/sov.js', 0o755);

// The per-engine log relay (src/daemon/relay.ts) runs as its own small process: a separate, tiny bundle, so it does
// not parse the cockpit's code and stays small in memory.
await build({
  entryPoints: ['src/daemon/relay-main.ts'],
  outfile: 'dist/log-relay.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
});
