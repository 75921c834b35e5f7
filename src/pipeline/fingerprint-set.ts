/**
 * A set of strings kept as 64-bit fingerprints in one typed array: 8 bytes a slot, at most three
 * quarters full, against ~100 bytes a member for a Set of strings. `verify` and the Linseed sink
 * hold the keys of every event of a range; a million of them fit in 11-21 MB outside the V8 heap,
 * or 8 MB once `compact`ed. A false `has` needs two keys sharing 64 bits (about 1 in 10^7 over
 * 10^6 members). Hand-written: npm's compact sets are Bloom filters (false positives by design)
 * or store the strings themselves.
 */
export class FingerprintSet {
  private slots = new Uint32Array(2 * 1024);
  private count = 0;
  /** Members moved out of the table by `compact`: sorted, exactly 8 bytes each. */
  private sorted: BigUint64Array = EMPTY;

  get size(): number {
    return this.count + this.sorted.length;
  }

  /** Members in the hash table, not yet compacted. */
  get uncompacted(): number {
    return this.count;
  }

  /** The bytes its arrays take. */
  get bytes(): number {
    return this.slots.byteLength + this.sorted.byteLength;
  }

  /** Adds `key`; false when it was there already. */
  add(key: string): boolean {
    const [hi, lo] = fingerprint(key);
    if (this.sorted.length > 0 && this.inSorted(hi, lo)) return false;
    // At most three quarters full: linear probing stays short, and memory is 11-21 bytes a key.
    if (4 * (this.count + 1) > 3 * (this.slots.length / 2)) this.grow();
    const i = this.find(this.slots, hi, lo);
    if (this.slots[i] !== 0 || this.slots[i + 1] !== 0) return false;
    this.slots[i] = hi;
    this.slots[i + 1] = lo;
    this.count += 1;
    return true;
  }

  has(key: string): boolean {
    const [hi, lo] = fingerprint(key);
    if (this.sorted.length > 0 && this.inSorted(hi, lo)) return true;
    const i = this.find(this.slots, hi, lo);
    return this.slots[i] !== 0 || this.slots[i + 1] !== 0;
  }

  /**
   * Moves every member into one sorted array of exactly 8 bytes each (a table is 2-3 times that)
   * and starts the table again small: for a set that stops growing, such as a minute of the
   * Linseed sink's request times once it is past. It still takes members after.
   */
  compact(): void {
    if (this.count === 0) return;
    const fresh = new BigUint64Array(this.count);
    let n = 0;
    for (let i = 0; i < this.slots.length; i += 2) {
      if (this.slots[i] === 0 && this.slots[i + 1] === 0) continue;
      fresh[n++] = (BigInt(this.slots[i]!) << 32n) | BigInt(this.slots[i + 1]!);
    }
    fresh.sort();
    // A merge, not a sort of everything: a set compacted every few thousand members stays linear.
    const old = this.sorted;
    const next = new BigUint64Array(old.length + fresh.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < fresh.length) next[k++] = old[i]! < fresh[j]! ? old[i++]! : fresh[j++]!;
    while (i < old.length) next[k++] = old[i++]!;
    while (j < fresh.length) next[k++] = fresh[j++]!;
    this.sorted = next;
    this.slots = new Uint32Array(2 * 16);
    this.count = 0;
  }

  private inSorted(hi: number, lo: number): boolean {
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    const a = this.sorted;
    let l = 0;
    let h = a.length - 1;
    while (l <= h) {
      const m = (l + h) >>> 1;
      const x = a[m]!;
      if (x === v) return true;
      if (x < v) l = m + 1;
      else h = m - 1;
    }
    return false;
  }

  /** The slot holding (hi, lo), or the empty slot where it would go (linear probing). */
  private find(slots: Uint32Array, hi: number, lo: number): number {
    const mask = slots.length / 2 - 1;
    for (let s = (lo ^ hi) & mask; ; s = (s + 1) & mask) {
      const i = 2 * s;
      if ((slots[i] === hi && slots[i + 1] === lo) || (slots[i] === 0 && slots[i + 1] === 0)) return i;
    }
  }

  private grow(): void {
    const old = this.slots;
    const next = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i]!;
      const lo = old[i + 1]!;
      if (hi === 0 && lo === 0) continue;
      const j = this.find(next, hi, lo);
      next[j] = hi;
      next[j + 1] = lo;
    }
    this.slots = next;
  }
}

const EMPTY = new BigUint64Array(0);

/** Two independent 32-bit hashes (FNV-1a and a multiply-rotate) of the UTF-16 code units; (0, 0) marks an empty slot. */
function fingerprint(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x85ebca6b);
    b = (b << 13) | (b >>> 19);
  }
  b = Math.imul(b ^ (b >>> 16), 0xc2b2ae35);
  a >>>= 0;
  b = (b ^ (b >>> 13)) >>> 0;
  return a === 0 && b === 0 ? [0, 1] : [a, b];
}
