import { z } from 'zod';

/** `recovery:` how the box recovers (issue 8): tripcode windows, the blueprint the doctor checks, Phoenix. */
export const recoverySchema = z.object({
  /** a blueprint YAML (what the box should be): `sov doctor` checks the box against it */
  blueprint: z.string().optional(),
  /** named blueprints (profile → file): `sov doctor --profile NAME`, the tripcode RECOVERY:DIAGNOSTIC::NAME */
  blueprints: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a profile name: letters, digits, . _ -'), z.string()).optional(),
  /** snapshot and rollback refuse when the pool they write to has less than this much free (% of its size) */
  diskHeadroomPct: z.number().min(0).max(90).default(10),
  /** Phoenix (RECOVERY:PHOENIX): `docker compose -f FILE up -d --force-recreate` between stopping and starting the engines */
  phoenix: z.object({ compose: z.string().min(1).optional(), composeTimeoutSec: z.number().int().min(10).max(3600).default(600) }).strict().default({}),
  /** tripcodes: how long a signed payload is valid, the clock skew allowed, and per code the time between two uses */
  tripcode: z.object({
    windowSec: z.number().int().min(10).max(86_400).default(300),
    skewSec: z.number().int().min(0).max(3600).default(30),
    /** code (RECOVERY:PHOENIX) or its base (RECOVERY:REVERT_SNAPSHOT, ACTION) → seconds; defaults: LOCKDOWN/UNLOCK 0, PHOENIX 600, others 60 */
    cooldownSec: z.record(z.string().regex(/^(RECOVERY:[A-Z_]+|ACTION)(::.+)?$/, 'a tripcode code (RECOVERY:PHOENIX) or its base (ACTION)'), z.number().int().min(0).max(86_400 * 7)).default({}),
  }).strict().default({}),
}).strict().default({});

export type RecoveryConfig = z.infer<typeof recoverySchema>;
