/**
 * Writes a generated scenario into CloudWatch Logs (LocalStack, moto or AWS).
 *
 *   tsx localstack/seed.ts --cluster demo --events 5000 --seed 1 [--span 2h] [--end now]
 *
 * Environment: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (or AWS_ENDPOINT_URL), AWS_REGION (us-west-2),
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (test/test when an endpoint is set and none given).
 * Prints a one-line JSON summary on stdout.
 */
import { parseDuration, parseInstant } from '../src/time.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type InputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CW_EVENT_OVERHEAD_BYTES,
  CW_MAX_EVENT_BYTES,
  generateScenario,
  type Scenario,
  type ScenarioEvent,
} from './scenario.js';

/** PutLogEvents limits (AWS documents them; the emulators do not enforce them). */
export const PUT_MAX_EVENTS = 10_000;
export const PUT_MAX_BYTES = 1_048_576;
export const PUT_MAX_SPAN_MS = 24 * 3_600_000;

export interface SeedResult {
  /** Events written. */
  events: number;
  /** Message bytes written (UTF-8, without the 26-byte per-event overhead). */
  bytes: number;
  /** API requests sent, retries included. */
  calls: number;
}

export interface SeedOptions {
  /** Streams written in parallel. Default 4. */
  concurrency?: number;
}

/**
 * Splits events (sorted by timestamp) into PutLogEvents batches within every documented limit:
 * count, bytes including the per-event overhead, and 24 h span.
 */
export function toBatches(events: readonly ScenarioEvent[]): { events: InputLogEvent[]; bytes: number }[] {
  const out: { events: InputLogEvent[]; bytes: number }[] = [];
  let cur: InputLogEvent[] = [];
  let curBytes = 0; // with overhead
  let msgBytes = 0;
  let first = 0;
  for (const e of events) {
    const b = Buffer.byteLength(e.message, 'utf8');
    if (b + CW_EVENT_OVERHEAD_BYTES > CW_MAX_EVENT_BYTES) {
      throw new RangeError(`event at ${e.timestamp} is ${b} bytes: over CloudWatch's ${CW_MAX_EVENT_BYTES}-byte limit`);
    }
    if (
      cur.length > 0 &&
      (cur.length === PUT_MAX_EVENTS || curBytes + b + CW_EVENT_OVERHEAD_BYTES > PUT_MAX_BYTES || e.timestamp - first >= PUT_MAX_SPAN_MS)
    ) {
      out.push({ events: cur, bytes: msgBytes });
      cur = [];
      curBytes = 0;
      msgBytes = 0;
    }
    if (cur.length === 0) first = e.timestamp;
    cur.push({ timestamp: e.timestamp, message: e.message });
    curBytes += b + CW_EVENT_OVERHEAD_BYTES;
    msgBytes += b;
  }
  if (cur.length) out.push({ events: cur, bytes: msgBytes });
  return out;
}

/** Appends events to an existing stream (sorted first: a batch must be in timestamp order). */
export async function putEvents(
  client: CloudWatchLogsClient,
  logGroupName: string,
  logStreamName: string,
  events: readonly ScenarioEvent[],
): Promise<SeedResult> {
  const counter = { calls: 0 };
  const result = await putStream(client, logGroupName, logStreamName, events, counter);
  return { ...result, calls: counter.calls };
}

/** Creates the group and streams, then writes every stream, a few streams at a time. */
export async function seedScenario(client: CloudWatchLogsClient, scenario: Scenario, opts: SeedOptions = {}): Promise<SeedResult> {
  const counter = { calls: 0 };
  const group = scenario.logGroupName;
  await ignoreExists(send(counter, () => client.send(new CreateLogGroupCommand({ logGroupName: group }))));
  const totals = { events: 0, bytes: 0 };
  // Biggest streams first, so the long ones do not start last.
  const queue = [...scenario.streams].sort((a, b) => b.events.length - a.events.length);
  const worker = async (): Promise<void> => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      await ignoreExists(send(counter, () => client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s.name }))));
      const r = await putStream(client, group, s.name, s.events, counter);
      totals.events += r.events;
      totals.bytes += r.bytes;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return { ...totals, calls: counter.calls };
}

