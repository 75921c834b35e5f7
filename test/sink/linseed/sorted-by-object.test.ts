import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { objectKey, sortedByObject } from '../../../src/sink/linseed/sorted-by-object.js';

/** Documents of `objects` objects in request-time order, as Linseed's time-ordered read yields them. */
function docs(n: number, objects: number, seed = 1): Record<string, unknown>[] {
  let s = seed;
  const rand = () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => {
    const o = Math.floor(rand() * objects);
    const t = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 3) * 1000).toISOString();
    return {
      auditID: `a-${i}`,
      verb: 'update',
      requestReceivedTimestamp: t,
      objectRef: { apiGroup: o % 3 === 0 ? '' : 'networking.k8s.io', resource: o % 2 ? 'networkpolicies' : 'configmaps', namespace: `ns-${o % 7}`, name: `obj-${o}` },
      responseObject: { metadata: { name: `obj-${o}`, resourceVersion: String(i) }, pad: 'x'.repeat(Math.floor(rand() * 200)) },
    };
  });
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('documents sorted by object on disk (the change log through Linseed, beyond its paging)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-sort-test-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('orders many runs, merged in rounds, exactly as a stable in-memory sort by object and request time, and leaves no file', async () => {
    const input = docs(6_000, 400);
    const expected = [...input].sort((a, b) => (objectKey(a) < objectKey(b) ? -1 : objectKey(a) > objectKey(b) ? 1 : 0));
    const sorted = await all(sortedByObject(stream(input), { runBytes: 40_000, fanIn: 3, tmpDir: tmp }));
    expect(sorted.map((d) => d.auditID)).toEqual(expected.map((d) => d.auditID));
    expect(sorted).toEqual(expected);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('sorts what fits one run in memory, without a file', async () => {
    const input = docs(50, 5);
    const sorted = await all(sortedByObject(stream(input), { tmpDir: tmp }));
    expect(sorted.map(objectKey)).toEqual(input.map(objectKey).sort());
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('removes its runs when the reader stops early', async () => {
    for await (const _ of sortedByObject(stream(docs(3_000, 50)), { runBytes: 20_000, tmpDir: tmp })) break;
    expect(readdirSync(tmp)).toEqual([]);
  });
});
