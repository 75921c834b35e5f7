import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record, type ShardIteratorType } from '@aws-sdk/client-kinesis';
import type { Logger } from 'pino';
import type { DoctorContext, DoctorResult, HealthReporter } from '../../component.js';
import { errorText } from '../../error-text.js';
import { waitTicking } from '../../wait.js';
import type { SourceEvent } from '../../event.js';
import type { PositionSummary, ReadControl, Source, SourceBatch } from '../source.js';
import { streamRef } from './client.js';
import type { LeaseCoordinator } from './lease-coordinator.js';
import type { ListedShard } from './lease-table.js';
import { describeKinesisPosition, kinesisPositionSchema, type KinesisPosition } from './position.js';
import type { KinesisSettings } from './settings.js';
import { decodeSubscriptionRecord } from './subscription-record.js';

/** Kinesis's per-shard read limits: 5 GetRecords a second, 2 MB a second. */
const MIN_CALL_SPACING_MS = 200;
const SHARD_BYTES_PER_SECOND = 2 * 1024 * 1024;
/** Event text in one batch, at most (a single record's events stay together: it is the unit of a checkpoint). */
const BATCH_BYTES = 2 * 1024 * 1024;

/** One shard's reading, as this replica sees it. */
export interface ShardStats {
  owner: string;
  lagMs?: number;
  records: number;
  events: number;
  throttles: number;
}

export class KinesisStats {
  getRecordsCalls = 0;
  records = 0;
  controlMessages = 0;
  otherStreamEvents = 0;
  invalidRecords = 0;
  /** GetRecords that stayed throttled after the SDK's retries (the shard backs off). */
  throttles = 0;
  /** HTTP attempts the stream throttled, retried or not. */
  throttledAttempts = 0;
  iteratorsRenewed = 0;
  readonly shards = new Map<string, ShardStats>();

  shard(id: string, owner: string): ShardStats {
    let s = this.shards.get(id);
    if (!s) this.shards.set(id, (s = { owner, records: 0, events: 0, throttles: 0 }));
    return s;
  }
}

interface ShardReader {
  counter: number;
  iterator?: string;
  /** Last sequence number read (not necessarily acknowledged yet). */
  after?: string;
  nextAt: number;
  backoffMs: number;
  closed: boolean;
  /** Nothing yielded yet since the lease was taken: another replica may have written what comes first. */
  taken: boolean;
}

export interface KinesisSourceOptions {
  settings: KinesisSettings;
  client: KinesisClient;
  leases: LeaseCoordinator;
  stats: KinesisStats;
  log: Logger;
  health: HealthReporter;
  now?: () => number;
}

/**
 * A Kinesis stream fed by CloudWatch Logs subscription filters, as a source: this replica reads
 * the shards its leases give it, one GetRecords at a time within each shard's limits, and yields
 * a batch per answer. Its position is per shard; the lease store saves it once acknowledged.
 */
export class KinesisSource implements Source<KinesisPosition> {
  readonly kind = 'kinesis';
  readonly identity: readonly string[];
  readonly target = 'kinesis';
  /** Push mode has no re-reads: an event arrives when CloudWatch ingests it. */
  readonly latenessCeilingMs = 0;
  readonly replayHorizonMs = 0;
  private readonly now: () => number;
  /** The lease counter under which each shard's first batch was delivered by this process. */
  private readonly readUnder = new Map<string, number>();

  constructor(private readonly o: KinesisSourceOptions) {
    this.identity = [o.settings.stream, o.settings.streamPrefix];
    this.now = o.now ?? Date.now;
  }

  get stats(): KinesisStats {
    return this.o.stats;
  }

  get leases(): LeaseCoordinator {
    return this.o.leases;
  }

