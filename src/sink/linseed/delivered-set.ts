import { FingerprintSet } from '../../pipeline/fingerprint-set.js';

const BUCKET_MS = 60_000;

/**
 * What Linseed holds, by dedup key, for every request time from `knownFrom` on: what this
 * process wrote and what it read back. Linseed sets no document id, so this set is what makes a
 * replay harmless. Keys are 64-bit fingerprints in one-minute buckets of request time; buckets
 * older than `retainMs` behind the newest are dropped, and `knownFrom` moves up with them, so a
 * range read again later is read back again rather than trusted from memory.
 */
export class DeliveredSet {
  private readonly buckets = new Map<number, FingerprintSet>();
  /** Everything Linseed holds from this time on (epoch ms) is in the set; undefined: nothing known. */
  knownFrom: number | undefined;
  private newest = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(private readonly retainMs: number) {}

  get size(): number {
    return this.count;
  }

  /** Whether the set can answer for a request at `time`. */
  knows(time: number): boolean {
    return this.knownFrom !== undefined && time >= this.knownFrom;
  }

  has(key: string, time: number): boolean {
    return this.buckets.get(Math.floor(time / BUCKET_MS))?.has(key) ?? false;
  }

  add(key: string, time: number): void {
    const b = Math.floor(time / BUCKET_MS);
    const set = this.buckets.get(b) ?? this.buckets.set(b, new FingerprintSet()).get(b)!;
    if (set.add(key)) this.count += 1;
    if (time > this.newest) this.newest = time;
  }

  /** Everything from `from` on is now in the set (after a read back of [from, knownFrom)). */
  markKnownFrom(from: number): void {
    this.knownFrom = this.knownFrom === undefined ? from : Math.min(this.knownFrom, from);
  }

  /** Forgets buckets far behind the newest request time; what is forgotten is no longer known. */
  prune(): void {
    const keepFrom = Math.floor((this.newest - this.retainMs) / BUCKET_MS);
    for (const [b, set] of this.buckets) {
      if (b >= keepFrom) continue;
      this.count -= set.size;
      this.buckets.delete(b);
    }
    if (this.knownFrom !== undefined && this.knownFrom < keepFrom * BUCKET_MS) this.knownFrom = keepFrom * BUCKET_MS;
  }
}
