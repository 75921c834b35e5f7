import { describe, expect, it } from 'vitest';
import type { CloudWatchPosition } from '../../../src/source/cloudwatch/position.js';
import { passesOf, planPoll, SEARCHABLE_AFTER_MS, sweepsFor, sweptUpTo, type PlannedWindow } from '../../../src/source/cloudwatch/schedule.js';

const MIN = 60_000;
const defaults = { latenessFloorMs: 2 * MIN, latenessCeilingMs: 15 * MIN, fetchIntervalMs: MIN };
const base: CloudWatchPosition = { groupName: 'g', streamPrefix: 'p', windowStart: 0 };

/** Runs the schedule poll after poll, each planned window read at once, as the source does. */
function simulate(settings: typeof defaults, polls: number, settleMs = 1_000, prefiltered = false) {
  const sweeps = sweepsFor(settings, prefiltered);
  let p: CloudWatchPosition = { ...base, windowStart: 10 * MIN };
  const reads: (PlannedWindow & { at: number })[] = [];
  for (let k = 1; k <= polls; k++) {
    const now = 10 * MIN + k * settings.fetchIntervalMs;
    for (const w of planPoll(p, sweeps, now, now - settleMs)) {
      reads.push({ ...w, at: now });
      const swept = sweptUpTo(p, sweeps);
      if (w.sweep === undefined) p = { ...p, readUpTo: w.end, windowStart: w.end + 1, sweptUpTo: swept };
      else p = { ...p, sweptUpTo: { ...swept, [String(w.sweep)]: w.end } };
    }
  }
  return { reads, sweeps };
}

