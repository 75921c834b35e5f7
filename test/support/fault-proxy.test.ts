import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Client as ElasticClient } from '@elastic/elasticsearch';
import { maxPerWindow, startFaultProxy, throttlingFault, type FaultProxy, type FaultRule } from './fault-proxy.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = { status?: number; headers?: Record<string, string>; body?: string };

/** A real upstream on loopback that records what reached it. */
async function startUpstream(answer: (r: Seen) => Answer = () => ({ body: 'ok' })) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(r);
      let a: Answer;
      try {
        a = answer(r);
      } catch (err) {
        a = { status: 500, body: String(err) };
      }
      res.writeHead(a.status ?? 200, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
function send(url: string, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(url + (opts.path ?? '/'), { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(rules: FaultRule[] = [], answer?: (r: Seen) => Answer, seed?: number) {
  const upstream = await startUpstream(answer);
  cleanups.push(upstream.close);
  const proxy = await startFaultProxy({ target: upstream.url, rules, seed });
  cleanups.push(proxy.close);
  return { upstream, proxy };
}

function logsClient(proxy: FaultProxy) {
  const client = new CloudWatchLogsClient({
    endpoint: proxy.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  cleanups.push(async () => client.destroy());
  return client;
}

const filterLogEvents = (client: CloudWatchLogsClient) =>
  client.send(new FilterLogEventsCommand({ logGroupName: '/aws/eks/demo/cluster' })).then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err as Error & { $metadata?: { httpStatusCode?: number }; code?: string },
  );

describe('fault proxy: forwarding', () => {
  it('forwards method, path, query, headers and body untouched and relays the answer, with Host set to the upstream', async () => {
    const { upstream, proxy } = await setup([], () => ({ status: 201, headers: { 'x-up': 'yes', 'content-type': 'text/plain' }, body: 'created' }));
    const reply = await send(proxy.url, {
      method: 'PUT',
      path: '/idx/_doc/1?refresh=true',
      headers: { 'x-custom': 'abc', 'content-type': 'application/json', 'x-amz-target': 'Logs_20140328.FilterLogEvents' },
      body: '{"a":1}',
    });
    expect(reply).toMatchObject({ status: 201, body: 'created', headers: { 'x-up': 'yes', 'content-length': '7' } });
    expect(upstream.seen).toHaveLength(1);
    const got = upstream.seen[0]!;
    expect(got).toMatchObject({ method: 'PUT', url: '/idx/_doc/1?refresh=true', body: '{"a":1}' });
    expect(got.headers).toMatchObject({ 'x-custom': 'abc', 'content-length': '7', host: new URL(upstream.url).host });
    expect(proxy.requests).toEqual([
      { at: expect.any(Number), method: 'PUT', path: '/idx/_doc/1?refresh=true', target: 'Logs_20140328.FilterLogEvents', status: 201 },
    ]);
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const { upstream, proxy } = await setup();
    await upstream.close();
    expect((await send(proxy.url)).status).toBe(502);
  });
});

describe('fault proxy: faults', () => {
  it('status fault answers with the given status, body and headers without reaching upstream', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'status', status: 503, body: 'busy', headers: { 'retry-after': '1' } } }]);
    const reply = await send(proxy.url, { method: 'POST', body: 'x' });
    expect(reply).toMatchObject({ status: 503, body: 'busy', headers: { 'retry-after': '1' } });
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.requests[0]).toMatchObject({ method: 'POST', fault: 'status', status: 503 });
  });

  it('reset fault drops the connection so the client sees ECONNRESET, without reaching upstream', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'reset' } }]);
    await expect(send(proxy.url, { method: 'POST', body: 'x' })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.requests[0]).toMatchObject({ fault: 'reset' });
    expect(proxy.requests[0]!.status).toBeUndefined();
  });

  it('delay fault still forwards and relays the upstream answer', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'delay', ms: 20 } }]);
    expect(await send(proxy.url, { path: '/slow' })).toMatchObject({ status: 200, body: 'ok' });
    expect(upstream.seen.map((r) => r.url)).toEqual(['/slow']);
    expect(proxy.requests[0]).toMatchObject({ path: '/slow', fault: 'delay', status: 200 });
  });

  it('close() releases a request held by a long delay without forwarding it', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'delay', ms: 600_000 } }]);
    const pending = send(proxy.url).then(
      () => 'answered',
      () => 'failed',
    );
    await vi.waitFor(() => expect(proxy.requests[0]?.fault).toBe('delay'));
    await proxy.close();
    expect(await pending).toBe('failed');
    expect(upstream.seen).toHaveLength(0);
  });
});

