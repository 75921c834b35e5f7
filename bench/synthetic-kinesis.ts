import { serveAwsJson } from './aws-json-server.js';

/**
 * A Kinesis Data Streams endpoint for push mode's bench: the JSON 1.1 protocol the SDK v3 client
 * speaks (`X-Amz-Target: Kinesis_20131202.<Operation>`, `application/x-amz-json-1.1`, record data
 * in base64), serving the calls the forwarder makes (ListShards, DescribeStreamSummary,
 * GetShardIterator, GetRecords) over N shards held in memory. LocalStack's Kinesis (kinesis-mock
 * behind a Python gateway) would be the ceiling of a throughput figure; this stands in for the
 * service's storage only, and keeps the limits AWS documents per shard, so the ceiling is the
 * real service's:
 *
 * - GetRecords: 5 calls a second per shard and 2 MB a second per shard, as token buckets (a
 *   second's worth of burst; a call served while the byte bucket is empty or below zero is
 *   refused, and a big answer drives it below zero, so "a call that returns 10 MB blocks the
 *   next ~5 s" holds); a refused call is a ProvisionedThroughputExceededException (HTTP 400).
 *   At most 10,000 records and 10 MB an answer; `Limit` above 10,000 is a validation error.
 * - GetShardIterator: 5 calls a second per shard (LimitExceededException beyond).
 * - Iterators expire after 5 minutes (ExpiredIteratorException).
 *
 * Records carry real-shaped sequence numbers (56 decimal digits, increasing within a shard),
 * ApproximateArrivalTimestamp (when `put` or `release` made them readable) and the answer's
 * MillisBehindLatest (0 at the tip, else how long ago the next unread record arrived).
 * A stream can be filled before its readers start and `release`d at once (throughput: a backlog
 * that lands after the replicas have split the shards), or fed live with `put` (latency).
 */
export interface SyntheticKinesis {
  url: string;
  streamName: string;
  shardIds: string[];
  /** Appends a record (gzip'd subscription message) to a shard; visible at once unless the stream is held. */
  put(shard: number, data: Buffer, partitionKey?: string): { sequenceNumber: string; arrivedAt: number };
  /** Makes every record put while held readable now (their arrival time: now). */
  release(): number;
  /** Records and bytes (raw, not base64) in the stream. */
  stored(): { records: number; bytes: number };
  served: KinesisServed;
  close(): Promise<void>;
}

export interface KinesisServed {
  /** Answered calls by operation. */
  calls: Record<string, number>;
  getRecords: number;
  /** GetRecords answered with no record. */
  emptyGetRecords: number;
  records: number;
  bytes: number;
  /** Calls refused for the per-shard limits: GetRecords (calls/s, bytes/s) and GetShardIterator. */
  throttledCalls: number;
  throttledBytes: number;
  throttledIterators: number;
  expiredIterators: number;
}

export interface SyntheticKinesisOptions {
  streamName: string;
  shards: number;
  /** Hold every record put until `release()` (default false: readable at once). */
  held?: boolean;
  /** Per-shard limits (defaults: AWS's). */
  callsPerSecond?: number;
  bytesPerSecond?: number;
}

const MB = 1024 * 1024;
const ITERATOR_TTL_MS = 5 * 60_000;
const MAX_RECORDS = 10_000;
const MAX_ANSWER_BYTES = 10 * MB;
const ACCOUNT = '000000000000';
const REGION = 'us-west-2';

interface StoredRecord {
  sequenceNumber: string;
  data: Buffer;
  base64: string;
  partitionKey: string;
  arrivedAt: number;
}

