import { describe, expect, it } from 'vitest';
import { splitWindow } from '../../src/pipeline/backfill.js';

describe('splitWindow', () => {
  it('covers the window exactly with consecutive inclusive slices', () => {
    for (const [from, to, n] of [[0, 999, 4], [1_700_000_000_000, 1_700_003_600_000, 7], [5, 5, 3], [10, 12, 8]] as const) {
      const slices = splitWindow({ from, to }, n);
      expect(slices[0]!.from).toBe(from);
      expect(slices.at(-1)!.to).toBe(to);
      for (let i = 1; i < slices.length; i++) expect(slices[i]!.from).toBe(slices[i - 1]!.to + 1);
      for (const s of slices) expect(s.to).toBeGreaterThanOrEqual(s.from);
      expect(slices.length).toBe(Math.min(n, to - from + 1));
    }
  });
});
