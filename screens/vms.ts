import { fit } from '../widgets/primitives/text.js';
import type { ScreenDef } from './types.js';

/** VMs: being built (issue 8/9); this placeholder only reserves the screen's place. */
export const vmsScreen: ScreenDef = {
  id: 'vms',
  title: 'VMs',
  sources: [],
  panels() {
    return [{ id: 'vms.main', title: 'VMs', body: (w) => ({ lines: [fit('not built yet', w)] }) }];
  },
  layout(ctx, [main], draw) { return draw(main!, ctx.cols, ctx.rows); },
};
