/**
 * Blueprint × live readings → rows (PASS / WARN / FAIL / UNKNOWN, the evidence, the fix). Pure: the same blueprint
 * and readings give the same rows. GPUs, NUMA and memory here; engines and services in checks-engines.ts; ZFS in
 * checks-zfs.ts.
 *
 * PCIe is judged the way backends/nvidia judges it: GPUs drop the link when idle to save power, so a link below the
 * blueprint is a FAIL only under load; idle, it is UNKNOWN ("check again under load") unless the link cannot reach
 * the blueprint at all (its maximum is lower: a FAIL whatever the load).
 */
import type { Gpu, NvidiaData } from '../../backends/nvidia/types.js';
import { isBusy } from '../../backends/nvidia/present.js';
import type { Blueprint, PcieWant } from './blueprint.js';
import { engineRows, serviceRows } from './checks-engines.js';
import { zfsRows } from './checks-zfs.js';
import { fresh, gib, GiB, plural, row, type Group, type Readings, type Row } from './rows.js';

export * from './rows.js';

/** Every check the blueprint declares, in a fixed order: gpu, numa, memory, engines, zfs, services. */
export function runChecks(bp: Blueprint, r: Readings): Row[] {
  const groups: [Group, (bp: Blueprint, r: Readings) => Row[]][] = [
    ['gpu', gpuRows], ['numa', numaRows], ['memory', memoryRows], ['engines', engineRows], ['zfs', zfsRows], ['services', serviceRows],
  ];
  // a reading of an unexpected shape (a daemon of another version, a parser's gap) makes its group UNKNOWN, not a crash
  return groups.flatMap(([g, f]) => {
    try { return f(bp, r); } catch (e) { return [row(`${g}.error`, g, `${g} checks`, 'UNKNOWN', `could not be checked: ${(e as Error)?.message ?? String(e)}`)]; }
  });
}

const gpuName = (g: Gpu) => `GPU${g.index}`;
const linkText = (gen: number | undefined, width: number | undefined) => `Gen${gen ?? '?'} x${width ?? '?'}`;
const wantText = (w: PcieWant) => [w.gen !== undefined ? `Gen${w.gen}` : '', w.width !== undefined ? `x${w.width}` : ''].filter(Boolean).join(' ');
const load = (g: Gpu) => `util ${g.utilPct ?? '?'} %${g.pstate ? `, ${g.pstate}` : ''}`;

/** One GPU's link against the blueprint. */
export function pcieRow(g: Gpu, want: PcieWant): Row {
  const id = `gpu.${g.index}.pcie`;
  const check = `${gpuName(g)} PCIe under load ≥ ${wantText(want)}`;
  const { genCurrent: gen, genMax, widthCurrent: width, widthMax } = g.pcie;
  const needGen = want.gen !== undefined;
  const needWidth = want.width !== undefined;
  if ((needGen && gen === undefined) || (needWidth && width === undefined)) {
    return row(id, 'gpu', check, 'UNKNOWN', 'link state not reported by nvidia-smi', 'nvidia-smi -q -d PCIE');
  }
  const capGen = needGen && genMax !== undefined && genMax < want.gen!;
  const capWidth = needWidth && widthMax !== undefined && widthMax < want.width!;
  if (capGen || capWidth) {
    return row(id, 'gpu', check, 'FAIL', `the link can reach only ${linkText(genMax, widthMax)} (now ${linkText(gen, width)})`,
      'the slot or the BIOS limits it: set the slot to the right PCIe generation (not Auto), or move the card to a full-speed slot');
  }
  const meets = (!needGen || gen! >= want.gen!) && (!needWidth || width! >= want.width!);
  const busy = isBusy(g);
  const now = `${linkText(gen, width)} of ${linkText(genMax, widthMax)}`;
  if (meets) return row(id, 'gpu', check, 'PASS', `${now} ${busy ? `under load (${load(g)})` : `(idle: ${load(g)})`}`);
  if (busy) {
    return row(id, 'gpu', check, 'FAIL', `${now} under load (${load(g)}): the link trained down`,
      `reseat ${gpuName(g)}${g.busId ? ` (${g.busId})` : ''}, check the riser and the slot's PCIe setting in the BIOS; nvidia-smi -q -d PCIE`);
  }
  return row(id, 'gpu', check, 'UNKNOWN', `idle (${load(g)}): the link downshifts to save power, ${now} now`, `check again while ${gpuName(g)} serves (e.g. sov engines bench)`);
}

