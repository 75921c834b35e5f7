import type { Logger } from 'pino';
import type { DoctorContext, DoctorResult, HealthReporter } from '../../component.js';
import { errorText } from '../../error-text.js';
import { retryTransient } from '../../retry.js';
import { iso } from '../../time.js';
import { waitTicking } from '../../wait.js';
import { dedupKey, type KeyedEvent } from '../../transform/dedup-key.js';
import { NotOwnedError, type Sink, type SinkRecord, type StoredDocument, type WriteOptions, type WriteOutcome } from '../sink.js';
import { LinseedError, type LinseedClient, type ReadQuery } from './client.js';
import { DeliveredSet } from './delivered-set.js';
import { linseedDoctor } from './doctor.js';
import type { LinseedSettings } from './settings.js';

/** What the Linseed sink counts, for metrics and `/status`. */
export class LinseedStats {
  bulkRequests = 0;
  readRequests = 0;
  /** 200 answers with `failed > 0` (they name no line). */
  partialFailures = 0;
  /** Read backs of a time range in doubt (after a restart, an unknown outcome, a partial failure). */
  readBacks = 0;
  /** Read backs that first waited for lines written moments before to become searchable. */
  visibilityWaits = 0;
  retries = 0;
}

export interface LinseedSinkOptions {
  settings: LinseedSettings;
  client: LinseedClient;
  log: Logger;
  health: HealthReporter;
  /** How far behind the newest request time the delivered set keeps keys (the replay horizon); default: 30 minutes or `replayHorizonMs`, the longer. */
  retainMs?: number;
  /** How far behind the newest event the source reads again. */
  replayHorizonMs?: number;
  /** How long a write takes to become searchable (Elasticsearch's refresh): a read back waits that long after one. */
  visibleAfterMs?: number;
  /** How long another replica's bulk request may still be landing after it lost the shard (default 10 s). */
  othersInFlightMs?: number;
}

/** How long another replica's bulk request may still be landing after it lost the shard (see othersMayHaveWritten). */
const OTHERS_IN_FLIGHT_MS = 10_000;
/** Elasticsearch refreshes its search view every second: a read back waits this long after a write. */
const VISIBLE_AFTER_MS = 2_000;
const PAGE = 1_000;
/** Item errors that say the store was busy, not that the line was wrong. */
const TRANSIENT_ITEM = /rejected_execution|es_rejected|too_many_requests|429|unavailable_shards|timeout|circuit_breaking/i;
/** A read of more than this many documents is split by time: Linseed's from/size paging stops at 10,000. */
const SPLIT_ABOVE = 9_000;
/** The least replay horizon kept (a source that reads again farther back asks for more). */
const RETAIN_MS = 30 * 60_000;
/** Request times a verify slice may lead its documents' stage times by. */
const REQUEST_SPAN_MS = 5 * 60_000;

/**
 * Linseed as the store. Its bulk API sets no document id and stores every line it is sent, so
 * this sink is idempotent itself: it knows, by dedup key, what Linseed holds for every request
 * time from some point on (what it wrote, and what it read back), sends only what is not there,
 * and reads back the range in doubt whenever an outcome is unknown (no answer, a 5xx) or a 200
 * says some lines failed without naming them. One writer per event: leader election in poll mode;
 * in push mode each shard's lease, with a subscription that keeps a log stream in one shard.
 */
export class LinseedSink implements Sink {
  readonly name = 'Linseed';
  readonly target = 'linseed';
  readonly identity: readonly string[];
  readonly stats = new LinseedStats();
  readonly delivered: DeliveredSet;
  /**
   * Request-time ranges written lately, each with when its lines are surely searchable: a read
   * back of a range waits only for those it overlaps. The process start counts as a write of
   * everything (an earlier process may just have written).
   */
  private unsettled: { until: number; from: number; to: number }[];
  /** Whether this process has sent a write (for `makeSearchable`). */
  private wroteAny = false;
  private readonly retainMs: number;
  private readonly visibleAfterMs: number;

