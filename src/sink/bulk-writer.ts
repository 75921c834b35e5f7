import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import { retryTransient } from '../retry.js';
import { deadLetterRequest, type IndexRequest } from '../transform/transform-page.js';

export interface WriteResult {
  /** Documents Elasticsearch stored for the first time. */
  created: number;
  /** Documents that were already there (a replay, absorbed by the deterministic id). */
  existing: number;
  /** Documents Elasticsearch refused for good, stored as dead letters instead. */
  rejected: number;
  /** Dead letters acknowledged (invalid events and rejected documents). */
  deadLettered: number;
  /** Created documents whose event lies in a range already read: late arrivals caught. */
  late: number;
}

export interface BulkWriterOptions {
  client: Client;
  groupName: string;
  deadLetterIndex: string;
  signal?: AbortSignal;
  /** Events timestamped at or before this were read before; creating one means it arrived late. */
  lateBefore?: number;
  onRetry?: (err: unknown, attempt: number) => void;
  /** Called with each permanently rejected document before it is dead-lettered. */
  onRejected?: (req: IndexRequest, status: number, reason: string) => void;
  /**
   * Called after each bulk request with its duration; `ok` is false when the request failed or
   * left items to retry (429/5xx). For metrics; never throws into the writer.
   */
  onBulk?: (seconds: number, ok: boolean) => void;
}

/**
 * Writes a batch of documents and resolves only once Elasticsearch acknowledged every one of
 * them: created, already present (409 on `create`), or stored as a dead letter. Transient
 * failures (whole-request errors, item 429 and 5xx) are retried until they succeed, so the
 * caller may move its checkpoint past the batch as soon as this resolves.
 */
export async function writeAll(requests: IndexRequest[], opts: BulkWriterOptions): Promise<WriteResult> {
  const result: WriteResult = { created: 0, existing: 0, rejected: 0, deadLettered: 0, late: 0 };
  let pending = requests;
  let round = 0;
  while (pending.length > 0) {
    if (round > 0) await backoff(round, opts.signal);
    round += 1;
    const outcome = await retryTransient(() => timed(() => bulkOnce(pending, opts.client, opts.lateBefore), opts), {
      signal: opts.signal,
      isTransient: isTransientElasticError,
      onRetry: opts.onRetry,
    });
    result.created += outcome.created;
    result.existing += outcome.existing;
    result.late += outcome.late;
    result.deadLettered += outcome.deadLetters;
    const next: IndexRequest[] = [...outcome.retry];
    for (const { req, status, reason } of outcome.rejected) {
      if (req.kind === 'dead-letter') {
        // A dead letter itself refused for good would otherwise block the pipe forever.
        throw new Error(`dead-letter index ${opts.deadLetterIndex} refused ${req.id} (${status}): ${reason}`);
      }
      result.rejected += 1;
      opts.onRejected?.(req, status, reason);
      next.push(deadLetterRequest(req.source, `rejected by Elasticsearch (${status}): ${reason}`, opts));
    }
    if (outcome.retry.length > 0) opts.onRetry?.(new Error(`${outcome.retry.length} items answered 429/5xx`), round);
    pending = next;
  }
  return result;
}

interface BulkOutcome {
  created: number;
  existing: number;
  deadLetters: number;
  late: number;
  retry: IndexRequest[];
  rejected: { req: IndexRequest; status: number; reason: string }[];
}

async function bulkOnce(requests: IndexRequest[], client: Client, lateBefore = Number.NEGATIVE_INFINITY): Promise<BulkOutcome> {
  const byId = new Map<string, IndexRequest>();
  for (const r of requests) byId.set(`${r.index}\u0000${r.id}`, r);
  const out: BulkOutcome = { created: 0, existing: 0, deadLetters: 0, late: 0, retry: [], rejected: [] };
  const keyOf = (op: Record<string, { _index?: string; _id?: string } | undefined>) => {
    const action = op.create ?? op.index;
    return `${action?._index}\u0000${action?._id}`;
  };
  await client.helpers.bulk<IndexRequest>({
    datasource: requests,
    // `create` never overwrites: a replayed id answers 409 and counts as already acknowledged.
    onDocument: (req) => [{ create: { _index: req.index, _id: req.id } }, req.document],
    onSuccess: ({ result }) => {
      const req = byId.get(keyOf(result as never));
      if (req?.kind === 'dead-letter') {
        out.deadLetters += 1;
      } else {
        out.created += 1;
        if (req && req.source.timestamp <= lateBefore) out.late += 1;
      }
    },
    onDrop: (dropped) => {
      const req = byId.get(keyOf(dropped.operation as never));
      if (!req) return;
      const status = dropped.status;
      if (status === 409) {
        if (req.kind === 'dead-letter') out.deadLetters += 1;
        else out.existing += 1;
      } else if (status === 429 || status >= 500) {
        out.retry.push(req);
      } else {
        const reason = dropped.error ? `${dropped.error.type}: ${dropped.error.reason}` : 'unknown';
        out.rejected.push({ req, status, reason });
      }
    },
    // The helper retries 429 items itself a few times before handing them to onDrop.
    retries: 3,
    wait: 1_000,
    flushBytes: 5_000_000,
    concurrency: 2,
    refreshOnCompletion: false,
  });
  return out;
}

/** Reports the duration of one bulk request to `onBulk` (not when the request was aborted). */
async function timed(fn: () => Promise<BulkOutcome>, opts: BulkWriterOptions): Promise<BulkOutcome> {
  if (!opts.onBulk) return fn();
  const started = performance.now();
  const report = (ok: boolean) => {
    if (opts.signal?.aborted) return;
    try {
      opts.onBulk?.((performance.now() - started) / 1000, ok);
    } catch {
      // metrics must never break the write path
    }
  };
  try {
    const outcome = await fn();
    report(outcome.retry.length === 0);
    return outcome;
  } catch (err) {
    report(false);
    throw err;
  }
}

function backoff(round: number, signal?: AbortSignal): Promise<void> {
  const ms = Math.min(30_000, 500 * 2 ** (round - 1)) * (0.5 + Math.random() / 2);
  return sleep(ms, undefined, { signal });
}

/** Connection failures, timeouts, 429 and 5xx are transient; a 4xx answer to the request is not. */
export function isTransientElasticError(err: unknown): boolean {
  const e = err as { name?: string; meta?: { statusCode?: number } };
  if (e?.name === 'AbortError' || e?.name === 'RequestAbortedError') return false;
  const status = e?.meta?.statusCode;
  if (e?.name === 'ResponseError' && status !== undefined) return status === 429 || status >= 500;
  return true;
}
