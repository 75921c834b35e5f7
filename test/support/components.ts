import type { RunningPipeline } from '../../src/components.js';
import { Stats } from '../../src/pipeline/stats.js';
import { ElasticsearchSink, ElasticsearchStats } from '../../src/sink/elasticsearch/elasticsearch-sink.js';
import type { ElasticsearchSettings } from '../../src/sink/elasticsearch/settings.js';
import type { Settings } from '../../src/settings.js';
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
  const pipeline = { stats, budget, source: { stats: source, identity: [group] }, sink: { stats: sink }, sinkKind: 'elasticsearch' } as unknown as RunningPipeline;
  return { stats, source, sink, budget, pipeline };
}

/** The Elasticsearch settings of settings that chose Elasticsearch (a test's precondition). */
export function elasticsearchOf(settings: Settings): ElasticsearchSettings {
  if (settings.sink !== 'elasticsearch') throw new Error(`the settings chose ${settings.sink}, not elasticsearch`);
  return settings.elasticsearch;
}

/** The Elasticsearch sink of a pipeline wired with it (a test's precondition). */
export function elasticsearchSinkOf(p: RunningPipeline): ElasticsearchSink {
  if (!(p.sink instanceof ElasticsearchSink)) throw new Error(`the pipeline writes to ${p.sink.name}, not Elasticsearch`);
  return p.sink;
}
