import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric, type MetricValueWithName } from 'prom-client';
import { Stats } from '../pipeline/stats.js';
import type { Health } from './health.js';

export const METRIC_PREFIX = 'eks_log_forwarder_';

type Budget = { readonly spent: number; readonly perSecond: number };
/** A value, or a getter for one that changes (in the cluster, each new pipeline has its own). */
type Source<T> = T | (() => T | undefined);

export interface MetricsSources {
  /** Undefined (from a getter) while no pipeline runs: counters read 0, lag and age are absent. */
  stats: Source<Stats>;
  health: Health;
  /** The CloudWatch request budget: requests sent, and the allowance per second. */
  budget: Source<Budget>;
  /** The log group, the `group` label of lag and checkpoint age. */
  group: Source<string>;
  /** prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
  now?: () => number;
}

/**
 * A Prometheus registry whose every value is read from `Stats`, `Health` and the request budget
 * when scraped: the pipeline only counts, and knows nothing of prom-client.
 */
export function createMetricsRegistry(src: MetricsSources): Registry {
  const registry = new Registry();
  const now = src.now ?? Date.now;
  const { health } = src;
  const registers = [registry];
  const idle = new Stats();
  const read = <T>(v: Source<T>): T | undefined => (typeof v === 'function' ? (v as () => T | undefined)() : v);
  // Read at every scrape, so each sees the pipeline running now.
  const stats = () => read(src.stats) ?? idle;
  const budget = () => read(src.budget) ?? { spent: 0, perSecond: 0 };

  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(nonNegative(value()));
      },
    });
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });
  /** A gauge labelled with the group, absent while its value is unknown. */
  const groupGauge = (name: string, help: string, readValue: () => number | undefined) =>
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      labelNames: ['group'] as const,
      registers,
      collect() {
        this.reset();
        const group = read(src.group);
        const v = readValue();
        if (group !== undefined && v !== undefined) this.set({ group }, v);
      },
    });

  counter('events_read_total', 'Audit-stream events read from CloudWatch Logs.', () => stats().eventsRead);
  counter('events_forwarded_total', 'Audit documents Elasticsearch acknowledged (created or already present).', () => stats().forwarded);
  counter('events_filtered_total', 'Events the audit policy dropped.', () => stats().filtered);
  counter('events_dead_lettered_total', 'Dead letters stored (events that did not parse or that Elasticsearch refused).', () => stats().deadLettered);
  counter('events_late_caught_total', 'Events found new in a range already read (late arrivals caught by the overlap).', () => stats().lateCaught);
  counter('events_invalid_total', 'Audit-stream events that did not parse as audit events.', () => stats().invalid);
  counter('documents_already_present_total', 'Documents that were already indexed (replays absorbed by the deterministic id).', () => stats().alreadyPresent);
  counter('documents_rejected_total', 'Documents Elasticsearch refused for good (dead-lettered instead).', () => stats().rejected);
  counter('other_stream_events_total', 'Events from streams outside the prefix that CloudWatch returned and were dropped.', () => stats().otherStreamEvents);
  counter('pages_total', 'FilterLogEvents pages forwarded and checkpointed.', () => stats().pages);
  counter('bytes_read_total', 'Bytes of event messages read from CloudWatch Logs.', () => stats().bytesRead);
  counter('token_restarts_total', 'Windows re-read from their start after an expired or unknown nextToken.', () => stats().tokenRestarts);
  counter('cloudwatch_requests_total', 'CloudWatch Logs HTTP requests sent (each spends the request budget).', () => budget().spent);
  counter('cloudwatch_throttles_total', 'CloudWatch Logs requests answered ThrottlingException.', () => stats().throttles);
  counter('bulk_failures_total', 'Bulk requests that failed or left items to retry.', () => stats().bulkFailures);
  new Counter({
    name: `${METRIC_PREFIX}retries_total`,
    help: 'Failed requests retried, by target.',
    labelNames: ['target'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ target: 'cloudwatch' }, nonNegative(stats().retriesCloudwatch));
      this.inc({ target: 'elasticsearch' }, nonNegative(stats().retriesElasticsearch));
    },
  });

  gauge('cloudwatch_request_budget', 'CloudWatch Logs requests per second this process allows itself.', () => budget().perSecond);
  gauge('overlap_seconds', 'How far behind the head each window re-reads, for late arrivals.', () => stats().overlapMs / 1000);
  gauge('ready', '1 when ready (configured, both targets answering), else 0.', () => (health.ready().ready ? 1 : 0));
  gauge('leader', '1 when this process is the one forwarding (leader, or single instance), else 0.', () =>
    health.role === 'leader' || health.role === 'single' ? 1 : 0,
  );
  groupGauge('lag_seconds', 'Now minus the newest forwarded event timestamp.', () => {
    const newest = stats().newestKnownForwarded;
    return newest === undefined ? undefined : Math.max(0, (now() - newest) / 1000);
  });
  groupGauge('checkpoint_age_seconds', 'Now minus the last checkpoint save.', () => {
    const at = stats().lastCheckpointAt;
    return at === undefined ? undefined : Math.max(0, (now() - at) / 1000);
  });

  registry.registerMetric(bulkDurationHistogram(stats) as unknown as Metric);
  if (src.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The bulk duration histogram, read from the plain buckets Stats keeps. A registry metric only
 * needs a name, help, type and `get()`; prom-client's own Histogram cannot be set from counts.
 */
function bulkDurationHistogram(stats: () => Stats) {
  const name = `${METRIC_PREFIX}bulk_duration_seconds`;
  return {
    name,
    help: 'Duration of Elasticsearch bulk requests.',
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    reset() {},
    async get() {
      const { bounds, counts, sum, count } = stats().bulk;
      const values: MetricValueWithName<string>[] = [];
      let cumulative = 0;
      bounds.forEach((le, i) => {
        cumulative += counts[i] ?? 0;
        values.push({ metricName: `${name}_bucket`, labels: { le }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: count });
      values.push({ metricName: `${name}_sum`, labels: {}, value: sum });
      values.push({ metricName: `${name}_count`, labels: {}, value: count });
      return { name, help: 'Duration of Elasticsearch bulk requests.', type: 'histogram', aggregator: 'sum', values };
    },
  };
}

const nonNegative = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);
