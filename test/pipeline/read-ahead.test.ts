import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/pipeline/read-ahead.js';

describe('readAhead', () => {
  it('requests the next item while the consumer holds the current one, and never more', async () => {
    const requested: number[] = [];
    async function* source() {
      for (let i = 0; i < 4; i++) {
        requested.push(i);
        yield i;
      }
    }
    const seen: [number, number[]][] = [];
    for await (const item of readAhead(source())) {
      await Promise.resolve();
      seen.push([item, [...requested]]);
    }
    expect(seen.map(([i]) => i)).toEqual([0, 1, 2, 3]);
    // While item i is processed, at most item i+1 has been requested.
    for (const [item, req] of seen) expect(Math.max(...req)).toBeLessThanOrEqual(item + 1);
  });

  it('surfaces a failed prefetch to the consumer at its next step, not as an unhandled rejection', async () => {
    async function* source() {
      yield 1;
      throw new Error('page 2 failed');
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(source())) got.push(item);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(got).toEqual([1]);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const item of readAhead(source())) if (item === 2) break;
    expect(closed).toBe(true);
  });
});