/** A token bucket: `rate` a second, up to a second's worth; `take` may drive it below zero. */
class Bucket {
  private level: number;
  private at = performance.now();
  constructor(private readonly rate: number) {
    this.level = rate;
  }
  private refill(): void {
    const now = performance.now();
    this.level = Math.min(this.rate, this.level + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
  /** True when there is something left (a call may go ahead). */
  available(min = 1): boolean {
    this.refill();
    return this.level >= min;
  }
  take(n: number): void {
    this.refill();
    this.level -= n;
  }
}

interface Shard {
  id: string;
  index: number;
  records: StoredRecord[];
  /** Records [0, visible) are readable. */
  visible: number;
  bytes: number;
  calls: Bucket;
  readBytes: Bucket;
  iterators: Bucket;
}

class KinesisError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** '49' + 4 digits of shard + 50 of position: 56 digits, increasing within a shard. */
const sequenceOf = (shard: number, position: number) => `49${String(shard).padStart(4, '0')}${String(position + 1).padStart(50, '0')}`;
const positionOf = (sequence: string) => Number(BigInt(sequence.slice(6))) - 1;
const shardIdOf = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

export async function startSyntheticKinesis(o: SyntheticKinesisOptions): Promise<SyntheticKinesis> {
  const callsPerSecond = o.callsPerSecond ?? 5;
  const bytesPerSecond = o.bytesPerSecond ?? 2 * MB;
  const arn = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${o.streamName}`;
  const created = Date.now();
  let held = o.held ?? false;
  const shards: Shard[] = Array.from({ length: o.shards }, (_, index) => ({
    id: shardIdOf(index),
    index,
    records: [],
    visible: 0,
    bytes: 0,
    calls: new Bucket(callsPerSecond),
    readBytes: new Bucket(bytesPerSecond),
    iterators: new Bucket(5),
  }));
  const byId = new Map(shards.map((s) => [s.id, s]));
  // 2^128 split evenly: each shard's hash key range, as CreateStream lays them out.
  const span = (1n << 128n) / BigInt(o.shards);
  const hashRange = (i: number) => ({ StartingHashKey: (span * BigInt(i)).toString(), EndingHashKey: (i === o.shards - 1 ? (1n << 128n) - 1n : span * BigInt(i + 1) - 1n).toString() });
  const served: KinesisServed = { calls: {}, getRecords: 0, emptyGetRecords: 0, records: 0, bytes: 0, throttledCalls: 0, throttledBytes: 0, throttledIterators: 0, expiredIterators: 0 };

  const shardOf = (q: { StreamName?: string; StreamARN?: string; ShardId?: string }) => {
    if ((q.StreamName ?? q.StreamARN) !== o.streamName && q.StreamARN !== arn) throw new KinesisError('ResourceNotFoundException', `Stream ${q.StreamName ?? q.StreamARN} under account ${ACCOUNT} not found.`);
    const s = q.ShardId !== undefined ? byId.get(q.ShardId) : undefined;
    if (!s) throw new KinesisError('ResourceNotFoundException', `Shard ${q.ShardId} in stream ${o.streamName} under account ${ACCOUNT} does not exist`);
    return s;
  };
  const iteratorFor = (s: Shard, position: number) => Buffer.from(`${s.index}/${position}/${Date.now()}/${o.streamName}`).toString('base64');

  const operations: Record<string, (q: Record<string, unknown>) => unknown> = {
    DescribeStreamSummary: (q) => {
      if (q.StreamName !== o.streamName && q.StreamARN !== arn) throw new KinesisError('ResourceNotFoundException', `Stream ${String(q.StreamName ?? q.StreamARN)} under account ${ACCOUNT} not found.`);
      return {
        StreamDescriptionSummary: {
          StreamName: o.streamName,
          StreamARN: arn,
          StreamStatus: 'ACTIVE',
          StreamModeDetails: { StreamMode: 'PROVISIONED' },
          RetentionPeriodHours: 24,
          StreamCreationTimestamp: created / 1000,
          EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
          EncryptionType: 'NONE',
          OpenShardCount: shards.length,
          ConsumerCount: 0,
        },
      };
    },
    ListShards: (q) => {
      if (q.NextToken === undefined && q.StreamName !== o.streamName && q.StreamARN !== arn) throw new KinesisError('ResourceNotFoundException', `Stream ${String(q.StreamName ?? q.StreamARN)} under account ${ACCOUNT} not found.`);
      return { Shards: shards.map((s) => ({ ShardId: s.id, HashKeyRange: hashRange(s.index), SequenceNumberRange: { StartingSequenceNumber: sequenceOf(s.index, 0) } })) };
    },
    GetShardIterator: (q) => {
      const s = shardOf(q as never);
      if (!s.iterators.available()) {
        served.throttledIterators += 1;
        throw new KinesisError('LimitExceededException', `Rate exceeded for shard ${s.id} in stream ${o.streamName} under account ${ACCOUNT}.`);
      }
      s.iterators.take(1);
      const type = String(q.ShardIteratorType);
      const seq = q.StartingSequenceNumber as string | undefined;
      const fromSequence = () => {
        if (!seq || !/^\d+$/.test(seq) || seq.slice(2, 6) !== String(s.index).padStart(4, '0')) throw new KinesisError('InvalidArgumentException', `StartingSequenceNumber ${seq} used in GetShardIterator on shard ${s.id} in stream ${o.streamName} under account ${ACCOUNT} is invalid.`);
        return positionOf(seq);
      };
      let position: number;
      switch (type) {
        case 'TRIM_HORIZON':
          position = 0;
          break;
        case 'LATEST':
          position = s.visible;
          break;
        case 'AT_SEQUENCE_NUMBER':
          position = fromSequence();
          break;
        case 'AFTER_SEQUENCE_NUMBER':
          position = fromSequence() + 1;
          break;
        case 'AT_TIMESTAMP': {
          const t = Number(q.Timestamp) * 1000;
          position = s.records.slice(0, s.visible).findIndex((r) => r.arrivedAt >= t);
          if (position < 0) position = s.visible;
          break;
        }
        default:
          throw new KinesisError('ValidationException', `1 validation error detected: Value '${type}' at 'shardIteratorType' failed to satisfy constraint`);
      }
      return { ShardIterator: iteratorFor(s, position) };
    },
    GetRecords: (q) => {
      const limit = q.Limit === undefined ? MAX_RECORDS : Number(q.Limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECORDS) throw new KinesisError('ValidationException', `1 validation error detected: Value '${String(q.Limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000`);
      const parts = Buffer.from(String(q.ShardIterator ?? ''), 'base64').toString('utf8').split('/');
      const s = shards[Number(parts[0])];
      if (parts.length !== 4 || !s || parts[3] !== o.streamName) throw new KinesisError('InvalidArgumentException', 'Invalid ShardIterator.');
      if (Date.now() - Number(parts[2]) > ITERATOR_TTL_MS) {
        served.expiredIterators += 1;
        throw new KinesisError('ExpiredIteratorException', `Iterator expired. The iterator was created at time ${new Date(Number(parts[2])).toUTCString()} while right now it is ${new Date().toUTCString()} which is further in the future than the tolerated delay of 300000 milliseconds.`);
      }
      if (!s.calls.available()) {
        served.throttledCalls += 1;
        throw new KinesisError('ProvisionedThroughputExceededException', `Rate exceeded for shard ${s.id} in stream ${o.streamName} under account ${ACCOUNT}.`);
      }
      if (!s.readBytes.available(0)) {
        served.throttledBytes += 1;
        throw new KinesisError('ProvisionedThroughputExceededException', `Rate exceeded for shard ${s.id} in stream ${o.streamName} under account ${ACCOUNT}.`);
      }
      s.calls.take(1);
      const from = Number(parts[1]);
      let to = from;
      let bytes = 0;
      while (to < s.visible && to - from < limit && (to === from || bytes + s.records[to]!.data.length <= MAX_ANSWER_BYTES)) bytes += s.records[to++]!.data.length;
      s.readBytes.take(bytes);
      const now = Date.now();
      served.getRecords += 1;
      served.records += to - from;
      served.bytes += bytes;
      if (to === from) served.emptyGetRecords += 1;
      const records = s.records.slice(from, to).map((r) => ({ SequenceNumber: r.sequenceNumber, ApproximateArrivalTimestamp: r.arrivedAt / 1000, Data: r.base64, PartitionKey: r.partitionKey }));
      return { Records: records, NextShardIterator: iteratorFor(s, to), MillisBehindLatest: to < s.visible ? Math.max(1, now - s.records[to]!.arrivedAt) : 0 };
    },
  };

