import type { Runner } from '../../backends/types.js';

/**
 * A runner on which these programs are not installed: run() answers `notFound`, stream() exits `notFound`, as the
 * local runner does for ENOENT (the demo fleet's boxes lack some tools; their panels say so).
 */
export function withMissing(base: Runner, missing: string[]): Runner {
  if (!missing.length) return base;
  const gone = new Set(missing);
  const isGone = (argv: string[]) => gone.has((argv[0] ?? '').split('/').pop() ?? '');
  return {
    host: base.host,
    async run(argv, o) {
      if (!isGone(argv)) return base.run(argv, o);
      return { argv, exitCode: null, stdout: '', stderr: '', timedOut: false, notFound: true };
    },
    stream(argv, o) {
      if (!isGone(argv)) return base.stream(argv, o);
      const t = setTimeout(() => o.onExit({ exitCode: null, stderr: '', notFound: true }), 0);
      return { stop: () => clearTimeout(t) };
    },
    readFile: (p) => base.readFile(p),
    listDir: (p) => base.listDir(p),
    now: () => base.now(),
  };
}
