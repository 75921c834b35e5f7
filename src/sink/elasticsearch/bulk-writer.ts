import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import { retryTransient } from '../../retry.js';
import type { SinkRecord, WriteOutcome } from '../sink.js';
import { indexFor } from './index-names.js';

export interface BulkWriterOptions {
  client: Client;
  indexSuffix: string;
  deadLetterIndex: string;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number) => void;
  /**
   * Called after each bulk request with its duration; `ok` is false when the request failed or
   * left items to retry (429/5xx). For metrics; never throws into the writer.
   */
  onBulk?: (seconds: number, ok: boolean) => void;
  /** Collects the name of every index a request was sent to (for a refresh at the end). */
  indices?: Set<string>;
}

/** Requests above this are split (the server's default limit is 100 MB; a page is ~1 MB). */
const MAX_REQUEST_BYTES = 5_000_000;

/**
 * Writes the records with `create` and resolves with one outcome per record, in order, once
 * Elasticsearch answered every one of them for good: created, already present (409), or refused
 * (another 4xx). Whole-request failures and item 429/5xx are retried until they succeed.
 *
 * Written on `client.bulk` rather than the bulk helper: the helper reports a success by the
 * index name the server answers with, which a write alias, a data stream or an ingest reroute
 * changes, while outcomes must be matched to records by position in the request.
 */
export async function writeAll(records: readonly SinkRecord[], opts: BulkWriterOptions): Promise<WriteOutcome[]> {
  const outcomes: (WriteOutcome | undefined)[] = new Array(records.length);
  let pending = records.map((_, i) => i);
  for (let round = 0; pending.length > 0; round++) {
    if (round > 0) await backoff(round, opts.signal);
    const retry: number[] = [];
    for (const chunk of chunks(pending, records)) {
      const items = await retryTransient(() => timed(() => bulkRound(chunk, records, opts), opts), {
        signal: opts.signal,
        isTransient: isTransientElasticError,
        onRetry: opts.onRetry,
      });
      items.forEach((item, j) => {
        const i = chunk[j]!;
        if (item === 'retry' || item === 'busy') retry.push(i);
        else outcomes[i] = item;
      });
    }
    if (retry.length > 0) opts.onRetry?.(new Error(`${retry.length} items answered 429/5xx`), round + 1);
    pending = retry;
  }
  return outcomes as WriteOutcome[];
}

/** Items answered 429 are sent again this often within a round, a second apart, before the round reports them. */
const QUIET_429_RETRIES = 3;

/**
 * One round: a bulk request, then its items answered 429 (the node was busy, not the document
 * wrong) again up to three times, as the client's bulk helper did. What still fails is retried
 * by the next round, which is what metrics and readiness see.
 */
async function bulkRound(indices: number[], records: readonly SinkRecord[], opts: BulkWriterOptions): Promise<Item[]> {
  const items = await bulkOnce(indices.map((i) => records[i]!), opts);
  for (let attempt = 0; attempt < QUIET_429_RETRIES; attempt++) {
    const busy = items.flatMap((item, j) => (item === 'busy' ? [j] : []));
    if (busy.length === 0) break;
    await sleep(1_000, undefined, { signal: opts.signal });
    const again = await bulkOnce(busy.map((j) => records[indices[j]!]!), opts);
    busy.forEach((j, k) => (items[j] = again[k]!));
  }
  return items;
}

/** An outcome, or why the item is to be sent again: 'busy' (429) or 'retry' (5xx). */
type Item = WriteOutcome | 'busy' | 'retry';

async function bulkOnce(records: SinkRecord[], opts: BulkWriterOptions): Promise<Item[]> {
  const operations: unknown[] = [];
  for (const r of records) {
    // `create` never overwrites: a replayed id answers 409 and counts as already stored.
    const index = indexFor(r, opts);
    opts.indices?.add(index);
    operations.push({ create: { _index: index, _id: r.key } }, r.document);
  }
  const response = await opts.client.bulk({ operations, refresh: false }, { signal: opts.signal });
  if (response.items.length !== records.length) {
    // Never match by guesswork: a malformed answer is retried as a whole.
    throw Object.assign(new Error(`bulk answered ${response.items.length} items for ${records.length} operations`), { name: 'BulkMismatchError' });
  }
  return response.items.map((item): Item => {
    const action = item.create ?? item.index ?? Object.values(item)[0]!;
    const status = action.status;
    if (status < 300) return { result: 'stored' };
    if (status === 409) return { result: 'already-stored' };
    if (status === 429) return 'busy';
    if (status >= 500) return 'retry';
    const reason = action.error ? `${action.error.type}: ${action.error.reason ?? ''}` : 'unknown';
    return { result: 'refused', status, reason };
  });
}

/** Consecutive groups of indices whose documents stay under MAX_REQUEST_BYTES. */
function chunks(indices: number[], records: readonly SinkRecord[]): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const i of indices) {
    const size = records[i]!.event.message.length + 200;
    if (current.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Reports the duration of one bulk request to `onBulk` (not when the request was aborted). */
async function timed<T extends Item[]>(fn: () => Promise<T>, opts: BulkWriterOptions): Promise<T> {
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
    report(!outcome.some((item) => item === 'retry' || item === 'busy'));
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
