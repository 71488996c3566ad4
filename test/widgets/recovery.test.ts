/** The Recovery screen's panels (pure drawing): the run head and the audit lines name another host; this one's do not. */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { themeByName } from '../../themes/index.js';
import { auditLines, runLines } from '../../widgets/panels/recovery.js';

const theme = themeByName('no-color');
const text = (lines: string[]) => stripVTControlCharacters(lines.join('\n'));

describe('the Recovery screen names the host an action acted on', () => {
  it('audit entries about another host say @host; entries about this machine do not', () => {
    const recent = [
      { seq: 1, at: '2026-12-06T10:00:00.000Z', kind: 'begin', action: 'zfs.clear', host: 'omni', who: { user: 'root' } },
      { seq: 2, at: '2026-12-06T10:00:01.000Z', kind: 'begin', action: 'zfs.scrub.start', host: 'vault', who: { user: 'root' } },
      { seq: 3, at: '2026-12-06T10:00:02.000Z', kind: 'end', action: 'zfs.scrub.start', host: 'vault', outcome: 'ok' },
    ];
    const out = text(auditLines({ recent, own: 'omni', status: { lockdown: false, auditEntries: 3 } }, 100, 10, theme, 0).lines).split('\n');
    expect(out[0]).toMatch(/#1 10:00:00 begin\s+zfs\.clear\s+· root/);
    expect(out[0]).not.toMatch(/@/);
    expect(out[1]).toMatch(/#2 10:00:01 begin\s+zfs\.scrub\.start @vault/);
    expect(out[2]).toMatch(/end\s+zfs\.scrub\.start @vault ok/);
  });

  it('the run head says "on HOST" for another host', () => {
    const run = { action: 'zfs.scrub.start', title: 'Start scrub', tier: 'T1' as const, args: { pool: 'rpool' }, startedAt: 0, state: 'ok', lines: [], dropped: 0, checks: [], post: [], durationMs: 5, host: 'vault' };
    expect(text(runLines(run, 100, 5, theme, 10).lines)).toMatch(/T1 zfs\.scrub\.start pool=rpool on vault\s+OK/);
    const { host: _h, ...here } = run;
    expect(text(runLines(here, 100, 5, theme, 10).lines)).not.toMatch(/ on /);
  });
});
