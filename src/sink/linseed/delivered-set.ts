import { FingerprintSet } from '../../pipeline/fingerprint-set.js';

const BUCKET_MS = 60_000;
/** A minute this far behind the newest request time takes few keys more (late ones, read backs): it is compacted. */
const SEAL_AFTER_MS = 2 * BUCKET_MS;
/** Keys a minute away from the writes takes into its table before they are merged into its sorted array. */
const COMPACT_EVERY = 4_096;

/** A place in request time where writes go on (a shard catching up, the head, a backfill slice), and when it last moved. */
interface Front {
  time: number;
  touchedAt: number;
}

/** A front not written for this long (wall clock) no longer keeps its minutes. */
const FRONT_IDLE_MS = 5 * 60_000;

/**
 * What Linseed holds, by dedup key, for the request times of some known ranges: what this
 * process wrote and what it read back. Linseed sets no document id, so this set is what makes a
 * replay harmless. Keys are 64-bit fingerprints in one-minute buckets of request time. Minutes
 * are kept within `retainMs` of a front, a place where writes go on: one for the head, and one
 * for each shard or slice writing far from it (a shard catching up hours behind must not make
 * every batch read a retention's worth again). What is dropped is no longer known, so a range
 * written again later is read back again rather than trusted from memory. Minutes a little away
 * from a front are compacted to 8 bytes a key, so the set's memory is about 8 bytes times the
 * kept events of each front's retention (14 MB at 1,000 a second over 30 minutes).
 */
export class DeliveredSet {
  private readonly buckets = new Map<number, FingerprintSet>();
  /** Everything Linseed holds with a request time in one of these (sorted, disjoint, inclusive, epoch ms) is in the set. */
  private known: [number, number][] = [];
  private fronts: Front[] = [];
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
    return this.known.some(([a, b]) => a <= from && to <= b);
  }

  /** The parts of [from, to] the set cannot answer for, in order. */
  gaps(from: number, to: number): [number, number][] {
    const out: [number, number][] = [];
    let at = from;
    for (const [a, b] of this.known) {
      if (b < at) continue;
      if (a > to) break;
      if (a > at) out.push([at, a - 1]);
      at = Math.max(at, b + 1);
      if (at > to) return out;
    }
    if (at <= to) out.push([at, to]);
    return out;
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

  /** The minutes around a front, which writes still fill. */
  private busy(bucket: number): boolean {
    return this.fronts.some((f) => bucket >= Math.floor((f.time - SEAL_AFTER_MS) / BUCKET_MS) && bucket <= Math.floor((f.time + SEAL_AFTER_MS) / BUCKET_MS));
  }

  /**
   * Moves the front that `time` continues (the nearest within a retention), or starts one: with
   * what is being written (not with what was read back, which may run far ahead of it), never
   * past now: a future-dated document must not empty the set.
   */
  advance(time: number, now = Date.now()): void {
    const t = Math.min(time, now);
    const wall = Date.now();
    let nearest: Front | undefined;
    for (const f of this.fronts) if (Math.abs(f.time - t) <= this.retainMs && (!nearest || Math.abs(f.time - t) < Math.abs(nearest.time - t))) nearest = f;
    if (nearest) {
      nearest.time = Math.max(nearest.time, t);
      nearest.touchedAt = wall;
    } else this.fronts.push({ time: t, touchedAt: wall });
    // Fronts a retention apart or less are one.
    this.fronts.sort((a, b) => a.time - b.time);
    this.fronts = this.fronts.reduce<Front[]>((out, f) => {
      const last = out.at(-1);
      if (last && f.time - last.time <= this.retainMs) out[out.length - 1] = { time: f.time, touchedAt: Math.max(last.touchedAt, f.touchedAt) };
      else out.push(f);
      return out;
    }, []);
  }

  /** Nothing is known any more (a write's outcome stayed in doubt): the next write reads back first. */
  forget(): void {
    this.known = [];
  }

  /** [from, to] is now in the set too (read back). */
  markKnown(from: number, to: number): void {
    const all = [...this.known, [from, to] as [number, number]].sort((x, y) => x[0] - y[0]);
    this.known = all.reduce<[number, number][]>((out, [a, b]) => {
      const last = out.at(-1);
      if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
      else out.push([a, b]);
      return out;
    }, []);
  }

  /**
   * Forgets the minutes farther than a retention from every front (a front idle for minutes
   * keeps none, unless it is the only one), and compacts the others but the few minutes around
   * each front that writes still fill; what is forgotten is no longer known.
   */
  prune(): void {
    const wall = Date.now();
    const active = this.fronts.filter((f) => wall - f.touchedAt <= FRONT_IDLE_MS);
    this.fronts = active.length > 0 ? active : this.fronts.slice(-1);
    const keep = this.fronts.map((f) => [Math.floor((f.time - this.retainMs) / BUCKET_MS), Math.floor((f.time + this.retainMs) / BUCKET_MS)] as const);
    const kept = (b: number) => keep.some(([lo, hi]) => b >= lo && b <= hi);
    for (const [b, set] of this.buckets) {
      if (!kept(b)) {
        this.count -= set.size;
        this.buckets.delete(b);
      } else if (!this.busy(b)) set.compact();
    }
    // What is known is what lies in the kept minutes.
    const known: [number, number][] = [];
    for (const [a, b] of this.known) {
      for (const [lo, hi] of keep) {
        const from = Math.max(a, lo * BUCKET_MS);
        const to = Math.min(b, (hi + 1) * BUCKET_MS - 1);
        if (from <= to) known.push([from, to]);
      }
    }
    this.known = [];
    for (const [a, b] of known) this.markKnown(a, b);
  }
}
