import type { DoctorContext, DoctorResult } from '../../component.js';
import type { Sink, SinkRecord, StoredDocument, VerifyScope, WriteOptions, WriteOutcome } from '../sink.js';
import { LinseedSink, LinseedStats, type LinseedSinkOptions } from './linseed-sink.js';
import type { LinseedSettings } from './settings.js';
import type { LinseedClient } from './client.js';

export interface LinseedByClusterOptions extends Omit<LinseedSinkOptions, 'client'> {
  /** A client for one cluster's settings (its `x-cluster-id`). */
  clientFor(settings: LinseedSettings): LinseedClient;
}

/**
 * Linseed for records of several clusters: Linseed takes the cluster from each request's
 * `x-cluster-id`, not from the document, so every cluster a record names (push mode: one stream
 * carries many clusters' log groups) gets its own LinseedSink, with its own header and its own
 * delivered set. A record naming no cluster goes to the configured one (LINSEED_CLUSTER_ID).
 */
export class LinseedByCluster implements Sink {
  readonly name = 'Linseed';
  readonly target = 'linseed';
  readonly identity: readonly string[];
  private readonly sinks = new Map<string, LinseedSink>();
  private readonly configured: LinseedSink;

  constructor(private readonly o: LinseedByClusterOptions) {
    this.configured = this.sinkOf(undefined);
    this.identity = this.configured.identity;
  }

  /** The sink of a cluster, made on first use. */
  private sinkOf(cluster: string | undefined): LinseedSink {
    const id = cluster ?? this.o.settings.clusterId;
    const known = this.sinks.get(id ?? '');
    if (known) return known;
    const settings: LinseedSettings = { ...this.o.settings, ...(id ? { clusterId: id } : {}) };
    const sink = new LinseedSink({ ...this.o, settings, client: this.o.clientFor(settings) });
    this.sinks.set(id ?? '', sink);
    return sink;
  }

  /** Every cluster's counts added up, for metrics and `/status`. */
  get stats(): LinseedStats {
    const sum = new LinseedStats();
    for (const s of this.sinks.values()) for (const k of Object.keys(sum) as (keyof LinseedStats)[]) sum[k] += s.stats[k];
    return sum;
  }

  get delivered(): { size: number } {
    let size = 0;
    for (const s of this.sinks.values()) size += s.delivered.size;
    return { size };
  }

  async prepare(): Promise<void> {}

  /** The records of each cluster, with their places in `records`. */
  private byCluster(records: readonly SinkRecord[]): Map<LinseedSink, { at: number[]; records: SinkRecord[] }> {
    const groups = new Map<LinseedSink, { at: number[]; records: SinkRecord[] }>();
    records.forEach((r, i) => {
      const sink = this.sinkOf(r.event.cluster);
      const g = groups.get(sink) ?? groups.set(sink, { at: [], records: [] }).get(sink)!;
      g.at.push(i);
      g.records.push(r);
    });
    return groups;
  }

  async write(records: readonly SinkRecord[], signal: AbortSignal, opts?: WriteOptions): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = new Array(records.length);
    for (const [sink, g] of this.byCluster(records)) {
      const out = await sink.write(g.records, signal, opts);
      g.at.forEach((i, j) => (outcomes[i] = out[j]!));
    }
    return outcomes;
  }

  async othersMayHaveWritten(): Promise<void> {
    for (const s of this.sinks.values()) await s.othersMayHaveWritten();
  }

  async makeSearchable(signal: AbortSignal): Promise<void> {
    for (const s of this.sinks.values()) await s.makeSearchable(signal);
  }

  async heldUnderOtherIds(records: readonly SinkRecord[], signal: AbortSignal): Promise<Set<string>> {
    const held = new Set<string>();
    for (const [sink, g] of this.byCluster(records)) for (const k of await sink.heldUnderOtherIds(g.records, signal)) held.add(k);
    return held;
  }

  async missing(records: readonly SinkRecord[]): Promise<string[]> {
    const missing: string[] = [];
    for (const [sink, g] of this.byCluster(records)) missing.push(...(await sink.missing(g.records)));
    return missing;
  }

  // A first start and `verify`'s listing read one cluster: the configured one (the poller's).
  newestDelivered(stop: AbortSignal): Promise<number | undefined> {
    return this.configured.newestDelivered(stop);
  }

  storedBetween(from: number, to: number, _scope: VerifyScope): AsyncIterable<StoredDocument> {
    return this.configured.storedBetween(from, to);
  }

  doctor(ctx: DoctorContext): Promise<DoctorResult[]> {
    return this.configured.doctor(ctx);
  }

  async close(): Promise<void> {
    for (const s of this.sinks.values()) await s.close();
  }
}
