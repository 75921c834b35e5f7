import type { RunningPipeline } from '../../src/components.js';
import { Stats } from '../../src/pipeline/stats.js';
import { ElasticsearchStats } from '../../src/sink/elasticsearch/elasticsearch-sink.js';
import { CloudWatchStats } from '../../src/source/cloudwatch/cloudwatch-source.js';
import type { RequestBudget } from '../../src/source/cloudwatch/request-budget.js';

/** The counters of a pipeline and its components, without clients: what metrics and `/status` read. */
export interface CountersOnly {
  stats: Stats;
  source: CloudWatchStats;
  sink: ElasticsearchStats;
  budget: { spent: number; perSecond: number };
  /** Shaped as a running pipeline for `metricSections` and `statusSource` (they read counters only). */
  pipeline: RunningPipeline;
}

export function countersOnly(group: string, budget = { spent: 0, perSecond: 2 }, stats = new Stats()): CountersOnly {
  const source = new CloudWatchStats(budget as unknown as RequestBudget);
  const sink = new ElasticsearchStats();
  const pipeline = { stats, budget, source: { stats: source, identity: [group] }, sink: { stats: sink } } as unknown as RunningPipeline;
  return { stats, source, sink, budget, pipeline };
}
