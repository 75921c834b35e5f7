// Fault-injecting HTTP reverse proxy on loopback, put in front of LocalStack / Elasticsearch so
// tests exercise the real SDK and client stacks against real network faults.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'delay'; ms: number }
  | { kind: 'bulkItems'; status: number; share: number };

export interface FaultRule {
  match?: { method?: string; pathPrefix?: string; /** substring of X-Amz-Target */ target?: string };
  /** 0..1, default 1 */
  probability?: number;
  /** apply at most this many times */
  times?: number;
  fault: Fault;
}

export interface RecordedRequest {
  /** epoch ms (monotonic within the process) when the request head arrived */
  at: number;
  method: string;
  path: string;
  /** X-Amz-Target header */
  target?: string;
  /** kind of the fault applied, if any */
  fault?: string;
  /** status answered to the client (absent for a reset or while in flight) */
  status?: number;
  /** bulkItems: positions (in the client's request) answered with the injected status */
  rejectedItems?: number[];
}

export interface FaultProxy {
  url: string;
  setRules(rules: FaultRule[]): void;
  requests: RecordedRequest[];
  maxPerWindow(windowMs: number, filter?: (r: RecordedRequest) => boolean): number;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  target: string;
  rules?: FaultRule[];
  /** PRNG seed for probability draws, so runs are reproducible */
  seed?: number;
}

/** The answer CloudWatch Logs gives when throttling (awsJson1_1 error shape). */
export const throttlingFault = (message = 'Rate exceeded'): Fault => ({
  kind: 'status',
  status: 400,
  body: JSON.stringify({ __type: 'ThrottlingException', message }),
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': 'ThrottlingException' },
});

