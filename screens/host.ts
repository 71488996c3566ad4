import { sampleBody } from '../widgets/primitives/sample.js';
import { frame } from '../widgets/primitives/panel.js';
import { paint } from '../themes/tokens.js';
import { sanitize } from '../widgets/primitives/text.js';
import type { Sample } from '../backends/types.js';
import type { DrawPanel, PanelBody, PanelSpec, ScreenCtx, ScreenDef } from './types.js';

/** A panel body from a sample: pending / unavailable / error / stale handled once, `draw` sees good data only. */
export function fromSample<T>(ctx: ScreenCtx, s: Sample<T>, draw: (data: T, innerW: number, innerH: number) => string[], badge?: (data: T) => string | undefined) {
  // layouts measure some panels (at h = 99) before drawing them: a body is built once per frame and width, and per
  // height too only when `draw` takes the height (declares a third parameter)
  const usesH = draw.length >= 3;
  let last: { w: number; h: number; body: PanelBody } | undefined;
  return (w: number, h: number): PanelBody => {
    if (last && last.w === w && (!usesH || last.h === h)) return last.body;
    const b = sampleBody(s, ctx.now, ctx.theme, ctx.staleMs, (d) => draw(d, w, h));
    const data = s.state === 'ok' ? s.data : undefined;
    const body = { lines: b.lines, badge: b.badge ?? (data !== undefined && badge ? badge(data) : undefined) };
    last = { w, h, body };
    return body;
  };
}

/** Draws one panel; a panel that throws shows its error and the rest of the cockpit keeps working. */
export function drawer(ctx: ScreenCtx): DrawPanel {
  return (spec: PanelSpec, w: number, h: number) => {
    const focused = spec.id === ctx.focusId;
    if (focused && ctx.drawn) ctx.drawn.focusInnerH = Math.max(1, h - 2);
    let body: PanelBody;
    try {
      body = spec.body(Math.max(1, w - 2), Math.max(0, h - 2));
    } catch (e) {
      body = { lines: [paint(ctx.theme, 'crit', `${ctx.theme.glyphs.crit} this panel failed to draw: ${sanitize(String((e as Error)?.message ?? e))}`), paint(ctx.theme, 'muted', 'the other panels are unaffected; please report this')], badge: paint(ctx.theme, 'crit', 'panel error') };
    }
    return frame({ title: spec.title, lines: body.lines, badge: body.badge, width: w, height: h, theme: ctx.theme, focused, scroll: ctx.scroll[spec.id] ?? 0 });
  };
}

/** The screen's lines: the zoomed panel full size, or the screen's own layout. */
export function renderScreen(def: ScreenDef, ctx: ScreenCtx, panels: PanelSpec[], zoomed?: string): string[] {
  const draw = drawer(ctx);
  const z = zoomed ? panels.find((p) => p.id === zoomed) : undefined;
  return (z ? draw(z, ctx.cols, ctx.rows) : def.layout(ctx, panels, draw)).slice(0, ctx.rows);
}
