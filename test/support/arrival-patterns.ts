import type { Scenario } from '../../localstack/scenario.js';

/**
 * When each event of a generated scenario reaches CloudWatch: a seeded arrival plan made of the
 * patterns the README promises to hold under the lateness ceiling, as API servers and CloudWatch
 * produce them. Pure: the same scenario, seed and settings give the same plan, so a failure
 * replays. Every event is ingested less than the ceiling after its timestamp (at most
 * `maxLatenessShare` of it), so every one of them is promised.
 */
export type ArrivalPattern =
  /** Ingested a fraction of a second after its timestamp. */
  | 'flow'
  /** Every stream stalled, then flushed at once. */
  | 'all-stalled'
  /** One stream stalled alone while the others flow, then flushed. */
  | 'stream-stalled'
  /** A batch made only of old events, in a stream that otherwise flows. */
  | 'old-batch'
  /** A stream that only ever delivers batches of old events. */
  | 'old-only-stream'
  /** A stream whose lateness grows slowly across the run, up to near the ceiling. */
  | 'drifting';

export interface Arrival {
  stream: string;
  audit: boolean;
  timestamp: number;
  ingestionTime: number;
  message: string;
  /** The pattern that decided its ingestion time. */
  pattern: ArrivalPattern;
}

export interface Episode {
  pattern: ArrivalPattern;
  stream?: string;
  /** Relative to the plan's t0 (ms). */
  from: number;
  to: number;
  /** When the episode's events come in (relative to t0), or how late (ms) for old batches. */
  flushAt?: number;
  lateMs?: number;
}

export interface ArrivalPlan {
  arrivals: Arrival[];
  episodes: Episode[];
}

export interface ArrivalSettings {
  /** Start of the scenario's timestamps (epoch ms). */
  t0: number;
  spanMs: number;
  floorMs: number;
  ceilingMs: number;
  /** Every event's lateness stays under this share of the ceiling. Default 0.95. */
  maxLatenessShare?: number;
}

/**
 * Assigns an ingestion time to every event of `scenario` (its timestamps are kept: the scenario is
 * what the API servers wrote, the plan is when CloudWatch got it). Needs at least three audit
 * streams: one drifts, one delivers only old batches, the others flow, stall and carry old batches.
 */