describe('the lateness schedule', () => {
  it('re-reads every range at the floor and at the ceiling, batched to one call per four and per 7.5 intervals at the defaults', () => {
    expect(sweepsFor(defaults)).toEqual([
      { ageMs: 2 * MIN + SEARCHABLE_AFTER_MS, everyMs: 4 * MIN, reads: 'everything' },
      { ageMs: 15 * MIN + SEARCHABLE_AFTER_MS, everyMs: 7.5 * MIN, reads: 'everything' },
    ]);
    expect(sweepsFor({ ...defaults, latenessFloorMs: 15 * MIN })).toHaveLength(1);
  });

  it('with a policy pattern, re-reads only what the policy may keep, and cut-off events once, at the ceiling, batched to half its age per pass', () => {
    expect(sweepsFor(defaults, true)).toEqual([
      { ageMs: 2 * MIN + SEARCHABLE_AFTER_MS, everyMs: 4 * MIN, reads: 'kept' },
      { ageMs: 15 * MIN + SEARCHABLE_AFTER_MS, everyMs: 15 * MIN, reads: 'kept-and-cut-off' },
    ]);
    // One age only: it is the ceiling, so it reads cut-off events too.
    expect(sweepsFor({ ...defaults, latenessFloorMs: 15 * MIN }, true)).toEqual([{ ageMs: 15 * MIN + SEARCHABLE_AFTER_MS, everyMs: 15 * MIN, reads: 'kept-and-cut-off' }]);
  });

  it('with a policy pattern, makes 1 + 1/4 + 2/15 calls per interval once caught up (one page per pass)', () => {
    const { reads, sweeps } = simulate(defaults, 600, 1_000, true);
    const passes = (r: PlannedWindow) => passesOf(sweeps.find((s) => s.ageMs === r.sweep)?.reads ?? 'everything');
    const caughtUp = reads.filter((r) => r.at > 70 * MIN && r.at <= 490 * MIN);
    expect(caughtUp.reduce((n, r) => n + passes(r), 0) / 420).toBeCloseTo(1 + 1 / 4 + 2 / 15, 2);
  });

  it('adds a re-count after the ceiling\'s sweep has surely passed, only when it has a share of the budget', () => {
    expect(sweepsFor({ ...defaults, recountShare: 0 }).some((s) => s.recount)).toBe(false);
    const sweeps = sweepsFor({ ...defaults, recountShare: 0.1 });
    // The re-count reads everything: it judges a range by the policy alone.
    expect(sweeps.at(-1)).toEqual({ ageMs: 15 * MIN + SEARCHABLE_AFTER_MS + 7.5 * MIN, everyMs: 7.5 * MIN, reads: 'everything', recount: true });
    expect(sweepsFor({ ...defaults, recountShare: 0.1 }, true).at(-1)).toMatchObject({ ageMs: 15 * MIN + SEARCHABLE_AFTER_MS + 15 * MIN, reads: 'everything', recount: true });
    // The ceiling's sweep reads a range at the latest `everyMs` after it reached its age: the re-count comes after that.
    const ceiling = sweeps.find((s) => s.ageMs === 15 * MIN + SEARCHABLE_AFTER_MS)!;
    expect(sweeps.at(-1)!.ageMs).toBeGreaterThanOrEqual(ceiling.ageMs + ceiling.everyMs);
  });

  it('reads a re-count that fell behind one period at a time, never a whole backlog at once', () => {
    const sweeps = sweepsFor({ ...defaults, recountShare: 0.1 });
    const recount = sweeps.at(-1)!;
    // Caught up at the head, the re-count cursor an hour behind.
    const p: CloudWatchPosition = { ...base, readUpTo: 200 * MIN, sweptUpTo: { [String(recount.ageMs)]: 100 * MIN } };
    const plan = planPoll(p, sweeps, 200 * MIN + 5_000, 200 * MIN).find((w) => w.sweep === recount.ageMs)!;
    expect(plan).toEqual({ sweep: recount.ageMs, start: 100 * MIN + 1, end: 100 * MIN + recount.everyMs });
  });

  it('reads any event ingested less than the ceiling after its timestamp, whatever its lateness, after it was ingested', () => {
    const cases = [defaults, { ...defaults, fetchIntervalMs: 5_000 }, { latenessFloorMs: 2_000, latenessCeilingMs: 12_000, fetchIntervalMs: 500 }].flatMap((s) => [false, true].map((prefiltered) => ({ settings: s, prefiltered })));
    for (const { settings, prefiltered } of cases) {
      const polls = Math.ceil((settings.latenessCeilingMs * 6) / settings.fetchIntervalMs);
      const { reads, sweeps } = simulate(settings, polls, 1_000, prefiltered);
      const horizon = 10 * MIN + polls * settings.fetchIntervalMs - settings.latenessCeilingMs - 2 * sweeps.at(-1)!.everyMs;
      let checked = 0;
      for (let ts = 10 * MIN; ts < horizon; ts += 997) {
        for (const lateness of [0, 1, 1_500, settings.latenessFloorMs, settings.latenessFloorMs * 4.5, settings.latenessCeilingMs * 0.9, settings.latenessCeilingMs - 1]) {
          const ingested = ts + lateness;
          // Searchable a moment after it was ingested.
          const seen = reads.some((r) => r.start <= ts && ts <= r.end && r.at >= ingested + SEARCHABLE_AFTER_MS - 1);
          expect(seen, `ts ${ts}, ${lateness} ms late, interval ${settings.fetchIntervalMs}, prefiltered ${prefiltered}`).toBe(true);
          // A cut-off event matches no JSON pattern: with a policy pattern only the head and the ceiling's sweep read it.
          const seenCutOff = reads.some((r) => r.start <= ts && ts <= r.end && r.at >= ingested + SEARCHABLE_AFTER_MS - 1 && (r.sweep === undefined || sweeps.find((s) => s.ageMs === r.sweep)!.reads !== 'kept'));
          expect(seenCutOff, `cut-off event at ts ${ts}, ${lateness} ms late, interval ${settings.fetchIntervalMs}, prefiltered ${prefiltered}`).toBe(true);
          checked += 1;
        }
      }
      expect(checked).toBeGreaterThan(100);
    }
  });

  it('reads each timestamp three times at the most and makes 1 + 1/4 + 1/8 calls per interval once caught up (one page per window)', () => {
    const { reads } = simulate(defaults, 600);
    // 440 polls, well after the start. A sweep fires on the first poll with its period in hand:
    // every 4th for the floor's 4 minutes, every 8th for the ceiling's 7.5.
    const caughtUp = reads.filter((r) => r.at > 70 * MIN && r.at <= 510 * MIN);
    expect(caughtUp.length / 440).toBeCloseTo(1 + 1 / 4 + 1 / 8, 2);
    const covered = new Map<number, number>();
    for (const r of caughtUp) for (let t = Math.ceil(r.start / 1000) * 1000; t <= r.end; t += 1000) covered.set(t, (covered.get(t) ?? 0) + 1);
    expect(Math.max(...covered.values())).toBe(3);
  });

  it('never sweeps past what the head has read, and plans sweeps before the head, the oldest age first', () => {
    const sweeps = sweepsFor(defaults);
    const [floor, ceiling] = sweeps.map((s) => s.ageMs) as [number, number];
    const p: CloudWatchPosition = { ...base, readUpTo: 100 * MIN, windowStart: 100 * MIN + 1, sweptUpTo: { [floor]: 80 * MIN, [ceiling]: 60 * MIN } };
    const plans = planPoll(p, sweeps, 120 * MIN + SEARCHABLE_AFTER_MS, 120 * MIN - 1_000);
    expect(plans).toEqual([
      { sweep: ceiling, start: 60 * MIN + 1, end: 100 * MIN },
      { sweep: floor, start: 80 * MIN + 1, end: 100 * MIN },
      { start: 100 * MIN + 1, end: 120 * MIN - 1_000 },
    ]);
    // Until AWS has told the time, only the head: a sweep timed by the pod's clock could come early.
    expect(planPoll(p, sweeps, 120 * MIN + SEARCHABLE_AFTER_MS, 120 * MIN - 1_000, false)).toEqual([{ start: 100 * MIN + 1, end: 120 * MIN - 1_000 }]);
  });

  it('starts a sweep with no cursor where no range under its age can have been missed', () => {
    const [floor, ceiling] = sweepsFor(defaults).map((s) => s.ageMs) as [number, number];
    // A position of an older release: each sweep its age behind what the head had read.
    expect(sweptUpTo({ ...base, readUpTo: 100 * MIN }, sweepsFor(defaults))).toEqual({ [floor]: 100 * MIN - floor, [ceiling]: 100 * MIN - ceiling });
    // A first start: nothing before it.
    expect(sweptUpTo({ ...base, windowStart: 100 * MIN }, sweepsFor(defaults))).toEqual({ [floor]: 100 * MIN - 1, [ceiling]: 100 * MIN - 1 });
    // The ceiling raised to 30 minutes: its sweep starts no later than any cursor kept, so what the
    // 15-minute sweep had covered is read again at 30 minutes.
    const raised = sweepsFor({ ...defaults, latenessCeilingMs: 30 * MIN });
    expect(sweptUpTo({ ...base, readUpTo: 100 * MIN, sweptUpTo: { [floor]: 97 * MIN, [ceiling]: 84 * MIN } }, raised)).toEqual({ [floor]: 97 * MIN, [raised[1]!.ageMs]: 100 * MIN - raised[1]!.ageMs });
  });
});
