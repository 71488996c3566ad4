import { describe, expect, it } from 'vitest';
import {
  FUSE_LIST_COLUMNS, lints, parseArcstats, parsePoolStateFile, parseScan, parseZfsGet, parseZfsList, parseZpoolList, parseZpoolStatus,
  parseZpoolStatusJson,
} from '../../../backends/zfs/parse.js';
import { zfsDemo } from '../../../src/demo/omni/zfs.js';
import { fillTemplate } from '../../../src/runner/demo.js';
import { mutations, readSample, sampleFiles } from '../../helpers/samples.js';

const N = 300;

/** Every parser over one input: none may throw, and each returns its documented shape. */
function all(text: string): void {
  const st = parseZpoolStatus(text);
  expect(Array.isArray(st.pools)).toBe(true);
  const l1 = parseZpoolList(text);
  const l2 = parseZpoolList(text, FUSE_LIST_COLUMNS);
  const g = parseZfsGet(text);
  const zl = parseZfsList(text);
  parseArcstats(text);
  parsePoolStateFile(text);
  parseScan(text);
  const j = parseZpoolStatusJson(text, 1_800_000_000_000);
  const pools = [...st.pools, ...(j?.pools ?? [])].map((p) => ({ ...p }));
  for (const p of l1.pools) pools.push({ name: p.name, health: p.health ?? 'UNKNOWN', scan: { kind: 'none', state: 'none' }, vdevs: [] });
  const found = lints({ pools, datasets: [...g.datasets, ...zl.datasets] });
  expect(Array.isArray(found)).toBe(true);
  expect(Array.isArray(l2.pools)).toBe(true);
  for (const p of st.pools) for (const v of p.vdevs) expect(typeof v.name).toBe('string');
}

const inputs: [string, string][] = [
  ...sampleFiles('zfs').map((f) => [f, readSample(f)] as [string, string]),
  ...zfsDemo.commands.map((c) => [`demo: ${c.argv.join(' ')}`, fillTemplate(c.stdout, zfsDemo.vars(123))] as [string, string]),
  ...zfsDemo.files.map((f) => [`demo: ${f.path}`, fillTemplate(f.content, zfsDemo.vars(123))] as [string, string]),
  ['json', JSON.stringify({ pools: { t: { name: 't', state: 'ONLINE', vdevs: { t: { name: 't', vdevs: { 'mirror-0': { name: 'mirror-0', vdev_type: 'mirror', vdevs: { a: { name: 'a' } } } } } }, scan_stats: { function: 'SCRUB', state: 'SCANNING', to_examine: 10, issued: 5, pass_start: 1, issued_bytes_per_scan: 5 } } } })],
];

describe('zfs parsers never throw', () => {
  it.each(inputs)('%s × mutations', (_name, text) => {
    all(text);
    let n = 0;
    for (const m of mutations(text, N, text.length)) { all(m); n++; }
    expect(n).toBe(N);
  });
  it('odd inputs', () => {
    for (const t of ['', '\n\n', '\u0000', 'pool:', '  pool: \n state:\nconfig:\n\tNAME\n\t\t\t', '{"pools":[1,2]}', '{"pools":{"x":null}}', 'null', '9'.repeat(400)]) all(t);
  });
});
