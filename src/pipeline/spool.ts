import type { SinkRecord } from '../transform/record.js';

/**
 * Where dead letters the store itself refuses are kept, so that one poison record cannot stop
 * the pipe: kept whole, durable before the batch is acknowledged, and offered to the store again
 * until it takes them.
 */
export interface DeadLetterSpool {
  readonly location: string;
  /** Records kept now. */
  size(): number;
  /** Keeps the records durably (returns once they are on disk). */
  add(records: readonly SinkRecord[]): Promise<void>;
  /** The records kept, oldest first. */
  entries(): readonly SinkRecord[];
  /** Forgets the records with these keys (the store took them). */
  remove(keys: ReadonlySet<string>): Promise<void>;
}
