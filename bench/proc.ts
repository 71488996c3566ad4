// Reading a process tree's CPU time and memory from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself, in clock ticks */
  ownTicks: number;
  /** cutime + cstime: children it has already waited for */
  reapedChildTicks: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses: split after the last ')'). */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state): field n is f[n - 3]
  const num = (n: number) => Number(f[n - 3]);
  const stat = { pid, ppid: num(4), ownTicks: num(14) + num(15), reapedChildTicks: num(16) + num(17) };
  return Object.values(stat).every(Number.isFinite) ? stat : undefined;
}

/** VmRSS (or another Vm* field) in kB from /proc/<pid>/status text. */
export function parseStatusKb(text: string, field = 'VmRSS'): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Direct children of pid, from /proc/<pid>/task/<tid>/children, or by scanning /proc when that is missing. */
export function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const kids: number[] = [];
  let supported = true;
  for (const tid of tids) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text === undefined) {
      supported = false;
      break;
    }
    for (const p of text.split(/\s+/)) if (p) kids.push(Number(p));
  }
  if (supported) return kids;
  const scanned: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = parseStat(read(`/proc/${name}/stat`) ?? '');
    if (st?.ppid === pid) scanned.push(st.pid);
  }
  return scanned;
}

/** pid and all its live descendants. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...childrenOf(pid));
  }
  return out;
}

export interface TreeSample {
  /** CPU time of the tree so far, in seconds (live processes + children they reaped). */
  cpuSeconds: number;
  /** Sum of VmRSS over the tree, in bytes. */
  rssBytes: number;
  /** The root's own high-water mark (VmHWM), in bytes. */
  rootHwmBytes: number;
  pids: number;
}

let clkTck: number | undefined;
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

const ownCmdline = read('/proc/self/cmdline');

/**
 * One sample of the tree under root; undefined when root is gone, or is still the fork of this process that
 * node-pty makes before exec (its memory is ours, not the command's).
 */
export function sampleTree(root: number): TreeSample | undefined {
  const rootStatus = read(`/proc/${root}/status`);
  if (rootStatus === undefined || read(`/proc/${root}/cmdline`) === ownCmdline) return undefined;
  let ticks = 0;
  let rssKb = 0;
  const pids = processTree(root);
  for (const pid of pids) {
    const st = parseStat(read(`/proc/${pid}/stat`) ?? '');
    if (st) ticks += st.ownTicks + st.reapedChildTicks;
    rssKb += parseStatusKb(read(`/proc/${pid}/status`) ?? '') ?? 0;
  }
  return {
    cpuSeconds: ticks / clockTicksPerSecond(),
    rssBytes: rssKb * 1024,
    rootHwmBytes: (parseStatusKb(rootStatus, 'VmHWM') ?? 0) * 1024,
    pids: pids.length,
  };
}
