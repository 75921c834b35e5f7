import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import type { DoctorContext, DoctorResult, HealthReporter } from '../../component.js';
import { errorText } from '../../error-text.js';
import { retryTransient } from '../../retry.js';
import type { Sink, SinkRecord, StoredDocument, VerifyScope, WriteOutcome } from '../sink.js';
import { isTransientElasticError, writeAll } from './bulk-writer.js';
import { elasticsearchDoctor } from './doctor.js';
import { ensureAuditTemplate, ensureIndexTemplates } from './index-template.js';
import { newestIndexedTimestamp } from './newest-indexed.js';
import { auditIndexPattern, keysHeldByContent, missingKeys, storedKeysBetween } from './presence.js';
import type { ElasticsearchSettings } from './settings.js';

/** How long a finished backfill waits at most to make its documents searchable. */
const SEARCHABLE_WAIT_MS = 30_000;

/** Upper bounds (seconds) of the bulk request duration buckets; the last bucket is +Inf. */
export const BULK_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the Elasticsearch sink counts, for metrics and `/status`. */
export class ElasticsearchStats {
  /** Failed requests retried (whole requests, and rounds of items answered 429/5xx). */
  retries = 0;
  /** Bulk requests whose whole request failed or that left items to retry (429/5xx). */
  bulkFailures = 0;
  /** A plain histogram of bulk durations: `counts[i]` per bucket (not cumulative), the last +Inf. */
  readonly bulk = {
    bounds: BULK_DURATION_BUCKETS,
    counts: new Array<number>(BULK_DURATION_BUCKETS.length + 1).fill(0),
    sum: 0,
    count: 0,
  };

  observeBulk(seconds: number, ok: boolean): void {
    const s = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
    let i = this.bulk.bounds.findIndex((le) => s <= le);
    if (i < 0) i = this.bulk.bounds.length;
    this.bulk.counts[i] = (this.bulk.counts[i] ?? 0) + 1;
    this.bulk.sum += s;
    this.bulk.count += 1;
    if (!ok) this.bulkFailures += 1;
  }
}

export interface ElasticsearchSinkOptions {
  settings: ElasticsearchSettings;
  client: Client;
  log: Logger;
  health: HealthReporter;
}

/**
 * Elasticsearch as the store: `create` with the dedup key as `_id` into a deterministic daily
 * index, so a replay answers 409 instead of writing twice; dead letters into their own index.
 */
export class ElasticsearchSink implements Sink {
  readonly name = 'Elasticsearch';
  readonly target = 'elasticsearch';
  readonly identity: readonly string[];
  readonly stats = new ElasticsearchStats();
  /** Indices written to by this process, for `makeSearchable`. */
  private readonly written = new Set<string>();
  /** Clusters (index suffixes) whose audit template is known installed: the configured one after `prepare`. */
  private readonly templated = new Set<string>();

  constructor(private readonly o: ElasticsearchSinkOptions) {
    this.identity = [o.settings.indexSuffix];
  }

  get client(): Client {
    return this.o.client;
  }

  async prepare(stop: AbortSignal): Promise<void> {
    if (!this.o.settings.installTemplate) return;
    const installed = await this.waitingOut(() => ensureIndexTemplates(this.o.client, this.o.settings), stop, 'Elasticsearch not reachable yet; retrying');
    if (installed.length > 0) this.o.log.info({ templates: installed }, 'installed index templates');
    this.templated.add(this.o.settings.indexSuffix);
  }

  async write(records: readonly SinkRecord[], signal: AbortSignal): Promise<WriteOutcome[]> {
    const { settings, client, log, health } = this.o;
    try {
      await this.templateClusters(records, signal);
      const outcomes = await writeAll(records, {
        client,
        indexSuffix: settings.indexSuffix,
        deadLetterIndex: settings.deadLetterIndex,
        signal,
        onRetry: (err, attempt) => {
          this.stats.retries += 1;
          health.failed(this.target, err);
          log.warn({ err: errorText(err), attempt }, 'Elasticsearch write failed; retrying');
        },
        onBulk: (seconds, ok) => this.stats.observeBulk(seconds, ok),
        indices: this.written,
      });
      health.ok(this.target);
      return outcomes;
    } catch (err) {
      if (!signal.aborted) health.failed(this.target, err);
      throw err;
    }
  }

