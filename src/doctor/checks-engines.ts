/**
 * Engines (from the daemon's engines.list: /v1/models, tok/s, listening sockets) and services (the config's probes)
 * against the blueprint. Pure. The daemon down, or never asked, makes every engine check UNKNOWN with why.
 */
import type { ServiceStatus } from '../../backends/services/types.js';
import type { EngineStatus } from '../daemon/types.js';
import type { BenchResult } from '../engines/bench.js';
import { age } from '../../widgets/primitives/format.js';
import type { Blueprint, BlueprintEngine } from './blueprint.js';
import { fresh, row, type Readings, type Row } from './rows.js';

const SERVING = new Set(['healthy', 'degraded']);
const DOWN = new Set(['stopped', 'crashed', 'backoff', 'crashloop']);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

/** The checks one blueprint entry asks for, named, so an unknown source still yields one row each. */
function wanted(e: BlueprintEngine, name: string): { id: string; check: string }[] {
  const out = (e.models ?? []).map((m) => ({ id: `engine.${name}.model.${m}`, check: `${name} lists ${m} on /v1/models` }));
  if (e.minTokPerSec !== undefined) out.push({ id: `engine.${name}.toks`, check: `${name} ≥ ${e.minTokPerSec} tok/s` });
  if (e.loopbackOnly) out.push({ id: `engine.${name}.bind`, check: `${name} binds loopback only` });
  return out;
}

export function engineRows(bp: Blueprint, r: Readings): Row[] {
  if (!bp.engines?.length) return [];
  const got = fresh(r, 'engines');
  const out: Row[] = [];
  for (const want of bp.engines) {
    if (!got.ok) {
      for (const w of wanted(want, want.name === '*' ? 'every engine' : want.name)) out.push(row(w.id, 'engines', w.check, 'UNKNOWN', got.why));
      continue;
    }
    const list = got.data.engines;
    const targets = want.name === '*' ? list : list.filter((e) => e.name === want.name);
    if (want.name === '*' && !list.length) {
      out.push(row('engine.*', 'engines', 'every engine as the blueprint says', 'UNKNOWN', 'the daemon runs no engines: nothing to check (APIs started outside sov are not seen)'));
      continue;
    }
    if (!targets.length) {
      out.push(row(`engine.${want.name}`, 'engines', `engine ${want.name} configured`, 'FAIL', `the daemon runs ${list.map((e) => e.name).join(', ') || 'no engines'}`, `declare ${want.name} under engines: in the config, then sov daemon reload`));
      continue;
    }
    for (const e of targets) out.push(...oneEngine(want, e, r));
  }
  return out;
}

function oneEngine(want: BlueprintEngine, e: EngineStatus, r: Readings): Row[] {
  const out: Row[] = [];
  for (const m of want.models ?? []) out.push(modelRow(e, m));
  if (want.minTokPerSec !== undefined) out.push(tokRow(e, want.minTokPerSec, want.models ?? [], r));
  if (want.loopbackOnly) out.push(bindRow(e));
  return out;
}

const stateText = (e: EngineStatus) => `${e.name} is ${e.state}${e.message ? ` (${e.message})` : ''}`;
const matches = (id: string, m: string) => id.toLowerCase().includes(m.toLowerCase());

export function modelRow(e: EngineStatus, m: string): Row {
  const id = `engine.${e.name}.model.${m}`;
  const check = `${e.name} lists ${m} on /v1/models`;
  if (DOWN.has(e.state)) return row(id, 'engines', check, 'FAIL', `${stateText(e)}: nothing answers /v1/models`, `sov engines start ${e.name} (sov engines logs ${e.name} says why it stopped)`);
  if (!SERVING.has(e.state)) return row(id, 'engines', check, 'UNKNOWN', `${stateText(e)}: the model is still loading`, 'check again once it is healthy');
  if (!e.models) return row(id, 'engines', check, 'UNKNOWN', `${e.name} is ${e.state} but /v1/models has not been read`);
  const hit = e.models.find((x) => matches(x, m));
  if (hit !== undefined) return row(id, 'engines', check, 'PASS', `listed: ${hit}`);
  return row(id, 'engines', check, 'FAIL', `/v1/models lists ${e.models.join(', ') || 'nothing'}`, `load ${m}: the model path in ${e.name}'s argv in the config, then sov engines restart ${e.name}`);
}

