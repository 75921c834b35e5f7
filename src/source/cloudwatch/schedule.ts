import type { CloudWatchPosition } from './position.js';

/** What a sweep reads again: every event, or only what the policy may keep (and cut-off events, which no JSON pattern matches). */
export type SweepReads = 'everything' | 'kept' | 'kept-and-cut-off';

/**
 * A re-read of every range once it has reached `ageMs` (as AWS's clock tells it), batched so
 * that a sweep covers at least `everyMs` of timestamps: one call for several intervals' worth.
 */
export interface Sweep {
  ageMs: number;
  everyMs: number;
  reads: SweepReads;
  /** The re-count after the ceiling: it proves a range complete, paced by its share of the budget. */
  recount?: boolean;
}

/** Calls a sweep makes per window at the least: one per filter pattern. */
export function passesOf(reads: SweepReads): number {
  return reads === 'kept-and-cut-off' ? 2 : 1;
}

/**
 * Every range is read by the head once, then again at the floor (most late events come in
 * then) and at the ceiling (every event ingested less than the ceiling after its timestamp is
 * there by then, whatever the pattern of its arrival). So each event is read three times at the
 * most, whatever the lateness, and a sweep costs one call per pass per `everyMs` of timestamps
 * (more when that much holds more than a page). A sweep waits for half its age of timestamps
 * per pass, and at least four intervals.
 *
 * `prefiltered` (the policy compiles to a CloudWatch pattern): the sweeps read again only what
 * the policy may keep, so a busy group's re-reads move a fraction of its bytes. Cut-off events
 * match no JSON pattern, so the ceiling's sweep reads them in a second pass (the floor's need
 * not: the ceiling's alone holds the guarantee). At the defaults: 1 + 1/4 + 2/15 calls per
 * interval on a quiet group; without a pattern, 1 + 1/4 + 1/8.
 */
export function sweepsFor(
  s: { latenessFloorMs: number; latenessCeilingMs: number; fetchIntervalMs: number; recountShare?: number },
  prefiltered = false,
): Sweep[] {
  const ages = [...new Set([s.latenessFloorMs, s.latenessCeilingMs])].sort((a, b) => a - b);
  const sweeps: Sweep[] = ages.map((age) => {
    const reads: SweepReads = !prefiltered ? 'everything' : age === s.latenessCeilingMs ? 'kept-and-cut-off' : 'kept';
    return { ageMs: age + SEARCHABLE_AFTER_MS, everyMs: Math.max(4 * s.fetchIntervalMs, (age / 2) * passesOf(reads)), reads };
  });
  if (s.recountShare) {
    // Once the ceiling's sweep has surely passed over a range (it waits up to its `everyMs`).
    const ceiling = sweeps.at(-1)!;
    sweeps.push({ ageMs: ceiling.ageMs + ceiling.everyMs, everyMs: ceiling.everyMs, reads: 'everything', recount: true });
  }
  return sweeps;
}

/** An ingested event may take a moment to be searchable: a sweep waits this much past its age. */
export const SEARCHABLE_AFTER_MS = 2_000;

/** One window to read: the head (new events) or a sweep (a range read before, read again). */
export interface PlannedWindow {
  /** The sweep's age (ms), or undefined for the head. */
  sweep?: number;
  start: number;
  end: number;
}

/** Where the head starts next: just after what it has read, or where reading began. */
export function headStart(p: CloudWatchPosition): number {
  return p.readUpTo === undefined ? p.windowStart : p.readUpTo + 1;
}

/**
 * The sweep cursors of a position, for these sweeps, keyed by age. A sweep with no cursor (a
 * first start, a position of an older release, an age not configured before) starts where no
 * range under its age can have been missed: at what reading began, or the age behind what the
 * head has read, or the oldest cursor kept, whichever is earliest.
 */
export function sweptUpTo(p: CloudWatchPosition, sweeps: readonly Sweep[]): Record<string, number> {
  const kept = p.sweptUpTo ?? {};
  const out: Record<string, number> = {};
  for (const s of sweeps) {
    const known = kept[String(s.ageMs)];
    if (known !== undefined) {
      out[String(s.ageMs)] = known;
      continue;
    }
    const candidates = [p.readUpTo === undefined ? p.windowStart - 1 : p.readUpTo - s.ageMs, ...Object.values(kept)];
    out[String(s.ageMs)] = Math.min(...candidates);
  }
  return out;
}

/**
 * The windows one poll reads, in order: every sweep that is due (the oldest age first: it is the
 * one whose delay could cost an event), then the head up to `headEnd`. A sweep never reaches
 * past what the head has read. `now` is AWS's clock; without it (`sweeps` false) only the head
 * is read, since a sweep timed by a skewed pod clock could come too early.
 */
export function planPoll(p: CloudWatchPosition, sweeps: readonly Sweep[], now: number, headEnd: number, withSweeps = true): PlannedWindow[] {
  const plans: PlannedWindow[] = [];
  const swept = sweptUpTo(p, sweeps);
  if (p.readUpTo !== undefined && withSweeps) {
    for (const s of [...sweeps].sort((a, b) => b.ageMs - a.ageMs)) {
      const from = swept[String(s.ageMs)]!;
      // A re-count behind reads one period at a time, so its share is spread and the head keeps its turn.
      const end = Math.min(now - s.ageMs, p.readUpTo, s.recount ? from + s.everyMs : Number.POSITIVE_INFINITY);
      if (end - from >= s.everyMs) plans.push({ sweep: s.ageMs, start: from + 1, end });
    }
  }
  const start = headStart(p);
  if (headEnd >= start) plans.push({ start, end: headEnd });
  return plans;
}
