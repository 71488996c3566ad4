/**
 * The ZFS source: `zpool list`, `zpool status`, the dataset properties and the ARC kstats, through a Runner.
 * Detects the dialect (OpenZFS or zfs-fuse) once, and whether `zpool status -j` exists once; never throws.
 */
import type { Attempt, Runner, RunResult, Source } from '../types.js';
import {
  FUSE_LIST_COLUMNS, hitRatio, lints, OPENZFS_LIST_COLUMNS, parseArcstats, parseZfsGet, parseZfsList, parseZpoolList,
  parseZpoolStatus, parseZpoolStatusJson, type ListedPool, type StatusPool,
} from './parse.js';
import type { Arc, Dataset, Pool, ZfsData } from './types.js';

export const ZPOOL_LIST_OPENZFS = ['zpool', 'list', '-Hp', '-o', 'name,size,alloc,free,frag,cap,dedup,health'];
/** zfs-fuse's zpool has no -p and no frag column */
export const ZPOOL_LIST_FUSE = ['zpool', 'list', '-H', '-o', 'name,size,alloc,free,cap,dedup,health'];
/** OpenZFS ≥ 2.3 only; older versions answer with usage (exit 2) and are not asked again */
export const ZPOOL_STATUS_JSON = ['zpool', 'status', '-v', '-j', '--json-int'];
export const ZPOOL_STATUS = ['zpool', 'status', '-v'];
const DATASET_PROPS = ['used', 'available', 'recordsize', 'compression', 'atime', 'special_small_blocks', 'mountpoint'];
/** never snapshots on the regular refresh: -t filesystem,volume */
export const zfsGetArgv = (props: string[] = DATASET_PROPS) => ['zfs', 'get', '-Hp', '-o', 'name,property,value', props.join(','), '-t', 'filesystem,volume'];
export const ZFS_GET_OPENZFS = zfsGetArgv();
/** zfs-fuse's `zfs get` has no -t (it would list every snapshot): its `zfs list` has -t but no -p, so sizes are human */
export const ZFS_LIST_FUSE = ['zfs', 'list', '-H', '-o', 'name,used,available,recordsize,compression,atime,mountpoint', '-t', 'filesystem,volume'];
export const ARCSTATS = '/proc/spl/kstat/zfs/arcstats';

const TIMEOUT_MS = 8000;

const text = (r: RunResult) => `${r.stderr}\n${r.stdout}`;
const firstLine = (s: string) => s.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

export function isUsageError(r: RunResult): boolean {
  return r.exitCode !== 0 && !r.notFound && !r.timedOut && /invalid option|unrecognized option|bad property list|^usage:/im.test(r.stderr);
}

/** The tool or the ZFS service is not there: a stable state, not an error of this attempt. */
export function unavailableFrom(r: RunResult): { reason: string; hint?: string } | undefined {
  const cmd = r.argv[0] ?? 'zpool';
  if (r.notFound) return { reason: `${cmd} not found on PATH`, hint: 'install OpenZFS (zfsutils-linux) or zfs-fuse' };
  if (r.spawnError) return { reason: `${cmd} could not be started: ${r.spawnError}` };
  const t = text(r);
  if (/connect:|zfs-fuse daemon|zfs_socket/i.test(t)) {
    return { reason: 'the zfs-fuse daemon is not running', hint: `start it (systemctl start zfs-fuse, or zfs-fuse as root); ${cmd} said: ${firstLine(r.stderr)}` };
  }
  if (/\/dev\/zfs|modules? (are|is) not loaded|modprobe zfs/i.test(t)) {
    return { reason: 'the ZFS kernel module is not loaded', hint: `modprobe zfs as root; ${cmd} said: ${firstLine(r.stderr)}` };
  }
  if (/failed to initialize ZFS library/i.test(t)) return { reason: 'the ZFS library could not start', hint: firstLine(r.stderr) };
  if (/permission denied|not permitted/i.test(t)) return { reason: `${cmd}: permission denied`, hint: 'run as root or grant access to /dev/zfs' };
  return undefined;
}

function failure(r: RunResult): Attempt<ZfsData> {
  const u = unavailableFrom(r);
  if (u) return { state: 'unavailable', ...u };
  if (r.timedOut) return { state: 'error', message: `${r.argv.join(' ')} timed out` };
  return { state: 'error', message: `${r.argv.join(' ')} failed (exit ${r.exitCode ?? 'signal'}): ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}` };
}

function mergePool(l: ListedPool | undefined, s: StatusPool | undefined, name: string): Pool {
  const p: Pool = {
    name,
    health: s?.health ?? l?.health ?? 'UNKNOWN',
    sizeBytes: l?.sizeBytes, allocBytes: l?.allocBytes, freeBytes: l?.freeBytes,
    capacityPct: l?.capacityPct, fragmentationPct: l?.fragmentationPct, dedupRatio: l?.dedupRatio,
    scan: s?.scan ?? { kind: 'none', state: 'none' },
    vdevs: s?.vdevs ?? [],
    read: s?.root?.read, write: s?.root?.write, cksum: s?.root?.cksum,
    status: s?.status, action: s?.action, errorsText: s?.errorsText,
  };
  for (const k of Object.keys(p) as (keyof Pool)[]) if (p[k] === undefined) delete p[k];
  return p;
}

