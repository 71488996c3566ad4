/**
 * Bounds on what one request can make the daemon do (issue 7, finding 5: a 6 KB batch of 60 `engines.logs` calls
 * with `lines: 100000` took the daemon past 2.7 GB). Params are validated with zod per method; a batch holds at
 * most MAX_BATCH calls, run one after another (not all at once), and its answer stops growing at
 * MAX_BATCH_RESPONSE_BYTES (the calls past it are answered with an error, not run); one `engines.logs` answer is
 * bounded in lines and bytes by the supervisor (src/daemon/logs.ts). Methods this file does not know pass through.
 */
import { JSONRPCErrorException, type JSONRPCServer } from 'json-rpc-2.0';
import { z } from 'zod';
import { MAX_LOG_LINES } from './logs.js';

export const MAX_BATCH = 16;
export const MAX_BATCH_RESPONSE_BYTES = 4 * 1024 * 1024;
/** answers queued to a client that does not read them, before it is cut off */
export const MAX_PENDING_WRITE_BYTES = 16 * 1024 * 1024;

const none = z.union([z.object({}).strict(), z.array(z.unknown()).length(0), z.null(), z.undefined()]).transform(() => ({}));
const name = z.object({ name: z.string().min(1).max(256) }).passthrough();

export const PARAMS: Record<string, z.ZodTypeAny> = {
  'daemon.info': none,
  'daemon.stop': none,
  'config.reload': none,
  'engines.list': none,
  'engines.start': name,
  'engines.stop': name,
  'engines.restart': name,
  'tunnels.list': none,
  'tunnels.start': name,
  'tunnels.stop': name,
  'tunnels.restart': name,
  'engines.logs': z.object({
    name: z.string().min(1).max(256),
    lines: z.number().int().min(0).max(MAX_LOG_LINES, { message: `at most ${MAX_LOG_LINES} lines per request` }).optional(),
    search: z.string().max(1024).optional(),
  }).strict(),
  'vms.reset': z.object({ name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,100}$/, 'a VM name is required') }).passthrough(),
  'recovery.status': none,
  // begin/end/who are checked by src/recovery/wire.ts (nested fields, caps, typed results): here only their shape
  'recovery.begin': z.record(z.unknown()),
  'recovery.end': z.record(z.unknown()),
  'recovery.tripcode': z.object({ payload: z.string().max(2048), who: z.unknown() }).passthrough(),
  'recovery.recent': z.object({ n: z.number().int({ message: 'an integer 0–500' }).min(0, { message: 'an integer 0–500' }).max(500, { message: 'an integer 0–500' }).optional() }).strict().nullish()
    .transform((v) => ({ n: v?.n ?? 50 })),
};

/** The params of `method`, checked; throws -32602 naming the field and what was wrong. */
export function checkParams(method: string, params: unknown): unknown {
  const schema = PARAMS[method];
  if (!schema) return params ?? {};
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const why = r.error.issues.map((i) => `${i.path.length ? `params.${i.path.join('.')}` : 'params'}: ${i.message}`).join('; ');
  throw new JSONRPCErrorException(`${method}: invalid params: ${why}`, -32602);
}

function errorFor(req: unknown, code: number, message: string): object | null {
  const id = typeof req === 'object' && req !== null && 'id' in req ? (req as { id: unknown }).id : undefined;
  if (id === undefined) return null; // a notification gets no answer
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** One line from a client → the answer's text (null: nothing to send). Batches are bounded and run in turn. */
export async function answerBounded(rpc: JSONRPCServer, line: string): Promise<string | null> {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    const r = await rpc.receiveJSON(line); // the library's own parse error answer
    return r === null ? null : JSON.stringify(r);
  }
  if (!Array.isArray(req) || req.length === 0) {
    const r = await rpc.receive(req as never);
    return r === null ? null : JSON.stringify(r);
  }
  if (req.length > MAX_BATCH) {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `a batch of ${req.length} calls: at most ${MAX_BATCH}` } });
  }
  const parts: string[] = [];
  let bytes = 0;
  for (const one of req as unknown[]) {
    let text: string | null;
    if (bytes > MAX_BATCH_RESPONSE_BYTES) {
      const e = errorFor(one, -32000, `not run: the batch's answer passed ${MAX_BATCH_RESPONSE_BYTES} bytes`);
      text = e === null ? null : JSON.stringify(e);
    } else {
      const r = await rpc.receive(one as never);
      text = r === null ? null : JSON.stringify(r);
    }
    if (text === null) continue;
    bytes += text.length;
    parts.push(text);
  }
  return parts.length ? `[${parts.join(',')}]` : null;
}
