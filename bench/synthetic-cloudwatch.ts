import { expectedDocuments } from '../localstack/expected.js';
import { auditEvents, generateScenario, type ScenarioAuditEvent } from '../localstack/scenario.js';
import { filterPatternMatches } from '../test/support/filter-pattern-evaluator.js';
import { serveAwsJson } from './aws-json-server.js';

/**
 * A FilterLogEvents endpoint (the JSON 1.1 protocol the SDK speaks) over a backlog too big for
 * the emulator: LocalStack would need hours and gigabytes to hold and page 1,000,000 events (its
 * per-call cost grows with the group). It serves one seeded hour of the scenario generator
 * repeated `repeats` times, each copy an hour earlier and with its own auditIDs, so every event
 * still becomes its own document. For the memory-against-backlog check and the prefilter's
 * bytes (LocalStack ignores filter patterns; this applies them with the tests' evaluator of the
 * documented syntax). The forwarder is the real, unchanged CLI; what this stands in for is only
 * the service's storage and filtering.
 */
export interface SyntheticCloudWatch {
  url: string;
  logGroupName: string;
  auditEvents: number;
  expectedDocs: number;
  bytes: number;
  window: { from: number; to: number };
  /** The i-th event (0 = oldest) as served: for ceilings made of the same events. */
  event(i: number): { stream: string; timestamp: number; message: string };
  /** What was served so far: FilterLogEvents calls, events and message bytes in the answers. */
  served: { calls: number; events: number; bytes: number };
  close(): Promise<void>;
}

export interface SyntheticOptions {
  cluster: string;
  seed: number;
  /** Events of the one generated hour. */
  baseEvents: number;
  repeats: number;
  streams: number;
  mutationShare: number;
  payloadBytes: number;
  /** Added to every answer, as the round trip to a remote service would (default 0). */
  callLatencyMs?: number;
}

const HOUR_MS = 3_600_000;

export async function startSyntheticCloudWatch(o: SyntheticOptions): Promise<SyntheticCloudWatch> {
  const startMs = Date.now() - 2 * 60_000 - HOUR_MS;
  const scenario = generateScenario({ ...o, events: o.baseEvents, startMs, spanMs: HOUR_MS, auditStreams: o.streams, otherStreams: false });
  const base: ScenarioAuditEvent[] = auditEvents(scenario);
  const n = base.length;
  const total = n * o.repeats;
  // Copy r (0 = oldest) lies (repeats - 1 - r) spans before the generated one; a span is just
  // longer than the copy, so timestamps stay sorted across copies.
  const span = base[n - 1]!.timestamp - base[0]!.timestamp + 1_000;
  const timestampOf = (i: number) => base[i % n]!.timestamp - (o.repeats - 1 - Math.floor(i / n)) * span;
  const messageOf = (i: number) => {
    const copy = Math.floor(i / n);
    const m = base[i % n]!.message;
    if (copy === o.repeats - 1) return m;
    // The auditID's first 8 hex digits name the copy: distinct ids, same shape and size. Its
    // timestamps move back with its CloudWatch timestamp, as a real earlier hour's would.
    const shift = (o.repeats - 1 - copy) * span;
    return m
      .replace(/"auditID":"[0-9a-f]{8}/, `"auditID":"${copy.toString(16).padStart(8, '0')}`)
      .replace(/"(requestReceivedTimestamp|stageTimestamp)":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})(\d*)Z"/g, (_all, field: string, ms: string, micro: string) => {
        const moved = new Date(Date.parse(`${ms}Z`) - shift).toISOString().slice(0, 23);
        return `"${field}":"${moved}${micro}Z"`;
      });
  };
  /** First virtual index whose timestamp is >= t. */
  const lowerBound = (t: number) => {
    let lo = 0;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (timestampOf(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let bytes = 0;
  for (const e of base) bytes += e.message.length;
  const served = { calls: 0, events: 0, bytes: 0 };
  // Copies differ only in their auditID, which no pattern the compiler emits looks at.
  const verdicts = new Map<string, boolean[]>();
  const matchesCached = (pattern: string, baseIndex: number) => {
    let v = verdicts.get(pattern);
    if (!v) verdicts.set(pattern, (v = []));
    return (v[baseIndex] ??= filterPatternMatches(pattern, base[baseIndex]!.message));
  };

  const server = await serveAwsJson((target, request, reply) => {
    if (!target.endsWith('.FilterLogEvents')) return reply(400, { __type: 'UnknownOperationException', message: `synthetic source serves FilterLogEvents only, not ${target}` });
    const q = request as { logGroupName?: string; startTime?: number; endTime?: number; nextToken?: string; limit?: number; filterPattern?: string };
    if (q.logGroupName !== scenario.logGroupName) return reply(400, { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
    const from = q.nextToken !== undefined ? Number(q.nextToken) : lowerBound(q.startTime ?? 0);
    const end = q.endTime === undefined ? total : lowerBound(q.endTime + 1);
    const limit = q.limit ?? 10_000;
    const events = [];
    let i = from;
    for (; i < end && events.length < limit; i++) {
      if (q.filterPattern && !matchesCached(q.filterPattern, i % n)) continue;
      const message = messageOf(i);
      const timestamp = timestampOf(i);
      events.push({ logStreamName: base[i % n]!.stream, timestamp, ingestionTime: timestamp + 1_000, message, eventId: String(i).padStart(20, '0') });
      served.bytes += message.length;
    }
    served.calls += 1;
    served.events += events.length;
    const body = { events, searchedLogStreams: [], ...(i < end ? { nextToken: String(i) } : {}) };
    if (o.callLatencyMs) setTimeout(() => reply(200, body), o.callLatencyMs);
    else reply(200, body);
  });
  return {
    url: server.url,
    logGroupName: scenario.logGroupName,
    auditEvents: total,
    expectedDocs: expectedDocuments(scenario).expected.size * o.repeats,
    bytes: bytes * o.repeats,
    window: { from: timestampOf(0) - 1_000, to: timestampOf(total - 1) + 1_000 },
    event: (i: number) => ({ stream: base[i % n]!.stream, timestamp: timestampOf(i), message: messageOf(i) }),
    served,
    close: server.close,
  };
}
