import type { Logger } from 'pino';
import type { CheckpointStore } from './checkpoint/checkpoint.js';
import { checkpointKey } from './checkpoint/key.js';
import type { HealthReporter, MetricSection } from './component.js';
import type { Settings } from './config/settings.js';
import { maskSecrets } from './error-text.js';
import { ConfigError } from './config/errors.js';
import { FileCheckpointStore } from './checkpoint/file-store.js';
import { runDoctor, type DoctorPlan, type DoctorResult } from './ops/doctor.js';
import type { PositionFormat, StatusSource } from './ops/status.js';
import { pipelineMetrics, type PipelineView } from './pipeline/metrics.js';
import type { Pipeline } from './pipeline/pipeline.js';
import { Stats } from './pipeline/stats.js';
import { createElasticClient } from './sink/elasticsearch/client.js';
import { ELASTICSEARCH_CHECKS, elasticsearchDoctor } from './sink/elasticsearch/doctor.js';
import { ElasticsearchSink } from './sink/elasticsearch/elasticsearch-sink.js';
import { elasticsearchMetrics } from './sink/elasticsearch/metrics.js';
import { createCloudWatchClient } from './source/cloudwatch/client.js';
import { CloudWatchSource, CloudWatchStats, type CloudWatchMode } from './source/cloudwatch/cloudwatch-source.js';
import { CLOUDWATCH_CHECKS, cloudwatchDoctor } from './source/cloudwatch/doctor.js';
import { compileFilterPattern } from './source/cloudwatch/filter-pattern.js';
import { cloudwatchMetrics } from './source/cloudwatch/metrics.js';
import { describePosition, positionLine, positionLines, type CloudWatchPosition } from './source/cloudwatch/position.js';
import { createRequestBudget, type RequestBudget } from './source/cloudwatch/request-budget.js';
import { loadPolicyFile } from './transform/policy-file.js';
import { compilePolicy, DEFAULT_POLICY, type AuditPolicy } from './transform/policy.js';

/**
 * Where the components are chosen and wired: the one module that knows both the CloudWatch
 * source and the Elasticsearch sink. The pipeline, the ops endpoints and the commands see only
 * the Source and Sink interfaces and what is built here.
 */

/** The health targets of the configured components, in order. */
export const TARGETS = ['cloudwatch', 'elasticsearch'] as const;

/** Every check `doctor` runs, in order. */
export const DOCTOR_CHECKS = ['configuration', ...CLOUDWATCH_CHECKS, ...ELASTICSEARCH_CHECKS, 'checkpoint'] as const;

/** A pipeline with its concrete components, for metrics, status and the commands' reports. */
export interface RunningPipeline extends Pipeline<CloudWatchPosition> {
  source: CloudWatchSource;
  sink: ElasticsearchSink;
  budget: RequestBudget;
}

export interface WiringOptions {
  log: Logger;
  health: HealthReporter;
  /** `tail` for `run` (default), a closed window for `backfill` and `verify`. */
  mode?: CloudWatchMode;
  /** `verify` reads without the prefilter, as it judges by the policy alone. */
  prefilter?: boolean;
  /** Shares one request budget between the slices of a backfill. */
  budget?: RequestBudget;
  /** Shares one set of counters between the slices of a backfill. */
  stats?: Stats;
}

/** The audit policy of the settings. Throws ConfigError for an unreadable policy file. */
export function policyOf(settings: Settings): AuditPolicy {
  return settings.pipeline.auditPolicyFile ? loadPolicyFile(settings.pipeline.auditPolicyFile) : DEFAULT_POLICY;
}

/** Wires source, transform and sink from validated settings. Throws ConfigError for an unreadable file. */
export function createPipeline(settings: Settings, opts: WiringOptions): RunningPipeline {
  const { log, health } = opts;
  const policy = policyOf(settings);
  const budget = opts.budget ?? createRequestBudget(settings.cloudwatch.requestsPerSecond);
  const sink = new ElasticsearchSink({ settings: settings.elasticsearch, client: createElasticClient(settings.elasticsearch), log, health });
  const sourceStats = new CloudWatchStats(budget);
  const client = createCloudWatchClient({
    region: settings.cloudwatch.region,
    budget,
    credentials: settings.cloudwatch.awsCredentials,
    onAttempt: (outcome) => {
      if (outcome.throttled) sourceStats.throttles += 1;
      if (outcome.throttled) log.debug('CloudWatch throttled a request');
    },
  });
  const prefilter = opts.prefilter ?? settings.cloudwatch.prefilter;
  const filterPattern = prefilter ? compileFilterPattern(policy) : undefined;
  if (prefilter && opts.mode?.kind !== 'window') log.info({ filterPattern: filterPattern ?? null }, filterPattern ? 'CloudWatch prefilter on' : 'the policy compiles to no useful prefilter');
  const source = new CloudWatchSource({ settings: settings.cloudwatch, client, stats: sourceStats, mode: opts.mode ?? { kind: 'tail' }, filterPattern, log, health });
  return { source, sink, transform: { policy: compilePolicy(policy) }, stats: opts.stats ?? new Stats(), log, health, budget };
}