describe('fault proxy: rule selection', () => {
  it('matches on method, path prefix and X-Amz-Target substring', async () => {
    const { upstream, proxy } = await setup([
      { match: { method: 'post', pathPrefix: '/api', target: 'FilterLogEvents' }, fault: { kind: 'status', status: 500 } },
    ]);
    const target = { 'x-amz-target': 'Logs_20140328.FilterLogEvents' };
    expect((await send(proxy.url, { method: 'POST', path: '/api/x', headers: target })).status).toBe(500);
    expect((await send(proxy.url, { method: 'GET', path: '/api/x', headers: target })).status).toBe(200);
    expect((await send(proxy.url, { method: 'POST', path: '/other', headers: target })).status).toBe(200);
    const other = { 'x-amz-target': 'Logs_20140328.DescribeLogGroups' };
    expect((await send(proxy.url, { method: 'POST', path: '/api/x', headers: other })).status).toBe(200);
    expect((await send(proxy.url, { method: 'POST', path: '/api/x' })).status).toBe(200);
    expect(upstream.seen).toHaveLength(4);
  });

  it('applies a rule at most `times` times, then falls through to the next rule and finally forwards', async () => {
    const { upstream, proxy } = await setup([
      { times: 2, fault: { kind: 'status', status: 503 } },
      { times: 1, fault: { kind: 'status', status: 429 } },
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(proxy.url)).status);
    expect(statuses).toEqual([503, 503, 429, 200, 200]);
    expect(upstream.seen).toHaveLength(2);
    expect(proxy.requests.map((r) => r.fault)).toEqual(['status', 'status', 'status', undefined, undefined]);
  });

  it('setRules replaces the rules and starts their `times` afresh', async () => {
    const rule: FaultRule = { times: 1, fault: { kind: 'status', status: 503 } };
    const { proxy } = await setup([rule]);
    expect((await send(proxy.url)).status).toBe(503);
    expect((await send(proxy.url)).status).toBe(200);
    proxy.setRules([rule]);
    expect((await send(proxy.url)).status).toBe(503);
    proxy.setRules([]);
    expect((await send(proxy.url)).status).toBe(200);
  });

  it('probability draws come from the seed, so the same seed gives the same fault sequence', async () => {
    const run = async (seed: number) => {
      const { proxy } = await setup([{ probability: 0.5, fault: { kind: 'status', status: 503 } }], undefined, seed);
      const out: number[] = [];
      for (let i = 0; i < 24; i++) out.push((await send(proxy.url)).status);
      return out;
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    // A fair coin over 24 draws: both outcomes occur.
    expect(a).toContain(503);
    expect(a).toContain(200);
  });

  it('probability 0 never applies', async () => {
    const { upstream, proxy } = await setup([{ probability: 0, fault: { kind: 'reset' } }]);
    for (let i = 0; i < 5; i++) expect((await send(proxy.url)).status).toBe(200);
    expect(upstream.seen).toHaveLength(5);
  });
});

describe('fault proxy: AWS SDK v3 sees real CloudWatch errors', () => {
  it('a 400 with __type ThrottlingException and x-amzn-ErrorType surfaces as ThrottlingException', async () => {
    const { upstream, proxy } = await setup([{ match: { target: 'FilterLogEvents' }, fault: throttlingFault() }]);
    const err = await filterLogEvents(logsClient(proxy));
    expect(err.name).toBe('ThrottlingException');
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.requests[0]).toMatchObject({ method: 'POST', target: 'Logs_20140328.FilterLogEvents', fault: 'status' });
  });

  // awsJson1_1 takes the code from body `__type`, then body `code`, then the x-amzn-ErrorType header.
  it.each([
    ['only the body __type', { __type: 'ThrottlingException', message: 'Rate exceeded' }, {}],
    ['a namespaced __type', { __type: 'com.amazonaws.cloudwatchlogs#ThrottlingException', message: 'Rate exceeded' }, {}],
    ['only the x-amzn-ErrorType header', { message: 'Rate exceeded' }, { 'x-amzn-ErrorType': 'ThrottlingException:http://internal' }],
  ])('the SDK recognises throttling from %s', async (_label, body, headers) => {
    const { proxy } = await setup([
      { fault: { kind: 'status', status: 400, body: JSON.stringify(body), headers: { 'content-type': 'application/x-amz-json-1.1', ...headers } } },
    ]);
    expect((await filterLogEvents(logsClient(proxy))).name).toBe('ThrottlingException');
  });

  it('a 503 surfaces as an error with $metadata.httpStatusCode 503', async () => {
    const { proxy } = await setup([{ fault: { kind: 'status', status: 503, body: 'Service Unavailable' } }]);
    const err = await filterLogEvents(logsClient(proxy));
    expect(err.$metadata?.httpStatusCode).toBe(503);
  });

  it('a reset surfaces as an ECONNRESET error', async () => {
    const { proxy } = await setup([{ fault: { kind: 'reset' } }]);
    const err = await filterLogEvents(logsClient(proxy));
    expect(err.code).toBe('ECONNRESET');
  });

  it('without a rule the SDK call reaches upstream through the proxy', async () => {
    const { upstream, proxy } = await setup([], () => ({
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ events: [{ eventId: 'e1', message: 'hello', timestamp: 1 }] }),
    }));
    const out = await logsClient(proxy).send(new FilterLogEventsCommand({ logGroupName: '/g' }));
    expect(out.events?.map((e) => e.message)).toEqual(['hello']);
    expect(upstream.seen[0]!.headers['x-amz-target']).toBe('Logs_20140328.FilterLogEvents');
    expect(JSON.parse(upstream.seen[0]!.body)).toEqual({ logGroupName: '/g' });
  });
});

