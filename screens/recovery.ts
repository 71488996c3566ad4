/**
 * Screen 8: recovery. The actions above the engines screen's own (ZFS, GPU, stack, VMs, lockdown, host scripts,
 * diagnostics) by tier; the running or last action's live output, outcome and postconditions; the audit log's
 * newest entries and the lockdown state. enter runs the highlighted action through its tier's confirmation;
 * p pastes a tripcode.
 */
import { actionRowsLines, auditLines, runLines, type ActionRow, type AuthorityView, type RunView } from '../widgets/panels/recovery.js';
import { hjoin, split } from '../widgets/primitives/panel.js';
import type { PanelSpec, ScreenDef } from './types.js';

export interface RecoveryCtx {
  actions: ActionRow[];
  index: number;
  run?: RunView;
  authority: AuthorityView;
  readOnly: boolean;
}

const EMPTY: RecoveryCtx = { actions: [], index: 0, authority: { recent: [] }, readOnly: false };

export const recoveryScreen: ScreenDef = {
  id: 'recovery',
  title: 'Recovery',
  sources: ['zfs', 'nvidia', 'engines'],
  panels(ctx) {
    const rc = ctx.recovery ?? EMPTY;
    const note = rc.readOnly ? 'read-only: only T0 actions run here' : rc.authority.status?.lockdown ? 'LOCKDOWN: only T0 actions run until RECOVERY:UNLOCK (p pastes it)' : undefined;
    const panels: PanelSpec[] = [
      { id: 'rec.actions', title: 'Actions', body: (w, h) => ({ lines: actionRowsLines(rc.actions, rc.index, w, h, ctx.theme, note), badge: `${rc.actions.length} · enter runs · p tripcode` }) },
      { id: 'rec.run', title: rc.run ? `Run ${rc.run.title}` : 'Run', body: (w, h) => runLines(rc.run, w, h, ctx.theme, ctx.now) },
      { id: 'rec.audit', title: 'Audit log', body: (w, h) => auditLines(rc.authority, w, h, ctx.theme, ctx.now) },
    ];
    return panels;
  },
  layout(ctx, [actions, run, audit], draw) {
    if (ctx.cols >= 110) {
      const [lw, rw] = split(ctx.cols, [45, 55]);
      const runH = Math.max(6, Math.floor(ctx.rows * 0.55));
      return hjoin([draw(actions!, lw!, ctx.rows), [...draw(run!, rw!, runH), ...draw(audit!, rw!, ctx.rows - runH)]]);
    }
    const actH = Math.max(5, Math.floor(ctx.rows * 0.4));
    const runH = Math.max(4, Math.floor((ctx.rows - actH) * 0.5));
    return [...draw(actions!, ctx.cols, actH), ...draw(run!, ctx.cols, runH), ...draw(audit!, ctx.cols, ctx.rows - actH - runH)];
  },
};
