/** `--arg k=v …` as `sov do` and `sov tripcode` take them: each key once, a name then `=`; never throws. */
import { clean } from './engines.js';

/** the arguments, or what is wrong with them (one line, outside text cleaned) */
export function parseKv(raw: readonly string[] | undefined): Record<string, string> | string {
  const args: Record<string, string> = {};
  for (const a of raw ?? []) {
    const m = /^([A-Za-z][\w-]*)=(.*)$/s.exec(a);
    if (!m) return `--arg wants k=v, got "${clean(a)}"`;
    const [, k, v] = m as unknown as [string, string, string];
    if (Object.hasOwn(args, k)) return `--arg ${k} given twice`;
    args[k] = v;
  }
  return args;
}