describe('fault proxy: bulkItems', () => {
  /** Fake Elasticsearch: every received bulk item succeeds with 201. */
  const fakeBulk = (r: Seen): Answer => {
    if (!r.url.split('?')[0]!.endsWith('/_bulk')) return { status: 201, body: '{}' };
    const lines = r.body.split('\n').filter(Boolean);
    const items: unknown[] = [];
    for (let i = 0; i < lines.length; ) {
      const action = JSON.parse(lines[i]!) as Record<string, { _index: string; _id: string }>;
      const op = Object.keys(action)[0]!;
      items.push({ [op]: { _index: action[op]!._index, _id: action[op]!._id, status: op === 'delete' ? 200 : 201 } });
      i += op === 'delete' ? 1 : 2;
    }
    return {
      headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' },
      body: JSON.stringify({ took: 1, errors: false, items }),
    };
  };
  const ndjson = (ids: string[]) =>
    ids.map((id) => `${JSON.stringify({ create: { _index: 'audit', _id: id } })}\n${JSON.stringify({ n: id })}\n`).join('');
  const upstreamIds = (s: Seen) =>
    s.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, { _id?: string }>)
      .flatMap((o) => Object.values(o).flatMap((v) => (typeof v === 'object' && v?._id ? [v._id] : [])));

  it('withholds every other item from upstream and splices injected 429s back at their positions', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'bulkItems', status: 429, share: 0.5 } }], fakeBulk);
    const reply = await send(proxy.url, {
      method: 'POST',
      path: '/_bulk?refresh=false',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson(['a', 'b', 'c', 'd']),
    });
    expect(upstream.seen).toHaveLength(1);
    // Withheld items never reach upstream, so they cannot be indexed by accident.
    expect(upstreamIds(upstream.seen[0]!)).toEqual(['a', 'c']);
    expect(upstream.seen[0]!.body).toBe(ndjson(['a', 'c']));
    expect(upstream.seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(ndjson(['a', 'c']))));

    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(reply.body)));
    const body = JSON.parse(reply.body) as { errors: boolean; items: Record<string, { _id: string; status: number; error?: unknown }>[] };
    expect(body.errors).toBe(true);
    expect(body.items.map((it) => [it.create!._id, it.create!.status])).toEqual([
      ['a', 201],
      ['b', 429],
      ['c', 201],
      ['d', 429],
    ]);
    expect(body.items[1]!.create!.error).toEqual({ type: 'es_rejected_execution_exception', reason: 'injected' });
    expect(proxy.requests[0]).toMatchObject({ fault: 'bulkItems', rejectedItems: [1, 3] });
  });

  it('handles delete actions, which have no source line', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'bulkItems', status: 429, share: 0.5 } }], fakeBulk);
    const body =
      `${JSON.stringify({ delete: { _index: 'audit', _id: 'a' } })}\n` +
      `${JSON.stringify({ index: { _index: 'audit', _id: 'b' } })}\n{"n":"b"}\n` +
      `${JSON.stringify({ delete: { _index: 'audit', _id: 'c' } })}\n`;
    const reply = await send(proxy.url, { method: 'POST', path: '/audit/_bulk', body });
    expect(upstreamIds(upstream.seen[0]!)).toEqual(['a', 'c']);
    const items = (JSON.parse(reply.body) as { items: Record<string, { _id: string; status: number }>[] }).items;
    expect(items.map((it) => Object.entries(it).map(([op, r]) => `${op}:${r._id}:${r.status}`)[0])).toEqual([
      'delete:a:200',
      'index:b:429',
      'delete:c:200',
    ]);
  });

  it('spreads the share over the whole item stream, across requests', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'bulkItems', status: 429, share: 0.25 } }], fakeBulk);
    const statuses: number[] = [];
    for (const ids of [['a', 'b'], ['c', 'd'], ['e', 'f'], ['g', 'h']]) {
      const reply = await send(proxy.url, { method: 'POST', path: '/_bulk', body: ndjson(ids) });
      statuses.push(...(JSON.parse(reply.body) as { items: { create: { status: number } }[] }).items.map((i) => i.create.status));
    }
    expect(statuses).toEqual([201, 201, 201, 429, 201, 201, 201, 429]);
    expect(upstream.seen.flatMap(upstreamIds)).toEqual(['a', 'b', 'c', 'e', 'f', 'g']);
  });

  it('answers itself when every item is withheld, forwarding nothing', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'bulkItems', status: 429, share: 1 } }], fakeBulk);
    const reply = await send(proxy.url, { method: 'POST', path: '/_bulk', body: ndjson(['a', 'b']) });
    expect(upstream.seen).toHaveLength(0);
    const body = JSON.parse(reply.body) as { errors: boolean; items: { create: { _id: string; status: number } }[] };
    expect(body.errors).toBe(true);
    expect(body.items.map((i) => [i.create._id, i.create.status])).toEqual([
      ['a', 429],
      ['b', 429],
    ]);
  });

  it('leaves non-bulk requests alone and does not spend its `times` on them', async () => {
    const { upstream, proxy } = await setup([{ times: 1, fault: { kind: 'bulkItems', status: 429, share: 1 } }], fakeBulk);
    await send(proxy.url, { method: 'POST', path: '/audit/_doc/x', body: '{}' });
    expect(proxy.requests[0]!.fault).toBeUndefined();
    await send(proxy.url, { method: 'POST', path: '/_bulk', body: ndjson(['a']) });
    expect(proxy.requests[1]!.fault).toBe('bulkItems');
    expect(upstream.seen.map((s) => s.url)).toEqual(['/audit/_doc/x']);
  });

  it('the Elasticsearch client reads the rewritten bulk answer as per-item 429s', async () => {
    const { upstream, proxy } = await setup([{ fault: { kind: 'bulkItems', status: 429, share: 0.5 } }], fakeBulk);
    const client = new ElasticClient({ node: proxy.url, maxRetries: 0 });
    cleanups.push(() => client.close());
    const res = await client.bulk({
      operations: ['a', 'b', 'c'].flatMap((id) => [{ create: { _index: 'audit', _id: id } }, { n: id }]),
    });
    expect(res.errors).toBe(true);
    expect(res.items.map((i) => [i.create?._id, i.create?.status])).toEqual([
      ['a', 201],
      ['b', 429],
      ['c', 201],
    ]);
    expect(upstream.seen.flatMap(upstreamIds)).toEqual(['a', 'c']);
  });
});

