import { KEYMAP, scopeLabel } from '../src/keys/keymap.js';
import { glyphLegend } from '../themes/glyphs.js';
import { paint } from '../themes/tokens.js';
import { fit } from '../widgets/primitives/text.js';
import type { ScreenDef } from './types.js';

/** a column 16 wide; a longer entry keeps a space before the next */
const column = (text: string) => (text.length < 16 ? text.padEnd(16) : `${text} `);

export const helpScreen: ScreenDef = {
  id: 'help',
  title: 'Help',
  sources: [],
  panels(ctx) {
    return [{
      id: 'help.keys', title: 'Keys',
      body: (w) => ({
        lines: [
          ...KEYMAP.map((b) => fit(paint(ctx.theme, 'key', column(b.keys.join(' '))) + paint(ctx.theme, 'title', column(b.title)) + (scopeLabel(b) ? paint(ctx.theme, 'muted', `[${scopeLabel(b)}] `) : '') + b.description, w)),
          '',
          paint(ctx.theme, 'muted', fit(glyphLegend(ctx.theme.glyphs), w)),
          paint(ctx.theme, 'muted', fit('Headless: sov status [--json] [--require nvidia,zfs] [--demo]. Docs: docs/keys.md.', w)),
        ],
      }),
    }];
  },
  layout(ctx, [keys], draw) { return draw(keys!, ctx.cols, ctx.rows); },
};
