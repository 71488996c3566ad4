/** What dist/cockpit.js holds: the full-screen cockpit (see src/bundles/cli.ts for why it is a bundle of its own). */
export { runTui } from '../app/run.js';
