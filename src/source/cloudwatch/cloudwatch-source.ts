import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { DoctorContext, DoctorResult, HealthReporter } from '../../component.js';
import { errorText } from '../../error-text.js';
import { waitTicking } from '../../wait.js';
import type { ReadControl, Source, SourceBatch } from '../source.js';
import { cloudwatchDoctor } from './doctor.js';
import { LatenessBudget, nextWindow } from './lateness.js';
import { readWindow } from './log-pages.js';
import { cloudwatchPositionSchema, describePosition, type CloudWatchPosition } from './position.js';
import type { RequestBudget } from './request-budget.js';
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
  /** The overlap re-read behind the head, sized from observed lateness (ms). */
  overlapMs = 0;

  constructor(readonly budget: RequestBudget) {}
}

/** `tail` follows the group forever (`run`); `window` reads one closed window once (`backfill`, `verify`). */
export type CloudWatchMode = { kind: 'tail' } | { kind: 'window'; to: number };

export interface CloudWatchSourceOptions {
  settings: CloudWatchSettings;
  client: CloudWatchLogsClient;
  stats: CloudWatchStats;
  mode: CloudWatchMode;
  /** A CloudWatch filter pattern compiled from the policy (a safe superset), when prefiltering. */
  filterPattern?: string;
  log: Logger;
  health: HealthReporter;
}

/** EKS appends this to an event CloudWatch cut off at its size limit (a term pattern, not JSON). */
const TRUNCATED_PATTERN = '"[Truncated...]"';

/**
 * CloudWatch Logs as a source: FilterLogEvents over time windows, page by page, each page's
 * token the position. In `tail` mode a window runs from where the last one ended to now, every
 * fetch interval, starting an overlap behind the head so late arrivals are read again.
 */
export class CloudWatchSource implements Source<CloudWatchPosition> {
  readonly kind = 'cloudwatch';
  readonly target = 'cloudwatch';
  readonly identity: readonly string[];
  readonly stats: CloudWatchStats;
  private readonly lateness: LatenessBudget;

  constructor(private readonly o: CloudWatchSourceOptions) {
    this.identity = [o.settings.groupName, o.settings.streamPrefix];
    this.stats = o.stats;
    this.lateness = new LatenessBudget(o.settings.latenessFloorMs, o.settings.latenessCeilingMs, o.settings.fetchIntervalMs);
  }

  /** A source over the same client, budget and counters, reading in another mode (a backfill slice). */
  sibling(mode: CloudWatchMode): CloudWatchSource {
    return new CloudWatchSource({ ...this.o, mode });
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
    if (this.o.mode.kind === 'window') {
      for await (const batch of this.readWindow(from, control, (p) => ({ ...p, nextToken: undefined, done: true }))) {
        yield batch.drained ? { ...batch, end: true } : batch;
      }
      return;
    }
    let position = from;
    const interval = this.o.settings.fetchIntervalMs;
    while (!control.stop.aborted) {
      this.o.health.tick();
      const cycleStart = Date.now();
      if (position.windowEnd === undefined) position = { ...position, windowEnd: cycleStart, nextToken: undefined };
      let commit: (() => void) | undefined;
      const afterDrain = (p: CloudWatchPosition, late: number) => {
        const plan = this.lateness.plan(late, Date.now());
        commit = plan.commit;
        return nextWindow(p, plan.reReadMs);
      };
      for await (const batch of this.readWindow(position, control, afterDrain)) {
        position = batch.position;
        const decided = batch.drained ? commit : undefined;
        yield decided ? { ...batch, acknowledged: () => this.acknowledgedWindow(decided) } : batch;
        if (control.stop.aborted) return;
      }
      await waitTicking(cycleStart + interval - Date.now(), control.stop, this.o.health);
    }
  }

  private acknowledgedWindow(commit: () => void): void {
    commit();
    this.stats.overlapMs = this.lateness.overlapMs;
  }

  /**
   * One window, page by page. With a prefilter it is read in two passes: events the policy may
   * keep, then events cut off by CloudWatch, which no JSON pattern can match but which must be
   * dead-lettered. `afterDrain` makes the position saved with the last page.
   */
  private async *readWindow(
    start: CloudWatchPosition,
    control: ReadControl,
    afterDrain: (p: CloudWatchPosition, windowLatenessMs: number) => CloudWatchPosition,
  ): AsyncGenerator<SourceBatch<CloudWatchPosition>> {
    const { settings, client, log, health, stats } = this.o;
    const patterns = this.o.filterPattern ? [this.o.filterPattern, TRUNCATED_PATTERN] : [undefined];
    // Lateness that matters is that of arrivals since the last read of the head; a backlog
    // read for the first time says nothing about how far behind the head to look again.
    const headRead = start.readUpTo ?? Number.POSITIVE_INFINITY;
    let maxLatenessMs = 0;
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
          for (const e of page.events) {
            if (e.ingestionTime > headRead) maxLatenessMs = Math.max(maxLatenessMs, e.ingestionTime - e.timestamp);
          }
          const drained = !page.nextToken && last;
          position = page.nextToken
            ? { ...position, nextToken: page.nextToken }
            : last
              ? { ...afterDrain(position, maxLatenessMs), pass: undefined }
              : { ...position, pass: pass + 1, nextToken: undefined };
          yield { events: page.events, position, lateBefore: start.readUpTo, drained };
        }
      } catch (err) {
        if (!control.signal.aborted) health.failed(this.target, err);
        throw err;
      }
    }
  }

  doctor(ctx: DoctorContext): Promise<DoctorResult[]> {
    return cloudwatchDoctor(this.o.settings, this.o.client, ctx);
  }

  close(): void {
    this.o.client.destroy();
  }
}