/** Releases both ends of a pipeline. */
export async function closePipeline(p: RunningPipeline): Promise<void> {
  await p.sink.close();
  p.source.close();
}

/** The key of the `run` checkpoint: the source's and the sink's identity. */
export function runCheckpointKey(settings: Settings): string {
  return checkpointKey('run', settings.cloudwatch.groupName, settings.cloudwatch.streamPrefix, settings.elasticsearch.indexSuffix);
}

/** The key of one backfill slice's checkpoint. */
export function backfillCheckpointKey(settings: Settings, window: { from: number; to: number }, slice: number, slices: number): string {
  return checkpointKey('backfill', settings.cloudwatch.groupName, settings.cloudwatch.streamPrefix, settings.elasticsearch.indexSuffix, window.from, window.to, `${slice}/${slices}`);
}

/** How positions of the configured source read in `status` and `doctor`. */
export const positionFormat: PositionFormat = {
  describe: (position) => describePosition(position as CloudWatchPosition),
  lines: positionLines,
};

/** The metrics of every component, read from the pipeline running now (none on a standby). */
export function metricSections(current: () => RunningPipeline | undefined): MetricSection[] {
  return [
    { definitions: pipelineMetrics, state: (): PipelineView | undefined => { const p = current(); return p && { stats: p.stats, group: p.source.identity[0]! }; } },
    { definitions: cloudwatchMetrics, state: () => current()?.source.stats },
    { definitions: elasticsearchMetrics, state: () => current()?.sink.stats },
  ];
}

/** What `/status` shows of a running pipeline. */
export function statusSource(p: RunningPipeline): StatusSource {
  return {
    stats: p.stats,
    group: p.source.identity[0]!,
    format: positionFormat,
    fields: () => ({ overlapSeconds: p.source.stats.overlapMs / 1000 }),
    counters: () => componentCounters(p),
  };
}

/** The components' counters, as summaries and `/status` name them. */
export function componentCounters(p: RunningPipeline): Record<string, number> {
  return {
    retriesCloudwatch: p.source.stats.retries,
    retriesElasticsearch: p.sink.stats.retries,
    throttles: p.source.stats.throttles,
    bulkFailures: p.sink.stats.bulkFailures,
    cloudwatchRequests: p.budget.spent,
  };
}

/** The checks `doctor` runs with these settings, each component's own. */
export function doctorPlan(settings: Settings, checkpoint: CheckpointStore): DoctorPlan & { close(): Promise<void> } {
  const budget = createRequestBudget(settings.cloudwatch.requestsPerSecond);
  const cloudwatch = createCloudWatchClient({ region: settings.cloudwatch.region, budget, credentials: settings.cloudwatch.awsCredentials });
  let elastic: ReturnType<typeof createElasticClient> | Error;
  try {
    elastic = createElasticClient(settings.elasticsearch);
  } catch (err) {
    elastic = err as Error;
  }
  const { cloudwatch: cw, elasticsearch: es } = settings;
  return {
    configuration: `region ${cw.region}, group ${cw.groupName}, prefix ${cw.streamPrefix}, Elasticsearch ${maskSecrets(es.node)}, cluster ${es.indexSuffix}`,
    components: [(ctx) => cloudwatchDoctor(cw, cloudwatch, ctx), (ctx) => elasticsearchDoctor(es, elastic, ctx)],
    checkpoint,
    describe: (position) => positionLine(describePosition(position as CloudWatchPosition)),
    async close() {
      cloudwatch.destroy();
      if (!(elastic instanceof Error)) await elastic.close().catch(() => undefined);
    },
  };
}

/** `doctor` with these settings (or the error resolving them), against `checkpoint` (default: the run's file). */
export async function doctorFor(settings: Settings | ConfigError, checkpoint?: CheckpointStore): Promise<DoctorResult[]> {
  if (settings instanceof ConfigError) return runDoctor(settings, { checkNames: DOCTOR_CHECKS });
  const plan = doctorPlan(settings, checkpoint ?? new FileCheckpointStore(settings.pipeline.stateDir, runCheckpointKey(settings)));
  try {
    return await runDoctor(plan, { checkNames: DOCTOR_CHECKS });
  } finally {
    await plan.close();
  }
}
