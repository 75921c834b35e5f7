import { iso } from '../../time.js';
import type { AuditReader, ChangeQuery } from '../sink.js';
import { LinseedError, type LinseedClient, type ReadQuery } from './client.js';
import type { LinseedSettings } from './settings.js';
import { sortedByObject } from './sorted-by-object.js';

const PAGE = 1_000;
/** Linseed's from/size paging stops at 10,000: a time-ordered read of more is split by time. */
const SPLIT_ABOVE = 9_000;

/**
 * Linseed's read API, paged by after_key. Only the time range is pushed down: its filter fields
 * beyond that cannot be checked against the emulator, and a wrong one would fail every read;
 * the Timeline rules are applied in code by the caller either way.
 */
export class LinseedReader implements AuditReader {
  readonly store: string;
  readonly cluster: string;

  constructor(
    settings: LinseedSettings,
    private readonly client: LinseedClient,
  ) {
    this.store = `Linseed ${settings.endpoint}`;
    this.cluster = settings.clusterId ?? 'cluster';
  }

  changeDocuments(q: ChangeQuery, signal: AbortSignal): AsyncIterable<Record<string, unknown>> {
    return q.order === 'time' ? this.byTime(q.from, q.to, signal) : this.byObject(q, signal);
  }

  /** [from, to] by request time; a range holding more than Linseed pages is read in halves. */
  private async *byTime(from: number, to: number, signal: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    const sort = [{ field: 'requestReceivedTimestamp' }];
    let seen = 0;
    let total: number | undefined;
    for await (const { item, totalHits } of this.pages(from, to, sort, signal)) {
      total ??= totalHits;
      if (total !== undefined && total > SPLIT_ABOVE && to - from > 1) {
        const mid = Math.floor((from + to) / 2);
        yield* this.byTime(from, mid, signal);
        yield* this.byTime(mid + 1, to, signal);
        return;
      }
      seen += 1;
      yield item;
    }
    if (total !== undefined && seen < total) throw new LinseedError(`Linseed's read of ${iso(from)} .. ${iso(to)} returned ${seen} of ${total} documents`, 200, false);
  }

  /**
   * Sorted by object. Linseed's own sort when the range fits its paging; beyond that, the
   * time-ordered read (split as it needs) narrowed to the query's objects and verbs, sorted on
   * local disk: memory holds one run whatever the range.
   */
  private async *byObject(q: ChangeQuery, signal: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    const sort = ['objectRef.apiGroup', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name', 'requestReceivedTimestamp'].map((field) => ({ field }));
    const sorted = this.pages(q.from, q.to, sort, signal);
    const first = await sorted.next();
    if (first.done) return;
    const total = first.value.totalHits;
    if (total !== undefined && total > SPLIT_ABOVE) {
      await sorted.return(undefined);
      yield* sortedByObject(narrowed(this.byTime(q.from, q.to, signal), q));
      return;
    }
    yield first.value.item;
    let seen = 1;
    for await (const { item } of sorted) {
      seen += 1;
      yield item;
    }
    if (total !== undefined && seen < total) throw new LinseedError(`Linseed paged ${seen} of ${total} documents of ${iso(q.from)} .. ${iso(q.to)} in object order`, 200, false);
  }

  /** The read API's documents with a request time in [from, to], in `sort` order. */
  private async *pages(from: number, to: number, sort: ReadQuery['sort'], signal: AbortSignal): AsyncGenerator<{ item: Record<string, unknown>; totalHits?: number }> {
    let after: Record<string, unknown> | undefined;
    do {
      // Linseed's range is exclusive at `from`.
      const query: ReadQuery = { type: 'kube', max_page_size: PAGE, sort, time_range: { from: iso(from - 1), to: iso(to) }, ...(after ? { after_key: after } : {}) };
      const page = await this.client.read(query, signal);
      const items = page.items ?? [];
      for (const item of items) yield { item, totalHits: page.total_hits };
      after = items.length > 0 ? (page.after_key ?? undefined) : undefined;
    } while (after);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** What the store would have narrowed to: the query's verbs and objects (the caller applies every rule again). */
async function* narrowed(docs: AsyncIterable<Record<string, unknown>>, q: ChangeQuery): AsyncGenerator<Record<string, unknown>> {
  const verbs = new Set(q.verbs);
  const resources = q.resources ? new Set(q.resources) : undefined;
  for await (const d of docs) {
    const ref = (d.objectRef ?? {}) as Record<string, unknown>;
    if (!verbs.has(String(d.verb))) continue;
    if (resources && !resources.has(String(ref.resource ?? '').toLowerCase())) continue;
    if (q.group !== undefined && (ref.apiGroup ?? '') !== q.group) continue;
    if (q.namespace !== undefined && ref.namespace !== q.namespace) continue;
    if (q.name !== undefined && ref.name !== q.name) continue;
    yield d;
  }
}
