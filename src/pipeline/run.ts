import { setTimeout as sleep } from 'node:timers/promises';
import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint.js';
import type { Settings } from '../config/settings.js';
import { newestIndexedTimestamp } from '../sink/newest-indexed.js';
import { errorText, forwardWindow, type Control, type Pipeline } from './forward-window.js';

/**
 * The `run` loop: every fetch interval, open a window from where the last one left off to now
 * and drain it completely. The next window starts an overlap behind the end of this one, so
 * events CloudWatch ingests late into a range already read are still caught; their ids make
 * the re-read free of duplicates.
 */
export async function runLoop(p: Pipeline, settings: Settings, store: CheckpointStore, control: Control): Promise<void> {
  let checkpoint = (await store.load()) ?? (await firstCheckpoint(p, settings));
  p.log.info({ checkpoint: store.location, windowStart: iso(checkpoint.windowStart), resumingPage: Boolean(checkpoint.nextToken) }, 'starting');

  while (!control.stop.aborted) {
    const cycleStart = Date.now();
    if (checkpoint.windowEnd === undefined) checkpoint = { ...checkpoint, windowEnd: cycleStart, nextToken: undefined };
    try {
      const outcome = await forwardWindow(p, checkpoint, store, control, (cp) => nextWindow(cp, overlapMs(p, settings)));
      checkpoint = outcome.checkpoint;
      if (outcome.drained) {
        p.log.info({ windowEnd: iso(outcome.checkpoint.windowStart), ...summary(p) }, 'window drained');
      }
    } catch (err) {
      if (control.signal.aborted) break;
      // A permanent failure (missing group, denied access) waits for the next interval:
      // the loop never dies, and the checkpoint stays where it was.
      p.log.error({ err: errorText(err) }, 'cycle failed; will retry at the next interval');
      checkpoint = (await store.load()) ?? checkpoint;
    }
    await pause(cycleStart + settings.fetchIntervalMs - Date.now(), control);
  }
  p.log.info({ ...summary(p) }, 'stopped');
}

async function firstCheckpoint(p: Pipeline, settings: Settings): Promise<Checkpoint> {
  const newest = await newestIndexedTimestamp(p.elastic, settings.elastic.indexSuffix).catch((err) => {
    p.log.warn({ err: errorText(err) }, 'could not look up the newest indexed document');
    return undefined;
  });
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

/** The window after a drained one starts `overlap` behind its end, never before its start. */
function nextWindow(cp: Checkpoint, overlap: number): Checkpoint {
  const end = cp.windowEnd ?? cp.windowStart;
  return { ...cp, windowStart: Math.max(cp.windowStart, end - overlap), windowEnd: undefined, nextToken: undefined };
}

/** Twice the lateness seen so far, between the configured floor and ceiling. */
function overlapMs(p: Pipeline, settings: Settings): number {
  return Math.min(settings.latenessCeilingMs, Math.max(settings.latenessFloorMs, 2 * p.stats.maxLatenessMs));
}

function pause(ms: number, control: Control): Promise<void> {
  return sleep(Math.max(0, ms), undefined, { signal: control.stop }).catch(() => undefined);
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
    pages: s.pages,
    retries: s.retries,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
