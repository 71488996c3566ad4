// Bundles src/main.ts into dist/sov.js, with the cockpit and the headless commands in dist/cockpit.js and dist/cli.js.
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

/**
 * string-width and slice-ansi build an Intl.Segmenter when they load; the first one loads ICU's break-iterator data
 * (12 ms and a megabyte or two before the first frame). The cockpit measures nearly all its text without one
 * (src/terminal/fast-width.ts), so each is made on first use instead. A dependency that builds one some other way
 * fails the build.
 */
const lazySegmenters = {
  name: 'lazy-segmenters',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      if (!src.includes('new Intl.Segmenter')) return undefined;
      const out = src.replace(/const (\w+) = new Intl\.Segmenter\(([^;]*)\);/g,
        (_m, name, params) => `let ${name}$made;\nconst ${name} = { segment: (s) => (${name}$made ??= new Intl.Segmenter(${params})).segment(s) };`);
      if (/=\s*new Intl\.Segmenter/.test(out.replace(/\?\?= new Intl\.Segmenter/g, ''))) throw new Error(`lazy-segmenters: ${args.path} makes an Intl.Segmenter in a way the patch does not know; review it`);
      return { contents: out, loader: 'js' };
    });
  },
};

/**
 * Yoga's Emscripten loader fetches its own embedded wasm (a data: URL) whenever `fetch` exists, which loads undici,
 * web streams and http2 before the first frame (~40 ms and several MB). It has a synchronous decoder for that URL
 * (the path taken where there is no fetch): use it always.
 */
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      const from = 'function ya(){return w||"function"!=typeof fetch?';
      if (!src.includes(from)) throw new Error(`yoga-without-fetch: "${from}" not found in ${args.path}; yoga changed, review the patch`);
      return { contents: src.replace(from, 'function ya(){return true?'), loader: 'js' };
    });
  },
};

/** ink's devtools.js imports react-devtools-core statically; bundled, that import runs at load even though ink only
 * uses devtools when DEV=true, so `external` crashes at start. Stub it, and ink's devtools.js itself (its window
 * polyfill brings the `ws` package: 67 kB of source parsed at every start for a DEV-only path). */
const noDevtools = {
  name: 'no-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (a) => (/[\\/]ink[\\/]build$/.test(a.resolveDir) ? { path: 'ink-devtools', namespace: 'stub' } : undefined));
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

/**
 * Three bundles, so that each process parses only what it runs: dist/sov.js (src/main.ts: arguments, then one of the
 * two below), dist/cockpit.js (src/bundles/cockpit.ts: the full-screen cockpit: React, Ink, Yoga) and dist/cli.js
 * (src/bundles/cli.ts: the daemon, the exporter and every headless subcommand). main.ts imports the cockpit from
 * ./app/run.js and each subcommand from ./cli/NAME.js, as it does under tsx; here those imports become imports of
 * the bundle beside it, which exports the same names. A module in both bundles is two copies: they share no state.
 */
const splitEntries = {
  name: 'split-entries',
  setup(b) {
    b.onResolve({ filter: /^\.\/(app\/run|cli\/[a-z-]+)\.js$/ }, (a) => {
      if (!/[\\/]src[\\/]main\.ts$/.test(a.importer)) return undefined;
      return { path: a.path === './app/run.js' ? './cockpit.js' : './cli.js', external: true };
    });
  },
};

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Node 20 has the regex v flag; without this esbuild turns each /…/v literal into `new RegExp(…)`, compiled when the
  // module loads (string-width's \p{RGI_Emoji} alone cost ~8 ms of start-up) rather than on first use.
  supported: { 'regexp-set-notation': true },
  format: 'esm',
  jsx: 'automatic',
  plugins: [boundInkCaches, noDevtools, fastWidth, yogaWithoutFetch, lazySegmenters],
  define: { 'process.env.NODE_ENV': '"production"' },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};
const requireBanner = "import { createRequire as __sovCreateRequire } from 'node:module';\nconst require = __sovCreateRequire(import.meta.url);";

await build({
  ...shared,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/sov.js',
  plugins: [splitEntries, ...shared.plugins],
  banner: { js: `#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1\n${requireBanner}` },
});
chmodSync('dist/sov.js', 0o755);
await build({
  ...shared,
  entryPoints: { cockpit: 'src/bundles/cockpit.ts', cli: 'src/bundles/cli.ts' },
  outdir: 'dist',
  banner: { js: requireBanner },
});

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

// V8 keeps a script's source in memory for as long as it runs, as one byte a character only when every character is
// Latin-1: one arrow or dash in a comment or regex doubled the cockpit's 2 MB source to 4 MB of two-byte string.
for (const file of ['dist/sov.js', 'dist/cockpit.js', 'dist/cli.js', 'dist/log-relay.js']) {
  const text = await readFile(file, 'utf8');
  const at = text.search(/[^\x00-\x7f]/);
  if (at >= 0) throw new Error(`${file} holds a non-ASCII character near "${text.slice(Math.max(0, at - 40), at + 10)}": write it as a \\u escape (a regex literal is not escaped by esbuild)`);
}