export function createZfsSource(runner: Runner): Source<ZfsData> {
  let dialect: ZfsData['dialect'] | undefined;
  let json: boolean | undefined;
  let props = DATASET_PROPS;
  let prevArc: { hits: number; misses: number } | undefined;
  const run = (argv: string[]) => runner.run(argv, { timeoutMs: TIMEOUT_MS });

  async function listPools(): Promise<RunResult> {
    if (dialect === 'zfs-fuse') return run(ZPOOL_LIST_FUSE);
    const r = await run(ZPOOL_LIST_OPENZFS);
    if (r.exitCode === 0) { dialect = 'openzfs'; return r; }
    if (isUsageError(r)) { dialect = 'zfs-fuse'; return run(ZPOOL_LIST_FUSE); }
    return r;
  }

  async function status(warnings: string[]): Promise<StatusPool[] | undefined> {
    if (dialect === 'openzfs' && json !== false) {
      const r = await run(ZPOOL_STATUS_JSON);
      if (r.exitCode === 0) {
        const parsed = parseZpoolStatusJson(r.stdout, runner.now());
        if (parsed) { json = true; warnings.push(...parsed.warnings); return parsed.pools; }
        if (json === undefined) json = false;
        warnings.push('zpool status -j: output is not the expected JSON; using the text form');
      } else if (isUsageError(r)) {
        json = false;
      }
    }
    const r = await run(ZPOOL_STATUS);
    if (r.exitCode !== 0) { warnings.push(`zpool status: ${firstLine(r.stderr) || (r.timedOut ? 'timed out' : `exit ${r.exitCode}`)}`); return undefined; }
    const parsed = parseZpoolStatus(r.stdout);
    warnings.push(...parsed.warnings);
    return parsed.pools;
  }

  async function datasets(warnings: string[]): Promise<Dataset[]> {
    if (dialect === 'zfs-fuse') {
      const r = await run(ZFS_LIST_FUSE);
      if (r.exitCode !== 0) { warnings.push(`zfs list: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`); return []; }
      const p = parseZfsList(r.stdout);
      warnings.push(...p.warnings);
      return p.datasets;
    }
    let r = await run(zfsGetArgv(props));
    if (isUsageError(r) && /special_small_blocks/.test(r.stderr) && props.includes('special_small_blocks')) {
      props = props.filter((x) => x !== 'special_small_blocks'); // OpenZFS < 0.8
      r = await run(zfsGetArgv(props));
    }
    if (r.exitCode !== 0) { warnings.push(`zfs get: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`); return []; }
    const p = parseZfsGet(r.stdout);
    warnings.push(...p.warnings);
    return p.datasets;
  }

  async function arc(warnings: string[]): Promise<Arc | undefined> {
    let raw: string | undefined;
    try { raw = await runner.readFile(ARCSTATS); } catch (e) { warnings.push(`${ARCSTATS}: ${String((e as Error)?.message ?? e)}`); return undefined; }
    if (raw === undefined) return undefined;
    const a = parseArcstats(raw);
    if (!a) return undefined;
    // the ratio since boot hides today's behaviour on a box up for months: show the ratio since the last reading
    if (a.hits !== undefined && a.misses !== undefined) {
      if (a.hitRatioPct !== undefined) a.hitRatioSinceBootPct = a.hitRatioPct;
      if (prevArc) {
        // no reads since (an idle box) or counters reset: unknown, never the since-boot figure under this name
        const r = hitRatio(a.hits - prevArc.hits, a.misses - prevArc.misses);
        if (r !== undefined) a.hitRatioPct = r;
        else delete a.hitRatioPct;
      }
      prevArc = { hits: a.hits, misses: a.misses };
    }
    return a;
  }

  async function once(): Promise<Attempt<ZfsData>> {
    const warnings: string[] = [];
    const lr = await listPools();
    const noPools = /no pools available/i.test(text(lr));
    if (lr.exitCode !== 0 && !noPools) return failure(lr);
    const listed = parseZpoolList(lr.stdout, dialect === 'zfs-fuse' ? FUSE_LIST_COLUMNS : OPENZFS_LIST_COLUMNS);
    warnings.push(...listed.warnings);
    const d = dialect ?? 'openzfs';
    let pools: Pool[] = [];
    let ds: Dataset[] = [];
    if (listed.pools.length) {
      const st = (await status(warnings)) ?? [];
      const byName = new Map(st.map((p) => [p.name, p]));
      pools = listed.pools.map((l) => mergePool(l, byName.get(l.name), l.name));
      for (const s of st) if (!listed.pools.some((l) => l.name === s.name)) pools.push(mergePool(undefined, s, s.name));
      ds = await datasets(warnings);
    }
    const a = await arc(warnings);
    const data: ZfsData = { dialect: d, pools, datasets: ds, lints: lints({ pools, datasets: ds }), warnings };
    if (a) data.arc = a;
    return { state: 'ok', data };
  }

  return {
    id: 'zfs',
    async sample() {
      try { return await once(); } catch (e) { return { state: 'error', message: `zfs: ${String((e as Error)?.message ?? e)}` }; }
    },
    dispose() {},
  };
}