/** The newest benchmark of this engine (of a model the blueprint names, when it names any). */
function newestBench(bench: BenchResult[], engine: string, models: string[]): BenchResult | undefined {
  let best: BenchResult | undefined;
  for (const b of bench) {
    if (b.engine !== engine || b.genTokPerSec === undefined || b.ok === 0) continue;
    if (models.length && !models.some((m) => matches(b.model, m))) continue;
    if (!best || b.at > best.at) best = b;
  }
  return best;
}

export function tokRow(e: EngineStatus, min: number, models: string[], r: Readings): Row {
  const id = `engine.${e.name}.toks`;
  const check = `${e.name} ≥ ${min} tok/s`;
  const hint = `a smaller quantisation, more layers on the GPU, numactl binding to the GPU's node; sov engines bench ${e.name}`;
  const b = newestBench(r.bench ?? [], e.name, models);
  if (b) {
    const v = b.genTokPerSec!;
    return row(id, 'engines', check, v >= min ? 'PASS' : 'FAIL', `${v.toFixed(1)} tok/s: benchmark ${age(r.now - b.at)} ago (${b.model}, ${b.ok}/${b.prompts} prompts)`, hint);
  }
  if (e.tokPerSec !== undefined && e.tokPerSec > 0 && SERVING.has(e.state)) {
    return row(id, 'engines', check, e.tokPerSec >= min ? 'PASS' : 'FAIL', `${e.tokPerSec.toFixed(1)} tok/s live (/metrics, while generating)`, hint);
  }
  return row(id, 'engines', check, 'UNKNOWN', `no benchmark of ${e.name}${models.length ? ` (${models.join(', ')})` : ''} and not generating now (${e.state})`, `sov engines bench ${e.name}`);
}

export function bindRow(e: EngineStatus): Row {
  const id = `engine.${e.name}.bind`;
  const check = `${e.name} binds loopback only`;
  const hint = `bind it to 127.0.0.1 (llama-server/vLLM: --host 127.0.0.1; ollama: OLLAMA_HOST=127.0.0.1) and reach it over SSH or Tailscale`;
  const open = (e.listen ?? []).filter((l) => !l.loopback);
  const at = (l: { address: string; port: number }) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`;
  if (open.length) return row(id, 'engines', check, 'FAIL', `listens on ${open.map(at).join(', ')}`, hint);
  if (e.listen?.length) return row(id, 'engines', check, 'PASS', `listens on ${e.listen.map(at).join(', ')}`);
  if (e.state === 'stopped' && e.host !== undefined && !isLoopback(e.host)) {
    return row(id, 'engines', check, 'FAIL', `not running, but configured to bind ${e.host}`, hint);
  }
  if (DOWN.has(e.state) || e.state === 'starting') return row(id, 'engines', check, 'UNKNOWN', `${stateText(e)}: no listening socket to check`);
  return row(id, 'engines', check, 'UNKNOWN', e.listen ? `${e.name} is ${e.state} but no listening socket was seen yet (the daemon reads them every few seconds)` : `${e.name}'s listening sockets could not be read (${e.kind})`);
}

export function serviceRows(bp: Blueprint, r: Readings): Row[] {
  if (!bp.services?.length) return [];
  const got = fresh(r, 'services');
  const out: Row[] = [];
  for (const name of bp.services) {
    const check = name === '*' ? 'every configured service reachable' : `${name} reachable`;
    if (!got.ok) { out.push(row(`service.${name}`, 'services', check, 'UNKNOWN', got.why)); continue; }
    const list = got.data.services;
    const targets = name === '*' ? list : list.filter((s) => s.name === name);
    if (!targets.length) {
      out.push(name === '*'
        ? row('service.*', 'services', check, 'UNKNOWN', 'no services configured: nothing to probe')
        : row(`service.${name}`, 'services', check, 'UNKNOWN', `no probe named ${name} in the config (probed: ${list.map((s) => s.name).join(', ') || 'none'})`, `declare it under services: in the config (a tcp, http or redis probe)`));
      continue;
    }
    for (const s of targets) out.push(serviceRow(s));
  }
  return out;
}

function serviceRow(s: ServiceStatus): Row {
  const check = `${s.name} reachable`;
  if (s.up) return row(`service.${s.name}`, 'services', check, 'PASS', `${s.kind} ${s.target} up${s.latencyMs !== undefined ? ` in ${s.latencyMs.toFixed(1)} ms` : ''}`);
  return row(`service.${s.name}`, 'services', check, 'FAIL', `${s.kind} ${s.target}: ${s.error ?? 'down'}`, `is ${s.name} running? (systemctl status, docker ps); its port in the config's services:`);
}
