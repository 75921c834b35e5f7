import { createHash } from 'node:crypto';
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { DoctorContext, DoctorResult, HealthReporter } from '../../component.js';
import { errorText } from '../../error-text.js';
import { retryTransient } from '../../retry.js';
import { iso } from '../../time.js';
import { waitTicking } from '../../wait.js';
import type { ReadControl, Source, SourceBatch } from '../source.js';
import { AwsClock } from './clock.js';
import { cloudwatchDoctor } from './doctor.js';
import { isTransientAwsError, readWindow } from './log-pages.js';
import { cloudwatchPositionSchema, describePosition, type CloudWatchPosition } from './position.js';
import type { RequestBudget } from './request-budget.js';
import { planPoll, sweepsFor, sweptUpTo, type PlannedWindow, type Sweep } from './schedule.js';
import type { CloudWatchSettings } from './settings.js';

/** What the CloudWatch source counts, for metrics and `/status`. */
export class CloudWatchStats {
  /** Message bytes the service returned, other streams included. */
  bytesRead = 0;
  /** Events the service returned from streams outside the prefix (an emulator ignores the prefix). */
  otherStreamEvents = 0;
  tokenRestarts = 0;
  /** HTTP attempts answered ThrottlingException (the SDK's own retries included). */
  throttles = 0;
  /** Failed requests retried by the reader. */
  retries = 0;
  /** The greatest age at which ranges are read again, for late arrivals (ms). */
  overlapMs = 0;
  /** What the lateness sweeps cost: pages (calls) and message bytes read again. */
  sweepPages = 0;
  sweepBytes = 0;
  /** The pod's clock minus AWS's, as of the last answer (ms). */
  clockSkewMs = 0;
  /** CloudWatch refused the pattern compiled from the policy: every read moves every event. */
  filterPatternRefused = false;

  constructor(readonly budget: RequestBudget) {}
}

/** `tail` follows the group forever (`run`); `window` reads one closed window once (`backfill`, `verify`). */
export type CloudWatchMode = { kind: 'tail' } | { kind: 'window'; to: number };

export interface CloudWatchSourceOptions {
  settings: CloudWatchSettings;
  client: CloudWatchLogsClient;
  stats: CloudWatchStats;
  mode: CloudWatchMode;
  /** AWS's clock, fed by the client's answers. */
  clock: AwsClock;
  /** A CloudWatch filter pattern compiled from the policy (a safe superset): the head and windows read with it (`prefilter: all`). */
  filterPattern?: string;
  /** The same pattern for the lateness sweeps alone (`prefilter: sweeps`, the default, or `all`). */
  sweepFilterPattern?: string;
  log: Logger;
  health: HealthReporter;
}

/** EKS appends this to an event CloudWatch cut off at its size limit (a term pattern, not JSON). */
const TRUNCATED_PATTERN = '"[Truncated...]"';
/** The head stops this far behind AWS's now at the least: CloudWatch's newest events may still be landing. */
const MIN_SETTLE_MS = 1_000;
/** A skew beyond this is worth a warning (windows follow AWS's clock whatever it is). */
const SKEW_WARNING_MS = 10_000;

/**
 * CloudWatch Logs as a source: FilterLogEvents over time windows, page by page, each page's
 * token the position. In `tail` mode every fetch interval reads the head (from where it stopped
 * to AWS's now) and, when due, re-reads ranges that have reached the lateness floor and ceiling,
 * so an event ingested up to the ceiling late is read whatever the pattern of its arrival.
 */
export class CloudWatchSource implements Source<CloudWatchPosition> {
  readonly kind = 'cloudwatch';
  readonly target = 'cloudwatch';
  readonly identity: readonly string[];
  readonly stats: CloudWatchStats;
  private readonly sweeps: readonly Sweep[];
  /**
   * Recent ingestion delays of events the sweeps read: how long to let the head settle. Taken
   * from sweeps, which read a range once it is old, so delays longer than the settle show too.
   */
  private readonly delays: number[] = [];
  private skewWarnedAt = Number.NEGATIVE_INFINITY;
  private readonly recountAllowance: RecountAllowance;

  get latenessCeilingMs(): number {
    return this.o.settings.latenessCeilingMs;
  }

  /** The oldest sweep's age plus the timestamps it batches, and a poll's worth of lag. */
  get replayHorizonMs(): number {
    return Math.max(0, ...this.sweeps.map((s) => s.ageMs + s.everyMs)) + this.o.settings.fetchIntervalMs;
  }

