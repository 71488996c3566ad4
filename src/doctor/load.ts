/**
 * Which blueprint the doctor checks, one rule for `sov doctor`, `sov do doctor.run` and the cockpit:
 * --blueprint FILE, else the profile's file in the config (`recovery.blueprints.NAME`; the profile "default" is
 * `recovery.blueprint`), else on the demo box its own, else none — said so, with how to write one.
 * A relative path in the config is relative to the config file's folder.
 */
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { loadBlueprint, NO_BLUEPRINT, parseBlueprint, WRITE_ONE, type Blueprint } from './blueprint.js';
import { DEMO_BLUEPRINT_PATH, DEMO_BLUEPRINT_YAML } from './demo-blueprint.js';

export const DEFAULT_PROFILE = 'default';

export type Chosen =
  | { ok: true; blueprint: Blueprint; path: string }
  /** none: nothing names a blueprint; invalid: the file (or the config naming it) is wrong */
  | { ok: false; kind: 'none' | 'invalid'; error: string };

export interface ChooseOptions {
  demo: boolean;
  /** --blueprint FILE */
  blueprint?: string;
  profile?: string;
  /** the loaded config, when it loaded; `configError` when it did not */
  config?: Config;
  configPath: string;
  configError?: string;
}

/** The profiles a config offers ("default" first). */
export function profiles(config: Config | undefined): string[] {
  return [DEFAULT_PROFILE, ...Object.keys(config?.recovery.blueprints ?? {}).filter((p) => p !== DEFAULT_PROFILE)];
}

export function demoBlueprint(): Chosen {
  const r = parseBlueprint(DEMO_BLUEPRINT_YAML, DEMO_BLUEPRINT_PATH);
  return r.ok ? { ok: true, blueprint: r.blueprint, path: r.path } : { ok: false, kind: 'invalid', error: r.text };
}

export async function chooseBlueprint(o: ChooseOptions): Promise<Chosen> {
  const profile = o.profile ?? DEFAULT_PROFILE;
  let path = o.blueprint;
  if (path === undefined && profile !== DEFAULT_PROFILE) {
    if (o.configError) return { ok: false, kind: 'invalid', error: `profile ${profile}: the config could not be loaded: ${o.configError}` };
    const file = o.config?.recovery.blueprints?.[profile];
    if (file === undefined) return { ok: false, kind: 'none', error: `no blueprint profile "${profile}" in ${o.configPath} (profiles: ${profiles(o.config).join(', ')}); add recovery.blueprints.${profile}: FILE` };
    path = resolve(dirname(o.configPath), file);
  }
  if (path === undefined && o.demo) return demoBlueprint();
  if (path === undefined) {
    const file = o.config?.recovery.blueprint;
    if (file !== undefined) path = resolve(dirname(o.configPath), file);
    else if (o.configError) return { ok: false, kind: 'invalid', error: `${NO_BLUEPRINT} (the config could not be loaded: ${o.configError})` };
  }
  if (path === undefined) return { ok: false, kind: 'none', error: `${NO_BLUEPRINT}\n${WRITE_ONE}` };
  const r = await loadBlueprint(path);
  return r.ok ? { ok: true, blueprint: r.blueprint, path: r.path } : { ok: false, kind: 'invalid', error: r.text };
}
