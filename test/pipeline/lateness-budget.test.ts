import { describe, expect, it } from 'vitest';
import { LatenessBudget } from '../../src/pipeline/run.js';

describe('LatenessBudget', () => {
  const floor = 2 * 60_000;
  const ceiling = 15 * 60_000;

  it('re-reads at least the floor when events arrive on time', () => {
    const budget = new LatenessBudget(floor, ceiling);
    expect(budget.overlapAfter(1_000)).toBe(floor);
  });

  it('grows to twice the worst recent lateness, up to the ceiling', () => {
    const budget = new LatenessBudget(floor, ceiling);
    expect(budget.overlapAfter(3 * 60_000)).toBe(6 * 60_000);
    expect(budget.overlapAfter(60 * 60_000)).toBe(ceiling);
  });

  it('shrinks back once the late window has left the recent history', () => {
    const budget = new LatenessBudget(floor, ceiling, 3);
    budget.overlapAfter(5 * 60_000);
    budget.overlapAfter(0);
    budget.overlapAfter(0);
    expect(budget.overlapMs).toBe(10 * 60_000);
    expect(budget.overlapAfter(0)).toBe(floor);
  });
});
