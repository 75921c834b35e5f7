import {
  FilterLogEventsCommand,
  type CloudWatchLogsClient,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import type { SourceEvent } from '../../event.js';
import { retryTransient } from '../../retry.js';

export interface LogPage {
  /** Events of streams within the prefix; whatever else the service returned is left out. */
  events: SourceEvent[];
  /** Token of the page after this one; absent once the window is drained. */
  nextToken?: string;
  /** Message bytes the service returned, other streams included. */
  bytes: number;
  /** Events the service returned from streams outside the prefix (an emulator ignores the prefix). */
  otherStreamEvents: number;
  /** True when this page starts a re-read of the window because its token was no longer valid. */
  restarted: boolean;
}

export interface WindowRequest {
  groupName: string;
  streamPrefix: string;
  /** Inclusive bounds in epoch milliseconds, as FilterLogEvents takes them. */
  start: number;
  end: number;
  /** Resume after the page that returned this token. */
  nextToken?: string;
  /**
   * The timestamp of the last event before that token: when the token cannot be used, reading
   * starts again there rather than at `start` (events come in timestamp order, so everything
   * before it was read).
   */
  resumeFrom?: number;
  /** Fixed `limit`; when absent the limit follows the observed event size to keep pages near 1 MB. */
  pageLimit?: number;
  filterPattern?: string;
}

export interface ReadOptions {
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number) => void;
  onTokenRestart?: (reason: string) => void;
}

const PAGE_BYTES = 1_000_000;
const MAX_LIMIT = 10_000;
const MIN_LIMIT = 50;

/**
 * Reads every page of one time window, following `nextToken` until the service has none.
 * Written by hand rather than with the SDK paginator because each page's token must be
 * checkpointed and resumed across restarts, and the limit adapts per page to keep pages near
 * 1 MB on services that do not cap them. The caller pulls one page at a time (back-pressure).
 */
export async function* readWindow(
  client: CloudWatchLogsClient,
  req: WindowRequest,
  opts: ReadOptions = {},
): AsyncGenerator<LogPage> {
  let token = req.nextToken;
  let resumed = token !== undefined;
  let restarted = false;
  let start = req.start;
  /** Starts over without the token, from where it stood (not the whole window). */
  const withoutToken = (reason: string) => {
    opts.onTokenRestart?.(reason);
    token = undefined;
    resumed = false;
    restarted = true;
    start = Math.max(req.start, lastTimestamp ?? req.resumeFrom ?? req.start);
  };
  /** The timestamp of the last event read: events come in timestamp order. */
  let lastTimestamp: number | undefined;
  let avgEventBytes = 1_000;
  for (;;) {
    const limit = req.pageLimit ?? clamp(Math.round(PAGE_BYTES / avgEventBytes), MIN_LIMIT, MAX_LIMIT);
    let out: FilterLogEventsCommandOutput;
    try {
      out = await retryTransient(
        () =>
          client.send(
            new FilterLogEventsCommand({
              logGroupName: req.groupName,
              logStreamNamePrefix: req.streamPrefix,
              startTime: start,
              endTime: req.end,
              nextToken: token,
              limit,
              filterPattern: req.filterPattern,
            }),
            { abortSignal: opts.signal },
          ),
        { signal: opts.signal, isTransient: isTransientAwsError, onRetry: opts.onRetry },
      );
    } catch (err) {
      if (token !== undefined && isRejectedToken(err)) {
        withoutToken(`nextToken rejected: ${(err as Error).message}`);
        continue;
      }
      throw err;
    }
    const raw = out.events ?? [];
    // A resumed token that yields nothing at all may be one the service no longer knows
    // (LocalStack answers an unknown token with an empty last page): read again from the last
    // event before it rather than risk skipping the rest. The dedup keys absorb the replay.
    if (resumed && raw.length === 0 && !out.nextToken) {
      withoutToken('resumed nextToken returned an empty last page');
      continue;
    }
    resumed = false;
    const newest = raw.at(-1)?.timestamp;
    if (newest !== undefined) lastTimestamp = newest;
    const page = toPage(raw, req, out.nextToken, restarted);
    restarted = false;
    if (raw.length > 0) avgEventBytes = Math.max(100, page.bytes / raw.length);
    yield page;
    if (!out.nextToken) return;
    token = out.nextToken;
  }
}

function toPage(
  raw: NonNullable<FilterLogEventsCommandOutput['events']>,
  req: WindowRequest,
  nextToken: string | undefined,
  restarted: boolean,
): LogPage {
  const prefix = req.streamPrefix;
  const events: SourceEvent[] = [];
  let bytes = 0;
  let other = 0;
  for (const e of raw) {
    const message = e.message ?? '';
    bytes += message.length;
    if (!e.logStreamName?.startsWith(prefix)) {
      other += 1;
      continue;
    }
    events.push({
      group: req.groupName,
      stream: e.logStreamName,
      eventId: e.eventId ?? '',
      timestamp: e.timestamp ?? 0,
      ingestionTime: e.ingestionTime ?? e.timestamp ?? 0,
      message,
    });
  }
  return { events, nextToken, bytes, otherStreamEvents: other, restarted };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

const PERMANENT_AWS_ERRORS = new Set([
  'AccessDeniedException',
  'ResourceNotFoundException',
  'InvalidParameterException',
  'UnrecognizedClientException',
  'ValidationException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'CredentialsProviderError',
]);

/** Throttling, 5xx, timeouts and connection failures are transient; a rejected request is not. */
export function isTransientAwsError(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (e?.name === 'AbortError') return false;
  if (e?.name && PERMANENT_AWS_ERRORS.has(e.name)) return false;
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined) return true; // no HTTP answer: network error or timeout
  return status === 429 || status >= 500 || e.$retryable !== undefined || /Throttl/i.test(e.name ?? '');
}

function isRejectedToken(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'InvalidParameterException' && /token/i.test(e.message ?? '');
}