  constructor(private readonly o: LinseedSinkOptions) {
    this.visibleAfterMs = o.visibleAfterMs ?? VISIBLE_AFTER_MS;
    this.unsettled = [{ until: Date.now() + this.visibleAfterMs, from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY }];
    this.identity = [o.settings.clusterId ?? 'cluster'];
    this.retainMs = o.retainMs ?? Math.max(RETAIN_MS, o.replayHorizonMs ?? 0);
    this.delivered = new DeliveredSet(this.retainMs);
  }

  async prepare(): Promise<void> {}

  /** One write, lookup or read back at a time: backfill slices share this sink, and the set's ranges must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  write(records: readonly SinkRecord[], signal: AbortSignal, opts: WriteOptions = {}): Promise<WriteOutcome[]> {
    return this.serial(() => this.writeNow(records, signal, opts));
  }

  /**
   * Another replica may have written lately what comes next (a shard taken over): nothing known
   * is trusted, and the next write reads back once that replica's last lines are searchable. It
   * sent its last request at least a renewal interval before its lease could be taken
   * (LeaseCoordinator.mayWrite); Linseed has no fencing token, so a request still on its way is
   * waited for here, up to `othersInFlightMs`.
   */
  othersMayHaveWritten(): Promise<void> {
    return this.serial(async () => {
      this.delivered.forget();
      this.unsettled.push({ until: Date.now() + (this.o.othersInFlightMs ?? OTHERS_IN_FLIGHT_MS) + this.visibleAfterMs, from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY });
    });
  }

