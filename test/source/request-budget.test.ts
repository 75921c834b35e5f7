import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createRequestBudget } from '../../src/source/request-budget.js';

// These assert lower bounds on gaps between sends (the budget's promise); a slow machine only
// makes the gaps longer, so they cannot fail by slowness.
describe('request budget', () => {
  it('spaces the next request from when the previous one was actually sent, not when it was granted', async () => {
    const budget = createRequestBudget(10); // 105 ms apart
    const sentAt: number[] = [];
    const first = await budget.take();
    await sleep(150); // the holder is held up (a page being transformed) before it sends
    sentAt.push(performance.now());
    first();
    const second = await budget.take();
    sentAt.push(performance.now());
    second();
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(100);
    expect(budget.spent).toBe(2);
  });

  it('serves concurrent takers one at a time, in order, never closer than the spacing', async () => {
    const budget = createRequestBudget(20); // 52.5 ms apart
    const sends: { who: number; at: number }[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (who) => {
        const send = await budget.take();
        sends.push({ who, at: performance.now() });
        send();
      }),
    );
    expect(sends.map((s) => s.who)).toEqual([0, 1, 2, 3, 4]);
    for (let i = 1; i < sends.length; i++) expect(sends[i]!.at - sends[i - 1]!.at).toBeGreaterThanOrEqual(50);
    expect(budget.spent).toBe(5);
  });

  it('never lets more than perSecond requests into any one-second window', async () => {
    const budget = createRequestBudget(5);
    const at: number[] = [];
    for (let i = 0; i < 7; i++) {
      const send = await budget.take();
      if (i === 0) await sleep(120); // the first leaves late; the rest are on time
      at.push(performance.now());
      send();
    }
    for (const start of at) expect(at.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
  });

  it('a second call of the same send function changes nothing', async () => {
    const budget = createRequestBudget(50);
    const send = await budget.take();
    send();
    send();
    expect(budget.spent).toBe(1);
  });
});
