import type { MetricDefinition } from '../../component.js';
import type { CloudWatchSource } from './cloudwatch-source.js';

/** The CloudWatch source's metrics (names are kept as dashboards and alerts know them). */
export const cloudwatchMetrics: readonly MetricDefinition<CloudWatchSource>[] = [
  { name: 'other_stream_events_total', type: 'counter', help: 'Events from streams outside the prefix that CloudWatch returned and were dropped.', read: (c) => c?.stats.otherStreamEvents ?? 0 },
  { name: 'bytes_read_total', type: 'counter', help: 'Bytes of event messages read from CloudWatch Logs.', read: (c) => c?.stats.bytesRead ?? 0 },
  { name: 'token_restarts_total', type: 'counter', help: 'Windows re-read from their start after an expired or unknown nextToken.', read: (c) => c?.stats.tokenRestarts ?? 0 },
  { name: 'cloudwatch_requests_total', type: 'counter', help: 'CloudWatch Logs HTTP requests sent (each spends the request budget).', read: (c) => c?.stats.budget.spent ?? 0 },
  { name: 'cloudwatch_throttles_total', type: 'counter', help: 'CloudWatch Logs requests answered ThrottlingException.', read: (c) => c?.stats.throttles ?? 0 },
  {
    name: 'retries_total',
    type: 'counter',
    help: 'Failed requests retried, by target.',
    labelNames: ['target'],
    read: (c) => [{ labels: { target: 'cloudwatch' }, value: c?.stats.retries ?? 0 }],
  },
  { name: 'cloudwatch_request_budget', type: 'gauge', help: 'CloudWatch Logs requests per second this process allows itself.', read: (c) => c?.stats.budget.perSecond ?? 0 },
  { name: 'sweep_pages_total', type: 'counter', help: 'FilterLogEvents pages read again by the lateness sweeps (each a call).', read: (c) => c?.stats.sweepPages ?? 0 },
  { name: 'sweep_bytes_total', type: 'counter', help: 'Message bytes read again by the lateness sweeps.', read: (c) => c?.stats.sweepBytes ?? 0 },
  { name: 'clock_skew_seconds', type: 'gauge', help: "The pod's clock minus AWS's (from CloudWatch's Date header), as of the last poll.", read: (c) => (c?.stats.clockSkewMs ?? 0) / 1000 },
  { name: 'filter_pattern_refused', type: 'gauge', help: 'CloudWatch refused the filter pattern compiled from the policy (1): every read moves every event.', read: (c) => (c?.stats.filterPatternRefused ? 1 : 0) },
  { name: 'overlap_seconds', type: 'gauge', help: 'How far behind the head each window re-reads, for late arrivals.', read: (c) => (c?.stats.overlapMs ?? 0) / 1000 },
];
