/**
 * Host CPU, memory, load, disk and network figures read from /proc through a Runner (no program is spawned).
 * Rates (CPU %, bytes/s) need two readings: the source keeps the previous counters and the runner's clock.
 */
import type { Attempt, Runner, Source } from '../types.js';
import type { SystemData } from './types.js';
import {
  parseDiskstats, parseHostname, parseLoadavg, parseNetDev, parseProcMeminfo, parseProcStat, parseUptime,
  ratePerSec, utilPct, type CpuTimes,
} from './parse.js';

export const PROC_FILES = {
  stat: '/proc/stat',
  loadavg: '/proc/loadavg',
  meminfo: '/proc/meminfo',
  uptime: '/proc/uptime',
  diskstats: '/proc/diskstats',
  netdev: '/proc/net/dev',
  hostname: '/proc/sys/kernel/hostname',
} as const;

interface Previous {
  at: number;
  total?: CpuTimes;
  cores: Map<number, CpuTimes>;
  disks: Map<string, { r: number; w: number }>;
  net: Map<string, { rx: number; tx: number }>;
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

type Read = { text?: string; error?: string };

async function read(runner: Runner, path: string): Promise<Read> {
  try {
    const text = await runner.readFile(path);
    return text === undefined ? {} : { text };
  } catch (e) {
    return { error: errText(e) };
  }
}

export function createSystemSource(runner: Runner): Source<SystemData> {
  let prev: Previous | undefined;
  return {
    id: 'system',
    async sample(): Promise<Attempt<SystemData>> {
      try {
        const at = runner.now();
        const keys = Object.keys(PROC_FILES) as (keyof typeof PROC_FILES)[];
        const got = await Promise.all(keys.map((k) => read(runner, PROC_FILES[k])));
        const r = Object.fromEntries(keys.map((k, i) => [k, got[i]!])) as Record<keyof typeof PROC_FILES, Read>;

        if (r.stat.error !== undefined) return { state: 'error', message: `/proc/stat: ${r.stat.error}` };
        if (r.stat.text === undefined) {
          return { state: 'unavailable', reason: '/proc/stat missing: host figures need Linux /proc', hint: 'CPU, memory, disk and network figures are read from /proc (Linux only)' };
        }

        const warnings: string[] = [];
        const note = (k: keyof typeof PROC_FILES) => {
          const x = r[k];
          if (x.error !== undefined) warnings.push(`${PROC_FILES[k]}: ${x.error}`);
          else if (x.text === undefined && k !== 'hostname') warnings.push(`${PROC_FILES[k]} missing`);
          return x.text;
        };

        const elapsed = prev ? at - prev.at : 0;
        const stat = parseProcStat(r.stat.text);
        warnings.push(...stat.warnings);
        const totalUtil = utilPct(prev?.total, stat.total);
        const data: SystemData = {
          cpu: {
            ...(totalUtil !== undefined ? { utilPct: totalUtil } : {}),
            cores: stat.cores.map((c) => {
              const u = utilPct(prev?.cores.get(c.id), c.times);
              return u === undefined ? { id: c.id } : { id: c.id, utilPct: u };
            }),
          },
          load: undefined,
          mem: {},
          disks: [],
          net: [],
          warnings,
        };

        const host = note('hostname');
        if (host !== undefined) {
          const h = parseHostname(host);
          if (h !== undefined) data.hostname = h;
        }
        const up = note('uptime');
        if (up !== undefined) {
          const u = parseUptime(up);
          if (u.uptimeSec !== undefined) data.uptimeSec = u.uptimeSec;
          warnings.push(...u.warnings);
        }
        const la = note('loadavg');
        if (la !== undefined) {
          const l = parseLoadavg(la);
          data.load = l.load;
          warnings.push(...l.warnings);
        }
        const mi = note('meminfo');
        if (mi !== undefined) {
          const m = parseProcMeminfo(mi);
          warnings.push(...m.warnings);
          if (m.totalBytes !== undefined) data.mem.totalBytes = m.totalBytes;
          if (m.availableBytes !== undefined) data.mem.availableBytes = m.availableBytes;
          if (m.swapTotalBytes !== undefined) data.mem.swapTotalBytes = m.swapTotalBytes;
          if (m.swapUsedBytes !== undefined) data.mem.swapUsedBytes = m.swapUsedBytes;
        }

        const next: Previous = { at, cores: new Map(stat.cores.map((c) => [c.id, c.times])), disks: new Map(), net: new Map() };
        if (stat.total) next.total = stat.total;

        const ds = note('diskstats');
        if (ds !== undefined) {
          const d = parseDiskstats(ds);
          warnings.push(...d.warnings);
          for (const x of d.disks) {
            next.disks.set(x.name, { r: x.readBytes, w: x.writeBytes });
            const p = prev?.disks.get(x.name);
            const rd = ratePerSec(p?.r, x.readBytes, elapsed);
            const wr = ratePerSec(p?.w, x.writeBytes, elapsed);
            data.disks.push({ name: x.name, ...(rd !== undefined ? { readBytesPerSec: rd } : {}), ...(wr !== undefined ? { writeBytesPerSec: wr } : {}) });
          }
        }
        const nd = note('netdev');
        if (nd !== undefined) {
          const n = parseNetDev(nd);
          warnings.push(...n.warnings);
          for (const x of n.net) {
            next.net.set(x.iface, { rx: x.rxBytes, tx: x.txBytes });
            const p = prev?.net.get(x.iface);
            const rx = ratePerSec(p?.rx, x.rxBytes, elapsed);
            const tx = ratePerSec(p?.tx, x.txBytes, elapsed);
            data.net.push({ iface: x.iface, ...(rx !== undefined ? { rxBytesPerSec: rx } : {}), ...(tx !== undefined ? { txBytesPerSec: tx } : {}) });
          }
        }
        prev = next;
        return { state: 'ok', data };
      } catch (e) {
        return { state: 'error', message: `system: ${errText(e)}` };
      }
    },
    dispose() { prev = undefined; },
  };
}
