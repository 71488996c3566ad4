import { z } from 'zod';

/** `recovery:` how the box recovers (issue 8): tripcode windows, the blueprint the doctor checks, Phoenix. */
export const recoverySchema = z.object({
  /** a blueprint YAML (what the box should be): `sov doctor` checks the box against it */
  blueprint: z.string().optional(),
}).strict().default({});

export type RecoveryConfig = z.infer<typeof recoverySchema>;
