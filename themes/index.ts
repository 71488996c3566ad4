import { GLYPH_SETS, unicodeGlyphs, type GlyphSetName } from './glyphs.js';
import type { Theme } from './tokens.js';

export const dark: Theme = {
  name: 'dark',
  styles: {
    text: {}, muted: { fg: 245 }, title: { bold: true, fg: 81 }, accent: { fg: 117 }, key: { bold: true, fg: 222 },
    ok: { fg: 114 }, warn: { fg: 220, bold: true }, crit: { fg: 203, bold: true }, info: { fg: 111 },
    border: { fg: 240 }, borderFocus: { fg: 81, bold: true }, barEmpty: { fg: 238 }, selected: { inverse: true }, stale: { dim: true },
  },
  glyphs: unicodeGlyphs,
};

export const light: Theme = {
  name: 'light',
  styles: {
    text: {}, muted: { fg: 242 }, title: { bold: true, fg: 25 }, accent: { fg: 31 }, key: { bold: true, fg: 130 },
    ok: { fg: 28 }, warn: { fg: 130, bold: true }, crit: { fg: 160, bold: true }, info: { fg: 25 },
    border: { fg: 248 }, borderFocus: { fg: 25, bold: true }, barEmpty: { fg: 252 }, selected: { inverse: true }, stale: { dim: true },
  },
  glyphs: unicodeGlyphs,
};

export const highContrast: Theme = {
  name: 'high-contrast',
  styles: {
    text: { fg: 15 }, muted: { fg: 250 }, title: { bold: true, fg: 15, underline: true }, accent: { fg: 51, bold: true }, key: { bold: true, fg: 226 },
    ok: { fg: 46, bold: true }, warn: { fg: 226, bold: true }, crit: { fg: 196, bold: true, inverse: true }, info: { fg: 51 },
    border: { fg: 15 }, borderFocus: { fg: 226, bold: true }, barEmpty: { fg: 244 }, selected: { inverse: true, bold: true }, stale: { dim: true },
  },
  glyphs: unicodeGlyphs,
};

/** NO_COLOR: no colours at all; emphasis only where it carries meaning (focus, selection). */
export const noColor: Theme = {
  name: 'no-color',
  styles: {
    text: {}, muted: {}, title: { bold: true }, accent: {}, key: { bold: true },
    ok: {}, warn: { bold: true }, crit: { bold: true }, info: {},
    border: {}, borderFocus: { bold: true }, barEmpty: {}, selected: { inverse: true }, stale: { dim: true },
  },
  glyphs: unicodeGlyphs,
};

/**
 * The Linux console's 16 colours (SGR 30–37, 90–97 only), as btop's tty mode: chosen with the console glyphs
 * (TERM=linux, --ascii) unless --theme names another.
 */
export const tty: Theme = {
  name: 'tty',
  styles: {
    text: {}, muted: { ansi: 90 }, title: { bold: true, ansi: 96 }, accent: { ansi: 36 }, key: { bold: true, ansi: 93 },
    ok: { ansi: 32 }, warn: { ansi: 33, bold: true }, crit: { ansi: 91, bold: true }, info: { ansi: 96 },
    border: { ansi: 90 }, borderFocus: { ansi: 96, bold: true }, barEmpty: { ansi: 90 }, selected: { inverse: true }, stale: { dim: true },
  },
  glyphs: unicodeGlyphs,
};

export const THEMES = [dark, light, highContrast, noColor, tty] as const;

// one object per (colours, glyphs): paint caches its SGR per style object, so the styles are shared, never copied
const withGlyphs = new Map<string, Theme>();

/** The theme by name (dark when unknown), drawn with the named glyph set (unicode when not said). */
export function themeByName(name: string, glyphs: GlyphSetName = 'unicode'): Theme {
  const t = THEMES.find((x) => x.name === name) ?? dark;
  if (glyphs === 'unicode') return t;
  const key = `${t.name}/${glyphs}`;
  let v = withGlyphs.get(key);
  if (!v) withGlyphs.set(key, (v = { ...t, glyphs: GLYPH_SETS[glyphs] }));
  return v;
}

export function nextTheme(t: Theme): Theme {
  const i = THEMES.findIndex((x) => x.name === t.name);
  return THEMES[(i + 1) % THEMES.length]!;
}
