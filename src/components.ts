import type { Logger } from 'pino';
import type { CheckpointStore } from './checkpoint/checkpoint.js';
import { FileCheckpointStore } from './checkpoint/file-store.js';
import { checkpointKey } from './checkpoint/key.js';
import type { HealthReporter, MetricSection } from './component.js';
import { ConfigError } from './config/errors.js';
import type { Settings, SinkSettings } from './settings.js';
import type { AuditReader } from './sink/sink.js';
import { runDoctor, type DoctorResult } from './ops/doctor.js';
import type { PositionFormat, StatusSource } from './ops/status.js';
import { pipelineMetrics, type PipelineView } from './pipeline/metrics.js';
import type { Pipeline } from './pipeline/pipeline.js';
import { Stats } from './pipeline/stats.js';
import { SINKS, SOURCE, type SinkKind } from './registry.js';
import type { ComponentContext, ComponentKind, DoctorContext } from './component.js';
import type { ElasticsearchSink } from './sink/elasticsearch/index.js';
import type { LinseedByCluster } from './sink/linseed/index.js';
import { FileSpool } from './spool/file-spool.js';
import type { CloudWatchMode } from './source/cloudwatch/cloudwatch-source.js';
import { createRequestBudget, type CloudWatchSource } from './source/cloudwatch/index.js';
import { describePosition, positionLine, positionLines, type CloudWatchPosition } from './source/cloudwatch/position.js';
import type { RequestBudget } from './source/cloudwatch/request-budget.js';
import { loadPolicyFile } from './transform/policy-file.js';
import { compilePolicy, DEFAULT_POLICY, type AuditPolicy } from './transform/policy.js';

/**
 * Wires the registered components (src/registry.ts) from validated settings, and gives the ops
 * endpoints and the commands what they need of them. The pipeline itself sees only the Source
 * and Sink interfaces.
 */

/** Any sink this build has. */
export type AnySink = ElasticsearchSink | LinseedByCluster;
type AnySinkKind = ComponentKind<unknown, AnySink> & { keepsDeadLetters: boolean; create(settings: unknown, ctx: ComponentContext): AnySink; reader(settings: unknown): AuditReader };

/** The component of a sink kind, with its settings and state typed loosely: each kind checks its own. */
function sinkComponent(kind: SinkKind): AnySinkKind {
  return SINKS[kind] as unknown as AnySinkKind;
}

function sinkSettings(settings: Settings): unknown {
  return (settings as unknown as Record<string, unknown>)[settings.sink];
}

/** The configured sink, built from its validated settings (push mode wires its own source). */
export function createSink(settings: { sink: SinkKind }, ctx: ComponentContext): AnySink {
  return sinkComponent(settings.sink).create((settings as unknown as Record<string, unknown>)[settings.sink], ctx);
}

/** The sink kind's metrics and counters, for a pipeline wired elsewhere (push mode). */
export function sinkParts(kind: SinkKind): {
  metrics: MetricSection['definitions'];
  counters: (sink: AnySink) => Record<string, number>;
  keepsDeadLetters: boolean;
  doctor: (settings: { sink: SinkKind }, ctx: DoctorContext) => Promise<DoctorResult[]>;
} {
  const c = sinkComponent(kind);
  return { metrics: c.metrics, counters: (sink) => c.counters(sink), keepsDeadLetters: c.keepsDeadLetters, doctor: (settings, ctx) => c.doctor(sinkSettings(settings as Settings), ctx) };
}

/** The health targets of the components, in order. */
export function healthTargets(sink: SinkKind): string[] {
  return [SOURCE.target, SINKS[sink].target];
}

/** Every check `doctor` runs, in order. */
export function doctorChecks(sink: SinkKind): string[] {
  return ['configuration', ...SOURCE.checks, ...SINKS[sink].checks, SPOOL_CHECK, 'checkpoint'];
}

const SPOOL_CHECK = 'dead-letter spool';

