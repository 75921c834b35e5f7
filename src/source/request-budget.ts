import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The process-wide allowance of CloudWatch Logs requests per second. FilterLogEvents shares a
 * hard quota of about 5 requests/s per account and region with every other consumer, so each
 * HTTP attempt (retries included) waits for a slot here.
 */
export interface RequestBudget {
  readonly perSecond: number;
  /**
   * Resolves when a request may be sent, with the function to call at the moment it is sent;
   * the next slot is timed from that call, not from when this one was granted.
   */
  take(): Promise<() => void>;
  /** Requests sent so far. */
  readonly spent: number;
}

/**
 * How late a request may leave after it was recorded as sent (signing, event-loop work queued
 * in between) without the service seeing more than `perSecond` in any one-second window.
 */
const DISPATCH_JITTER_MS = 50;

/**
 * Evenly spaced requests, `(1000 + jitter) / perSecond` apart. Written by hand because
 * p-throttle (used before) times each slot from when it grants it: a request that then waits
 * behind a page being transformed leaves late, the next leaves on time, and the service saw
 * 3 requests in one second at a budget of 2.
 */
export function createRequestBudget(perSecond: number): RequestBudget {
  const spacingMs = (1000 + DISPATCH_JITTER_MS) / perSecond;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  // Takers queue up; each waits until the one before it has actually been sent.
  let previous: Promise<void> = Promise.resolve();
  let spent = 0;
  return {
    perSecond,
    async take() {
      let markSent!: () => void;
      const sent = new Promise<void>((resolve) => (markSent = resolve));
      const turn = previous;
      previous = sent;
      await turn;
      for (let wait = lastSentAt + spacingMs - performance.now(); wait > 0; wait = lastSentAt + spacingMs - performance.now()) {
        await sleep(wait);
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        lastSentAt = performance.now();
        spent += 1;
        markSent();
      };
    },
    get spent() {
      return spent;
    },
  };
}
