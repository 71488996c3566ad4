import { z } from 'zod';

/** `vms:` what discovery cannot tell about a VM (issue 9): its SSH target, golden image, heartbeat, watchdog. */
export const vmSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, . _ - (no spaces)'),
}).strict();

export type VmConfig = z.infer<typeof vmSchema>;