/** Largest number of timestamps in any half-open window [t, t + windowMs). */
export function maxPerWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  // The busiest window can always be slid right until it starts at an event.
  for (let i = 0; i < t.length; i++) {
    if (j < i) j = i;
    while (j < t.length && t[j]! < t[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

/** mulberry32: tiny seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

function stripHopByHop(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
}

const isBulkPath = (path: string) => /(^|\/)_bulk$/.test(path.split('?')[0] ?? '');

const now = () => performance.timeOrigin + performance.now();

function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

interface Upstream {
  status: number;
  statusMessage?: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(opts.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy: only http targets, got ${opts.target}`);
  const basePath = target.pathname.replace(/\/+$/, '');
  const random = prng(opts.seed ?? 1);
  const agent = new http.Agent({ keepAlive: true });
  const requests: RecordedRequest[] = [];
  // Pending delays, so close() can release them.
  const sleepers = new Map<NodeJS.Timeout, () => void>();
  let closed = false;

  let rules: FaultRule[] = [];
  // Per-rule state lives beside the rules so setRules starts afresh.
  let used = new Map<FaultRule, number>();
  let bulkSeen = new Map<FaultRule, number>();
  const setRules = (next: FaultRule[]) => {
    rules = [...next];
    used = new Map();
    bulkSeen = new Map();
  };
  setRules(opts.rules ?? []);

  function pickRule(method: string, path: string, amzTarget: string | undefined): FaultRule | undefined {
    for (const rule of rules) {
      const m = rule.match ?? {};
      if (m.method && m.method.toUpperCase() !== method.toUpperCase()) continue;
      if (m.pathPrefix && !path.startsWith(m.pathPrefix)) continue;
      if (m.target !== undefined && !(amzTarget ?? '').includes(m.target)) continue;
      // bulkItems means nothing elsewhere; don't let other requests use up its `times`.
      if (rule.fault.kind === 'bulkItems' && !isBulkPath(path)) continue;
      if (rule.times !== undefined && (used.get(rule) ?? 0) >= rule.times) continue;
      // Draw only for real coin flips, so adding a certain rule does not shift the sequence.
      const p = rule.probability ?? 1;
      if (p < 1 && !(random() < p)) continue;
      used.set(rule, (used.get(rule) ?? 0) + 1);
      return rule;
    }
    return undefined;
  }

  function forward(req: http.IncomingMessage, body: Buffer, drop: string[] = []): Promise<Upstream> {
    const headers = stripHopByHop(req.headers);
    // Upstream virtual hosting (and ES) expect their own authority; SigV4 is not checked by LocalStack.
    headers.host = target.host;
    for (const h of drop) delete headers[h];
    if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = body.length;
    return new Promise((resolve, reject) => {
      const up = http.request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: basePath + (req.url ?? '/'),
          headers,
          agent,
        },
        (res) => {
          readBody(res).then(
            (b) => resolve({ status: res.statusCode ?? 502, statusMessage: res.statusMessage, headers: res.headers, body: b }),
            reject,
          );
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  function reply(req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, up: Upstream) {
    if (res.destroyed) return;
    const headers = stripHopByHop(up.headers);
    // Bodies are buffered (and maybe rewritten), so the length is ours to state; HEAD keeps upstream's.
    if (req.method !== 'HEAD') headers['content-length'] = up.body.length;
    rec.status = up.status;
    res.writeHead(up.status, up.statusMessage ?? '', headers);
    res.end(up.body);
  }

  async function bulkItems(
    req: http.IncomingMessage,
    body: Buffer,
    fault: Extract<Fault, { kind: 'bulkItems' }>,
    rule: FaultRule,
    rec: RecordedRequest,
  ): Promise<Upstream> {
    const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
    const plain = enc.includes('gzip') ? gunzipSync(body) : enc.includes('deflate') ? inflateSync(body) : body;
    const lines = plain.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    // Group NDJSON into items: action line, plus a source line except for delete.
    const items: { op: string; meta: Record<string, unknown>; lines: string[] }[] = [];
    for (let i = 0; i < lines.length; ) {
      const action = JSON.parse(lines[i]!) as Record<string, Record<string, unknown>>;
      const op = Object.keys(action)[0]!;
      const n = op === 'delete' ? 1 : 2;
      items.push({ op, meta: action[op] ?? {}, lines: lines.slice(i, i + n) });
      i += n;
    }
    // Evenly spread over the rule's whole item stream: exactly floor(total * share) rejected.
    let seen = bulkSeen.get(rule) ?? 0;
    const rejected = new Set<number>();
    items.forEach((_, i) => {
      if (Math.floor((seen + 1) * fault.share) > Math.floor(seen * fault.share)) rejected.add(i);
      seen++;
    });
    bulkSeen.set(rule, seen);
    rec.rejectedItems = [...rejected];

    const fake = (i: number) => {
      const { op, meta } = items[i]!;
      const out: Record<string, unknown> = { status: fault.status, error: { type: 'es_rejected_execution_exception', reason: 'injected' } };
      if (meta._index !== undefined) out._index = meta._index;
      if (meta._id !== undefined) out._id = meta._id;
      return { [op]: out };
    };

    const kept = items.filter((_, i) => !rejected.has(i));
    let upstream: Upstream;
    if (kept.length === 0) {
      // ES refuses an empty bulk body, so answer for it, as ES would: its client rejects a 2xx
      // answer without the product header (ProductNotSupportedError), which once made every
      // bulk that the injected rejections emptied fail as a whole, and a test hang at random.
      upstream = {
        status: 200,
        headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' },
        body: Buffer.from('{"took":0,"errors":false,"items":[]}'),
      };
    } else {
      // Rejected items never reach upstream, so a test cannot pass by their being indexed anyway.
      const ndjson = Buffer.from(kept.flatMap((it) => it.lines).join('\n') + '\n');
      // Sent plain, and asked back plain, so the answer can be rewritten.
      upstream = await forward(req, ndjson, ['content-encoding', 'accept-encoding']);
    }
    if (rejected.size === 0 || upstream.status < 200 || upstream.status >= 300) return upstream;

    const parsed = JSON.parse(upstream.body.toString('utf8')) as { errors?: boolean; items?: unknown[] };
    const upItems = parsed.items ?? [];
    const merged: unknown[] = [];
    let k = 0;
    for (let i = 0; i < items.length; i++) merged.push(rejected.has(i) ? fake(i) : upItems[k++]);
    parsed.items = merged;
    parsed.errors = true;
    const headers = { ...upstream.headers };
    delete headers['content-encoding'];
    return { ...upstream, headers, body: Buffer.from(JSON.stringify(parsed)) };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const amz = req.headers['x-amz-target'];
    const amzTarget = Array.isArray(amz) ? amz[0] : amz;
    const rec: RecordedRequest = { at: now(), method, path };
    if (amzTarget !== undefined) rec.target = amzTarget;
    requests.push(rec);

    const body = await readBody(req);
    const rule = pickRule(method, path, amzTarget);
    const fault = rule?.fault;
    if (fault) rec.fault = fault.kind;

    if (fault?.kind === 'reset') {
      // RST rather than FIN, so the client sees ECONNRESET.
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === 'status') {
      const b = Buffer.from(fault.body ?? '');
      rec.status = fault.status;
      res.writeHead(fault.status, { ...fault.headers, 'content-length': b.length });
      res.end(b);
      return;
    }
    if (fault?.kind === 'delay') {
      // Forwarded even if the client gave up meanwhile: a late answer to a request the server did process.
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          sleepers.delete(t);
          resolve();
        }, fault.ms);
        sleepers.set(t, resolve);
      });
      if (closed) return;
    }
    const up =
      fault?.kind === 'bulkItems'
        ? await bulkItems(req, body, fault, rule!, rec)
        : await forward(req, body);
    reply(req, res, rec, up);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const msg = Buffer.from(`fault proxy: ${(err as Error).message}`);
      res.writeHead(502, { 'content-type': 'text/plain', 'content-length': msg.length });
      res.end(msg);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setRules,
    requests,
    maxPerWindow: (windowMs, filter) => maxPerWindow((filter ? requests.filter(filter) : requests).map((r) => r.at), windowMs),
    close: async () => {
      closed = true;
      for (const [t, wake] of sleepers) {
        clearTimeout(t);
        wake();
      }
      sleepers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
