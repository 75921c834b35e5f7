import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { maxPerWindow } from '../test/support/fault-proxy.js';

/** One CloudWatch Logs request as it passed through the proxy. */
export interface CallRecord {
  /** Arrival time (epoch ms): what the service sees, so what the request budget is judged on. */
  at: number;
  /** `FilterLogEvents`, `DescribeLogGroups`, ... */
  action: string;
  status: number;
  ms: number;
  /** FilterLogEvents only: the `limit` asked for, the events answered, whether a next page exists. */
  limit?: number;
  events?: number;
  more?: boolean;
  /** FilterLogEvents only: the window asked for (epoch ms) and the message bytes answered. */
  start?: number;
  end?: number;
  bytes?: number;
}

export interface CallStats {
  calls: number;
  filterCalls: number;
  /** FilterLogEvents answers that returned the full `limit` of events. */
  fullPages: number;
  /** Answers with no events that still pointed to a next page (pure overhead). */
  emptyPages: number;
  /** Most requests seen in any one-second window (to judge the request budget). */
  maxPerSecond: number;
  /** Calls that had more than `budget` calls in the second starting with them (when a budget is given). */
  overBudgetWindows?: number;
  /** Shortest and 1st-percentile gap between consecutive arrivals (ms): how even the spacing is on the wire. */
  minGapMs: number;
  p1GapMs: number;
  /** Mean service time of FilterLogEvents (ms): the emulator's read speed per call. */
  meanFilterMs: number;
  /** Mean `limit` asked for and mean events answered per FilterLogEvents call. */
  meanLimit: number;
  meanEvents: number;
  /** Events and message bytes FilterLogEvents answered in all. */
  events: number;
  bytes: number;
}

export interface CountingProxy {
  url: string;
  records: CallRecord[];
  stats(budget?: number): CallStats;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of LocalStack that records every CloudWatch Logs call, so
 * calls can be counted for `run` too (its log has no API call count) and the request budget can
 * be checked from the service's side. It reads the JSON bodies of FilterLogEvents to tell full
 * pages from short and empty ones. Every CloudWatch client of the bench goes through one, so the
 * ceiling and the forwarder pay the same extra hop.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const records: CallRecord[] = [];

  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = String(req.headers['x-amz-target'] ?? '').split('.').pop() || 'unknown';
      const headers = { ...req.headers, host: upstream.host };
      const up = http.request(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (ur) => {
          const out: Buffer[] = [];
          ur.on('data', (c: Buffer) => out.push(c));
          ur.on('end', () => {
            const answer = Buffer.concat(out);
            const rec: CallRecord = { at, action, status: ur.statusCode ?? 0, ms: Date.now() - at };
            res.writeHead(ur.statusCode ?? 502, ur.headers);
            res.end(answer);
            // After answering, so parsing the page is not part of the call's latency.
            if (action === 'FilterLogEvents' && rec.status === 200) describePage(rec, body, answer, ur.headers['content-encoding']);
            records.push(rec);
          });
        },
      );
      up.on('error', (err) => {
        records.push({ at, action, status: 502, ms: Date.now() - at });
        res.writeHead(502);
        res.end(String(err));
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    stats: (budget?: number) => callStats(records, budget),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function describePage(rec: CallRecord, request: Buffer, answer: Buffer, encoding: string | string[] | undefined): void {
  try {
    // LocalStack answers plain JSON; gzip (should a client ask for it) is undone to count alike.
    const text = (encoding === 'gzip' ? gunzipSync(answer) : answer).toString('utf8');
    const q = JSON.parse(request.toString('utf8')) as { limit?: number; startTime?: number; endTime?: number };
    const a = JSON.parse(text) as { events?: { message?: string }[]; nextToken?: string };
    rec.limit = q.limit;
    rec.start = q.startTime;
    rec.end = q.endTime;
    rec.events = a.events?.length ?? 0;
    rec.bytes = (a.events ?? []).reduce((n, e) => n + (e.message?.length ?? 0), 0);
    rec.more = Boolean(a.nextToken);
  } catch {
    // not JSON: leave the page undescribed
  }
}

export function callStats(records: CallRecord[], budget?: number): CallStats {
  const filter = records.filter((r) => r.action === 'FilterLogEvents');
  const times = records.map((r) => r.at).sort((a, b) => a - b);
  const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
  let over = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j]! < times[i]! + 1_000) j++;
    if (budget !== undefined && j - i > budget) over += 1;
  }
  return {
    calls: records.length,
    filterCalls: filter.length,
    fullPages: filter.filter((r) => r.limit !== undefined && r.events === r.limit).length,
    emptyPages: filter.filter((r) => r.events === 0 && r.more).length,
    maxPerSecond: maxPerWindow(times, 1_000),
    ...(budget !== undefined ? { overBudgetWindows: over } : {}),
    minGapMs: gaps[0] ?? Number.NaN,
    p1GapMs: gaps[Math.floor(gaps.length * 0.01)] ?? Number.NaN,
    meanFilterMs: mean(filter.map((r) => r.ms)),
    meanLimit: mean(filter.flatMap((r) => (r.limit === undefined ? [] : [r.limit]))),
    meanEvents: mean(filter.flatMap((r) => (r.events === undefined ? [] : [r.events]))),
    events: filter.reduce((n, r) => n + (r.events ?? 0), 0),
    bytes: filter.reduce((n, r) => n + (r.bytes ?? 0), 0),
  };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}
