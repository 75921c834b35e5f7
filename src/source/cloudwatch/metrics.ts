import type { MetricDefinition } from '../../component.js';
import type { CloudWatchStats } from './cloudwatch-source.js';

/** The CloudWatch source's metrics (names are kept as dashboards and alerts know them). */
export const cloudwatchMetrics: readonly MetricDefinition<CloudWatchStats>[] = [
  { name: 'other_stream_events_total', type: 'counter', help: 'Events from streams outside the prefix that CloudWatch returned and were dropped.', read: (s) => s?.otherStreamEvents ?? 0 },
  { name: 'bytes_read_total', type: 'counter', help: 'Bytes of event messages read from CloudWatch Logs.', read: (s) => s?.bytesRead ?? 0 },
  { name: 'token_restarts_total', type: 'counter', help: 'Windows re-read from their start after an expired or unknown nextToken.', read: (s) => s?.tokenRestarts ?? 0 },
  { name: 'cloudwatch_requests_total', type: 'counter', help: 'CloudWatch Logs HTTP requests sent (each spends the request budget).', read: (s) => s?.budget.spent ?? 0 },
  { name: 'cloudwatch_throttles_total', type: 'counter', help: 'CloudWatch Logs requests answered ThrottlingException.', read: (s) => s?.throttles ?? 0 },
  {
    name: 'retries_total',
    type: 'counter',
    help: 'Failed requests retried, by target.',
    labelNames: ['target'],
    read: (s) => [{ labels: { target: 'cloudwatch' }, value: s?.retries ?? 0 }],
  },
  { name: 'cloudwatch_request_budget', type: 'gauge', help: 'CloudWatch Logs requests per second this process allows itself.', read: (s) => s?.budget.perSecond ?? 0 },
  { name: 'overlap_seconds', type: 'gauge', help: 'How far behind the head each window re-reads, for late arrivals.', read: (s) => (s?.overlapMs ?? 0) / 1000 },
];
