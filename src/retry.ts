import pRetry from 'p-retry';

export interface RetryOptions {
  signal?: AbortSignal;
  /** Whether a failure is transient; a permanent one rejects at once. */
  isTransient: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
}

/**
 * Retries transient failures with jittered exponential backoff for as long as it takes:
 * a compliance pipe waits out an outage instead of dropping or skipping data. Only an abort
 * (shutdown) or a permanent error ends the wait.
 */
export function retryTransient<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const minTimeout = opts.minTimeoutMs ?? 500;
  const maxTimeout = opts.maxTimeoutMs ?? 30_000;
  return pRetry(fn, {
    retries: Number.POSITIVE_INFINITY,
    minTimeout,
    maxTimeout,
    factor: 2,
    randomize: true,
    signal: opts.signal,
    shouldRetry: ({ error }) => !opts.signal?.aborted && opts.isTransient(error),
    onFailedAttempt: ({ error, attemptNumber }) => {
      if (opts.isTransient(error)) {
        opts.onRetry?.(error, attemptNumber, Math.min(maxTimeout, minTimeout * 2 ** (attemptNumber - 1)));
      }
    },
  });
}
