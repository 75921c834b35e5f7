import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { filterPatternMatches } from './filter-pattern-evaluator.js';

/**
 * A FilterLogEvents endpoint with CloudWatch's ordering and cursor semantics, for what LocalStack
 * cannot show: events that become visible only when they are ingested, late, in any pattern.
 * It is an emulator of the documented contract (JSON 1.1 protocol, inclusive time bounds,
 * `logStreamNamePrefix`, filter patterns as the tests' evaluator reads them), not of AWS's
 * implementation:
 * - an event is returned only once its `ingestionTime` has passed on this server's clock;
 * - events come in timestamp order (arrival order among equal timestamps), `limit` at a time
 *   and at most 1 MB of messages a page;
 * - a `nextToken` continues after the last event returned: an event ingested later whose place
 *   lies before that cursor is not returned by that token, as CloudWatch's tokens do not go back;
 * - every answer carries the server's `Date` header (AWS's clock, as the forwarder sees it);
 * - CreateLogGroup, CreateLogStream and PutLogEvents store events ingested at the put, so a
 *   writer (the benchmark's live feed) can use it as it would CloudWatch (no sequence tokens,
 *   no validation of its own beyond JSON).
 */
export interface CloudWatchEmulator {
  url: string;
  /** Stores events; each becomes visible at its `ingestionTime` (default: now). */
  put(group: string, stream: string, events: { timestamp: number; message: string; ingestionTime?: number }[]): void;
  /** FilterLogEvents calls answered so far, and the events and bytes in them. */
  served: { calls: number; events: number; bytes: number };
  close(): Promise<void>;
}

/** One FilterLogEvents call as the emulator answered it, for a test that acts on the moment (see `onServed`). */
export interface ServedCall {
  /** The server's clock when it answered (epoch ms). */
  at: number;
  startTime?: number;
  endTime?: number;
  /** The request carried a `nextToken` (a page after a window's first). */
  continued: boolean;
  events: number;
  /** The answer carried a `nextToken`: the window has more pages. */
  more: boolean;
  filterPattern?: string;
}

export interface CloudWatchEmulatorOptions {
  /** Called after each FilterLogEvents answer is sent (a test can stop a client between two pages). */
  onServed?: (call: ServedCall) => void;
}

interface Stored {
  group: string;
  stream: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  seq: number;
}

/** A FilterLogEvents page holds at most 1 MB (counted here as message bytes). */
const PAGE_BYTES = 1_048_576;

export async function startCloudWatchEmulator(options: CloudWatchEmulatorOptions = {}): Promise<CloudWatchEmulator> {
  const events: Stored[] = [];
  let seq = 0;
  const order = (a: { timestamp: number; seq: number }, b: { timestamp: number; seq: number }) => a.timestamp - b.timestamp || a.seq - b.seq;
  const store = (group: string, stream: string, batch: { timestamp: number; message: string; ingestionTime?: number }[]) => {
    const now = Date.now();
    for (const e of batch) events.push({ group, stream, timestamp: e.timestamp, ingestionTime: e.ingestionTime ?? now, message: e.message, seq: seq++ });
    events.sort(order);
  };
  const served = { calls: 0, events: 0, bytes: 0 };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `emulator-${served.calls}`, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const target = String(req.headers['x-amz-target'] ?? '').split('.').at(-1);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'request body is not JSON' });
      }
      if (target === 'CreateLogGroup' || target === 'CreateLogStream') return reply(200, {});
      if (target === 'PutLogEvents') {
        const put = body as { logGroupName: string; logStreamName: string; logEvents: { timestamp: number; message: string }[] };
        store(put.logGroupName, put.logStreamName, put.logEvents);
        return reply(200, {});
      }
      if (target !== 'FilterLogEvents') return reply(400, { __type: 'UnknownOperationException', message: `the emulator does not serve ${target}` });
      const q = body as { logGroupName?: string; logStreamNamePrefix?: string; startTime?: number; endTime?: number; nextToken?: string; limit?: number; filterPattern?: string };
      let cursor: { timestamp: number; seq: number } | undefined;
      if (q.nextToken !== undefined) {
        try {
          cursor = JSON.parse(Buffer.from(q.nextToken, 'base64url').toString('utf8'));
        } catch {
          return reply(400, { __type: 'InvalidParameterException', message: 'The specified nextToken is invalid.' });
        }
      }
      const now = Date.now();
      const start = q.startTime ?? 0;
      const end = q.endTime ?? Number.POSITIVE_INFINITY;
      const limit = q.limit ?? 10_000;
      const page: Stored[] = [];
      let pageBytes = 0;
      let more = false;
      for (const e of events) {
        if (e.group !== q.logGroupName || e.timestamp < start || e.timestamp > end || e.ingestionTime > now) continue;
        if (q.logStreamNamePrefix && !e.stream.startsWith(q.logStreamNamePrefix)) continue;
        if (cursor && order(e, cursor) <= 0) continue;
        if (q.filterPattern && !filterPatternMatches(q.filterPattern, e.message)) continue;
        if (page.length === limit || (page.length > 0 && pageBytes + e.message.length > PAGE_BYTES)) {
          more = true;
          break;
        }
        page.push(e);
        pageBytes += e.message.length;
      }
      served.calls += 1;
      served.events += page.length;
      for (const e of page) served.bytes += e.message.length;
      const last = page.at(-1);
      reply(200, {
        events: page.map((e) => ({ logStreamName: e.stream, timestamp: e.timestamp, ingestionTime: e.ingestionTime, message: e.message, eventId: String(e.seq).padStart(20, '0') })),
        searchedLogStreams: [],
        ...(more && last ? { nextToken: Buffer.from(JSON.stringify({ timestamp: last.timestamp, seq: last.seq })).toString('base64url') } : {}),
      });
      options.onServed?.({ at: now, startTime: q.startTime, endTime: q.endTime, continued: q.nextToken !== undefined, events: page.length, more: Boolean(more && last), filterPattern: q.filterPattern });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    put: store,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
