import type { Gpu, NvidiaData } from '../../backends/nvidia/types.js';
import { gpuFindings, pcieStatus } from '../../backends/nvidia/present.js';
import { paint, type Level, type Theme } from '../../themes/tokens.js';
import { levelFor, meter, sparkline } from '../primitives/charts.js';
import { bytes, DASH, num, pct } from '../primitives/format.js';
import { fit, padLeft, sanitize, spread, width } from '../primitives/text.js';

export interface GpuSeries { util: number[]; mem: number[]; power: number[]; temp: number[] }

const memPct = (g: Gpu) => (g.memUsedBytes !== undefined && g.memTotalBytes ? (100 * g.memUsedBytes) / g.memTotalBytes : undefined);
const tok = (l: Level) => (l === 'info' ? 'muted' : l);

export function shortName(name: string): string {
  return sanitize(name).replace(/^NVIDIA\s+/, '').replace(/GeForce\s+/, '').replace(/\s+Workstation Edition$/, ' WS');
}

function tempLevel(t: number | undefined): Level | undefined {
  return t === undefined ? undefined : t >= 90 ? 'crit' : t >= 83 ? 'warn' : 'ok';
}

function pcieText(theme: Theme, g: Gpu): string {
  const st = pcieStatus(g);
  const link = `Gen${g.pcie.genCurrent ?? '?'}x${g.pcie.widthCurrent ?? '?'}`;
  return st.level === 'ok' ? link : paint(theme, tok(st.level), `${link} ${st.level === 'warn' ? theme.glyphs.warn : theme.glyphs.info}`);
}

/** Overview: two lines per GPU (three when there is a finding and room). */
export function gpuSummaryLines(d: NvidiaData, w: number, theme: Theme): string[] {
  if (!d.gpus.length) return [paint(theme, 'muted', 'no GPUs reported')];
  const lines: string[] = [];
  const barW = Math.max(4, Math.min(20, Math.floor((w - 44) / 2)));
  for (const g of d.gpus) {
    if (g.fault) { lines.push(paint(theme, 'crit', `${theme.glyphs.crit} GPU${g.index} ${sanitize(g.fault)}`)); continue; }
    const right = [g.pstate ?? '', paint(theme, tempLevel(g.tempC) ?? 'text', num(g.tempC, `${theme.glyphs.degree}C`)),
      `${num(g.powerDrawW, '')}/${num(g.powerLimitW, 'W')}`, pcieText(theme, g)].filter(Boolean).join('  ');
    lines.push(spread(paint(theme, 'accent', `GPU${g.index} `) + shortName(g.name), right, w));
    const mp = memPct(g);
    lines.push(fit(`  util ${meter(theme, g.utilPct, barW)} ${padLeft(pct(g.utilPct), 4)}   mem ${meter(theme, mp, barW, levelFor(mp, 90, 97))} ${bytes(g.memUsedBytes)}/${bytes(g.memTotalBytes)}`, w));
    const f = gpuFindings(g).filter((x) => x.severity !== 'info');
    if (f.length) lines.push(fit('  ' + f.map((x) => paint(theme, x.severity === 'crit' ? 'crit' : 'warn', `${x.severity === 'crit' ? theme.glyphs.crit : theme.glyphs.warn} ${x.message}`)).join('  '), w));
  }
  return lines;
}

function row(theme: Theme, label: string, value: string, spark: number[] | undefined, w: number, max?: number): string {
  const left = paint(theme, 'muted', label.padEnd(7)) + value;
  const room = w - width(left) - 2;
  if (!spark || room < 8) return fit(left, w);
  return left + '  ' + paint(theme, 'accent', sparkline(spark, room, max, theme.glyphs.spark));
}

