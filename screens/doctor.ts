import { fit } from '../widgets/primitives/text.js';
import type { ScreenDef } from './types.js';

/** Doctor: being built (issue 8/9); this placeholder only reserves the screen's place. */
export const doctorScreen: ScreenDef = {
  id: 'doctor',
  title: 'Doctor',
  sources: [],
  panels() {
    return [{ id: 'doctor.main', title: 'Doctor', body: (w) => ({ lines: [fit('not built yet', w)] }) }];
  },
  layout(ctx, [main], draw) { return draw(main!, ctx.cols, ctx.rows); },
};