  parsePosition(saved: unknown): KinesisPosition {
    const parsed = kinesisPositionSchema.safeParse(saved);
    if (!parsed.success) throw new Error(`not a kinesis position: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  startAt(): KinesisPosition {
    return { shards: {} };
  }

  upTo(): Source<KinesisPosition> {
    throw new Error('backfill and verify read CloudWatch Logs (FilterLogEvents), not the stream');
  }

  finished(): boolean {
    return false;
  }

  describe(position: KinesisPosition): PositionSummary {
    return describeKinesisPosition(position);
  }

  async doctor(_ctx: DoctorContext): Promise<DoctorResult[]> {
    return [];
  }

  close(): void {
    this.o.client.destroy();
  }

  /** The stream's shards, for the lease table. */
  async listShards(): Promise<ListedShard[]> {
    const out: ListedShard[] = [];
    // The SDK has no ListShards paginator: a next page names the token alone, not the stream.
    let token: string | undefined;
    do {
      const page = await this.o.client.send(new ListShardsCommand(token ? { NextToken: token } : streamRef(this.o.settings.stream)));
      for (const s of page.Shards ?? []) out.push({ shardId: s.ShardId!, parents: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p) });
      token = page.NextToken;
    } while (token);
    return out;
  }

  async *read(from: KinesisPosition, control: ReadControl): AsyncGenerator<SourceBatch<KinesisPosition>> {
    let position = from;
    const readers = new Map<string, ShardReader>();
    const me = this.o.leases.identity;
    while (!control.stop.aborted) {
      this.o.health.tick();
      const holding = this.o.leases.holding();
      for (const [id, r] of readers) {
        if (holding.get(id)?.counter === r.counter) continue;
        readers.delete(id);
        this.o.stats.shards.delete(id);
      }
      for (const [id, held] of holding) {
        if (readers.has(id)) continue;
        // Taken (again): from the checkpoint the table holds, whoever wrote it.
        // Another replica may have written it only if the lease is new to this process: a cycle
        // restarted over a lease whose first batch was already delivered replays its own writes.
        const taken = this.readUnder.get(id) !== held.counter;
        readers.set(id, { counter: held.counter, after: held.sequence, nextAt: 0, backoffMs: 0, closed: false, taken });
        position = { shards: { ...position.shards, [id]: { counter: held.counter, sequence: held.sequence } } };
      }
      const open = [...readers.entries()].filter(([, r]) => !r.closed);
      const next = open.sort((a, b) => a[1].nextAt - b[1].nextAt)[0];
      const wait = next ? next[1].nextAt - this.now() : this.o.leases.renewIntervalMs;
      if (wait > 0) {
        await waitTicking(Math.min(wait, this.o.leases.renewIntervalMs), control.stop, this.o.health);
        continue;
      }
      const [shardId, reader] = next!;
      const got = await this.getRecords(shardId, reader, control);
      if (!got) continue;
      const { records, closed } = got;
      if (records.length === 0 && !closed) continue;
      const s = this.o.stats.shard(shardId, me);
      // Decoded a slice at a time: one answer holds up to 10 MB of gzip'd events, and memory
      // must follow the slice (about what one FilterLogEvents page holds), not the answer.
      let events: SourceEvent[] = [];
      let bytes = 0;
      for (let i = 0; i < Math.max(records.length, 1); i++) {
        const rec = records[i];
        for (const e of rec ? this.decode(shardId, rec) : []) {
          events.push(e);
          bytes += e.message.length;
        }
        const last = i >= records.length - 1;
        if (!last && bytes < BATCH_BYTES) continue;
        const shard = position.shards[shardId] ?? { counter: reader.counter };
        position = {
          shards: { ...position.shards, [shardId]: { counter: reader.counter, sequence: rec?.SequenceNumber ?? shard.sequence, ...(last && closed ? { finished: true } : {}) } },
        };
        s.events += events.length;
        const { counter, taken } = reader;
        reader.taken = false;
        yield {
          events,
          position,
          othersMayHaveWritten: taken,
          stillOwned: () => this.o.leases.mayWrite(shardId, counter),
          // Only once delivered: a cycle that ends before must tell the sink again.
          ...(taken ? { acknowledged: () => void this.readUnder.set(shardId, counter) } : {}),
        };
        events = [];
        bytes = 0;
      }
    }
  }

  /** One GetRecords on a shard, within its limits; undefined when it must wait (throttled, iterator renewed). */
  private async getRecords(shardId: string, r: ShardReader, control: ReadControl): Promise<{ records: _Record[]; closed: boolean } | undefined> {
    const { client, settings, stats, log, health } = this.o;
    const ref = streamRef(settings.stream);
    try {
      if (!r.iterator) {
        const type: ShardIteratorType = r.after ? 'AFTER_SEQUENCE_NUMBER' : settings.startAt === 'trim-horizon' ? 'TRIM_HORIZON' : 'AT_TIMESTAMP';
        const it = await client.send(
          new GetShardIteratorCommand({
            ...ref,
            ShardId: shardId,
            ShardIteratorType: type,
            StartingSequenceNumber: r.after,
            Timestamp: type === 'AT_TIMESTAMP' ? new Date(settings.startAt as number) : undefined,
          }),
          { abortSignal: control.signal },
        );
        r.iterator = it.ShardIterator;
      }
      const started = this.now();
      const out = await client.send(new GetRecordsCommand({ ...(ref.StreamARN ? { StreamARN: ref.StreamARN } : {}), ShardIterator: r.iterator, Limit: settings.recordsPerCall }), {
        abortSignal: control.signal,
      });
      stats.getRecordsCalls += 1;
      health.ok(this.target);
      r.backoffMs = 0;
      r.iterator = out.NextShardIterator ?? undefined;
      const records = out.Records ?? [];
      const bytes = records.reduce((n, rec) => n + (rec.Data?.length ?? 0), 0);
      const s = stats.shard(shardId, this.o.leases.identity);
      s.lagMs = out.MillisBehindLatest;
      s.records += records.length;
      stats.records += records.length;
      const idle = records.length === 0 && (out.MillisBehindLatest ?? 0) === 0;
      r.nextAt = started + Math.max(MIN_CALL_SPACING_MS, (bytes / SHARD_BYTES_PER_SECOND) * 1000, idle ? settings.idlePollMs : 0);
      const closed = out.NextShardIterator === undefined || out.NextShardIterator === null;
      if (closed) {
        r.closed = true;
        log.info({ shard: shardId }, 'shard closed and read to its end (resharded): its children start once acknowledged');
      }
      const lastSequence = records.at(-1)?.SequenceNumber;
      if (lastSequence) r.after = lastSequence;
      return { records, closed };
    } catch (err) {
      if (control.signal.aborted) throw err;
      const name = (err as { name?: string }).name;
      if (name === 'ExpiredIteratorException') {
        // Iterators live 5 minutes: a new one from the last record read.
        stats.iteratorsRenewed += 1;
        r.iterator = undefined;
        return undefined;
      }
      if (name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException') {
        stats.throttles += 1;
        stats.shard(shardId, this.o.leases.identity).throttles += 1;
        r.backoffMs = Math.min(10_000, Math.max(1_000, r.backoffMs * 2));
        r.nextAt = this.now() + r.backoffMs;
        log.debug({ shard: shardId, backoffMs: r.backoffMs }, 'shard read throttled; backing off');
        return undefined;
      }
      health.failed(this.target, err);
      log.warn({ shard: shardId, err: errorText(err) }, 'shard read failed');
      throw err;
    }
  }

  private decode(shardId: string, rec: _Record): SourceEvent[] {
    const arrivedAt = rec.ApproximateArrivalTimestamp?.getTime() ?? this.now();
    const decoded = decodeSubscriptionRecord(rec.Data ?? new Uint8Array(), arrivedAt, { streamPrefix: this.o.settings.streamPrefix, clusters: this.o.settings.clusters });
    switch (decoded.kind) {
      case 'control':
        this.o.stats.controlMessages += 1;
        return [];
      case 'other-stream':
        this.o.stats.otherStreamEvents += decoded.events;
        return [];
      case 'invalid':
        // Kept whole: the transform dead-letters what is not an audit event.
        this.o.stats.invalidRecords += 1;
        this.o.log.warn({ shard: shardId, sequence: rec.SequenceNumber, reason: decoded.reason }, 'stream record is not a subscription message; dead-lettering it');
        return [
          {
            group: this.o.settings.stream,
            stream: shardId,
            eventId: rec.SequenceNumber ?? `${shardId}-${arrivedAt}`,
            timestamp: arrivedAt,
            ingestionTime: arrivedAt,
            message: Buffer.from(rec.Data ?? new Uint8Array()).toString('base64'),
          },
        ];
      case 'data':
        return decoded.events;
    }
  }
}