function gpuRows(bp: Blueprint, r: Readings): Row[] {
  const want = bp.gpus;
  if (!want) return [];
  const got = fresh(r, 'nvidia');
  if (!got.ok) {
    const out: Row[] = [];
    const unknown = (id: string, check: string) => out.push(row(id, 'gpu', check, 'UNKNOWN', got.why));
    if (want.count !== undefined) unknown('gpu.count', `${plural(want.count, 'GPU')} visible`);
    if (want.model) unknown('gpu.model', `every GPU is a ${want.model}`);
    if (want.pcie) unknown('gpu.pcie', `PCIe under load ≥ ${wantText(want.pcie)}`);
    for (const e of want.each ?? []) unknown(`gpu.${e.index}`, `GPU${e.index}${e.model ? ` is a ${e.model}` : ''}${e.pcie ? ` PCIe ≥ ${wantText(e.pcie)}` : ''}`);
    if (want.minFreeVramGiB !== undefined) unknown('gpu.vram.free', `≥ ${want.minFreeVramGiB} GiB VRAM free during inference`);
    return out;
  }
  return gpuRowsOf(want, got.data);
}

function gpuRowsOf(want: NonNullable<Blueprint['gpus']>, d: NvidiaData): Row[] {
  const out: Row[] = [];
  const names = d.gpus.map((g) => `${gpuName(g)} ${g.name}${g.fault ? ` (${g.fault})` : ''}`).join(', ');
  if (want.count !== undefined) {
    const ok = d.gpus.length === want.count;
    out.push(row('gpu.count', 'gpu', `${plural(want.count, 'GPU')} visible`, ok ? 'PASS' : 'FAIL', `${plural(d.gpus.length, 'GPU')}${names ? `: ${names}` : ''}`,
      d.gpus.length < want.count ? 'a GPU is missing: nvidia-smi -L, dmesg for Xid / "fallen off the bus", check seating and power cables' : 'more GPUs than the blueprint: update the blueprint or CUDA_VISIBLE_DEVICES'));
  }
  const each = new Map((want.each ?? []).map((e) => [e.index, e]));
  for (const e of each.values()) {
    if (!d.gpus.some((g) => g.index === e.index)) {
      out.push(row(`gpu.${e.index}.model`, 'gpu', `GPU${e.index} visible`, 'FAIL', `nvidia-smi lists ${names || 'no GPU'}`, 'nvidia-smi -L; dmesg for Xid errors; check seating and power'));
    }
  }
  for (const g of d.gpus) {
    const model = each.get(g.index)?.model ?? want.model;
    if (model) {
      const ok = g.name.toLowerCase().includes(model.toLowerCase());
      out.push(row(`gpu.${g.index}.model`, 'gpu', `${gpuName(g)} is a ${model}`, ok ? 'PASS' : 'FAIL', g.name, `${gpuName(g)} is not the card the blueprint names: check which card sits in ${g.busId ?? 'its slot'}`));
    }
    const pcie = { ...(want.pcie ?? {}), ...(each.get(g.index)?.pcie ?? {}) };
    if (pcie.gen !== undefined || pcie.width !== undefined) out.push(pcieRow(g, pcie));
  }
  if (want.minFreeVramGiB !== undefined) out.push(vramRow(want.minFreeVramGiB, d.gpus));
  return out;
}

