/** Pure judgements about a GPU for the panels: PCIe link state and findings. */
import type { Finding } from '../types.js';
import type { Gpu } from './types.js';

/** Busy enough that a down-trained link matters: util ≥ 10 %, or P0/P1 with any utilisation. */
export function isBusy(g: Gpu): boolean {
  const u = g.utilPct;
  if (u === undefined) return false;
  if (u >= 10) return true;
  return u > 0 && (g.pstate === 'P0' || g.pstate === 'P1');
}

/**
 * Is the PCIe link where it should be? GPUs drop the link generation when idle to save power, so a lower
 * generation is only a problem under load (a bad riser, a slot wired for less, a BIOS setting).
 */
export function pcieStatus(g: Gpu): { level: 'ok' | 'warn' | 'info'; text: string } {
  const { genCurrent, genMax, widthCurrent, widthMax, genDeviceMax } = g.pcie;
  const genLow = genCurrent !== undefined && genMax !== undefined && genCurrent < genMax;
  const widthLow = widthCurrent !== undefined && widthMax !== undefined && widthCurrent < widthMax;
  if (genCurrent === undefined && widthCurrent === undefined) return { level: 'info', text: 'link state not reported' };
  if (genLow || widthLow) {
    if (isBusy(g)) {
      const parts: string[] = [];
      if (genLow) parts.push(`running Gen${genCurrent} on a Gen${genMax} link (x${widthCurrent ?? '?'})`);
      if (widthLow) parts.push(`${genLow ? 'and ' : 'running '}x${widthCurrent} on an x${widthMax} link`);
      return { level: 'warn', text: `${parts.join(' ')} under load: check riser/slot/BIOS` };
    }
    if (genLow && !widthLow) return { level: 'info', text: 'idle: link downshifts to save power' };
    return { level: 'info', text: `idle: link at ${genLow ? `Gen${genCurrent} ` : ''}x${widthCurrent ?? '?'} of x${widthMax ?? '?'} (check again under load)` };
  }
  if (genDeviceMax !== undefined && genMax !== undefined && genDeviceMax > genMax) {
    return { level: 'ok', text: `at max (the slot allows Gen${genMax}; the card supports Gen${genDeviceMax})` };
  }
  return { level: 'ok', text: 'at max' };
}

const THERMAL: Record<string, string> = {
  hw_slowdown: 'hardware slowdown (HW_SLOWDOWN: overheating or power supply)',
  hw_thermal_slowdown: 'hardware thermal slowdown',
  hw_power_brake_slowdown: 'power brake slowdown (external power brake asserted)',
  sw_thermal_slowdown: 'software thermal slowdown',
};

/** Findings to show beside a GPU, worst first. */
export function gpuFindings(g: Gpu): Finding[] {
  const target = `GPU${g.index}`;
  const out: Finding[] = [];
  if (g.fault) out.push({ severity: 'crit', target, message: `${g.fault}: check dmesg for Xid errors; reset or reboot` });
  const e = g.eccErrors;
  if (e?.uncorrectedVolatile !== undefined && e.uncorrectedVolatile > 0) {
    out.push({ severity: 'crit', target, message: `${e.uncorrectedVolatile} uncorrected ECC error(s) since boot` });
  }
  const rr = g.remappedRows;
  if (rr?.failure) out.push({ severity: 'crit', target, message: 'row remapping failed: the GPU should be replaced' });
  if (rr?.pending) out.push({ severity: 'warn', target, message: 'row remap pending: reset the GPU to apply it' });
  const rp = g.retiredPages;
  if (rp?.pending) out.push({ severity: 'warn', target, message: 'page retirement pending: reset the GPU to apply it' });
  if (rp?.doubleBit !== undefined && rp.doubleBit > 0) out.push({ severity: 'warn', target, message: `${rp.doubleBit} page(s) retired for double-bit errors` });
  const hot = g.throttleReasons.filter((r) => r in THERMAL);
  if (hot.length) out.push({ severity: 'warn', target, message: `clocks throttled: ${hot.map((r) => THERMAL[r]).join(', ')}` });
  const p = pcieStatus(g);
  if (p.level === 'warn') out.push({ severity: 'warn', target, message: `PCIe ${p.text}` });
  if (g.persistenceMode === false) out.push({ severity: 'warn', target, message: 'persistence mode off: enable with nvidia-smi -pm 1' });
  return out;
}
