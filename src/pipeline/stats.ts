import type { Checkpoint } from '../checkpoint/checkpoint.js';

/** Upper bounds (seconds) of the bulk request duration buckets; the last bucket is +Inf. */
export const BULK_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A plain cumulative histogram of bulk request durations, read by the metrics at scrape time. */
export interface BulkObservations {
  /** Upper bounds of the buckets (seconds), ascending; `counts` has one more slot for +Inf. */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); `counts[bounds.length]` is the +Inf bucket. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export type RetryTarget = 'cloudwatch' | 'elasticsearch';

/**
 * Counters of one process, read by summaries, progress and metrics. A plain in-process object:
 * no metrics library, no clock other than Date.now() at the moment something happens.
 */
export class Stats {
  eventsRead = 0;
  otherStreamEvents = 0;
  bytesRead = 0;
  pages = 0;
  /** Audit documents Elasticsearch acknowledged (new or already present). */
  forwarded = 0;
  created = 0;
  alreadyPresent = 0;
  filtered = 0;
  /** Events that did not parse as audit events. */
  invalid = 0;
  /** Documents Elasticsearch refused for good. */
  rejected = 0;
  deadLettered = 0;
  /** Events found new in a range already read (caught by the lateness overlap). */
  lateCaught = 0;
  /** Retries of both targets (the sum of the two below). */
  retries = 0;
  retriesCloudwatch = 0;
  retriesElasticsearch = 0;
  /** CloudWatch HTTP attempts answered ThrottlingException (the SDK's own retries included). */
  throttles = 0;
  tokenRestarts = 0;
  /** Newest CloudWatch timestamp of an acknowledged audit event. */
  newestForwarded: number | undefined;
  /** The overlap re-read behind the head, sized from observed lateness (ms). */
  overlapMs = 0;
  /** When the checkpoint was last saved (epoch ms), or loaded: its own `updatedAt`. */
  lastCheckpointAt: number | undefined;
  /** The checkpoint last saved or loaded. */
  checkpoint: Checkpoint | undefined;
  /** Bulk requests whose whole request failed or that left items to retry (429/5xx). */
  bulkFailures = 0;
  readonly bulk: BulkObservations = {
    bounds: BULK_DURATION_BUCKETS,
    counts: new Array<number>(BULK_DURATION_BUCKETS.length + 1).fill(0),
    sum: 0,
    count: 0,
  };
  readonly startedAt = Date.now();

  /** One bulk request took `seconds`; `ok` is false when it failed or left items to retry. */
  observeBulk(seconds: number, ok: boolean): void {
    const s = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
    let i = this.bulk.bounds.findIndex((le) => s <= le);
    if (i < 0) i = this.bulk.bounds.length;
    this.bulk.counts[i] = (this.bulk.counts[i] ?? 0) + 1;
    this.bulk.sum += s;
    this.bulk.count += 1;
    if (!ok) this.bulkFailures += 1;
  }

  /** A failed request to `target` is about to be retried. */
  countRetry(target: RetryTarget): void {
    this.retries += 1;
    if (target === 'cloudwatch') this.retriesCloudwatch += 1;
    else this.retriesElasticsearch += 1;
  }

  /** For the CloudWatch client's `onAttempt` hook: counts throttled HTTP attempts. */
  cloudwatchAttempt(outcome: { throttled: boolean; status?: number }): void {
    if (outcome.throttled) this.throttles += 1;
  }

  /** The checkpoint was just saved. */
  checkpointSaved(checkpoint: Checkpoint, at = Date.now()): void {
    this.checkpoint = checkpoint;
    this.lastCheckpointAt = at;
  }

  /** A checkpoint was loaded at start: its age counts from when it was saved. */
  checkpointLoaded(checkpoint: Checkpoint): void {
    const at = Date.parse(checkpoint.updatedAt);
    this.checkpoint = checkpoint;
    this.lastCheckpointAt = Number.isFinite(at) ? at : undefined;
  }

  /** Newest forwarded event timestamp: of this process, else the one the checkpoint remembers. */
  get newestKnownForwarded(): number | undefined {
    const a = this.newestForwarded;
    const b = this.checkpoint?.newestForwarded;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.max(a, b);
  }
}
