import type { MetricDefinition } from '../../component.js';
import { ElasticsearchStats, type ElasticsearchSink } from './elasticsearch-sink.js';

/** The Elasticsearch sink's metrics (names are kept as dashboards and alerts know them). */
export const elasticsearchMetrics: readonly MetricDefinition<ElasticsearchSink>[] = [
  { name: 'bulk_failures_total', type: 'counter', help: 'Bulk requests that failed or left items to retry.', read: (s) => s?.stats.bulkFailures ?? 0 },
  {
    name: 'retries_total',
    type: 'counter',
    help: 'Failed requests retried, by target.',
    labelNames: ['target'],
    read: (s) => [{ labels: { target: 'elasticsearch' }, value: s?.stats.retries ?? 0 }],
  },
  { name: 'bulk_duration_seconds', type: 'histogram', help: 'Duration of Elasticsearch bulk requests.', read: (s) => (s?.stats ?? new ElasticsearchStats()).bulk },
];
