import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The process-wide allowance of CloudWatch Logs requests per second. FilterLogEvents shares a
 * hard quota of about 5 requests/s per account and region with every other consumer, so each
 * HTTP attempt (retries included) waits for a slot here, right before it goes on the wire.
 */
export interface RequestBudget {
  readonly perSecond: number;
  /**
   * Resolves when a request may be sent; the next taker waits until this slot is sent (the
   * next slot is timed from then) or released unsent. Rejects if `signal` aborts first.
   */
  take(signal?: AbortSignal): Promise<BudgetSlot>;
  /** Requests sent so far. */
  readonly spent: number;
}

export interface BudgetSlot {
  /** Call as the request goes on the wire: counts it and times the next slot from now. */
  send(): void;
  /** Gives the slot up if it was not sent (the request failed before the wire). Idempotent. */
  release(): void;
}

/**
 * How late a request may reach the wire after it was recorded as sent (event-loop work queued
 * in between) without the service seeing more than `perSecond` in any one-second window.
 */
const DISPATCH_JITTER_MS = 50;

/**
 * Evenly spaced requests, `(1000 + jitter) / perSecond` apart, each timed from the previous
 * one's actual send. Written by hand because p-throttle (used before) times each slot from when
 * it grants it: a request that then waits (being signed, or behind a page being transformed)
 * leaves late, the next leaves on time, and the service saw 3 requests in one second at 2/s.
 */
export function createRequestBudget(perSecond: number): RequestBudget {
  const spacingMs = (1000 + DISPATCH_JITTER_MS) / perSecond;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  // Takers queue up: each waits until every one before it has been sent or has given up.
  let queue: Promise<void> = Promise.resolve();
  let spent = 0;
  return {
    perSecond,
    async take(signal) {
      let release!: () => void;
      const done = new Promise<void>((resolve) => (release = resolve));
      const turn = queue;
      queue = turn.then(() => done);
      try {
        await untilAborted(turn, signal);
        for (let wait = lastSentAt + spacingMs - performance.now(); wait > 0; wait = lastSentAt + spacingMs - performance.now()) {
          await sleep(wait, undefined, { signal });
        }
      } catch (err) {
        release();
        throw err;
      }
      let settled = false;
      return {
        send() {
          if (settled) return;
          settled = true;
          lastSentAt = performance.now();
          spent += 1;
          release();
        },
        release() {
          if (settled) return;
          settled = true;
          release();
        },
      };
    },
    get spent() {
      return spent;
    },
  };
}

function untilAborted(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
