import type { MetricDefinition } from '../../component.js';
import type { LinseedByCluster } from './by-cluster.js';

/** The Linseed sink's metrics. */
export const linseedMetrics: readonly MetricDefinition<LinseedByCluster>[] = [
  { name: 'linseed_bulk_requests_total', type: 'counter', help: 'Bulk write requests sent to Linseed.', read: (s) => s?.stats.bulkRequests ?? 0 },
  { name: 'linseed_read_requests_total', type: 'counter', help: "Pages read from Linseed's read API (read backs, first start).", read: (s) => s?.stats.readRequests ?? 0 },
  {
    name: 'linseed_partial_failures_total',
    type: 'counter',
    help: 'Bulk answers 200 with failed > 0, resolved by reading back and sending line by line.',
    read: (s) => s?.stats.partialFailures ?? 0,
  },
  { name: 'linseed_read_backs_total', type: 'counter', help: 'Time ranges read back because what Linseed held was in doubt.', read: (s) => s?.stats.readBacks ?? 0 },
  {
    name: 'linseed_delivered_keys',
    type: 'gauge',
    help: 'Dedup keys held of what Linseed stores within the replay horizon (64-bit fingerprints).',
    read: (s) => s?.delivered.size ?? 0,
  },
  {
    name: 'retries_total',
    type: 'counter',
    help: 'Failed requests retried, by target.',
    labelNames: ['target'],
    read: (s) => [{ labels: { target: 'linseed' }, value: s?.stats.retries ?? 0 }],
  },
];