/** Free VRAM over all GPUs, judged while they serve: idle and enough is UNKNOWN, idle and already short is a FAIL. */
export function vramRow(minGiB: number, gpus: Gpu[]): Row {
  const check = `≥ ${minGiB} GiB VRAM free during inference`;
  const id = 'gpu.vram.free';
  if (!gpus.length) return row(id, 'gpu', check, 'FAIL', 'no GPU visible', 'nvidia-smi -L');
  const unknownMem = gpus.filter((g) => g.memTotalBytes === undefined || g.memUsedBytes === undefined);
  if (unknownMem.length) return row(id, 'gpu', check, 'UNKNOWN', `memory not reported for ${unknownMem.map(gpuName).join(', ')}`);
  const free = gpus.map((g) => Math.max(0, g.memTotalBytes! - g.memUsedBytes!));
  const total = free.reduce((a, b) => a + b, 0);
  const busy = gpus.filter(isBusy);
  const per = gpus.map((g, i) => `${gpuName(g)} ${gib(free[i]!)}`).join(', ');
  const evidence = `${gib(total)} free (${per})`;
  const enough = total >= minGiB * GiB;
  const hint = 'a smaller quantisation or context, fewer parallel slots, or offload layers to RAM; nvidia-smi shows who holds VRAM';
  if (!enough) return row(id, 'gpu', check, 'FAIL', `${evidence}${busy.length ? ' under load' : ' while idle: inference only takes more'}`, hint);
  if (busy.length) return row(id, 'gpu', check, 'PASS', `${evidence} under load (${busy.map(gpuName).join(', ')} busy)`);
  return row(id, 'gpu', check, 'UNKNOWN', `${evidence} while idle: not measured during inference`, 'check again while the engines serve (e.g. sov engines bench)');
}

function numaRows(bp: Blueprint, r: Readings): Row[] {
  if (!bp.numa) return [];
  const check = `${plural(bp.numa.nodes, 'NUMA node')}`;
  const got = fresh(r, 'numa');
  if (!got.ok) return [row('numa.nodes', 'numa', check, 'UNKNOWN', got.why)];
  const nodes = got.data.nodes;
  const ev = `${plural(nodes.length, 'node')}: ${nodes.map((n) => `node${n.id} ${n.cpus.length} cpus${n.memTotalBytes !== undefined ? ` ${gib(n.memTotalBytes)}` : ''}`).join(', ')}`;
  return [row('numa.nodes', 'numa', check, nodes.length === bp.numa.nodes ? 'PASS' : 'FAIL', ev,
    'the BIOS decides the node count (sub-NUMA clustering: SNC / NPS setting); numactl --hardware')];
}

/** the kernel and firmware keep some RAM: this much of the blueprint's total passes */
export const MEM_TOLERANCE = 0.95;

function memoryRows(bp: Blueprint, r: Readings): Row[] {
  const m = bp.memory;
  if (!m) return [];
  const out: Row[] = [];
  if (m.totalGiB !== undefined) {
    const check = `≥ ${m.totalGiB} GiB RAM`;
    const got = fresh(r, 'system');
    const total = got.ok ? got.data.mem.totalBytes : undefined;
    if (!got.ok) out.push(row('memory.total', 'memory', check, 'UNKNOWN', got.why));
    else if (total === undefined) out.push(row('memory.total', 'memory', check, 'UNKNOWN', 'MemTotal not reported'));
    else {
      const ok = total >= m.totalGiB * GiB * MEM_TOLERANCE;
      out.push(row('memory.total', 'memory', check, ok ? 'PASS' : 'FAIL', `${gib(total)} seen by the kernel (${Math.round(MEM_TOLERANCE * 100)} % of ${m.totalGiB} GiB passes)`,
        'a DIMM missing or not trained: dmidecode -t memory, and the BIOS memory report'));
    }
  }
  if (m.speedMTs !== undefined) {
    out.push(row('memory.speed', 'memory', `RAM at ${m.speedMTs} MT/s`, 'UNKNOWN', 'this box cannot tell: sov does not read DIMM speed (it needs root: dmidecode -t 17)',
      `sudo dmidecode -t 17 | grep -i 'configured memory speed' (expect ${m.speedMTs} MT/s)`));
  }
  return out;
}
