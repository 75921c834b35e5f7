import { FingerprintSet } from '../../pipeline/fingerprint-set.js';

const BUCKET_MS = 60_000;
/** A minute this far behind the newest request time takes few keys more (late ones, read backs): it is compacted. */
const SEAL_AFTER_MS = 2 * BUCKET_MS;
/** Keys a minute away from the writes takes into its table before they are merged into its sorted array. */
const COMPACT_EVERY = 4_096;

/**
 * What Linseed holds, by dedup key, for every request time in one known range: what this
 * process wrote and what it read back. Linseed sets no document id, so this set is what makes a
 * replay harmless. Keys are 64-bit fingerprints in one-minute buckets of request time; buckets
 * older than `retainMs` behind the newest are dropped, and `knownFrom` moves up with them, so a
 * range read again later is read back again rather than trusted from memory. Minutes a little
 * behind the newest are compacted to 8 bytes a key, so the set's memory is about 8 bytes times
 * the kept events of the retention (14 MB at 1,000 a second over 30 minutes).
 */
export class DeliveredSet {
  private readonly buckets = new Map<number, FingerprintSet>();
  /** Everything Linseed holds with a request time in [knownFrom, knownTo] (epoch ms) is in the set; undefined: nothing known. */
  knownFrom: number | undefined;
  knownTo: number | undefined;
  private newest = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(private readonly retainMs: number) {}

  get size(): number {
    return this.count;
  }

  /** The bytes its fingerprints take. */
  get bytes(): number {
    let n = 0;
    for (const set of this.buckets.values()) n += set.bytes;
    return n;
  }

  /** Whether the set can answer for requests in [from, to]. */
  knows(from: number, to = from): boolean {
    return this.knownFrom !== undefined && this.knownTo !== undefined && from >= this.knownFrom && to <= this.knownTo;
  }

  has(key: string, time: number): boolean {
    return this.buckets.get(Math.floor(time / BUCKET_MS))?.has(key) ?? false;
  }

  add(key: string, time: number): void {
    const b = Math.floor(time / BUCKET_MS);
    const set = this.buckets.get(b) ?? this.buckets.set(b, new FingerprintSet()).get(b)!;
    if (set.add(key)) this.count += 1;
    // A minute filled away from where writes go (a read back of a retention's worth) is kept
    // compact as it fills, not only at the next prune: otherwise the read holds it all in tables.
    if (set.uncompacted >= COMPACT_EVERY && !this.busy(b)) set.compact();
  }

  /** The minutes around the newest request time written, which writes still fill. */
  private busy(bucket: number): boolean {
    return bucket >= Math.floor((this.newest - SEAL_AFTER_MS) / BUCKET_MS) && bucket <= Math.floor((this.newest + SEAL_AFTER_MS) / BUCKET_MS);
  }

  /**
   * Moves the retention along with what is being written (not with what was read back, which may
   * run far ahead of it), never past now: a future-dated document must not empty the set.
   */
  advance(time: number, now = Date.now()): void {
    this.newest = Math.max(this.newest, Math.min(time, now));
  }

  /** Nothing is known any more (a write's outcome stayed in doubt): the next write reads back first. */
  forget(): void {
    this.knownFrom = undefined;
    this.knownTo = undefined;
  }

  /** [from, to] is now in the set too (read back); one that does not touch the known range replaces it. */
  markKnown(from: number, to: number): void {
    const touches = this.knownFrom !== undefined && this.knownTo !== undefined && from <= this.knownTo + 1 && to >= this.knownFrom - 1;
    this.knownFrom = touches ? Math.min(this.knownFrom!, from) : from;
    this.knownTo = touches ? Math.max(this.knownTo!, to) : to;
  }

  /**
   * Forgets buckets far behind the newest request time, and compacts the others but the few
   * minutes around it that writes still fill (a read back ahead of it fills its minutes at once);
   * what is forgotten is no longer known.
   */
  prune(): void {
    const keepFrom = Math.floor((this.newest - this.retainMs) / BUCKET_MS);
    for (const [b, set] of this.buckets) {
      if (b < keepFrom) {
        this.count -= set.size;
        this.buckets.delete(b);
      } else if (!this.busy(b)) set.compact();
    }
    if (this.knownFrom !== undefined && this.knownFrom < keepFrom * BUCKET_MS) this.knownFrom = keepFrom * BUCKET_MS;
    if (this.knownFrom !== undefined && this.knownTo !== undefined && this.knownFrom > this.knownTo) this.forget();
  }
}
