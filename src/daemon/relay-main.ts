/** Entry point of the log relay process (src/daemon/relay.ts); bundled as dist/log-relay.js. */
import { runRelay } from './relay.js';

runRelay(process.argv.slice(2));
