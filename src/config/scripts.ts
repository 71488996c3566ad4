import { z } from 'zod';

/**
 * `scripts:` host scripts (issue 8): declared chores run from the palette, the Recovery screen and
 * `sov do script.NAME --arg k=v`. argv only (no shell unless the argv says `sh -c`).
 */
export const scriptSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, . _ - (no spaces)'),
  argv: z.array(z.string()).min(1),
}).strict();

export type ScriptConfig = z.infer<typeof scriptSchema>;
