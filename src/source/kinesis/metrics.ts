import type { MetricDefinition, MetricSample } from '../../component.js';
import type { KinesisSource } from './kinesis-source.js';

function perShard(source: KinesisSource | undefined, value: (s: { lagMs?: number; records: number; throttles: number }) => number | undefined): MetricSample[] | undefined {
  if (!source) return undefined;
  const out: MetricSample[] = [];
  for (const [shard, s] of source.stats.shards) {
    const v = value(s);
    if (v !== undefined) out.push({ labels: { shard }, value: v });
  }
  return out;
}

/** Per-shard lag, records and throttles of the shards this replica reads, and the stream-wide counters. */
export const kinesisMetrics: readonly MetricDefinition<KinesisSource>[] = [
  {
    name: 'kinesis_shard_lag_seconds',
    help: "How far this replica's read of a shard is behind the stream's tip (MillisBehindLatest)",
    type: 'gauge',
    labelNames: ['shard'],
    read: (s) => perShard(s, (x) => (x.lagMs === undefined ? undefined : x.lagMs / 1000)),
  },
  {
    name: 'kinesis_shard_records_total',
    help: 'Stream records read from a shard by this replica',
    type: 'counter',
    labelNames: ['shard'],
    read: (s) => perShard(s, (x) => x.records),
  },
  {
    name: 'kinesis_shard_throttles_total',
    help: 'GetRecords answered ProvisionedThroughputExceeded on a shard, after the SDK retries',
    type: 'counter',
    labelNames: ['shard'],
    read: (s) => perShard(s, (x) => x.throttles),
  },
  { name: 'kinesis_shards_held', help: 'Shards whose lease this replica holds', type: 'gauge', read: (s) => s && s.leases.holding().size },
  { name: 'kinesis_control_messages_total', help: 'CONTROL_MESSAGE records skipped', type: 'counter', read: (s) => s?.stats.controlMessages },
  { name: 'kinesis_other_stream_events_total', help: 'Events of streams without the audit prefix, skipped', type: 'counter', read: (s) => s?.stats.otherStreamEvents },
  { name: 'kinesis_throttled_attempts_total', help: 'HTTP attempts the stream throttled (the SDK retried them)', type: 'counter', read: (s) => s?.stats.throttledAttempts },
  { name: 'kinesis_checkpoints_refused_total', help: 'Shard checkpoints not written because the lease had changed hands', type: 'counter', read: (s) => s?.leases.refusedCheckpoints },
];
