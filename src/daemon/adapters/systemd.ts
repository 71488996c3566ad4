/**
 * systemd units (with --user when `user: true`):
 *   systemctl [--user] start|stop|restart <unit>
 *   systemctl [--user] show <unit> --property=ActiveState,SubState,MainPID,ExecMainStatus,NRestarts,ExecMainStartTimestampMonotonic --no-pager
 *   journalctl [--user] -u <unit> -n <n> --no-pager -o cat
 */
import type { SystemdEngineConfig } from '../../config/schema.js';
import { check, firstLine, runCmd, splitLines, type AdapterState, type EngineAdapter } from './types.js';

const TIMEOUT_MS = 30_000;
export const SHOW_PROPERTIES = 'ActiveState,SubState,MainPID,ExecMainStatus,NRestarts,ExecMainStartTimestampMonotonic';

export function systemctlArgv(cfg: Pick<SystemdEngineConfig, 'unit' | 'user'>, op: 'start' | 'stop' | 'restart' | 'show'): string[] {
  const u = cfg.user ? ['--user'] : [];
  if (op === 'show') return [...u, 'show', cfg.unit, `--property=${SHOW_PROPERTIES}`, '--no-pager'];
  return [...u, op, cfg.unit];
}

export function journalctlArgv(cfg: Pick<SystemdEngineConfig, 'unit' | 'user'>, n: number): string[] {
  return [...(cfg.user ? ['--user'] : []), '-u', cfg.unit, '-n', String(n), '--no-pager', '-o', 'cat'];
}

/**
 * `systemctl show` KEY=VALUE lines. `nowMonoUs`/`nowMs` convert the monotonic start stamp (µs since boot, the same
 * clock as process.hrtime) to epoch ms.
 */
export function parseSystemdShow(text: string, nowMonoUs = Number(process.hrtime.bigint() / 1000n), nowMs = Date.now()): AdapterState {
  const p: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) p[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  const active = p.ActiveState ?? '';
  const sub = p.SubState ?? '';
  const running = active === 'active' || active === 'activating' || active === 'reloading' || active === 'deactivating';
  const out: AdapterState = { running, status: sub !== '' ? `${active}/${sub}` : active || 'unknown' };
  const pid = Number(p.MainPID);
  if (Number.isInteger(pid) && pid > 0) out.pid = pid;
  const st = Number(p.ExecMainStatus);
  if (!running && p.ExecMainStatus !== undefined && p.ExecMainStatus !== '' && Number.isInteger(st)) out.exitCode = st;
  const nr = Number(p.NRestarts);
  if (p.NRestarts !== undefined && p.NRestarts !== '' && Number.isInteger(nr)) out.runtimeRestarts = nr;
  const mono = Number(p.ExecMainStartTimestampMonotonic);
  if (running && Number.isFinite(mono) && mono > 0 && mono <= nowMonoUs) out.startedAt = Math.round(nowMs - (nowMonoUs - mono) / 1000);
  if (active === '') out.error = 'systemctl show: no ActiveState';
  return out;
}

export function systemdAdapter(cfg: SystemdEngineConfig, env?: NodeJS.ProcessEnv): EngineAdapter {
  const ctl = async (args: string[], timeoutMs = TIMEOUT_MS) => check('systemctl', args, await runCmd('systemctl', args, env, timeoutMs));
  return {
    async start() { await ctl(systemctlArgv(cfg, 'start')); },
    async stop(t) { await ctl(systemctlArgv(cfg, 'stop'), (t + 30) * 1000); },
    async restart(t) { await ctl(systemctlArgv(cfg, 'restart'), (t + 30) * 1000); },
    async state() {
      const args = systemctlArgv(cfg, 'show');
      let r;
      try {
        r = await runCmd('systemctl', args, env, TIMEOUT_MS);
      } catch (e) {
        return { running: false, status: 'unknown', error: e instanceof Error ? e.message : String(e) };
      }
      if (r.exitCode !== 0) return { running: false, status: 'unknown', error: `systemctl show: ${firstLine(r.stderr) || `exit ${r.exitCode}`}` };
      return parseSystemdShow(r.stdout);
    },
    async logs(n) {
      const args = journalctlArgv(cfg, n);
      const r = check('journalctl', args, await runCmd('journalctl', args, env, TIMEOUT_MS));
      return splitLines(r.stdout);
    },
  };
}
