// Bundles bench/sample-app.tsx into .bench/sample-app.mjs (production React, like dist/sov.js).
import { build } from 'esbuild';

await build({
  entryPoints: ['bench/sample-app.tsx'],
  outfile: '.bench/sample-app.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  jsx: 'automatic',
  // ink's devtools.js imports react-devtools-core statically; bundled, that import is hoisted and runs at load even
  // though ink only loads devtools when DEV=true. `external` therefore crashes at start: stub it instead.
  plugins: [
    {
      name: 'no-devtools',
      setup(b) {
        b.onResolve({ filter: /^react-devtools-core$/ }, (a) => ({ path: a.path, namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };' }));
      },
    },
  ],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
