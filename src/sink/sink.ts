import type { DoctorContext, DoctorResult } from '../component.js';
import type { SinkRecord } from '../transform/record.js';

export type { SinkRecord } from '../transform/record.js';

/** A stored audit document as `verify` sees it: the key of its content, and where to find it. */
export interface StoredDocument {
  key: string;
  /** The store's own name for it (`index/id`). */
  id: string;
}

/** Whose documents `verify` judges: this forwarder's, or every document under the cluster's index pattern (a cut-over). */
export type VerifyScope = 'forwarder' | 'cluster';

/** What the store did with one record. */
export type WriteOutcome =
  | { result: 'stored' }
  /** A replay: the store already held it, and kept it as it was. */
  | { result: 'already-stored' }
  /** Refused for good (a retry would be refused again). */
  | { result: 'refused'; status: number; reason: string };

/** How a batch may be written. */
export interface WriteOptions {
  /**
   * Asked right before each request that stores documents: false once this process may no longer
   * write the batch (push mode: the lease of its shard lapsed or changed hands). A sink whose
   * writes are not idempotent by id (Linseed) then throws NotOwnedError, and the new owner,
   * reading from the checkpoint, writes the batch instead.
   */
  stillOwned?: () => boolean;
}

/** The batch's source position is no longer this process's to write (see WriteOptions.stillOwned). */
export class NotOwnedError extends Error {
  override name = 'NotOwnedError';
}

/**
 * A store of audit documents. `write` resolves only with the store's own acknowledgement of
 * every record (transient faults are waited out inside), one outcome per record, in order; the
 * pipeline then moves the checkpoint. The rest is what the run loop and the tools need.
 */
export interface Sink {
  /** The store as people name it, for logs and dead-letter reasons (`Elasticsearch`). */
  readonly name: string;
  /** Where its health and retries are reported (`elasticsearch`). */
  readonly target: string;
  /** What a checkpoint of this sink is keyed by (the cluster). */
  readonly identity: readonly string[];
  /** Makes the store ready to receive (templates); waits out an outage until `stop`. */
  prepare(stop: AbortSignal): Promise<void>;
  write(records: readonly SinkRecord[], signal: AbortSignal, opts?: WriteOptions): Promise<WriteOutcome[]>;
  /**
   * Another process may have written lately what comes next (push mode: a shard taken over from
   * another replica, or a child shard whose parent another replica read). A sink that sets its own
   * document ids needs nothing; one that remembers what it wrote (Linseed) looks again first.
   */
  othersMayHaveWritten(): Promise<void>;
  /**
   * Makes everything written so far searchable (a refresh, or waiting one out), so a reader right
   * after a finished backfill (`verify`, `changes`) sees all of it, as the bulk helper's
   * `refreshOnCompletion` does. Best effort and bounded: it warns, never throws.
   */
  makeSearchable(signal: AbortSignal): Promise<void>;
  /** Timestamp (epoch ms) of the newest audit event already delivered for this cluster; waits out an outage. */
  newestDelivered(stop: AbortSignal): Promise<number | undefined>;
  /**
   * Keys of `records` whose event the store holds under another id (release 0.1's `auditID:stage`,
   * the operator's forwarder's), found by content anywhere in the cluster's documents.
   */
  heldUnderOtherIds(records: readonly SinkRecord[], signal: AbortSignal): Promise<Set<string>>;
  /** `verify`: the keys of `records` the store does not hold, under any id, in `scope`. */
  missing(records: readonly SinkRecord[], scope: VerifyScope): Promise<string[]>;
  /** `verify`: the audit documents in `scope` with an event time in [from, to] (epoch ms): dedup key (from content) and the store's id. */
  storedBetween(from: number, to: number, scope: VerifyScope): AsyncIterable<StoredDocument>;
  doctor(ctx: DoctorContext): Promise<DoctorResult[]>;
  close(): Promise<void>;
}

/**
 * A read of stored audit documents for the change views (`changes`, its report, `ui`). The store
 * narrows by what it can; the reader's caller applies the Timeline rules again in code, so a
 * store that narrows by less returns more, never a different answer.
 */
export interface ChangeQuery {
  /** requestReceivedTimestamp bounds, inclusive (epoch ms). */
  from: number;
  to: number;
  /** `time`: by request time (the timeline); `object`: by group, resource, namespace, name, then request time (the change log). */
  order: 'time' | 'object';
  verbs: readonly string[];
  /** objectRef.resource, any of these (lower case). */
  resources?: readonly string[];
  /** objectRef.apiGroup; '' is the core group. */
  group?: string;
  namespace?: string;
  name?: string;
  user?: string;
  /** The diffs need responseObject; a listing does not, and reads far less without it. */
  withObjects: boolean;
}

/** The read side of a store, for the change views. */
export interface AuditReader {
  /** How the views name the store (`Elasticsearch http://…`), secrets masked. */
  readonly store: string;
  readonly cluster: string;
  /** Audit documents matching `q` as far as the store can tell, in `q.order`, page by page (memory holds one page). */
  changeDocuments(q: ChangeQuery, signal: AbortSignal): AsyncIterable<Record<string, unknown>>;
  close(): Promise<void>;
}
