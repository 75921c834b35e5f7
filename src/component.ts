import type { Logger } from 'pino';
import type { z } from 'zod';

/**
 * What every component (a source, a sink) shares with the rest of the forwarder: its settings,
 * how it reports health, the metrics it exposes and the checks `doctor` runs. Only interfaces:
 * the pipeline and the ops endpoints both depend on this module, never on each other.
 */

/** One setting: where it comes from and what it means (also the README's configuration table). */
export interface SettingSpec {
  env?: string;
  flag?: string;
  /** Where the value comes from when neither env nor flag (e.g. a Secret key). */
  source?: string;
  /** The default as a person reads it (`required`, `60`, `none`). */
  default: string;
  meaning: string;
  /** Hidden from `--help` (still accepted). */
  hidden?: boolean;
  /** Where the operator's LogCollector or a Secret supplies it in the cluster. */
  cluster?: string;
}

/** Reports an invalid setting (by its key), or a pair of them (`A or B: is required`). */
export type IssueReporter = (key: string | readonly string[], message: string) => void;

/**
 * A component's configuration: its settings, the zod schema that validates each raw string
 * (keys as in `specs`), and `resolve`, which applies cross-field checks and builds the typed value.
 */
export interface ComponentSettings<T> {
  readonly specs: Readonly<Record<string, SettingSpec>>;
  readonly schema: z.ZodObject;
  resolve(parsed: Record<string, unknown>, issue: IssueReporter): T | undefined;
}

/** Where components say how their target (CloudWatch, Elasticsearch) is answering. */
export interface HealthReporter {
  ok(target: string): void;
  failed(target: string, err: unknown): void;
  /** A sign of life of the loop (also while waiting). */
  tick(): void;
}

export const noHealth: HealthReporter = { ok() {}, failed() {}, tick() {} };

/** A labelled sample of a metric. */
export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

/**
 * One Prometheus metric a component exposes, read from its state at scrape time. `read` gets
 * the component's current state (undefined while none runs) and returns the samples to show.
 */
export type MetricDefinition<S> =
  | {
      name: string;
      help: string;
      type: 'counter' | 'gauge';
      labelNames?: readonly string[];
      read(state: S | undefined, now: number): number | MetricSample[] | undefined;
    }
  | {
      name: string;
      help: string;
      type: 'histogram';
      read(state: S | undefined): HistogramValue | undefined;
    };

/** A histogram kept as plain buckets: `counts[i]` per bucket (not cumulative), the last one +Inf. */
export interface HistogramValue {
  bounds: readonly number[];
  counts: readonly number[];
  sum: number;
  count: number;
}

/** A component's metric definitions and where to find its state when scraped. */
export interface MetricSection<S = any> {
  definitions: readonly MetricDefinition<S>[];
  /** The running component's state; undefined while none runs. */
  state: () => S | undefined;
}

/** A doctor verdict. */
export interface DoctorResult {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
  /** Not run because a check it depends on failed (ok is false). */
  skipped?: boolean;
  /** Passed, but with something worth knowing (ok is true). */
  warning?: boolean;
}

export interface DoctorContext {
  /** Per request. */
  timeoutMs: number;
  now: () => number;
}

/** What every component is built with. */
export interface ComponentContext {
  log: Logger;
  health: HealthReporter;
  /** For a sink: how far behind the newest event the source may read again (ms), so replays from that far are still recognised. */
  replayHorizonMs?: number;
}

/**
 * A kind of component, as it is registered: its settings, health target, metrics and doctor
 * checks, and how to build one. `S` is its settings, `C` the running component.
 */
export interface ComponentKind<S, C> {
  /** Also the key of its settings in `Settings` (`cloudwatch`, `elasticsearch`). */
  readonly kind: string;
  readonly settings: ComponentSettings<S>;
  /** The health target it reports on. */
  readonly target: string;
  /** Its doctor checks' names, in order. */
  readonly checks: readonly string[];
  /** Its metrics, read from the running component (undefined while none runs). */
  readonly metrics: readonly MetricDefinition<C>[];
  /** What a checkpoint is keyed by (the log group and prefix; the cluster). */
  identity(settings: S): string[];
  /** One line of what is configured, for `doctor` (no secret). */
  describe(settings: S): string;
  /** Its doctor checks, without a running component (building one may be what fails). */
  doctor(settings: S, ctx: DoctorContext): Promise<DoctorResult[]>;
  /** Its counters as summaries and `/status` name them. */
  counters(component: C): Record<string, number>;
}
