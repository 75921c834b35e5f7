import pThrottle from 'p-throttle';

/**
 * The process-wide allowance of CloudWatch Logs requests per second. FilterLogEvents shares a
 * hard quota of about 5 requests/s per account and region with every other consumer, so each
 * HTTP attempt (retries included) waits for a slot here.
 */
export interface RequestBudget {
  readonly perSecond: number;
  /** Resolves when a request may be sent. */
  take(): Promise<void>;
  /** Requests sent so far. */
  readonly spent: number;
}

export function createRequestBudget(perSecond: number): RequestBudget {
  // Evenly spaced requests, with a small margin so that network jitter between two requests
  // cannot make the server see more than `perSecond` in any one-second window.
  const spacingMs = (1000 / perSecond) * 1.02 + 10;
  const slot = pThrottle({ limit: 1, interval: Math.ceil(spacingMs), strict: true })(() => undefined);
  let spent = 0;
  return {
    perSecond,
    async take() {
      await slot();
      spent += 1;
    },
    get spent() {
      return spent;
    },
  };
}
