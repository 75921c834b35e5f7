// The two routes a forwarder uses, answered as Linseed answers them:
//   POST /api/v1/audit/logs/kube/bulk  NDJSON in, {total, succeeded, failed, errors} out;
//   POST /api/v1/audit/logs            {type, max_page_size, sort, time_range, after_key} in,
//                                      {items, total_hits, after_key} out.
// Order per request: route, body, authentication (401), tenant (401), authorization (403),
// injected failure, content type (415), decoding (400), store, injected after-write faults.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BULK_PATH, JSON_TYPE, NDJSON, READ_PATH, ReadParams, type BulkError, type BulkResponse, type HttpError } from './api.js';
import { decodeLine } from './audit-model.js';
import { authenticate, authorize, checkTenant, clusterOf, type AuthOptions } from './auth.js';
import type { Faults, Route } from './faults.js';
import { BadAfterKey, type AuditStore } from './store.js';

/** What the emulator saw, for tests (no credentials, no bodies). */
export interface RequestRecord {
  at: Date;
  route: Route | 'other';
  method: string;
  path: string;
  contentType?: string;
  cluster?: string;
  tenant?: string;
  user?: string;
  /** Bulk: the answer's counts. */
  bulk?: Omit<BulkResponse, 'errors'>;
  /** The status sent; 'held' for a timeout fault, 'reset' for a destroyed connection. */
  status?: number | 'held' | 'reset';
  /** From the request's arrival to the answer (or the fault). */
  ms?: number;
}

export interface HandlerDeps {
  auth: AuthOptions;
  store: AuditStore;
  faults: Faults;
  maxBodyBytes: number;
  /** Bounded log of requests. */
  record: (r: RequestRecord) => void;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true; // keep draining so the answer reaches the client
      else chunks.push(c);
    });
    req.on('end', () => (over ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, rec: RequestRecord, status: number, body: unknown): void {
  rec.status = status;
  rec.ms = Date.now() - rec.at.getTime();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const fail = (res: ServerResponse, rec: RequestRecord, status: number, msg: string): void => send(res, rec, status, { status, msg } satisfies HttpError);

export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route: Route | 'other' = path === BULK_PATH ? 'bulk' : path === READ_PATH ? 'read' : 'other';
    const rec: RequestRecord = { at: new Date(), route, method: req.method ?? '', path, contentType: req.headers['content-type'] };
    deps.record(rec);
    handle(deps, req, res, route, rec).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) fail(res, rec, 500, `internal error: ${(e as Error).message}`.slice(0, 500));
    });
  };
}

async function handle(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, route: Route | 'other', rec: RequestRecord): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, deps.maxBodyBytes);
  } catch (e) {
    if (e instanceof BodyTooLarge) return fail(res, rec, 413, `request body larger than ${deps.maxBodyBytes} bytes`);
    throw e;
  }
  if (route === 'other') return fail(res, rec, 404, `no route for ${rec.path}`);
  if (req.method !== 'POST') return fail(res, rec, 405, `method ${req.method} not allowed`);

  const caller = await authenticate(deps.auth, req.headers.authorization);
  if (!caller.ok) return fail(res, rec, caller.status, caller.msg);
  rec.user = caller.value.user.username;
  const tenant = checkTenant(deps.auth, caller.value, header(req, 'x-tenant-id'));
  if (!tenant.ok) return fail(res, rec, tenant.status, tenant.msg);
  rec.tenant = tenant.value || undefined;
  const cluster = clusterOf(caller.value, header(req, 'x-cluster-id'));
  rec.cluster = cluster;
  const allowed = await authorize(deps.auth, caller.value, route === 'bulk' ? { resource: 'kube_auditlogs', verb: 'create' } : { resource: 'auditlogs', verb: 'get' });
  if (!allowed.ok) return fail(res, rec, allowed.status, allowed.msg);

  const injected = deps.faults.takeFailure(route, 'before');
  if (injected) return fail(res, rec, injected, `injected failure (${injected})`);

  if (route === 'bulk') return bulk(deps, req, res, rec, cluster, body);
  return read(deps, req, res, rec, cluster, body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function bulk(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, rec: RequestRecord, cluster: string, body: Buffer): Promise<void> {
  // Linseed compares the header as a whole: even a charset parameter is refused.
  if (req.headers['content-type'] !== NDJSON) return fail(res, rec, 415, `Received a request with content-type (${req.headers['content-type'] ?? ''}) that is not supported`);
  const lines = body
    .toString('utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  const docs: Record<string, unknown>[] = [];
  const errors: BulkError[] = [];
  let unparsable = 0;
  let refused = 0;
  for (const line of lines) {
    const d = decodeLine(line);
    if (!d.ok) {
      // Skipped and counted, with no error entry: nothing tells the client which line it was.
      unparsable++;
      continue;
    }
    const refusal = deps.faults.refusal(line);
    if (refusal) {
      refused++;
      errors.push({ resource: deps.store.writeAlias(cluster), ...refusal });
      continue;
    }
    docs.push({ ...d.doc, cluster, generated_time: new Date().toISOString() });
  }
  if (docs.length + refused === 0) return fail(res, rec, 400, lines.length === 0 ? 'empty request body' : 'no log in the request could be decoded');

  const outcomes = await deps.store.bulk(cluster, docs);
  for (const o of outcomes) if (!o.ok) errors.push(o.error);
  const succeeded = outcomes.filter((o) => o.ok).length;
  const answer: BulkResponse = { total: lines.length, succeeded, failed: lines.length - succeeded, errors };
  rec.bulk = { total: answer.total, succeeded: answer.succeeded, failed: answer.failed };

  const after = deps.faults.takeFailure('bulk', 'after');
  if (after) return fail(res, rec, after, `injected failure (${after}) after the write`);
  const timeout = deps.faults.takeTimeout();
  if (timeout === 'destroy') {
    rec.status = 'reset';
    rec.ms = Date.now() - rec.at.getTime();
    req.socket.destroy();
    return;
  }
  if (timeout === 'hold') {
    // No answer: the client's own timeout decides; close() ends the socket if the client never does.
    rec.status = 'held';
    rec.ms = Date.now() - rec.at.getTime();
    return;
  }
  send(res, rec, 200, answer);
}

async function read(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, rec: RequestRecord, cluster: string, body: Buffer): Promise<void> {
  if (req.headers['content-type'] !== JSON_TYPE) return fail(res, rec, 415, `Received a request with content-type (${req.headers['content-type'] ?? ''}) that is not supported`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return fail(res, rec, 400, 'Request body contains badly-formed JSON');
  }
  const params = ReadParams.safeParse(json);
  if (!params.success) {
    const i = params.error.issues[0];
    return fail(res, rec, 400, `invalid request: ${i?.path.join('.') || 'body'}: ${i?.message ?? 'invalid'}`);
  }
  try {
    send(res, rec, 200, await deps.store.read(cluster, params.data));
  } catch (e) {
    if (e instanceof BadAfterKey) return fail(res, rec, 400, e.message);
    throw e;
  }
}