  /**
   * Best effort, within SEARCHABLE_WAIT_MS: a refresh needs the `maintenance` privilege, which the
   * least-privilege role lacks, and what was written is stored either way (searchable at the
   * index's next refresh, a second by default). Only the indices written are named: no wildcard.
   */
  /** Every document has its id from its content: another writer's copy is answered 409, never stored twice. */
  async othersMayHaveWritten(): Promise<void> {}

  async makeSearchable(signal: AbortSignal): Promise<void> {
    if (this.written.size === 0) return;
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(SEARCHABLE_WAIT_MS)]);
    const unrefreshed = 'what was written becomes searchable at the next refresh of its indices (an immediate refresh needs the maintenance privilege on them)';
    try {
      const res = await retryTransient(() => this.o.client.indices.refresh({ index: [...this.written], ignore_unavailable: true, allow_no_indices: true }, { signal: bounded }), {
        signal: bounded,
        isTransient: isTransientElasticError,
      });
      const shards = res._shards;
      if (shards && (shards.total === 0 || (shards.failed ?? 0) > 0)) this.o.log.warn({ shards }, `Elasticsearch refreshed not every index written: ${unrefreshed}`);
    } catch (err) {
      if (!signal.aborted) this.o.log.warn({ err: errorText(err) }, `Elasticsearch refresh failed: ${unrefreshed}`);
    }
  }

  /**
   * Records that name their cluster (push mode, many clusters in one stream) go to that cluster's
   * indices: its audit template is installed before its first index is created, as `prepare` does
   * for the configured one.
   */
  private async templateClusters(records: readonly SinkRecord[], signal: AbortSignal): Promise<void> {
    if (!this.o.settings.installTemplate) return;
    const clusters = new Set(records.map((r) => r.event.cluster).filter((c): c is string => c !== undefined && !this.templated.has(c)));
    for (const cluster of clusters) {
      const installed = await retryTransient(() => ensureAuditTemplate(this.o.client, { indexSuffix: cluster, ilmPolicy: this.o.settings.ilmPolicy }), {
        signal,
        isTransient: isTransientElasticError,
        onRetry: (err) => this.o.log.warn({ err: errorText(err), cluster }, 'installing the audit template failed; retrying'),
      });
      if (installed.length > 0) this.o.log.info({ templates: installed, cluster }, 'installed the audit template of a cluster');
      this.templated.add(cluster);
    }
  }

  newestDelivered(stop: AbortSignal): Promise<number | undefined> {
    return this.waitingOut(
      () => newestIndexedTimestamp(this.o.client, this.o.settings.indexSuffix),
      stop,
      'Elasticsearch not reachable; waiting to look up the newest indexed document',
    );
  }

  heldUnderOtherIds(records: readonly SinkRecord[], signal: AbortSignal): Promise<Set<string>> {
    const audit = records.filter((r) => r.kind === 'audit');
    if (audit.length === 0) return Promise.resolve(new Set());
    return retryTransient(() => keysHeldByContent(this.o.client, audit, auditIndexPattern(this.o.settings.indexSuffix, 'cluster'), this.o.settings), {
      signal,
      isTransient: isTransientElasticError,
      onRetry: (err) => {
        this.stats.retries += 1;
        this.o.health.failed(this.target, err);
        this.o.log.warn({ err: errorText(err) }, 'Elasticsearch search for documents under other ids failed; retrying');
      },
    });
  }

  missing(records: readonly SinkRecord[], scope: VerifyScope): Promise<string[]> {
    return missingKeys(this.o.client, records, this.o.settings, scope);
  }

  storedBetween(from: number, to: number, scope: VerifyScope): AsyncIterable<StoredDocument> {
    return storedKeysBetween(this.o.client, auditIndexPattern(this.o.settings.indexSuffix, scope), from, to);
  }

  doctor(ctx: DoctorContext): Promise<DoctorResult[]> {
    return elasticsearchDoctor(this.o.settings, this.o.client, ctx);
  }

  async close(): Promise<void> {
    await this.o.client.close();
  }

  /** Retries transient failures until `stop`, reporting them; the store's health follows. */
  private async waitingOut<T>(fn: () => Promise<T>, stop: AbortSignal, message: string): Promise<T> {
    const value = await retryTransient(fn, {
      signal: stop,
      isTransient: isTransientElasticError,
      onRetry: (err) => {
        this.o.health.failed(this.target, err);
        this.o.log.warn({ err: errorText(err) }, message);
      },
    });
    this.o.health.ok(this.target);
    return value;
  }
}
