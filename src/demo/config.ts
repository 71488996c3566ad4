/**
 * The demo box's config: what a newcomer's `sov --demo` acts on beyond the recorded readings — its host scripts
 * (simulated chores that touch nothing real). Parsed through the real schema, so it cannot drift from it.
 */
import { configSchema, type Config } from '../config/schema.js';
import { DEMO_SCRIPTS } from '../scripts/demo.js';

export function demoConfig(): Config {
  return configSchema.parse({ scripts: DEMO_SCRIPTS });
}