  private async writeNow(records: readonly SinkRecord[], signal: AbortSignal, opts: WriteOptions): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = records.map((r) =>
      r.kind === 'dead-letter' ? { result: 'refused', status: 0, reason: 'Linseed keeps no dead letters' } : { result: 'already-stored' },
    );
    const audit = records.map((r, i) => ({ r, i })).filter(({ r }) => r.kind === 'audit');
    if (audit.length === 0) return outcomes;
    try {
      this.delivered.advance(Math.max(...audit.map(({ r }) => requestTime(r))));
      await this.ensureKnown(audit.map(({ r }) => r), signal);
      const pending: { r: SinkRecord; i: number }[] = [];
      const inBatch = new Set<string>();
      for (const a of audit) {
        if (this.delivered.has(a.r.key, requestTime(a.r)) || inBatch.has(a.r.key)) continue;
        inBatch.add(a.r.key);
        pending.push(a);
      }
      const sent = await this.send(
        pending.map((p) => p.r),
        signal,
        opts,
      );
      pending.forEach((p, j) => (outcomes[p.i] = sent[j]!));
      this.delivered.prune();
      this.o.health.ok(this.target);
      return outcomes;
    } catch (err) {
      // Lines may have landed unseen (a lost answer, then a failed read back): read back before any resend.
      this.delivered.forget();
      if (!signal.aborted && !(err instanceof NotOwnedError)) this.o.health.failed(this.target, err);
      throw err;
    }
  }

  /**
   * Sends `records` (none of which Linseed holds as far as known) until each is stored or refused
   * for good. A partial failure or a refusal of several lines is resolved line by line.
   */
  private async send(records: readonly SinkRecord[], signal: AbortSignal, opts: WriteOptions): Promise<WriteOutcome[]> {
    if (records.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      // After an unknown outcome, only what did not land is sent again.
      const todo = attempt === 1 ? records : records.filter((r) => !this.delivered.has(r.key, requestTime(r)));
      if (todo.length === 0) return records.map(() => ({ result: 'stored' }));
      // Checked as late as can be: the new owner reads back what landed before this moment.
      if (opts.stillOwned && !opts.stillOwned()) throw new NotOwnedError('the lease of these records lapsed or changed hands before they were written: left to the new owner, who reads them from the checkpoint');
      let res: Awaited<ReturnType<LinseedClient['bulk']>>;
      try {
        this.stats.bulkRequests += 1;
        res = await this.o.client.bulk(
          todo.map((r) => linseedLine(r)),
          signal,
        );
      } catch (err) {
        // Whatever ended the request, its lines may have landed.
        this.wrote(todo);
        if (signal.aborted || !(err instanceof LinseedError) || !err.transient) throw err;
        this.o.health.failed(this.target, err);
        await this.pauseAndReadBack(todo, attempt, signal, { err: errorText(err) }, 'Linseed write outcome unknown; reading back what landed before sending again');
        continue;
      }
      this.wrote(todo);
      const answer = res.answer;
      if (answer && answer.failed === 0) {
        for (const r of todo) this.delivered.add(r.key, requestTime(r));
        return records.map(() => ({ result: 'stored' }));
      }
      if (res.status !== 200 && res.status !== 400) {
        throw new LinseedError(`Linseed refused the bulk write (${res.status}): ${res.body.slice(0, 300)}${hintFor(res.status)}`, res.status, false);
      }
      const reason = answer?.errors?.[0]?.reason ?? res.body.slice(0, 300);
      // Elasticsearch's queue was full or a shard busy: no line was wrong, send again after a pause.
      if (answer?.errors?.some((e) => TRANSIENT_ITEM.test(`${e.type ?? ''} ${e.reason ?? ''}`))) {
        await this.pauseAndReadBack(todo, attempt, signal, { failed: answer.failed, reason }, 'Linseed could not store some lines for now; reading back and sending the rest again');
        continue;
      }
      if (todo.length === 1 && records.length === 1) return [{ result: 'refused', status: res.status, reason }];
      // Some lines failed, unnamed: learn which landed, then settle the others one by one.
      if (answer) this.stats.partialFailures += 1;
      this.o.log.warn({ lines: todo.length, failed: answer?.failed ?? todo.length, reason }, 'Linseed refused some lines without naming them; reading back which landed');
      await this.readBack(todo, signal);
      const out: WriteOutcome[] = [];
      for (const r of records) {
        if (this.delivered.has(r.key, requestTime(r))) out.push({ result: 'stored' });
        else out.push((await this.send([r], signal, opts))[0]!);
      }
      // Most lines refused even alone: a refusal of everything (a closed index, a broken mapping), not of these lines.
      const refused = out.filter((o) => o.result === 'refused').length;
      if (records.length > 1 && refused * 2 > records.length) {
        throw new LinseedError(`Linseed refused ${refused} of ${records.length} lines, each alone too: not a fault of the lines (${reason}); trying again later`, res.status, false);
      }
      return out;
    }
  }

  /** A retry of `todo` in doubt: back off (doubling by attempt, up to 30 s), then learn what landed. */
  private async pauseAndReadBack(todo: readonly SinkRecord[], attempt: number, signal: AbortSignal, fields: object, message: string): Promise<void> {
    this.stats.retries += 1;
    this.o.log.warn({ ...fields, attempt }, message);
    await waitTicking(Math.min(30_000, 500 * 2 ** (attempt - 1)), signal, this.o.health);
    await this.readBack(todo, signal);
  }

  /**
   * Makes the set know the request times of `records`: reads back what it does not know of them,
   * up to a retention's room above (the head moves up; no other process writes these events, so
   * what it writes inside a known range stays known).
   */
  private async ensureKnown(records: readonly SinkRecord[], signal: AbortSignal): Promise<void> {
    const times = records.map(requestTime);
    const from = Math.min(...times);
    const to = Math.max(...times);
    if (this.delivered.knows(from, to)) return;
    for (const [a, b] of this.delivered.gaps(from, to + this.retainMs)) {
      await this.readRange(a, b, signal);
      this.delivered.markKnown(a, b);
    }
  }

  /** Linseed has no refresh to ask for: wait out the store's own after this process's last write. */
  async makeSearchable(signal: AbortSignal): Promise<void> {
    if (this.wroteAny) await this.settled(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, signal);
  }

  /** Reads back the range of request times `records` span. */
  private readBack(records: readonly SinkRecord[], signal: AbortSignal): Promise<void> {
    const times = records.map(requestTime);
    return this.readRange(Math.min(...times), Math.max(...times), signal);
  }

  /** Lines of `records` may have landed: a read back over their request times waits for the refresh. */
  private wrote(records: readonly SinkRecord[]): void {
    this.wroteAny = true;
    const times = records.map(requestTime);
    const now = Date.now();
    this.unsettled = this.unsettled.filter((w) => w.until > now);
    this.unsettled.push({ until: now + this.visibleAfterMs, from: Math.min(...times), to: Math.max(...times) });
  }

  /**
   * Waits until what was written lately with request times in [from, to] is searchable. A read
   * ahead of the known range (the head moving on) overlaps nothing written and waits not at all.
   */
  private async settled(from: number, to: number, signal: AbortSignal): Promise<void> {
    const now = Date.now();
    this.unsettled = this.unsettled.filter((w) => w.until > now);
    const until = Math.max(now, ...this.unsettled.filter((w) => w.from <= to && w.to >= from).map((w) => w.until));
    if (until <= now) return;
    this.stats.visibilityWaits += 1;
    await waitTicking(until - now, signal, this.o.health);
  }

  /** Adds every kube audit document Linseed holds with a request time in [from, to] to the set. */
  private async readRange(from: number, to: number, signal: AbortSignal): Promise<void> {
    await this.settled(from, to, signal);
    this.stats.readBacks += 1;
    await this.readSplit(from, to, signal);
  }

  /**
   * Reads [from, to] page by page; a range holding more than SPLIT_ABOVE documents is read in two
   * halves instead, and a range whose pages do not add up to its total fails rather than pass
   * for read (a document missed here would be sent twice).
   */
  private async readSplit(from: number, to: number, signal: AbortSignal): Promise<void> {
    let seen = 0;
    let total: number | undefined;
    for await (const { item, totalHits } of this.items({ from: from - 1, to: to + 1 }, signal)) {
      total ??= totalHits;
      if (total !== undefined && total > SPLIT_ABOVE && to - from > 1) {
        const mid = Math.floor((from + to) / 2);
        await this.readSplit(from, mid, signal);
        await this.readSplit(mid + 1, to, signal);
        return;
      }
      seen += 1;
      const t = Date.parse(String(item.requestReceivedTimestamp ?? ''));
      if (item.auditID && item.stage && Number.isFinite(t)) this.delivered.add(dedupKey(item as KeyedEvent), t);
    }
    if (total !== undefined && seen < total) {
      throw new LinseedError(`Linseed's read of ${iso(from)} .. ${iso(to)} returned ${seen} of ${total} documents; not trusting it`, 200, true);
    }
  }

  /** The read API's documents over a range of request times (`from` exclusive, `to` inclusive), with the total it announced. */
  private async *items(range: { from: number; to: number }, signal: AbortSignal): AsyncGenerator<{ item: Record<string, unknown>; totalHits?: number }> {
    let after: Record<string, unknown> | undefined;
    do {
      const query: ReadQuery = { type: 'kube', max_page_size: PAGE, time_range: { from: iso(range.from), to: iso(range.to) }, ...(after ? { after_key: after } : {}) };
      const page = await this.reading(() => this.o.client.read(query, signal), signal);
      const items = page.items ?? [];
      for (const item of items) yield { item, totalHits: page.total_hits };
      after = items.length > 0 ? (page.after_key ?? undefined) : undefined;
    } while (after);
  }

  private reading<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    return retryTransient(
      () => {
        this.stats.readRequests += 1;
        return fn();
      },
      {
        signal,
        isTransient: (err) => err instanceof LinseedError && err.transient,
        onRetry: (err) => {
          this.stats.retries += 1;
          this.o.health.failed(this.target, err);
          this.o.log.warn({ err: errorText(err) }, 'Linseed read failed; retrying');
        },
      },
    );
  }

  async newestDelivered(stop: AbortSignal): Promise<number | undefined> {
    const now = Date.now();
    const query: ReadQuery = {
      type: 'kube',
      max_page_size: 1,
      sort: [{ field: 'stageTimestamp', descending: true }],
      // Never after now: a future-dated document must not hide the newest real one.
      time_range: { from: iso(now - 365 * 24 * 3_600_000), to: iso(now) },
    };
    const page = await this.reading(() => this.o.client.read(query, stop), stop);
    this.o.health.ok(this.target);
    const t = Date.parse(String(page.items?.[0]?.stageTimestamp ?? ''));
    return Number.isFinite(t) ? t : undefined;
  }

  heldUnderOtherIds(records: readonly SinkRecord[], signal: AbortSignal): Promise<Set<string>> {
    return this.serial(async () => {
      const audit = records.filter((r) => r.kind === 'audit');
      if (audit.length === 0) return new Set<string>();
      this.delivered.advance(Math.max(...audit.map(requestTime)));
      await this.ensureKnown(audit, signal);
      return new Set(audit.filter((r) => this.delivered.has(r.key, requestTime(r))).map((r) => r.key));
    });
  }

  /** Audit documents are judged by content; dead letters are in the local spool, not in Linseed. */
  missing(records: readonly SinkRecord[]): Promise<string[]> {
    return this.serial(async () => {
      const audit = records.filter((r) => r.kind === 'audit');
      const signal = new AbortController().signal;
      if (audit.length > 0) {
        this.delivered.advance(Math.max(...audit.map(requestTime)));
        await this.readBack(audit, signal);
      }
      const missing = records.filter((r) => r.kind === 'dead-letter' || !this.delivered.has(r.key, requestTime(r))).map((r) => r.key);
      this.delivered.prune();
      return missing;
    });
  }

  async *storedBetween(from: number, to: number): AsyncGenerator<StoredDocument> {
    const signal = new AbortController().signal;
    for await (const { item } of this.items({ from: from - REQUEST_SPAN_MS, to }, signal)) {
      const t = Date.parse(String(item.stageTimestamp ?? ''));
      if (!(t >= from && t <= to) || !item.auditID) continue;
      const key = dedupKey(item as KeyedEvent);
      yield { key, id: key };
    }
  }

  doctor(ctx: DoctorContext): Promise<DoctorResult[]> {
    return linseedDoctor(this.o.settings, this.o.client, ctx);
  }

  async close(): Promise<void> {
    this.o.client.close();
  }
}

/** One NDJSON line: the audit event plus `name`; Linseed drops `timestamp`, so it is not sent. */
export function linseedLine(r: SinkRecord): string {
  const { timestamp: _dropped, ...event } = r.document as Record<string, unknown>;
  return JSON.stringify(event);
}

/** The request time Linseed filters its reads by (epoch ms). */
function requestTime(r: SinkRecord): number {
  const d = r.document as { requestReceivedTimestamp?: string; stageTimestamp?: string };
  const t = Date.parse(d.requestReceivedTimestamp ?? d.stageTimestamp ?? '');
  return Number.isFinite(t) ? t : r.event.timestamp;
}

function hintFor(status: number): string {
  if (status === 401) return ': the bearer token was refused (LINSEED_TOKEN: a ServiceAccount token file, re-read for every request)';
  if (status === 403) return ': not authorized (a ClusterRole with linseed.tigera.io kube_auditlogs create and auditlogs get, bound to this ServiceAccount)';
  if (status === 415) return ': Linseed wants Content-Type application/x-ndjson';
  return '';
}
