import { z } from 'zod';

/** `recovery:` how the box recovers (issue 8): tripcode windows, the blueprint the doctor checks, Phoenix. */
export const recoverySchema = z.object({
  /** a blueprint YAML (what the box should be): `sov doctor` checks the box against it */
  blueprint: z.string().optional(),
  /** named blueprints (profile → file): `sov doctor --profile NAME`, the tripcode RECOVERY:DIAGNOSTIC::NAME */
  blueprints: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a profile name: letters, digits, . _ -'), z.string()).optional(),
}).strict().default({});

export type RecoveryConfig = z.infer<typeof recoverySchema>;
