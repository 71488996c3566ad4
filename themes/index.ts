import type { Theme } from './tokens.js';

export const dark: Theme = {
  name: 'dark',
  styles: {
    text: {}, muted: { fg: 245 }, title: { bold: true, fg: 81 }, accent: { fg: 117 }, key: { bold: true, fg: 222 },
    ok: { fg: 114 }, warn: { fg: 220, bold: true }, crit: { fg: 203, bold: true }, info: { fg: 111 },
    border: { fg: 240 }, borderFocus: { fg: 81, bold: true }, barEmpty: { fg: 238 }, selected: { inverse: true }, stale: { dim: true },
  },
};

export const light: Theme = {
  name: 'light',
  styles: {
    text: {}, muted: { fg: 242 }, title: { bold: true, fg: 25 }, accent: { fg: 31 }, key: { bold: true, fg: 130 },
    ok: { fg: 28 }, warn: { fg: 130, bold: true }, crit: { fg: 160, bold: true }, info: { fg: 25 },
    border: { fg: 248 }, borderFocus: { fg: 25, bold: true }, barEmpty: { fg: 252 }, selected: { inverse: true }, stale: { dim: true },
  },
};

export const highContrast: Theme = {
  name: 'high-contrast',
  styles: {
    text: { fg: 15 }, muted: { fg: 250 }, title: { bold: true, fg: 15, underline: true }, accent: { fg: 51, bold: true }, key: { bold: true, fg: 226 },
    ok: { fg: 46, bold: true }, warn: { fg: 226, bold: true }, crit: { fg: 196, bold: true, inverse: true }, info: { fg: 51 },
    border: { fg: 15 }, borderFocus: { fg: 226, bold: true }, barEmpty: { fg: 244 }, selected: { inverse: true, bold: true }, stale: { dim: true },
  },
};

/** NO_COLOR: no colours at all; emphasis only where it carries meaning (focus, selection). */
export const noColor: Theme = {
  name: 'no-color',
  styles: {
    text: {}, muted: {}, title: { bold: true }, accent: {}, key: { bold: true },
    ok: {}, warn: { bold: true }, crit: { bold: true }, info: {},
    border: {}, borderFocus: { bold: true }, barEmpty: {}, selected: { inverse: true }, stale: { dim: true },
  },
};

export const THEMES = [dark, light, highContrast, noColor] as const;

export function themeByName(name: string): Theme {
  return THEMES.find((t) => t.name === name) ?? dark;
}

export function nextTheme(t: Theme): Theme {
  const i = THEMES.findIndex((x) => x.name === t.name);
  return THEMES[(i + 1) % THEMES.length]!;
}
