import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint.js';
import type { Health } from '../ops/health.js';
import { writeAll } from '../sink/bulk-writer.js';
import { readWindow } from '../source/log-pages.js';
import { transformPage, type TransformContext } from '../transform/transform-page.js';
import { readAhead } from './read-ahead.js';
import type { Stats } from './stats.js';

/** Everything one event meets on its way from CloudWatch to Elasticsearch. */
export interface Pipeline {
  cloudwatch: CloudWatchLogsClient;
  elastic: Client;
  transform: TransformContext;
  streamPrefix: string;
  pageLimit?: number;
  /** A CloudWatch filter pattern compiled from the policy (a safe superset), when prefiltering. */
  filterPattern?: string;
  stats: Stats;
  log: Logger;
  /** Where the ops endpoints learn whether each target answers (optional: backfill runs without). */
  health?: Health;
}

export interface Control {
  /** Aborts in-flight requests: the hard stop once the shutdown grace period is over. */
  signal: AbortSignal;
  /** Asks for a graceful stop: finish the page in hand, save, return. */
  stop: AbortSignal;
}

export interface WindowOutcome {
  checkpoint: Checkpoint;
  /** The whole window was read and acknowledged. */
  drained: boolean;
  /** Largest ingestionTime - timestamp among events ingested since the head was last read. */
  maxLatenessMs: number;
}

/**
 * Forwards one time window, page by page: read (one page ahead) → transform → index → wait for
 * Elasticsearch to acknowledge every document → save the checkpoint. The checkpoint never gets
 * ahead of the acknowledgements, so a crash anywhere replays at most one page, which the
 * deterministic document ids absorb. `afterDrain` is the checkpoint to save with the last page.
 */
export async function forwardWindow(
  p: Pipeline,
  start: Checkpoint,
  store: CheckpointStore,
  control: Control,
  afterDrain: (cp: Checkpoint, windowLatenessMs: number) => Checkpoint,
): Promise<WindowOutcome> {
  // With a prefilter, a window is read in two passes: events the policy may keep, then events
  // cut off by CloudWatch, which no JSON pattern can match but which must be dead-lettered.
  const patterns = p.filterPattern ? [p.filterPattern, TRUNCATED_PATTERN] : [undefined];
  let outcome: WindowOutcome = { checkpoint: start, drained: false, maxLatenessMs: 0 };
  for (let pass = start.pass ?? 0; pass < patterns.length; pass++) {
    const last = pass === patterns.length - 1;
    const lateness = outcome.maxLatenessMs;
    outcome = await forwardPass(p, outcome.checkpoint, patterns[pass], store, control, (cp, windowLateness) =>
      last
        ? { ...afterDrain(cp, Math.max(lateness, windowLateness)), pass: undefined }
        : { ...cp, pass: pass + 1, nextToken: undefined },
    );
    outcome.maxLatenessMs = Math.max(outcome.maxLatenessMs, lateness);
    if (!outcome.drained) return outcome;
  }
  return outcome;
}