/** The dead letters `run` keeps in its spool: a store that refused them, or one that keeps none (Linseed). */
async function spoolCheck(settings: Settings): Promise<DoctorResult> {
  const spool = new FileSpool(settings.pipeline.stateDir, runCheckpointKey(settings));
  const n = spool.size();
  if (n === 0) return { name: SPOOL_CHECK, ok: true, detail: `empty (${spool.location})` };
  const keeps = sinkComponent(settings.sink).keepsDeadLetters;
  return {
    name: SPOOL_CHECK,
    ok: true,
    warning: true,
    detail: `${n} dead letter(s) in ${spool.location}`,
    hint: keeps ? 'the store refused them; run offers them again every interval: fix the dead-letter index mapping' : 'Linseed keeps no dead letters: each line is an event that is not an audit event, with its stream, eventId and reason',
  };
}

/** A pipeline with its concrete components, for metrics, status and the commands' reports. */
export interface RunningPipeline extends Pipeline<CloudWatchPosition> {
  source: CloudWatchSource;
  sink: AnySink;
  sinkKind: SinkKind;
  budget: RequestBudget;
}

export interface WiringOptions {
  log: Logger;
  health: HealthReporter;
  /** `tail` for `run` (default), a closed window for `backfill` and `verify`. */
  mode?: CloudWatchMode;
  /** `verify` reads without the prefilter, as it judges by the policy alone. */
  prefilter?: boolean;
  /** `backfill`: it writes (so dead letters a sink cannot keep go to a spool), unlike `verify`. */
  backfill?: boolean;
  /** Another pipeline whose sink, source client, budget and counters this one shares (backfill slices). */
  sharing?: RunningPipeline;
}

/** The audit policy of the settings. Throws ConfigError for an unreadable policy file. */
export function policyOf(settings: Settings): AuditPolicy {
  return settings.pipeline.auditPolicyFile ? loadPolicyFile(settings.pipeline.auditPolicyFile) : DEFAULT_POLICY;
}

/** Wires source, transform and sink from validated settings. Throws ConfigError for an unreadable file. */
export function createPipeline(settings: Settings, opts: WiringOptions): RunningPipeline {
  const { log, health } = opts;
  if (opts.sharing) return { ...opts.sharing, source: opts.sharing.source.sibling(opts.mode ?? { kind: 'tail' }) };
  const policy = policyOf(settings);
  const budget = createRequestBudget(settings.cloudwatch.requestsPerSecond);
  const source = SOURCE.create(settings[SOURCE.kind], { log, health }, { policy, mode: opts.mode, prefilter: opts.prefilter, budget });
  const sink = sinkComponent(settings.sink).create(sinkSettings(settings), { log, health, replayHorizonMs: source.replayHorizonMs });
  // `run` keeps dead letters the store refuses in a spool of the state directory and goes on;
  // `backfill` too when the sink keeps no dead letters at all (Linseed).
  const tail = (opts.mode?.kind ?? 'tail') === 'tail';
  const spoolKey = tail ? runCheckpointKey(settings) : opts.backfill && !sinkComponent(settings.sink).keepsDeadLetters ? checkpointKey('backfill', ...identity(settings)) : undefined;
  const spool = spoolKey ? new FileSpool(settings.pipeline.stateDir, spoolKey) : undefined;
  const spoolRetryMs = Math.max(settings.cloudwatch.fetchIntervalMs, 10_000);
  return { source, sink, sinkKind: settings.sink, transform: { policy: compilePolicy(policy) }, stats: new Stats(), log, health, budget, spool, spoolRetryMs };
}

/** The read side of the configured store (`changes`, `ui`). */
export function createReader(settings: SinkSettings): AuditReader {
  return sinkComponent(settings.sink).reader((settings as unknown as Record<string, unknown>)[settings.sink]);
}

/** Releases both ends of a pipeline. */
export async function closePipeline(p: RunningPipeline): Promise<void> {
  await p.sink.close();
  p.source.close();
}

function identity(settings: Settings): string[] {
  return [...SOURCE.identity(settings[SOURCE.kind]), ...sinkComponent(settings.sink).identity(sinkSettings(settings))];
}

