import { fit } from '../widgets/primitives/text.js';
import type { ScreenDef } from './types.js';

/** Recovery: being built (issue 8/9); this placeholder only reserves the screen's place. */
export const recoveryScreen: ScreenDef = {
  id: 'recovery',
  title: 'Recovery',
  sources: [],
  panels() {
    return [{ id: 'recovery.main', title: 'Recovery', body: (w) => ({ lines: [fit('not built yet', w)] }) }];
  },
  layout(ctx, [main], draw) { return draw(main!, ctx.cols, ctx.rows); },
};