async function forwardPass(
  p: Pipeline,
  start: Checkpoint,
  filterPattern: string | undefined,
  store: CheckpointStore,
  control: Control,
  afterDrain: (cp: Checkpoint, windowLatenessMs: number) => Checkpoint,
): Promise<WindowOutcome> {
  let checkpoint = start;
  let maxLatenessMs = 0;
  const reportFailure = (target: 'cloudwatch' | 'elasticsearch') => (err: unknown) => {
    if (!control.signal.aborted) p.health?.failed(target, err);
  };
  const pages = readWindow(
    p.cloudwatch,
    {
      groupName: start.groupName,
      streamPrefix: start.streamPrefix,
      start: start.windowStart,
      end: start.windowEnd!,
      nextToken: start.nextToken,
      pageLimit: p.pageLimit,
      filterPattern,
    },
    {
      signal: control.signal,
      onRetry: (err, attempt) => {
        p.stats.countRetry('cloudwatch');
        p.health?.failed('cloudwatch', err);
        p.log.warn({ err: errorText(err), attempt }, 'CloudWatch request failed; retrying');
      },
      onTokenRestart: (reason) => {
        p.stats.tokenRestarts += 1;
        p.log.warn({ reason, windowStart: start.windowStart, windowEnd: start.windowEnd }, 're-reading the window from its start');
      },
    },
  );

  for await (const page of reportingErrors(readAhead(pages), reportFailure('cloudwatch'))) {
    p.health?.ok('cloudwatch');
    p.health?.tick();
    const batch = transformPage(page.events, p.transform);
    for (const r of batch.requests) {
      if (r.kind === 'dead-letter') {
        p.log.warn({ stream: r.source.stream, eventId: r.source.eventId, reason: r.document.reason }, 'event dead-lettered');
      }
    }

    const written = await writeAll(batch.requests, {
      client: p.elastic,
      groupName: p.transform.groupName,
      deadLetterIndex: p.transform.deadLetterIndex,
      signal: control.signal,
      lateBefore: checkpoint.readUpTo,
      onRetry: (err, attempt) => {
        p.stats.countRetry('elasticsearch');
        p.health?.failed('elasticsearch', err);
        p.log.warn({ err: errorText(err), attempt }, 'Elasticsearch write failed; retrying');
      },
      onRejected: (r, status, reason) =>
        p.log.warn({ stream: r.source.stream, eventId: r.source.eventId, id: r.id, status, reason }, 'document rejected; dead-lettering it'),
      onBulk: (seconds, ok) => p.stats.observeBulk(seconds, ok),
    }).catch((err: unknown) => {
      reportFailure('elasticsearch')(err);
      throw err;
    });
    p.health?.ok('elasticsearch');

    // Lateness that matters is that of arrivals since the last read of the head; a backlog
    // read for the first time says nothing about how far behind the head to look again.
    const headRead = checkpoint.readUpTo ?? Number.POSITIVE_INFINITY;
    for (const e of page.events) {
      if (e.ingestionTime > headRead) maxLatenessMs = Math.max(maxLatenessMs, e.ingestionTime - e.timestamp);
    }
    // Acknowledged: only now may the checkpoint move past this page.
    const newest = newestTimestamp(page.events, checkpoint.newestForwarded);
    const updatedAt = new Date().toISOString();
    checkpoint = page.nextToken
      ? { ...checkpoint, nextToken: page.nextToken, newestForwarded: newest, updatedAt }
      : { ...afterDrain(checkpoint, maxLatenessMs), newestForwarded: newest, updatedAt };
    await store.save(checkpoint);
    p.stats.checkpointSaved(checkpoint);

    count(p.stats, page, batch, written);
    if (written.late > 0) p.log.info({ late: written.late, readUpTo: checkpoint.readUpTo }, 'caught late arrivals');
    if (!page.nextToken) return { checkpoint, drained: true, maxLatenessMs };
    if (control.stop.aborted) return { checkpoint, drained: false, maxLatenessMs };
  }
  // Only reached when the reader ends without a last page, i.e. it was aborted.
  return { checkpoint, drained: false, maxLatenessMs };
}

/** EKS appends this to an event CloudWatch cut off at its size limit (a term pattern, not JSON). */
const TRUNCATED_PATTERN = '"[Truncated...]"';

/** Passes the pages through, reporting an error of the reader (not of the loop body) before rethrowing it. */
async function* reportingErrors<T>(source: AsyncIterable<T>, onError: (err: unknown) => void): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    onError(err);
    throw err;
  }
}

function count(
  stats: Stats,
  page: { events: { timestamp: number; ingestionTime: number }[]; bytes: number; otherStreamEvents: number },
  batch: { filtered: number; invalid: number },
  written: { created: number; existing: number; rejected: number; deadLettered: number; late: number },
): void {
  stats.pages += 1;
  stats.eventsRead += page.events.length;
  stats.otherStreamEvents += page.otherStreamEvents;
  stats.bytesRead += page.bytes;
  stats.filtered += batch.filtered;
  stats.invalid += batch.invalid;
  stats.created += written.created;
  stats.alreadyPresent += written.existing;
  stats.forwarded += written.created + written.existing;
  stats.rejected += written.rejected;
  stats.lateCaught += written.late;
  stats.deadLettered += written.deadLettered;
  stats.newestForwarded = newestTimestamp(page.events, stats.newestForwarded);
}

function newestTimestamp(events: { timestamp: number }[], current: number | undefined): number | undefined {
  let newest = current;
  for (const e of events) if (newest === undefined || e.timestamp > newest) newest = e.timestamp;
  return newest;
}

export function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