/** The key of the `run` checkpoint: the source's and the sink's identity. */
export function runCheckpointKey(settings: Settings): string {
  return checkpointKey('run', ...identity(settings));
}

/** The key of one backfill slice's checkpoint. */
export function backfillCheckpointKey(settings: Settings, window: { from: number; to: number }, slice: number, slices: number): string {
  return checkpointKey('backfill', ...identity(settings), window.from, window.to, `${slice}/${slices}`);
}

/** How positions of the configured source read in `status` and `doctor`. */
export const positionFormat: PositionFormat = {
  describe: (position) => describePosition(position as CloudWatchPosition),
  lines: positionLines,
};

/** The metrics of every component, read from the pipeline running now (none on a standby). */
export function metricSections(current: () => RunningPipeline | undefined, sink: SinkKind): MetricSection[] {
  const view = (): PipelineView | undefined => {
    const p = current();
    return p && { stats: p.stats, group: p.source.identity[0]!, spooled: p.spool?.size() ?? 0 };
  };
  return [
    { definitions: pipelineMetrics, state: view },
    { definitions: SOURCE.metrics, state: () => current()?.source },
    { definitions: sinkComponent(sink).metrics, state: () => current()?.sink },
  ];
}

/** The components' counters, as summaries and `/status` name them. */
export function componentCounters(p: RunningPipeline): Record<string, number> {
  return { ...SOURCE.counters(p.source), ...sinkComponent(p.sinkKind).counters(p.sink), spooled: p.stats.spooled, spoolSize: p.spool?.size() ?? 0 };
}

/** What `/status` shows of a running pipeline. */
export function statusSource(p: RunningPipeline): StatusSource {
  return {
    stats: p.stats,
    group: p.source.identity[0]!,
    format: positionFormat,
    fields: () => {
      const hours = Math.max(1 / 60, (Date.now() - p.stats.startedAt) / 3_600_000);
      const s = p.source.stats;
      return {
        overlapSeconds: s.overlapMs / 1000,
        clockSkewSeconds: s.clockSkewMs / 1000,
        // Per hour since the start, counted from a minute on so a fresh process shows no burst.
        sweepCallsPerHour: Math.round(s.sweepPages / hours),
        sweepMegabytesPerHour: Math.round(s.sweepBytes / 1e6 / hours * 10) / 10,
      };
    },
    counters: () => componentCounters(p),
  };
}

/** `doctor` with these settings (or the error resolving them), against `checkpoint` (default: the run's file). */
export async function doctorFor(
  settings: Settings | ConfigError,
  checkpoint?: CheckpointStore,
  sinkKind: SinkKind = 'elasticsearch',
  /** Checks of the cluster around the forwarder (`kubernetes` mode), after the components'. */
  cluster?: { name: string; check: () => Promise<DoctorResult> },
): Promise<DoctorResult[]> {
  const names = (sink: SinkKind) => {
    const all = doctorChecks(sink);
    return cluster ? [...all.slice(0, -2), cluster.name, ...all.slice(-2)] : all;
  };
  if (settings instanceof ConfigError) return runDoctor(settings, { checkNames: names(sinkKind) });
  const opts = { checkNames: names(settings.sink) };
  const source = settings[SOURCE.kind];
  const sink = sinkComponent(settings.sink);
  return runDoctor(
    {
      configuration: `${SOURCE.describe(source)}, ${sink.describe(sinkSettings(settings))}`,
      components: [
        (ctx) => SOURCE.doctor(source, ctx),
        (ctx) => sink.doctor(sinkSettings(settings), ctx),
        ...(cluster ? [async () => [await cluster.check()]] : []),
        async () => [await spoolCheck(settings)],
      ],
      checkpoint: checkpoint ?? new FileCheckpointStore(settings.pipeline.stateDir, runCheckpointKey(settings)),
      describe: (position) => positionLine(describePosition(position as CloudWatchPosition)),
    },
    opts,
  );
}