async function putStream(
  client: CloudWatchLogsClient,
  group: string,
  stream: string,
  events: readonly ScenarioEvent[],
  counter: { calls: number },
): Promise<{ events: number; bytes: number }> {
  let sorted = events;
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.timestamp < events[i - 1]!.timestamp) {
      sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
      break;
    }
  }
  let n = 0;
  let bytes = 0;
  for (const batch of toBatches(sorted)) {
    const res = await send(counter, () =>
      client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: batch.events })),
    );
    // Rejected events come back in a 200 response; dropping them silently would make every
    // expectation computed from the scenario wrong.
    const rej = res.rejectedLogEventsInfo;
    if (rej && (rej.tooOldLogEventEndIndex !== undefined || rej.tooNewLogEventStartIndex !== undefined || rej.expiredLogEventEndIndex !== undefined)) {
      const first = batch.events[0]!.timestamp ?? 0;
      const last = batch.events[batch.events.length - 1]!.timestamp ?? 0;
      throw new Error(
        `PutLogEvents rejected events of ${group}/${stream} (batch ${new Date(first).toISOString()}..${new Date(last).toISOString()}): ${JSON.stringify(rej)}. ` +
          'CloudWatch accepts only events from the last 14 days up to 2 hours ahead.',
      );
    }
    n += batch.events.length;
    bytes += batch.bytes;
  }
  return { events: n, bytes };
}

const RETRYABLE = new Set(['ThrottlingException', 'ServiceUnavailableException', 'TooManyRequestsException', 'RequestLimitExceeded']);

async function send<T>(counter: { calls: number }, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    counter.calls++;
    try {
      return await call();
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ?? 0;
      if (attempt >= 8 || !(RETRYABLE.has(e.name ?? '') || status === 429 || status >= 500)) throw err;
      const delay = Math.min(10_000, 200 * 2 ** attempt);
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
    }
  }
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceAlreadyExistsException') throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): CloudWatchLogsClient {
  const endpoint = env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS || env.AWS_ENDPOINT_URL || undefined;
  const keys = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY;
  return new CloudWatchLogsClient({
    region: env.AWS_REGION || 'us-west-2',
    ...(endpoint ? { endpoint } : {}),
    // Emulators accept anything; only default to test/test when pointed at one.
    ...(endpoint && !keys ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
  });
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      cluster: { type: 'string' },
      events: { type: 'string', default: '5000' },
      seed: { type: 'string', default: '1' },
      span: { type: 'string', default: '1h' },
      end: { type: 'string', default: 'now' },
      truncated: { type: 'string', default: '0' },
      'audit-streams': { type: 'string', default: '2' },
      'mutation-share': { type: 'string', default: '0.15' },
      'payload-bytes': { type: 'string', default: '2048' },
      'no-other-streams': { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '4' },
    },
    strict: true,
  });
  if (!values.cluster) throw new Error('--cluster is required');
  const now = Date.now();
  const spanMs = parseDuration(values.span);
  const endMs = parseInstant(values.end, now);
  if (spanMs === undefined) throw new RangeError(`bad --span: ${values.span}`);
  if (endMs === undefined) throw new RangeError(`bad --end: ${values.end}`);
  const startMs = endMs - spanMs;
  // What CloudWatch (and the emulators) accept; fail before writing half a scenario.
  if (startMs < now - 14 * 86_400_000 + 60_000) throw new RangeError('window starts more than 14 days ago: CloudWatch would reject those events');
  if (endMs > now + 2 * 3_600_000 - 60_000) throw new RangeError('window ends more than 2 hours ahead: CloudWatch would reject those events');

  const t0 = performance.now();
  const scenario = generateScenario({
    cluster: values.cluster,
    seed: Number(values.seed),
    events: Number(values.events),
    startMs,
    spanMs,
    auditStreams: Number(values['audit-streams']),
    otherStreams: !values['no-other-streams'],
    mutationShare: Number(values['mutation-share']),
    truncated: Number(values.truncated),
    payloadBytes: Number(values['payload-bytes']),
  });
  const t1 = performance.now();
  const client = clientFromEnv();
  try {
    const r = await seedScenario(client, scenario, { concurrency: Number(values.concurrency) });
    const t2 = performance.now();
    process.stdout.write(
      `${JSON.stringify({
        logGroupName: scenario.logGroupName,
        streams: scenario.streams.length,
        auditEvents: scenario.streams.filter((s) => s.audit).reduce((n, s) => n + s.events.length, 0),
        ...r,
        startMs,
        endMs,
        generateSeconds: Number(((t1 - t0) / 1000).toFixed(3)),
        seedSeconds: Number(((t2 - t1) / 1000).toFixed(3)),
      })}\n`,
    );
  } finally {
    client.destroy();
  }
}

const invokedPath = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invokedPath && fileURLToPath(import.meta.url) === invokedPath) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`seed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
