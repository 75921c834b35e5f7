import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createRequestBudget } from '../../../src/source/cloudwatch/request-budget.js';

// These assert lower bounds on gaps between sends (the budget's promise); a slow machine only
// makes the gaps longer, so they cannot fail by slowness.
describe('request budget', () => {
  it('spaces the next request from when the previous one was actually sent, not when it was granted', async () => {
    const budget = createRequestBudget(10); // 105 ms apart
    const sentAt: number[] = [];
    const first = await budget.take();
    await sleep(150); // the holder is held up (credentials, signing) before it sends
    sentAt.push(performance.now());
    first.send();
    const second = await budget.take();
    sentAt.push(performance.now());
    second.send();
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(100);
    expect(budget.spent).toBe(2);
  });

  it('serves concurrent takers one at a time, in order, never closer than the spacing', async () => {
    const budget = createRequestBudget(20); // 52.5 ms apart
    const sends: { who: number; at: number }[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (who) => {
        const slot = await budget.take();
        sends.push({ who, at: performance.now() });
        slot.send();
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
      const slot = await budget.take();
      if (i === 0) await sleep(120); // the first leaves late; the rest are on time
      at.push(performance.now());
      slot.send();
    }
    for (const start of at) expect(at.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
  });

  it('a slot released unsent lets the next taker go, and is not counted', async () => {
    const budget = createRequestBudget(20);
    (await budget.take()).send();
    const failed = await budget.take(); // e.g. credentials could not be resolved
    const next = budget.take(); // would wait forever if the failed slot held the queue
    failed.release();
    expect(budget.spent).toBe(1);
    (await next).send();
    expect(budget.spent).toBe(2);
  });

  it('a taker aborted while queued gives its place up and the queue goes on', async () => {
    const budget = createRequestBudget(2);
    const holder = await budget.take();
    const controller = new AbortController();
    const aborted = budget.take(controller.signal);
    const after = budget.take();
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    holder.send();
    (await after).send();
    expect(budget.spent).toBe(2);
  });

  it('a second send or release of the same slot changes nothing', async () => {
    const budget = createRequestBudget(50);
    const slot = await budget.take();
    slot.send();
    slot.send();
    slot.release();
    expect(budget.spent).toBe(1);
  });
});
