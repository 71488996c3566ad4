import { omniDemo } from '../demo/omni/index.js';
import type { Runner } from '../../backends/types.js';
import { createDemoRunner } from '../runner/demo.js';
import { createLocalRunner } from '../runner/local.js';

/** The box to look at: this machine, or the embedded demo box. (SSH hosts come later, keyed the same way.) */
export function runnerFor(o: { demo: boolean; demoSpeed: number }): Runner {
  return o.demo ? createDemoRunner(omniDemo, { speed: o.demoSpeed }) : createLocalRunner();
}
