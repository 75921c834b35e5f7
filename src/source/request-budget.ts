import pThrottle from 'p-throttle';

/**
 * The process-wide allowance of CloudWatch Logs requests per second. FilterLogEvents shares a
 * hard quota of about 5 requests/s per account and region with every other consumer, so each
 * HTTP attempt (retries included) waits for a slot here. A sliding one-second window means no
 * second anywhere sees more than `perSecond` requests.
 */
export interface RequestBudget {
  readonly perSecond: number;
  /** Resolves when a request may be sent. */
  take(): Promise<void>;
  /** Requests sent so far. */
  readonly spent: number;
}

export function createRequestBudget(perSecond: number): RequestBudget {
  // A fractional budget (e.g. 0.5/s) becomes one request per 1/perSecond seconds.
  const limit = Math.max(1, Math.floor(perSecond));
  const interval = Math.round((limit / perSecond) * 1000);
  const slot = pThrottle({ limit, interval, strict: true })(() => undefined);
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
