import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint.js';
import type { Settings } from '../config/settings.js';
import { sleepTicking } from '../ops/health.js';
import { retryTransient } from '../retry.js';
import { isTransientElasticError } from '../sink/bulk-writer.js';
import { newestIndexedTimestamp } from '../sink/newest-indexed.js';
import { errorText, forwardWindow, type Control, type Pipeline } from './forward-window.js';

/**
 * The `run` loop: every fetch interval, open a window from where the last one left off to now
 * and drain it completely. The next window starts an overlap behind the end of this one, so
 * events CloudWatch ingests late into a range already read are still caught; their ids make
 * the re-read free of duplicates.
 */
export async function runLoop(p: Pipeline, settings: Settings, store: CheckpointStore, control: Control): Promise<void> {
  let checkpoint = await store.load();
  if (checkpoint) p.stats.checkpointLoaded(checkpoint);
  if (!checkpoint) {
    // Saved before anything is written: once this process has indexed a page, "the newest
    // indexed document" no longer marks where reading stopped (pages need not be in time order).
    checkpoint = await firstCheckpoint(p, settings, control);
    await store.save(checkpoint);
    p.stats.checkpointSaved(checkpoint);
  }
  const lateness = new LatenessBudget(settings.latenessFloorMs, settings.latenessCeilingMs, settings.fetchIntervalMs);
  p.log.info({ checkpoint: store.location, windowStart: iso(checkpoint.windowStart), resumingPage: Boolean(checkpoint.nextToken) }, 'starting');

  while (!control.stop.aborted) {
    p.health?.tick();
    const cycleStart = Date.now();
    if (checkpoint.windowEnd === undefined) checkpoint = { ...checkpoint, windowEnd: cycleStart, nextToken: undefined };
    try {
      const outcome = await forwardWindow(p, checkpoint, store, control, (cp, windowLateness) =>
        nextWindow(cp, lateness.reReadAfter(windowLateness, Date.now())),
      );
      p.stats.overlapMs = lateness.overlapMs;
      checkpoint = outcome.checkpoint;
      if (outcome.drained) {
        p.log.info({ windowEnd: iso(outcome.checkpoint.windowStart), ...summary(p) }, 'window drained');
      }
    } catch (err) {
      if (control.signal.aborted) break;
      // Another writer owns the checkpoint now (a new leader): this process must not go on.
      if ((err as Error).name === 'StaleCheckpointError') throw err;
      // A permanent failure (missing group, denied access) waits for the next interval:
      // the loop never dies, and the checkpoint stays where it was.
      p.log.error({ err: errorText(err) }, 'cycle failed; will retry at the next interval');
      checkpoint = (await store.load()) ?? checkpoint;
    }
    await sleepTicking(cycleStart + settings.fetchIntervalMs - Date.now(), control.stop, p.health);
  }
  p.log.info({ ...summary(p) }, 'stopped');
}

async function firstCheckpoint(p: Pipeline, settings: Settings, control: Control): Promise<Checkpoint> {
  // Waits out an Elasticsearch outage: guessing a start instead could leave a gap.
  const newest = await retryTransient(() => newestIndexedTimestamp(p.elastic, settings.elastic.indexSuffix), {
    signal: control.stop,
    isTransient: isTransientElasticError,
    onRetry: (err) => {
      p.health?.failed('elasticsearch', err);
      p.log.warn({ err: errorText(err) }, 'Elasticsearch not reachable; waiting to look up the newest indexed document');
    },
  });
  p.health?.ok('elasticsearch');
  const start = newest ?? settings.startFrom ?? Date.now() - 60 * 60_000;
  p.log.info({ start: iso(start), from: newest ? 'newest indexed document' : settings.startFrom ? '--start-from' : 'one hour ago' }, 'no checkpoint yet');
  return {
    version: 1,
    groupName: settings.groupName,
    streamPrefix: settings.streamPrefix,
    windowStart: start,
    updatedAt: new Date().toISOString(),
  };
}

/**
 * The window after a drained one starts `reRead` behind its end, and remembers how far has
 * been read, so a new event found there counts as a late arrival. Only the very first window
 * (nothing read before it) bounds how far back the next may go.
 */
export function nextWindow(cp: Checkpoint, reRead: number): Checkpoint {
  const end = cp.windowEnd ?? cp.windowStart;
  const floor = cp.readUpTo === undefined ? cp.windowStart : Number.NEGATIVE_INFINITY;
  return {
    ...cp,
    windowStart: Math.max(floor, end - reRead),
    windowEnd: undefined,
    nextToken: undefined,
    readUpTo: Math.max(cp.readUpTo ?? 0, end),
  };
}

/**
 * How far behind the head to re-read. The overlap is twice the worst lateness
 * (ingestionTime - timestamp) of recent windows, between the configured floor and ceiling; a
 * range counts as closed only once the overlap has passed over it. Re-reading the whole overlap
 * on every poll would cost a busy cluster many pages a second at a short interval, so most
 * windows re-read only the head slack (twice the lateness, at least 5 s) and a full sweep runs
 * every half overlap, reaching back far enough that an event up to `overlap` late is still seen.
 */
export class LatenessBudget {
  private readonly recent: number[] = [];
  private lastSweepAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly floorMs: number,
    private readonly ceilingMs: number,
    private readonly intervalMs: number,
    private readonly windows = 10,
  ) {}

  private get worst(): number {
    return this.recent.length ? Math.max(...this.recent) : 0;
  }

  get overlapMs(): number {
    return Math.min(this.ceilingMs, Math.max(this.floorMs, 2 * this.worst));
  }

  /** Records the window's lateness and says how far behind its end the next window starts. */
  reReadAfter(windowLatenessMs: number, now: number): number {
    this.recent.push(windowLatenessMs);
    if (this.recent.length > this.windows) this.recent.shift();
    const overlap = this.overlapMs;
    const sweepEvery = Math.max(this.intervalMs, overlap / 2);
    if (now - this.lastSweepAt >= sweepEvery) {
      this.lastSweepAt = now;
      return overlap + sweepEvery - this.intervalMs;
    }
    return Math.min(overlap, Math.max(5_000, 2 * this.worst));
  }
}

export function summary(p: Pipeline) {
  const s = p.stats;
  return {
    eventsRead: s.eventsRead,
    forwarded: s.forwarded,
    created: s.created,
    alreadyPresent: s.alreadyPresent,
    filteredOut: s.filtered,
    deadLettered: s.deadLettered,
    lateCaught: s.lateCaught,
    pages: s.pages,
    retries: s.retries,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
