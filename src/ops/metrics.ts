import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric, type MetricValueWithName } from 'prom-client';
import type { MetricDefinition, MetricSection } from '../component.js';
import type { Health } from './health.js';

export const METRIC_PREFIX = 'eks_log_forwarder_';

export interface MetricsSources {
  health: Health;
  /** The components' metrics (the pipeline's, the source's, the sink's), read at every scrape. */
  sections: readonly MetricSection[];
  /** prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
  now?: () => number;
}

type Bound = { def: MetricDefinition<unknown>; state: () => unknown };

/**
 * A Prometheus registry whose every value is read from the components' own state when scraped:
 * components only count, and know nothing of prom-client. Definitions of the same name from
 * several components (`retries_total` by target) become one metric.
 */
export function createMetricsRegistry(src: MetricsSources): Registry {
  const registry = new Registry();
  const registers = [registry];
  const now = src.now ?? Date.now;
  const byName = new Map<string, Bound[]>();
  for (const section of src.sections) {
    for (const def of section.definitions) byName.set(def.name, [...(byName.get(def.name) ?? []), { def, state: section.state }]);
  }

  for (const [name, bound] of byName) {
    const first = bound[0]!.def;
    if (first.type === 'histogram') {
      const state = bound[0]!.state;
      registry.registerMetric(histogram(METRIC_PREFIX + name, first.help, () => first.read(state())) as unknown as Metric);
      continue;
    }
    const labelNames = [...new Set(bound.flatMap((b) => (b.def.type === 'histogram' ? [] : (b.def.labelNames ?? []))))];
    const samples = () =>
      bound.flatMap((b) => {
        if (b.def.type === 'histogram') return [];
        const v = b.def.read(b.state(), now());
        if (v === undefined) return [];
        return typeof v === 'number' ? [{ labels: {}, value: v }] : v.map((s) => ({ labels: s.labels ?? {}, value: s.value }));
      });
    const options = { name: METRIC_PREFIX + name, help: first.help, labelNames, registers };
    if (first.type === 'counter') {
      new Counter({
        ...options,
        collect() {
          this.reset();
          for (const s of samples()) this.inc(s.labels, nonNegative(s.value));
        },
      });
    } else {
      new Gauge({
        ...options,
        collect() {
          this.reset();
          for (const s of samples()) this.set(s.labels, s.value);
        },
      });
    }
  }

  const { health } = src;
  new Gauge({
    name: `${METRIC_PREFIX}ready`,
    help: '1 when ready (configured, both targets answering), else 0.',
    registers,
    collect() {
      this.set(health.ready().ready ? 1 : 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}leader`,
    help: '1 when this process is the one forwarding (leader, or single instance), else 0.',
    registers,
    collect() {
      this.set(health.role === 'leader' || health.role === 'single' ? 1 : 0);
    },
  });
  if (src.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * A histogram read from plain buckets. A registry metric only needs a name, help, type and
 * `get()`; prom-client's own Histogram cannot be set from counts.
 */
function histogram(name: string, help: string, read: () => { bounds: readonly number[]; counts: readonly number[]; sum: number; count: number } | undefined) {
  return {
    name,
    help,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    reset() {},
    async get() {
      const h = read() ?? { bounds: [], counts: [], sum: 0, count: 0 };
      const values: MetricValueWithName<string>[] = [];
      let cumulative = 0;
      h.bounds.forEach((le, i) => {
        cumulative += h.counts[i] ?? 0;
        values.push({ metricName: `${name}_bucket`, labels: { le }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count });
      values.push({ metricName: `${name}_sum`, labels: {}, value: h.sum });
      values.push({ metricName: `${name}_count`, labels: {}, value: h.count });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}

const nonNegative = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);
