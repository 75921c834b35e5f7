import type { CloudWatchPosition } from './position.js';

/**
 * A re-read of every range once it has reached `ageMs` (as AWS's clock tells it), batched so
 * that a sweep covers at least `everyMs` of timestamps: one call for several intervals' worth.
 */
export interface Sweep {
  ageMs: number;
  everyMs: number;
}

/**
 * Every range is read by the head once, then again at the floor (most late events come in
 * then) and at the ceiling (every event ingested less than the ceiling after its timestamp is
 * there by then, whatever the pattern of its arrival). So each event is read three times at the
 * most, whatever the lateness, and a sweep costs one call per `everyMs` of timestamps.
 */
export function sweepsFor(s: { latenessFloorMs: number; latenessCeilingMs: number; fetchIntervalMs: number }): Sweep[] {
  const ages = [...new Set([s.latenessFloorMs, s.latenessCeilingMs])].sort((a, b) => a - b);
  return ages.map((age) => ({ ageMs: age + SEARCHABLE_AFTER_MS, everyMs: Math.max(4 * s.fetchIntervalMs, age / 4) }));
}

/** An ingested event may take a moment to be searchable: a sweep waits this much past its age. */
export const SEARCHABLE_AFTER_MS = 2_000;

/** One window to read: the head (new events) or a sweep (a range read before, read again). */
export interface PlannedWindow {
  /** The sweep's index in `sweepsFor`, or undefined for the head. */
  sweep?: number;
  start: number;
  end: number;
}

/** Where the head starts next: just after what it has read, or where reading began. */
export function headStart(p: CloudWatchPosition): number {
  return p.readUpTo === undefined ? p.windowStart : p.readUpTo + 1;
}

/** The sweep cursors of a position, made for a position that has none (a first start, or an older release's). */
export function sweptUpTo(p: CloudWatchPosition, sweeps: readonly Sweep[]): number[] {
  if (p.sweptUpTo && p.sweptUpTo.length === sweeps.length) return p.sweptUpTo;
  // An older release re-read at most the ceiling behind what it had read: start the sweeps there
  // (what they read again, the dedup keys absorb). A first start has nothing behind it.
  const ceiling = Math.max(...sweeps.map((s) => s.ageMs));
  const base = p.readUpTo === undefined ? p.windowStart - 1 : p.readUpTo - ceiling;
  return sweeps.map((_, i) => p.sweptUpTo?.[i] ?? base);
}

/**
 * The windows one poll reads, in order: every sweep that is due (the oldest age first: it is the
 * one whose delay could cost an event), then the head up to `headEnd`. A sweep never reaches
 * past what the head has read.
 */
export function planPoll(p: CloudWatchPosition, sweeps: readonly Sweep[], now: number, headEnd: number): PlannedWindow[] {
  const plans: PlannedWindow[] = [];
  const swept = sweptUpTo(p, sweeps);
  if (p.readUpTo !== undefined) {
    for (let i = sweeps.length - 1; i >= 0; i--) {
      const end = Math.min(now - sweeps[i]!.ageMs, p.readUpTo);
      if (end - swept[i]! >= sweeps[i]!.everyMs) plans.push({ sweep: i, start: swept[i]! + 1, end });
    }
  }
  const start = headStart(p);
  if (headEnd >= start) plans.push({ start, end: headEnd });
  return plans;
}