  constructor(private readonly o: CloudWatchSourceOptions) {
    this.identity = [o.settings.groupName, o.settings.streamPrefix];
    this.stats = o.stats;
    this.sweeps = sweepsFor(o.settings, o.sweepFilterPattern !== undefined);
    this.recountAllowance = new RecountAllowance(o.settings.recountShare * o.settings.requestsPerSecond);
    this.stats.overlapMs = Math.max(...this.sweeps.filter((s) => !s.recount).map((s) => s.ageMs));
  }

  /** A source over the same client, budget, clock and counters, reading in another mode (a backfill slice). */
  sibling(mode: CloudWatchMode): CloudWatchSource {
    return new CloudWatchSource({ ...this.o, mode });
  }

  upTo(to: number): CloudWatchSource {
    return this.sibling({ kind: 'window', to });
  }

  parsePosition(saved: unknown): CloudWatchPosition {
    const parsed = cloudwatchPositionSchema.safeParse(saved);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`not a CloudWatch position: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
    return parsed.data;
  }

  startAt(start: number): CloudWatchPosition {
    const { groupName, streamPrefix } = this.o.settings;
    return this.o.mode.kind === 'window' ? { groupName, streamPrefix, windowStart: start, windowEnd: this.o.mode.to } : { groupName, streamPrefix, windowStart: start };
  }

  finished(position: CloudWatchPosition): boolean {
    return position.done === true;
  }

  describe(position: CloudWatchPosition) {
    return describePosition(position);
  }

  async *read(from: CloudWatchPosition, control: ReadControl): AsyncGenerator<SourceBatch<CloudWatchPosition>> {
    let position = this.sameConfiguration(from);
    if (this.o.mode.kind === 'window') {
      for await (const batch of this.readWindow(position, control, (p) => ({ ...p, nextToken: undefined, tokenAfter: undefined, pass: undefined, under: undefined, done: true }))) {
        yield batch.drained ? { ...batch, end: true } : batch;
      }
      return;
    }
    const interval = this.o.settings.fetchIntervalMs;
    // A window in progress is finished first, then every poll plans its own.
    let plans: (PlannedWindow | undefined)[] = position.windowEnd !== undefined ? [undefined] : [];
    while (!control.stop.aborted) {
      this.o.health.tick();
      const cycleStart = Date.now();
      if (plans.length === 0) {
        await this.learnAwsTime(control.signal);
        const now = this.o.clock.now();
        plans = planPoll(position, this.recountAllowance.due() ? this.sweeps : this.sweeps.filter((s) => !s.recount), now, now - this.settleMs(), this.o.clock.known);
      }
      for (const plan of plans) {
        if (plan) position = { ...position, windowStart: plan.start, windowEnd: plan.end, sweep: plan.sweep, pass: undefined, nextToken: undefined, tokenAfter: undefined, under: this.underOf(plan.sweep) };
        for await (const batch of this.readWindow(position, control, (p) => this.afterWindow(p))) {
          position = batch.position;
          yield batch;
          if (control.stop.aborted) return;
        }
      }
      plans = [];
      this.watchSkew();
      await waitTicking(cycleStart + interval - Date.now(), control.stop, this.o.health);
    }
  }

  /**
   * Asks CloudWatch for nothing (an empty time range) to learn its clock from the answer's
   * `Date`, once per process: a head timed by a pod clock that lags could otherwise wait for a
   * start still in its future, and one that leads could read into AWS's future.
   */
  private async learnAwsTime(signal: AbortSignal): Promise<void> {
    if (this.o.clock.known) return;
    const { groupName, streamPrefix } = this.o.settings;
    await retryTransient(
      () => this.o.client.send(new FilterLogEventsCommand({ logGroupName: groupName, logStreamNamePrefix: streamPrefix, startTime: 0, endTime: 0, limit: 1 }), { abortSignal: signal }),
      { signal, isTransient: isTransientAwsError, onRetry: (err) => this.o.health.failed(this.target, err) },
    );
  }

  /** The position once its window is drained: the head or the sweep moves up to the window's end. */
  private afterWindow(p: CloudWatchPosition): CloudWatchPosition {
    const end = p.windowEnd!;
    const swept = sweptUpTo(p, this.sweeps);
    let readUpTo = p.readUpTo;
    const age = p.sweep === undefined ? undefined : String(p.sweep);
    if (age === undefined) readUpTo = Math.max(readUpTo ?? Number.NEGATIVE_INFINITY, end);
    // A sweep of an age no longer configured moves nothing.
    else if (swept[age] !== undefined) swept[age] = Math.max(swept[age], end);
    return {
      groupName: p.groupName,
      streamPrefix: p.streamPrefix,
      windowStart: readUpTo! + 1,
      readUpTo,
      sweptUpTo: swept,
    };
  }

  /**
   * The filter patterns a window is read with, one pass each: a sweep's by what it reads again,
   * the head's (and a backfill's) by the prefilter. With a pattern, a second pass reads the
   * events CloudWatch cut off, which no JSON pattern can match but which must be dead-lettered.
   */
  private patternsOf(sweepAge: number | undefined): (string | undefined)[] {
    if (this.stats.filterPatternRefused) return [undefined];
    if (sweepAge === undefined) return this.o.filterPattern ? [this.o.filterPattern, TRUNCATED_PATTERN] : [undefined];
    const pattern = this.o.sweepFilterPattern;
    switch (this.sweeps.find((s) => s.ageMs === sweepAge)?.reads) {
      case 'kept':
        return [pattern];
      case 'kept-and-cut-off':
        return [pattern, TRUNCATED_PATTERN];
      default:
        return [undefined];
    }
  }

  /** What a window's token and pass are made under: the prefix and the patterns (the head's without a prefilter keeps the hash of earlier releases). */
  private underOf(sweepAge: number | undefined): string {
    const patterns = this.patternsOf(sweepAge).map((p) => p ?? '');
    return createHash('sha256').update(`${this.o.settings.streamPrefix}\n${patterns.join('\n')}`).digest('hex').slice(0, 16);
  }

  /** A window begun under another prefix or filter pattern (or a pass that no longer exists) starts again. */
  private sameConfiguration(p: CloudWatchPosition): CloudWatchPosition {
    if (p.windowEnd === undefined) return p;
    const passes = this.patternsOf(p.sweep).length;
    const under = this.underOf(p.sweep);
    const otherConfiguration = p.under !== undefined && p.under !== under;
    if (!otherConfiguration && (p.pass ?? 0) < passes) return p;
    this.o.log.info(
      { windowStart: iso(p.windowStart), windowEnd: iso(p.windowEnd), pass: p.pass ?? 0 },
      'the window in progress was begun under another configuration (prefix or filter pattern): reading it again from its start',
    );
    return { ...p, nextToken: undefined, tokenAfter: undefined, pass: undefined, under };
  }

  /** How far behind AWS's now the head stops: the 95th percentile of recent ingestion delays, at least a second, at most half the floor. */
  private settleMs(): number {
    if (this.delays.length === 0) return MIN_SETTLE_MS;
    const sorted = [...this.delays].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))]!;
    return Math.floor(Math.min(this.o.settings.latenessFloorMs / 2, Math.max(MIN_SETTLE_MS, p95)));
  }

  private watchSkew(): void {
    if (!this.o.clock.known) return;
    const skew = this.o.clock.skewMs();
    this.stats.clockSkewMs = skew;
    if (Math.abs(skew) > SKEW_WARNING_MS && Date.now() - this.skewWarnedAt > 10 * 60_000) {
      this.skewWarnedAt = Date.now();
      this.o.log.warn({ skewSeconds: Math.round(skew / 1000) }, "the pod's clock differs from AWS's; windows and lateness follow AWS's clock");
    }
  }

  /**
   * One window, page by page, one pass per pattern (see `patternsOf`). `afterDrain` makes the
   * position saved with the last page.
   */
  private async *readWindow(
    start: CloudWatchPosition,
    control: ReadControl,
    afterDrain: (p: CloudWatchPosition) => CloudWatchPosition,
  ): AsyncGenerator<SourceBatch<CloudWatchPosition>> {
    const { settings, client, log, health, stats, clock } = this.o;
    const patterns = this.patternsOf(start.sweep);
    const under = this.underOf(start.sweep);
    const sweeping = start.sweep !== undefined;
    const proving = this.sweeps.some((s) => s.recount && s.ageMs === start.sweep);
    let position = start;
    for (let pass = start.pass ?? 0; pass < patterns.length; pass++) {
      const last = pass === patterns.length - 1;
      const pages = readWindow(
        client,
        {
          groupName: position.groupName,
          streamPrefix: position.streamPrefix,
          start: position.windowStart,
          end: position.windowEnd!,
          nextToken: position.nextToken,
          resumeFrom: position.tokenAfter,
          pageLimit: settings.pageLimit,
          filterPattern: patterns[pass],
        },
        {
          signal: control.signal,
          onRetry: (err, attempt) => {
            stats.retries += 1;
            health.failed(this.target, err);
            log.warn({ err: errorText(err), attempt }, 'CloudWatch request failed; retrying');
          },
          onTokenRestart: (reason) => {
            stats.tokenRestarts += 1;
            log.warn({ reason, windowStart: position.windowStart, windowEnd: position.windowEnd }, 're-reading the window from its start');
          },
        },
      );
      try {
        for await (const page of pages) {
          health.ok(this.target);
          stats.bytesRead += page.bytes;
          stats.otherStreamEvents += page.otherStreamEvents;
          if (sweeping) {
            stats.sweepPages += 1;
            stats.sweepBytes += page.bytes;
          }
          if (proving) this.recountAllowance.spend();
          for (const e of page.events) {
            clock.observeIngestion(e.ingestionTime);
            if (sweeping) this.delays.push(e.ingestionTime - e.timestamp);
          }
          if (this.delays.length > 512) this.delays.splice(0, this.delays.length - 512);
          const drained = !page.nextToken && last;
          position = page.nextToken
            ? { ...position, nextToken: page.nextToken, tokenAfter: page.events.at(-1)?.timestamp ?? position.tokenAfter, under }
            : last
              ? afterDrain(position)
              : { ...position, pass: pass + 1, nextToken: undefined, tokenAfter: undefined, under };
          yield { events: page.events, position, lateBefore: start.readUpTo, lateLimitMs: settings.latenessCeilingMs, drained, ...(proving ? { proving } : {}) };
        }
      } catch (err) {
        if (patterns[pass] !== undefined && isInvalidParameter(err) && !control.signal.aborted && (await this.takesItWithoutPattern(position, control.signal))) {
          // Our reading of CloudWatch's pattern syntax is not CloudWatch's: reading more beats stopping.
          stats.filterPatternRefused = true;
          health.failed(this.target, err);
          log.error({ err: errorText(err), filterPattern: patterns[pass] }, 'CloudWatch refused the filter pattern compiled from the policy: reading every event from now on (EKS_FORWARDER_PREFILTER=off says so without this error)');
          yield* this.readWindow({ ...start, pass: undefined, nextToken: undefined, tokenAfter: undefined }, control, afterDrain);
          return;
        }
        if (!control.signal.aborted) health.failed(this.target, err);
        throw err;
      }
    }
  }

  /** Whether CloudWatch answers the same window without a pattern (then the pattern was what it refused, whatever its wording). */
  private async takesItWithoutPattern(p: CloudWatchPosition, signal: AbortSignal): Promise<boolean> {
    try {
      await this.o.client.send(
        new FilterLogEventsCommand({ logGroupName: p.groupName, logStreamNamePrefix: p.streamPrefix, startTime: p.windowStart, endTime: p.windowEnd, limit: 1 }),
        { abortSignal: signal },
      );
      return true;
    } catch {
      return false;
    }
  }

  doctor(ctx: DoctorContext): Promise<DoctorResult[]> {
    return cloudwatchDoctor(this.o.settings, this.o.client, ctx);
  }

  close(): void {
    this.o.client.destroy();
  }
}

function isInvalidParameter(err: unknown): boolean {
  return (err as { name?: string })?.name === 'InvalidParameterException';
}

/**
 * The re-count's share of the request budget, as a token bucket: it earns `perSecond` calls a
 * second (at most a few in reserve) and a re-count window is planned only with one in hand, so
 * over time it spends its share and no more, however far behind it is.
 */
class RecountAllowance {
  private tokens = 0;
  private at = Date.now();

  constructor(private readonly perSecond: number) {}

  due(): boolean {
    if (this.perSecond <= 0) return false;
    const now = Date.now();
    this.tokens = Math.min(Math.max(3, this.perSecond * 10), this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    return this.tokens >= 1;
  }

  spend(): void {
    this.tokens -= 1;
  }
}