  const server = await serveAwsJson((target, q, reply) => {
    const op = target.startsWith('Kinesis_20131202.') ? operations[target.slice('Kinesis_20131202.'.length)] : undefined;
    if (!op) return reply(400, { __type: 'UnknownOperationException', message: `synthetic Kinesis serves ${Object.keys(operations).join(', ')}, not ${target}` });
    try {
      const body = op(q);
      served.calls[target.slice(17)] = (served.calls[target.slice(17)] ?? 0) + 1;
      reply(200, body);
    } catch (err) {
      if (err instanceof KinesisError) return reply(400, { __type: err.type, message: err.message });
      reply(500, { __type: 'InternalFailure', message: String(err) });
    }
  });
  return {
    url: server.url,
    streamName: o.streamName,
    shardIds: shards.map((s) => s.id),
    put(shard, data, partitionKey) {
      const s = shards[shard % shards.length]!;
      const arrivedAt = Date.now();
      const sequenceNumber = sequenceOf(s.index, s.records.length);
      s.records.push({ sequenceNumber, data, base64: data.toString('base64'), partitionKey: partitionKey ?? String(s.records.length), arrivedAt });
      s.bytes += data.length;
      if (!held) s.visible = s.records.length;
      return { sequenceNumber, arrivedAt };
    },
    release() {
      held = false;
      const now = Date.now();
      for (const s of shards) {
        for (let i = s.visible; i < s.records.length; i++) s.records[i]!.arrivedAt = now;
        s.visible = s.records.length;
      }
      return now;
    },
    stored: () => ({ records: shards.reduce((n, s) => n + s.records.length, 0), bytes: shards.reduce((n, s) => n + s.bytes, 0) }),
    served,
    close: server.close,
  };
}