describe('fault proxy: maxPerWindow', () => {
  it('counts the busiest half-open window over synthetic timestamps', () => {
    expect(maxPerWindow([], 1000)).toBe(0);
    expect(maxPerWindow([0, 999, 1000], 1000)).toBe(2); // 1000 falls outside [0, 1000)
    expect(maxPerWindow([0, 500, 1000, 1400, 1499, 3000], 1000)).toBe(4); // [500, 1500)
    expect(maxPerWindow([3000, 0, 1400, 500, 1499, 1000], 1000)).toBe(4); // order does not matter
    expect(maxPerWindow([5, 5, 5], 1)).toBe(3);
  });

  it('measures the recorded requests, optionally filtered', async () => {
    const { proxy } = await setup();
    const rec = (at: number, target?: string) => ({ at, method: 'POST', path: '/', ...(target ? { target } : {}) });
    proxy.requests.push(rec(0, 'A'), rec(100, 'B'), rec(200, 'A'), rec(250, 'A'), rec(900, 'A'), rec(2000, 'B'));
    expect(proxy.maxPerWindow(1000)).toBe(5);
    expect(proxy.maxPerWindow(1000, (r) => r.target === 'A')).toBe(4);
    expect(proxy.maxPerWindow(200, (r) => r.target === 'A')).toBe(2);
    expect(proxy.maxPerWindow(1000, (r) => r.target === 'B')).toBe(1);
  });
});