/** GPU screen: everything about one GPU, sparklines fill the spare width. */
export function gpuDetailLines(g: Gpu, series: GpuSeries | undefined, w: number, theme: Theme, filter = '', engineOf?: (pid: number) => string | undefined): string[] {
  if (g.fault) return [paint(theme, 'crit', `${theme.glyphs.crit} ${sanitize(g.fault)}`), paint(theme, 'muted', 'hint: check `dmesg` for Xid errors; the GPU may need a reset or a reboot')];
  const barW = Math.max(6, Math.min(24, Math.floor(w / 5)));
  const mp = memPct(g);
  const out: string[] = [];
  out.push(fit(paint(theme, 'muted', `${sanitize(g.uuid)}  bus ${g.busId ?? DASH}`), w));
  out.push(row(theme, 'util', `${meter(theme, g.utilPct, barW)} ${padLeft(pct(g.utilPct), 4)}`, series?.util, w, 100));
  out.push(row(theme, 'memory', `${meter(theme, mp, barW, levelFor(mp, 90, 97))} ${bytes(g.memUsedBytes)}/${bytes(g.memTotalBytes)}`, series?.mem, w, 100));
  const pp = g.powerDrawW !== undefined && g.powerLimitW ? (100 * g.powerDrawW) / g.powerLimitW : undefined;
  out.push(row(theme, 'power', `${meter(theme, pp, barW, levelFor(pp, 95, 100))} ${num(g.powerDrawW, '')}/${num(g.powerLimitW, ' W')}`, series?.power, w, g.powerLimitW));
  out.push(row(theme, 'temp', `${paint(theme, tempLevel(g.tempC) ?? 'text', num(g.tempC, `${theme.glyphs.degree}C`))}  fan ${pct(g.fanPct)}`, series?.temp, w, 100));
  out.push(fit(paint(theme, 'muted', 'clocks ') + `sm ${num(g.smClockMHz)}/${num(g.smClockMaxMHz, ' MHz')}  mem ${num(g.memClockMHz)}/${num(g.memClockMaxMHz, ' MHz')}  ${g.pstate ?? DASH}`, w));
  const st = pcieStatus(g);
  const link = `Gen${g.pcie.genCurrent ?? '?'} x${g.pcie.widthCurrent ?? '?'} now · max Gen${g.pcie.genMax ?? '?'} x${g.pcie.widthMax ?? '?'}`;
  out.push(fit(paint(theme, 'muted', 'pcie   ') + link + '  ' + paint(theme, tok(st.level), `${st.level === 'ok' ? theme.glyphs.ok : st.level === 'warn' ? theme.glyphs.warn : theme.glyphs.info} ${st.text}`), w));
  const thr = g.throttleReasons.filter((r) => r !== 'gpu_idle');
  out.push(fit(paint(theme, 'muted', 'clock  ') + (thr.length ? paint(theme, 'warn', `${theme.glyphs.warn} ${thr.join(', ')}`) : g.throttleReasons.length ? 'idle' : 'no throttling'), w));
  const e = g.eccErrors;
  const ecc = g.eccMode === undefined ? DASH : g.eccMode === 'enabled'
    ? `on · uncorrected ${num(e?.uncorrectedVolatile)} (volatile) ${num(e?.uncorrectedAggregate)} (total) · corrected ${num(e?.correctedVolatile)}`
    : 'off';
  out.push(fit(paint(theme, 'muted', 'ecc    ') + ecc, w));
  const pages: string[] = [];
  if (g.retiredPages) pages.push(`retired sbe ${num(g.retiredPages.singleBit)} dbe ${num(g.retiredPages.doubleBit)}${g.retiredPages.pending ? ' pending' : ''}`);
  if (g.remappedRows) pages.push(`remapped ${num(g.remappedRows.correctable)}/${num(g.remappedRows.uncorrectable)}${g.remappedRows.pending ? ' pending' : ''}${g.remappedRows.failure ? ' FAILED' : ''}`);
  if (pages.length) out.push(fit(paint(theme, 'muted', 'pages  ') + pages.join(' · '), w));
  const pm = g.persistenceMode === undefined ? DASH : g.persistenceMode ? 'on' : paint(theme, 'warn', `${theme.glyphs.warn} off (driver reloads on every use; enable with nvidia-smi -pm 1)`);
  out.push(fit(paint(theme, 'muted', 'mode   ') + `persistence ${pm} · MIG ${g.migMode ?? DASH}${g.migDevices?.length ? ` (${g.migDevices.length} instances)` : ''}`, w));
  for (const f of gpuFindings(g)) {
    if (f.message.toLowerCase().includes('persistence') || f.message.toLowerCase().includes('pcie')) continue;
    out.push(fit(paint(theme, f.severity === 'crit' ? 'crit' : f.severity === 'warn' ? 'warn' : 'muted', `${f.severity === 'info' ? theme.glyphs.info : theme.glyphs.warn} ${f.message}`), w));
  }
  const procs = g.processes.filter((p) => !filter || `${p.pid} ${p.name} ${engineOf?.(p.pid) ?? ''}`.toLowerCase().includes(filter.toLowerCase()));
  out.push(paint(theme, 'title', fit(`processes (${procs.length}${filter ? ` matching "${filter}"` : ''})`, w)));
  if (!procs.length) out.push(paint(theme, 'muted', '  none'));
  // the engine behind each GPU process (joined in a selector from the daemon's engine process trees)
  const engW = engineOf ? Math.min(14, Math.max(6, Math.floor((w - 22) / 3))) : 0;
  const nameW = Math.max(8, w - 22 - (engW ? engW + 1 : 0));
  const engHead = engW ? `${'ENGINE'.padEnd(engW)} ` : '';
  out.push(paint(theme, 'muted', fit(`  ${'PID'.padStart(7)}  ${engHead}${'NAME'.padEnd(nameW)} ${'MEMORY'.padStart(9)}`, w)));
  for (const p of procs) {
    const eng = engW ? (engineOf?.(p.pid) ? paint(theme, 'accent', fit(sanitize(engineOf(p.pid)!), engW)) : paint(theme, 'muted', fit(DASH, engW))) + ' ' : '';
    out.push(fit(`  ${String(p.pid).padStart(7)}  ${eng}${fit(sanitize(p.name) || '(no name)', nameW)} ${padLeft(bytes(p.usedMemBytes), 9)}`, w));
  }
  return out;
}
