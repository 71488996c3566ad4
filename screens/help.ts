import { KEYMAP, scopeLabel } from '../src/keys/keymap.js';
import { glyphLegend } from '../themes/glyphs.js';
import { paint } from '../themes/tokens.js';
import { fit } from '../widgets/primitives/text.js';
import type { ScreenDef } from './types.js';

export const helpScreen: ScreenDef = {
  id: 'help',
  title: 'Help',
  sources: [],
  panels(ctx) {
    return [{
      id: 'help.keys', title: 'Keys',
      body: (w) => ({
        lines: [
          ...KEYMAP.map((b) => fit(paint(ctx.theme, 'key', b.keys.join(' ').padEnd(16)) + paint(ctx.theme, 'title', b.title.padEnd(16)) + (scopeLabel(b) ? paint(ctx.theme, 'muted', `[${scopeLabel(b)}] `) : '') + b.description, w)),
          '',
          paint(ctx.theme, 'muted', fit(glyphLegend(ctx.theme.glyphs), w)),
          paint(ctx.theme, 'muted', fit('Headless: sov status [--json] [--require nvidia,zfs] [--demo]. Docs: docs/keys.md.', w)),
        ],
      }),
    }];
  },
  layout(ctx, [keys], draw) { return draw(keys!, ctx.cols, ctx.rows); },
};
