import { describe, expect, it } from 'vitest';
import { commitCheckpoints, emptyLeaseTable, heldBy, readable, rebalance, release, syncShards, type LeaseTable } from '../../../src/source/kinesis/lease-table.js';

const shards = (n: number) => Array.from({ length: n }, (_, i) => ({ shardId: `shard-${i}`, parents: [] as string[] }));
const withReplicas = (t: LeaseTable, ids: string[]): LeaseTable => ({ ...t, replicas: Object.fromEntries(ids.map((id) => [id, 1])) });

/** Every live replica takes its balancing step in turn until nothing changes. */
function settle(t: LeaseTable, live: string[]): LeaseTable {
  for (let round = 0; round < 50; round++) {
    const before = JSON.stringify(t);
    for (const me of live) t = rebalance(t, me, new Set(live));
    if (JSON.stringify(t) === before) return t;
  }
  throw new Error('did not settle');
}

const counts = (t: LeaseTable, live: string[]) => live.map((r) => heldBy(t, r).size).sort();

describe('lease table', () => {
  it('spreads four shards over three replicas as 2, 1, 1 and leaves none without an owner', () => {
    const t = settle(withReplicas(syncShards(emptyLeaseTable(), shards(4)), ['a', 'b', 'c']), ['a', 'b', 'c']);
    expect(counts(t, ['a', 'b', 'c'])).toEqual([1, 1, 2]);
    expect(Object.values(t.shards).every((s) => s.owner !== undefined)).toBe(true);
  });

  it('moves shards to a replica that joins, bumping the counter of each moved lease', () => {
    let t = settle(withReplicas(syncShards(emptyLeaseTable(), shards(4)), ['a']), ['a']);
    expect(heldBy(t, 'a').size).toBe(4);
    const before = heldBy(t, 'a');
    t = settle({ ...t, replicas: { ...t.replicas, b: 1 } }, ['a', 'b']);
    expect(counts(t, ['a', 'b'])).toEqual([2, 2]);
    for (const [id, counter] of heldBy(t, 'b')) expect(counter).toBe(before.get(id)! + 1);
  });

  it('frees the shards of a dead replica for the live ones', () => {
    let t = settle(withReplicas(syncShards(emptyLeaseTable(), shards(4)), ['a', 'b']), ['a', 'b']);
    t = settle(t, ['b']);
    expect(heldBy(t, 'b').size).toBe(4);
    expect('a' in t.replicas).toBe(false);
  });

  it('refuses a checkpoint from a former owner and never moves one back', () => {
    let t = settle(withReplicas(syncShards(emptyLeaseTable(), shards(1)), ['a']), ['a']);
    const counterA = heldBy(t, 'a').get('shard-0')!;
    t = commitCheckpoints(t, 'a', [{ shardId: 'shard-0', counter: counterA, sequence: '200' }]).table;
    // b takes over (a dead), reads on and checkpoints further.
    t = settle({ ...t, replicas: { b: 1 } }, ['b']);
    const counterB = heldBy(t, 'b').get('shard-0')!;
    t = commitCheckpoints(t, 'b', [{ shardId: 'shard-0', counter: counterB, sequence: '300' }]).table;
    // a wakes up with an older acknowledged batch.
    const stale = commitCheckpoints(t, 'a', [{ shardId: 'shard-0', counter: counterA, sequence: '250' }]);
    expect(stale.refused).toEqual(['shard-0']);
    expect(stale.table.shards['shard-0']!.sequence).toBe('300');
    // the owner itself with an older number (a replay) does not move it back either.
    expect(commitCheckpoints(t, 'b', [{ shardId: 'shard-0', counter: counterB, sequence: '99' }]).table.shards['shard-0']!.sequence).toBe('300');
  });

  it('compares sequence numbers as numbers, not strings', () => {
    let t = settle(withReplicas(syncShards(emptyLeaseTable(), shards(1)), ['a']), ['a']);
    const c = heldBy(t, 'a').get('shard-0')!;
    t = commitCheckpoints(t, 'a', [{ shardId: 'shard-0', counter: c, sequence: '9' }]).table;
    t = commitCheckpoints(t, 'a', [{ shardId: 'shard-0', counter: c, sequence: '10' }]).table;
    expect(t.shards['shard-0']!.sequence).toBe('10');
  });

  it('starts children only once their parents are finished (resharding)', () => {
    let t = syncShards(emptyLeaseTable(), [
      { shardId: 'p', parents: [] },
      { shardId: 'c1', parents: ['p'] },
      { shardId: 'c2', parents: ['p'] },
    ]);
    t = settle(withReplicas(t, ['a', 'b']), ['a', 'b']);
    expect(readable(t, 'c1')).toBe(false);
    expect(t.shards.c1!.owner).toBeUndefined();
    const owner = t.shards.p!.owner!;
    t = commitCheckpoints(t, owner, [{ shardId: 'p', counter: t.shards.p!.counter, sequence: '5', finished: true }]).table;
    expect(t.shards.p!.finished).toBe(true);
    t = settle(t, ['a', 'b']);
    expect(counts(t, ['a', 'b'])).toEqual([1, 1]);
  });

  it('does not wait for a parent the stream trimmed away, and forgets a finished shard the stream no longer lists', () => {
    const t = syncShards({ shards: { old: { counter: 3, finished: true, parents: [] } }, replicas: {} }, [{ shardId: 'c', parents: ['gone'] }]);
    expect(t.shards.old).toBeUndefined();
    expect(readable(t, 'c')).toBe(true);
  });

  it('releases every lease of a replica that stops, bumping counters', () => {
    let t = settle(withReplicas(syncShards(emptyLeaseTable(), shards(2)), ['a']), ['a']);
    const before = heldBy(t, 'a');
    t = release(t, 'a');
    expect(heldBy(t, 'a').size).toBe(0);
    for (const [id, c] of before) expect(t.shards[id]!.counter).toBe(c + 1);
  });
});