export function planArrivals(scenario: Scenario, random: () => number, s: ArrivalSettings): ArrivalPlan {
  const { t0, spanMs, floorMs, ceilingMs } = s;
  const maxLate = (s.maxLatenessShare ?? 0.95) * ceilingMs;
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const audit = scenario.streams.filter((st) => st.audit).map((st) => st.name);
  if (audit.length < 3) throw new RangeError('planArrivals needs at least three audit streams');
  const shuffled = [...audit];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const [drifting, oldOnly, ...flowing] = shuffled as [string, string, ...string[]];
  const episodes: Episode[] = [];

  // The stalls, in a seeded order, one after another with a gap of at least a second, so none
  // swallows another: every stream stalled then flushed at once (an API server replaced, a
  // CloudWatch delivery delay), twice; one stream stalled alone while the others flow, twice
  // (perhaps the same stream). Each lasts from a few floors to near the ceiling.
  const stalls: Episode[] = [
    ...Array.from({ length: 2 }, (): Episode => ({ pattern: 'all-stalled', from: 0, to: between(3.5 * floorMs, 0.9 * ceilingMs) })),
    ...Array.from({ length: 2 }, (): Episode => ({ pattern: 'stream-stalled', stream: pick([drifting, ...flowing]), from: 0, to: between(2.5 * floorMs, 0.9 * ceilingMs) })),
  ];
  for (let i = stalls.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [stalls[i], stalls[j]] = [stalls[j]!, stalls[i]!];
  }
  const GAP = 1_000;
  let slack = spanMs - 2_000 - stalls.reduce((n, e) => n + e.to + GAP, 0);
  if (slack < 0) throw new RangeError('the span is too short for the stalls');
  let at = 2_000;
  for (const e of stalls) {
    const len = e.to;
    const gap = between(0, slack / 2);
    slack -= gap;
    e.from = at + gap;
    e.to = e.from + len;
    e.flushAt = e.to;
    at = e.to + GAP;
    episodes.push(e);
  }
  const allStalls = stalls.filter((e) => e.pattern === 'all-stalled');
  const streamStalls = stalls.filter((e) => e.pattern === 'stream-stalled');
  const held = (stream: string, t: number) => stalls.some((e) => (e.stream === undefined || e.stream === stream) && t >= e.from && t < e.to);

  // Batches of only old events in flowing streams: a range of one stream's timestamps delivered
  // together well after the floor, that stream's other events flowing around it; each delivered
  // outside the stalls (a stall would make it part of a flush).
  const oldBatches: Episode[] = [];
  for (let tries = 0; oldBatches.length < 4 && tries < 200; tries++) {
    const len = between(1_000, 3_000);
    const from = between(0, spanMs - len);
    const late = between(1.5 * floorMs, maxLate - len);
    const e: Episode = { pattern: 'old-batch', stream: pick(flowing), from, to: from + len, lateMs: late, flushAt: from + len + late };
    if (held(e.stream!, e.flushAt!) || oldBatches.some((b) => b.stream === e.stream && b.from < e.to && e.from < b.to)) continue;
    oldBatches.push(e);
    episodes.push(e);
  }
  // The old-only stream: chunks of its timestamps, each delivered at once, long after.
  const chunks: { from: number; to: number; flushAt: number }[] = [];
  for (let from = 0; from < spanMs; ) {
    const len = between(1_000, 3_000);
    const late = between(1.5 * floorMs, maxLate - len);
    chunks.push({ from, to: from + len, flushAt: from + len + late });
    episodes.push({ pattern: 'old-only-stream', stream: oldOnly, from, to: from + len, lateMs: late, flushAt: from + len + late });
    from += len;
  }

  const arrivals: Arrival[] = [];
  for (const st of scenario.streams) {
    for (const ev of st.events) {
      const rel = ev.timestamp - t0;
      let pattern: ArrivalPattern = 'flow';
      let ingested = ev.timestamp + between(100, 700);
      if (st.name === drifting) {
        ingested = ev.timestamp + 200 + Math.round((Math.min(Math.max(rel, 0), spanMs) / spanMs) * (0.9 * ceilingMs - 200));
        pattern = 'drifting';
      } else if (st.name === oldOnly) {
        const chunk = chunks.find((c) => rel >= c.from && rel < c.to) ?? chunks.at(-1)!;
        ingested = t0 + chunk.flushAt;
        pattern = 'old-only-stream';
      } else {
        const batch = oldBatches.find((b) => b.stream === st.name && rel >= b.from && rel < b.to);
        if (batch) {
          ingested = t0 + batch.flushAt!;
          pattern = 'old-batch';
        }
      }
      // A stall holds back whatever would have come in during it, then lets it all in at once.
      for (const stall of streamStalls) {
        if (stall.stream === st.name && ingested >= t0 + stall.from && ingested < t0 + stall.to) {
          ingested = t0 + stall.to + between(0, 50);
          pattern = 'stream-stalled';
        }
      }
      for (const stall of allStalls) {
        if (ingested >= t0 + stall.from && ingested < t0 + stall.to) {
          ingested = t0 + stall.to + between(0, 50);
          pattern = 'all-stalled';
        }
      }
      // Under the ceiling, always: patterns that pile up are held to it.
      ingested = Math.max(ev.timestamp, Math.min(ingested, ev.timestamp + Math.floor(maxLate)));
      arrivals.push({ stream: st.name, audit: st.audit, timestamp: ev.timestamp, ingestionTime: ingested, message: ev.message, pattern });
    }
  }
  return { arrivals, episodes };
}
