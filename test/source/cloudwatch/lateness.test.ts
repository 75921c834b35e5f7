import { describe, expect, it } from 'vitest';
import type { CloudWatchPosition } from '../../../src/source/cloudwatch/position.js';
import { LatenessBudget, nextWindow } from '../../../src/source/cloudwatch/lateness.js';

const floor = 2 * 60_000;
const ceiling = 15 * 60_000;

describe('LatenessBudget', () => {
  it('sizes the overlap at twice the worst recent lateness, between floor and ceiling', () => {
    const budget = new LatenessBudget(floor, ceiling, 60_000);
    budget.reReadAfter(1_000, 0);
    expect(budget.overlapMs).toBe(floor);
    budget.reReadAfter(3 * 60_000, 60_000);
    expect(budget.overlapMs).toBe(6 * 60_000);
    budget.reReadAfter(60 * 60_000, 120_000);
    expect(budget.overlapMs).toBe(ceiling);
  });

  it('forgets a late window once it has left the recent history', () => {
    const budget = new LatenessBudget(floor, ceiling, 60_000, 3);
    budget.reReadAfter(5 * 60_000, 0);
    budget.reReadAfter(0, 1);
    budget.reReadAfter(0, 2);
    expect(budget.overlapMs).toBe(10 * 60_000);
    budget.reReadAfter(0, 3);
    expect(budget.overlapMs).toBe(floor);
  });

  it('at a long interval, re-reads the whole overlap on every poll', () => {
    const budget = new LatenessBudget(floor, ceiling, 60_000);
    for (let t = 0; t < 10 * 60_000; t += 60_000) expect(budget.reReadAfter(1_000, t)).toBe(floor);
  });

  it('at a short interval, re-reads only the head slack between sweeps that still reach an event a whole overlap late', () => {
    const interval = 1_000;
    const budget = new LatenessBudget(floor, ceiling, interval);
    const reReads: { at: number; back: number }[] = [];
    for (let t = 0; t < 10 * 60_000; t += interval) reReads.push({ at: t, back: budget.reReadAfter(2_000, t) });
    const sweeps = reReads.filter((r) => r.back > floor);
    expect(reReads.filter((r) => r.back === 5_000).length).toBeGreaterThan(reReads.length * 0.9);
    expect(sweeps.length).toBeGreaterThanOrEqual(10);
    // The decision at `at` (a window ending then) makes the next window, read one interval later,
    // start `back` before `at`. An event timestamped t and ingested a whole overlap later must
    // fall inside some window read after its ingestion.
    for (let t = 0; t < 7 * 60_000; t += 7_919) {
      const visible = t + floor;
      const seen = reReads.some((r) => r.at + interval >= visible && r.at - r.back <= t);
      expect(seen, `event at ${t} ingested at ${visible}`).toBe(true);
    }
  });
});

describe('nextWindow', () => {
  const base: CloudWatchPosition = { groupName: 'g', streamPrefix: 'p', windowStart: 1_000_000, windowEnd: 1_060_000 };

  it('never starts the window after the first one before where reading began', () => {
    expect(nextWindow(base, 10 * 60_000).windowStart).toBe(1_000_000);
  });

  it('lets a sweep reach back past the start of the short window before it', () => {
    const head = { ...base, windowStart: 1_055_000, readUpTo: 1_055_000 };
    const next = nextWindow(head, 3 * 60_000);
    expect(next.windowStart).toBe(1_060_000 - 3 * 60_000);
    expect(next.readUpTo).toBe(1_060_000);
    expect(next.windowEnd).toBeUndefined();
  });
});
