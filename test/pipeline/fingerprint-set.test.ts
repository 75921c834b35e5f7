import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FingerprintSet } from '../../src/pipeline/fingerprint-set.js';

describe('FingerprintSet', () => {
  it('holds exactly what was added, through growth, over 200,000 keys', () => {
    const set = new FingerprintSet();
    // Keys shaped like dedup keys: a 128-bit id (hex), a stage, a digest.
    const id = (seed: string) => createHash('md5').update(seed).digest('hex');
    const keys = Array.from({ length: 200_000 }, (_, i) => `${id(`k${i}`)}:ResponseComplete:${i.toString(36)}`);
    expect(keys.filter((k) => !set.add(k))).toEqual([]);
    expect(set.size).toBe(keys.length);
    expect(keys.filter((k) => !set.has(k))).toEqual([]);
    const others = Array.from({ length: 200_000 }, (_, i) => `${id(`o${i}`)}:ResponseComplete`);
    expect(others.filter((k) => set.has(k))).toEqual([]);
    // 400,000 keys hashed twice: seconds on a busy machine.
  }, 60_000);

  it('says a key added twice was there already, and counts it once', () => {
    const set = new FingerprintSet();
    expect(set.add('a')).toBe(true);
    expect(set.add('a')).toBe(false);
    expect(set.add('')).toBe(true);
    expect(set.has('')).toBe(true);
    expect(set.size).toBe(2);
  });

  it('tells apart keys that differ in one character anywhere', () => {
    const set = new FingerprintSet();
    const base = 'f6b1c2d3-0000-4000-8000-000000000000:ResponseComplete:AbCdEfGhIjK';
    set.add(base);
    for (let i = 0; i < base.length; i++) {
      const changed = base.slice(0, i) + String.fromCharCode(base.charCodeAt(i) ^ 1) + base.slice(i + 1);
      expect(set.has(changed)).toBe(false);
    }
  });
});

describe('FingerprintSet.compact', () => {
  const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${createHash('md5').update(`${prefix}${i}`).digest('hex')}:ResponseComplete`);

  it('keeps every member and no other, and takes members after, counting each once', () => {
    const set = new FingerprintSet();
    const first = keys('a', 50_000);
    for (const k of first) set.add(k);
    set.compact();
    expect(set.size).toBe(first.length);
    expect(first.filter((k) => !set.has(k))).toEqual([]);
    expect(keys('o', 50_000).filter((k) => set.has(k))).toEqual([]);
    // Members compacted before are there already; new ones go in, and a second compaction merges them.
    expect(first.slice(0, 100).filter((k) => set.add(k))).toEqual([]);
    const second = keys('b', 10_000);
    expect(second.filter((k) => !set.add(k))).toEqual([]);
    expect(set.size).toBe(60_000);
    set.compact();
    expect(set.size).toBe(60_000);
    expect([...first, ...second].filter((k) => !set.has(k))).toEqual([]);
    expect(second.filter((k) => set.add(k))).toEqual([]);
  }, 60_000);

  it('compacts an empty set to an empty one', () => {
    const set = new FingerprintSet();
    set.compact();
    expect(set.size).toBe(0);
    expect(set.has('a')).toBe(false);
    expect(set.add('a')).toBe(true);
  });
});
